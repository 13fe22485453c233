package auditlog

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Decoded is one event of a parallel read, with what the worker computed
// for it; or, with Event nil, an undecodable line (*LineError) or an input
// that failed (*FileError).
type Decoded[T any] struct {
	Event  *auditv1.Event
	Pos    Position
	Result T
	Err    error
}

// Parallel reads a Reader's inputs with several goroutines: one splits the
// inputs into lines, workers decode them and call their work function on
// every event (a detection engine's Matcher, say), and Next returns the
// results in input order. Memory is bounded by the batches in flight.
type Parallel[T any] struct {
	r       *Reader
	results chan *pbatch[T]
	pending map[int]*pbatch[T]
	next    int
	cur     *pbatch[T]
	ci      int
	stop    chan struct{}
	once    sync.Once
	done    bool
}

type rawLine struct {
	line []byte
	no   int
	err  error
}

type pjob struct {
	seq     int
	file    string
	lines   []rawLine
	fileErr error
	last    bool
}

type pbatch[T any] struct {
	seq   int
	items []Decoded[T]
	last  bool
}

const parallelBatch = 256

// NewParallel starts reading r (which must not follow: use Reader.Next for
// --follow) with workers decoding goroutines; newWorker is called once per
// worker and returns the function that worker applies to each event.
func NewParallel[T any](r *Reader, workers int, newWorker func() func(*auditv1.Event) T) *Parallel[T] {
	if workers < 1 {
		workers = 1
	}
	p := &Parallel[T]{r: r, results: make(chan *pbatch[T], 2*workers), pending: map[int]*pbatch[T]{}, stop: make(chan struct{})}
	jobs := make(chan *pjob, 2*workers)
	go p.produce(jobs)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		work := newWorker()
		go func() {
			defer wg.Done()
			ld := NewLineDecoder()
			ld.NoCopy = true
			for j := range jobs {
				p.results <- decodeJob(ld, j, work)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(p.results)
	}()
	return p
}

func decodeJob[T any](ld *LineDecoder, j *pjob, work func(*auditv1.Event) T) *pbatch[T] {
	b := &pbatch[T]{seq: j.seq, last: j.last, items: make([]Decoded[T], 0, len(j.lines))}
	if j.fileErr != nil {
		b.items = append(b.items, Decoded[T]{Err: &FileError{File: j.file, Err: j.fileErr}})
		return b
	}
	for _, l := range j.lines {
		pos := Position{File: j.file, Line: l.no}
		if l.err != nil {
			b.items = append(b.items, Decoded[T]{Pos: pos, Err: &LineError{File: j.file, Line: l.no, Err: l.err}})
			continue
		}
		evs, err := ld.Decode(l.line, nil)
		if err != nil {
			b.items = append(b.items, Decoded[T]{Pos: pos, Err: &LineError{File: j.file, Line: l.no, Err: err}})
			continue
		}
		for i := range evs {
			ev := &evs[i]
			b.items = append(b.items, Decoded[T]{Event: ev, Pos: pos, Result: work(ev)})
		}
	}
	return b
}

func (p *Parallel[T]) produce(jobs chan<- *pjob) {
	defer close(jobs)
	seq := 0
	send := func(j *pjob) bool {
		j.seq = seq
		seq++
		select {
		case jobs <- j:
			return true
		case <-p.stop:
			return false
		}
	}
	r := p.r
	for _, src := range r.sources {
		if !p.readSource(src, send) {
			return
		}
	}
	send(&pjob{last: true})
}

// readSource splits one input into jobs; false means stop.
func (p *Parallel[T]) readSource(src Source, send func(*pjob) bool) bool {
	r := p.r
	var in io.Reader
	if src.Path == "-" {
		in = r.opts.Stdin
	} else {
		f, err := os.Open(src.Path)
		if err != nil {
			return send(&pjob{file: src.Path, fileErr: err})
		}
		defer f.Close()
		in = f
	}
	r.files.Add(1)
	br := bufio.NewReaderSize(&countingReader{r: in, n: &r.bytes}, 64<<10)
	var rd io.Reader = br
	gz := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return send(&pjob{file: src.Path, fileErr: fmt.Errorf("gzip: %w", err)})
		}
		rd, gz = zr, true
	}
	max := r.opts.MaxLineBytes
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	lr := &lineReader{r: rd, max: max}
	no := 0
	j := &pjob{file: src.Path}
	for {
		line, tooLong, err := lr.next()
		if line != nil || tooLong {
			no++
			r.lineCount.Add(1)
			l := rawLine{line: line, no: no}
			if tooLong {
				l.err = fmt.Errorf("line longer than %d bytes, skipped", max)
			}
			if l.err != nil || len(line) > 0 {
				j.lines = append(j.lines, l)
			}
			if len(j.lines) == parallelBatch {
				if !send(j) {
					return false
				}
				j = &pjob{file: src.Path}
			}
		}
		if err != nil {
			if len(j.lines) > 0 && !send(j) {
				return false
			}
			if errors.Is(err, io.EOF) {
				return true
			}
			if gz && errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("line %d: gzip stream truncated", no)
			}
			return send(&pjob{file: src.Path, fileErr: err})
		}
	}
}

// Next returns the next event (or line or file error) in input order, and
// io.EOF at the end.
func (p *Parallel[T]) Next() (Decoded[T], error) {
	for {
		if p.cur != nil && p.ci < len(p.cur.items) {
			d := p.cur.items[p.ci]
			p.ci++
			switch {
			case d.Event != nil:
				p.r.events.Add(1)
			case errors.As(d.Err, new(*LineError)):
				p.r.bad.Add(1)
			}
			return d, nil
		}
		if p.done {
			return Decoded[T]{}, io.EOF
		}
		if b, ok := p.pending[p.next]; ok {
			delete(p.pending, p.next)
			p.next++
			p.cur, p.ci = b, 0
			if b.last {
				p.done = true
			}
			continue
		}
		b, ok := <-p.results
		if !ok {
			p.done = true
			continue
		}
		p.pending[b.seq] = b
	}
}

// Close stops reading; call it when not reading to the end.
func (p *Parallel[T]) Close() {
	p.once.Do(func() {
		close(p.stop)
		go func() {
			for range p.results {
			}
		}()
	})
}
