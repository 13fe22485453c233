package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
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

// Parallel reads a Reader's inputs with several goroutines: workers read
// the inputs in turn in chunks of whole lines (256 KiB), split them into
// lines, decode them and call their work function on every event (a
// detection engine's Matcher, say), and Next returns the results in input
// order.
//
// The chunks, and the events decoded from them, are recycled: an event
// Next returns (with its request and response bodies) is valid until the
// next call to Next. Copy what must outlive it; the strings and slices in
// it may be kept (they are never reused). Memory is bounded by the chunks
// in flight, a few per worker.
type Parallel[T any] struct {
	r       *Reader
	free    chan *pchunk[T]
	results chan *pchunk[T]
	pending map[int]*pchunk[T]
	next    int
	cur     *pchunk[T]
	ci      int
	// line is the number of lines of the current input before cur.
	line int
	rd   *chunkReader
	stop chan struct{}
	once sync.Once
	done bool
}

// pchunk is the unit of work: whole lines of one input read into buf
// (data), then the items decoded from them.
type pchunk[T any] struct {
	rawChunk

	// Filled by the worker.
	items []Decoded[T]
	lines int
	boxes []eventBox
}

// rawChunk is what chunkReader fills.
type rawChunk struct {
	seq  int
	file string
	// first: the first chunk of an input (line numbers restart).
	first bool
	buf   []byte
	data  []byte
	// skipFirst: data starts with the end of a line longer than max,
	// already skipped; it is reported as such.
	skipFirst bool
	max       int
	// err ends the input after the lines of data; errLine asks for the
	// line count in its message (a truncated gzip stream).
	err     error
	errLine bool
	last    bool
}

// parallelChunk is the size chunks are read in (a line longer than that
// gets a chunk of its own, up to the line bound).
var parallelChunk = 256 << 10

// NewParallel starts reading r (which must not follow: use Reader.Next for
// --follow) with workers decoding goroutines; newWorker is called once per
// worker and returns the function that worker applies to each event.
//
// Each worker reads its next chunk itself (in turn: the reads are
// serialized and numbered) and decodes it: no goroutine hands raw bytes
// over to another.
func NewParallel[T any](r *Reader, workers int, newWorker func() func(*auditv1.Event) T) *Parallel[T] {
	if workers < 1 {
		workers = 1
	}
	// Chunks in flight: being read or decoded, queued for Next, and the
	// one Next returns from; the pool bounds memory.
	n := 3*workers + 2
	p := &Parallel[T]{
		r:       r,
		free:    make(chan *pchunk[T], n),
		results: make(chan *pchunk[T], n),
		pending: map[int]*pchunk[T]{},
		stop:    make(chan struct{}),
	}
	for i := 0; i < n; i++ {
		p.free <- &pchunk[T]{}
	}
	rd := &chunkReader{r: r, size: parallelChunk}
	p.rd = rd
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		work := newWorker()
		go func() {
			defer wg.Done()
			ld := newLineDecoder(streamUsers)
			ld.NoCopy = true
			for {
				c := p.chunk()
				if c == nil {
					return
				}
				if !rd.next(&c.rawChunk) {
					p.release(c)
					return
				}
				decodeChunk(ld, c, work)
				p.results <- c
			}
		}()
	}
	go func() {
		wg.Wait()
		close(p.results)
	}()
	return p
}

// decodeChunk splits c.data into lines and decodes them. Positions and
// errors carry line numbers relative to the chunk; Next adds the lines
// before it.
func decodeChunk[T any](ld *LineDecoder, c *pchunk[T], work func(*auditv1.Event) T) {
	c.items = c.items[:0]
	c.lines = 0
	if c.boxes == nil {
		c.boxes = make([]eventBox, 64)
	}
	ld.boxes, ld.nbox = c.boxes, 0
	rest := c.data
	if c.skipFirst {
		c.lines++
		c.items = append(c.items, Decoded[T]{Pos: Position{File: c.file, Line: c.lines},
			Err: &LineError{File: c.file, Line: c.lines, Err: fmt.Errorf("line longer than %d bytes, skipped", c.max)}})
		if k := bytes.IndexByte(rest, '\n'); k >= 0 {
			rest = rest[k+1:]
		} else {
			rest = nil
		}
	}
	for len(rest) > 0 {
		var line []byte
		if k := bytes.IndexByte(rest, '\n'); k >= 0 {
			line, rest = rest[:k:k], rest[k+1:]
		} else {
			line, rest = rest, nil
		}
		c.lines++
		pos := Position{File: c.file, Line: c.lines}
		if len(line) > c.max {
			c.items = append(c.items, Decoded[T]{Pos: pos, Err: &LineError{File: c.file, Line: c.lines, Err: fmt.Errorf("line longer than %d bytes, skipped", c.max)}})
			continue
		}
		evs, err := ld.Decode(line, nil)
		if err != nil {
			c.items = append(c.items, Decoded[T]{Pos: pos, Err: &LineError{File: c.file, Line: c.lines, Err: err}})
			continue
		}
		for i := range evs {
			ev := &evs[i]
			c.items = append(c.items, Decoded[T]{Event: ev, Pos: pos, Result: work(ev)})
		}
	}
	if c.err != nil {
		c.items = append(c.items, Decoded[T]{Pos: Position{File: c.file, Line: c.lines}, Err: &FileError{File: c.file, Err: c.err}})
	}
	// Keep the boxes for the next use of the chunk (grown if this one
	// needed more).
	if ld.nbox > len(ld.boxes) {
		c.boxes = make([]eventBox, ld.nbox+ld.nbox/4)
	} else {
		c.boxes = ld.boxes
	}
	ld.boxes, ld.nbox = nil, 0
}

// chunk takes a chunk from the pool; nil when stopped.
func (p *Parallel[T]) chunk() *pchunk[T] {
	select {
	case c := <-p.free:
		return c
	case <-p.stop:
		return nil
	}
}

// chunkReader splits a Reader's inputs into numbered chunks of whole
// lines, one chunk per call, for the workers in turn.
type chunkReader struct {
	mu    sync.Mutex
	r     *Reader
	size  int // of a chunk
	next_ int // the next source to open
	src   *openSource
	seq   int
	carry []byte // the start of a line, read with the chunk before
	done  bool
}

// openSource is the input being read.
type openSource struct {
	path   string
	closer io.Closer
	rd     io.Reader
	gz     bool
	max    int
	first  bool // no chunk of it was returned yet
	// skipping: inside a line longer than max; skipped is set on the
	// chunk that holds its end.
	skipping, skipped bool
}

// next fills c with the next chunk; false at the end.
func (cr *chunkReader) next(c *rawChunk) bool {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.done {
		return false
	}
	c.first, c.skipFirst, c.last, c.errLine = false, false, false, false
	c.data, c.err, c.file = nil, nil, ""
	for {
		if cr.src == nil {
			if cr.next_ == len(cr.r.sources) {
				cr.done = true
				c.last = true
				break
			}
			src := cr.r.sources[cr.next_]
			if cr.r.ctx.Err() != nil {
				notRead := len(cr.r.sources) - cr.next_
				cr.next_ = len(cr.r.sources)
				c.file, c.first, c.err = src.Path, true, interrupted(notRead)
				break
			}
			cr.next_++
			if err := cr.open(src); err != nil {
				c.file, c.first, c.err = src.Path, true, err
				break
			}
		}
		if cr.fill(c) {
			break
		}
	}
	c.seq = cr.seq
	cr.seq++
	return true
}

// open starts reading src (gzip detected by its magic number).
func (cr *chunkReader) open(src Source) error {
	r := cr.r
	in, closer, err := r.input(src)
	if err != nil {
		return err
	}
	r.files.Add(1)
	cnt := &countingReader{r: in, n: &r.bytes}
	br := bufio.NewReaderSize(cnt, 64<<10)
	var rd io.Reader
	gz := false
	magic, perr := br.Peek(2)
	switch {
	case len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			if closer != nil {
				closer.Close()
			}
			return fmt.Errorf("gzip: %w", err)
		}
		rd, gz = zr, true
	case perr != nil:
		rd = br // ended (or failed) at once: bufio keeps the error
	default:
		// Plain: what the peek buffered, then reads straight into the
		// chunks (no copy through the bufio buffer).
		peeked, _ := br.Peek(br.Buffered())
		rd = io.MultiReader(bytes.NewReader(peeked), cnt)
	}
	max := r.opts.MaxLineBytes
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	cr.src = &openSource{path: src.Path, closer: closer, rd: rd, gz: gz, max: max, first: true}
	cr.carry = cr.carry[:0]
	return nil
}

// fill reads the next chunk of the open input into c: whole lines, or at
// its end what is left. It returns false when the input ended with nothing
// to report (the next one is to be read).
func (cr *chunkReader) fill(c *rawChunk) bool {
	src := cr.src
	if cap(c.buf) < max(cr.size, len(cr.carry)) {
		c.buf = make([]byte, max(cr.size, len(cr.carry)))
	}
	buf := c.buf[:cap(c.buf)]
	n := copy(buf, cr.carry) // the start of a line read with the chunk before
	cr.carry = cr.carry[:0]
	for {
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = src.rd.Read(buf[n:])
			n += k
		}
		if err == nil {
			last := bytes.LastIndexByte(buf[:n], '\n')
			if last < 0 {
				// One partial line fills the buffer.
				switch {
				case src.skipping:
					n = 0 // still inside the long line
				case n > src.max:
					src.skipping, src.skipped = true, true
					n = 0
				default:
					nb := make([]byte, min(2*len(buf), src.max+1))
					copy(nb, buf[:n])
					buf = nb
				}
				continue
			}
			cr.carry = append(cr.carry, buf[last+1:n]...)
			c.buf, c.data = buf, buf[:last+1]
			cr.stamp(c)
			return true
		}
		// The end of the input (or a failure): what was read is the last
		// chunk, its last line possibly without a newline.
		if errors.Is(err, errStopped) {
			// Standard input ended by a signal: its partial last line
			// is dropped, as Decoder drops it.
			n = bytes.LastIndexByte(buf[:n], '\n') + 1
		}
		c.buf, c.data = buf, buf[:n]
		if !errors.Is(err, io.EOF) && !errors.Is(err, errStopped) {
			c.err = err
			c.errLine = src.gz && errors.Is(err, io.ErrUnexpectedEOF)
		}
		report := len(c.data) > 0 || src.skipped || src.first || c.err != nil
		cr.stamp(c)
		if src.closer != nil {
			src.closer.Close()
		}
		cr.src = nil
		return report
	}
}

// stamp labels a chunk of the open input.
func (cr *chunkReader) stamp(c *rawChunk) {
	src := cr.src
	c.file, c.first, c.skipFirst, c.max = src.path, src.first, src.skipped, src.max
	src.first, src.skipping, src.skipped = false, false, false
}

// release returns a chunk to the pool.
func (p *Parallel[T]) release(c *pchunk[T]) {
	if cap(c.buf) > p.rd.size {
		c.buf = nil // a long line's: do not keep it
	}
	clear(c.items) // drop the references to events and results
	c.items = c.items[:0]
	c.data = nil
	select {
	case p.free <- c:
	default:
	}
}

// Next returns the next event (or line or file error) in input order, and
// io.EOF at the end. The event is valid until the next call to Next.
func (p *Parallel[T]) Next() (Decoded[T], error) {
	for {
		if c := p.cur; c != nil {
			if p.ci < len(c.items) {
				d := c.items[p.ci]
				p.ci++
				d.Pos.Line += p.line
				switch e := d.Err.(type) {
				case nil:
					p.r.events.Add(1)
				case *LineError:
					e.Line += p.line
					p.r.bad.Add(1)
				case *FileError:
					if c.errLine {
						e.Err = fmt.Errorf("line %d: gzip stream truncated", d.Pos.Line)
					}
					d.Pos = Position{}
				}
				return d, nil
			}
			p.line += c.lines
			p.r.lineCount.Add(int64(c.lines))
			p.cur = nil
			p.release(c)
		}
		if p.done {
			return Decoded[T]{}, io.EOF
		}
		if c, ok := p.pending[p.next]; ok {
			delete(p.pending, p.next)
			p.next++
			p.cur, p.ci = c, 0
			if c.first {
				p.line = 0
			}
			if c.last {
				p.done = true
			}
			continue
		}
		c, ok := <-p.results
		if !ok {
			p.done = true
			continue
		}
		p.pending[c.seq] = c
	}
}

// Close stops reading; call it when not reading to the end.
func (p *Parallel[T]) Close() {
	p.once.Do(func() {
		close(p.stop)
		go func() {
			for range p.results {
			}
			p.rd.close()
		}()
	})
}

// close releases the input being read, once the workers are done.
func (cr *chunkReader) close() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	cr.done = true
	if cr.src != nil && cr.src.closer != nil {
		cr.src.closer.Close()
	}
	cr.src = nil
}
