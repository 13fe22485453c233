package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// Position names a line of an input.
type Position struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// LineError is an undecodable line. The lines around it are still read:
// call Next again.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// FileError is an input that could not be opened or read to its end (the
// events read before the failure were returned). Call Next again for the
// next input.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// DefaultMaxLineBytes bounds one line (one Event or EventList). Longer lines
// are reported as LineErrors and skipped without being held in memory.
const DefaultMaxLineBytes = 64 << 20

// errStopped ends a followed input when its context is done.
var errStopped = errors.New("stopped")

// Decoder reads one JSON-lines stream of audit events (an Event or an
// EventList per line; blank lines ignored; gzip detected by its magic
// number).
//
// Lines are read into blocks that are never overwritten, and the request
// and response bodies of the events (runtime.Unknown.Raw) are slices of
// those blocks, not copies: an event keeps its block alive while it is
// referenced.
type Decoder struct {
	name    string
	in      io.Reader
	lr      *lineReader
	started bool
	gz      bool
	ld      *LineDecoder
	pending []auditv1.Event
	pi      int
	pos     Position
	done    bool
	// MaxLineBytes bounds a line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// Lines counts the lines read so far (blank ones included).
	Lines int64
}

// NewDecoder reads r, naming it name in positions and errors.
func NewDecoder(r io.Reader, name string) *Decoder {
	ld := newLineDecoder(streamUsers)
	ld.NoCopy = true
	return &Decoder{name: name, in: r, ld: ld}
}

// Position is the file and line of the event Next returned last.
func (d *Decoder) Position() Position { return d.pos }

// Next returns the next event, owned by the caller. It returns io.EOF at the
// end, a *LineError for an undecodable line (call Next again to go on), and
// any other error when the stream itself fails (gzip corruption, I/O).
func (d *Decoder) Next() (*auditv1.Event, error) {
	for {
		if d.pi < len(d.pending) {
			ev := &d.pending[d.pi]
			d.pi++
			return ev, nil
		}
		if d.done {
			return nil, io.EOF
		}
		if !d.started {
			d.started = true
			br := bufio.NewReaderSize(d.in, 64<<10)
			var in io.Reader = br
			if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
				zr, err := gzip.NewReader(br)
				if err != nil {
					d.done = true
					return nil, fmt.Errorf("gzip: %w", err)
				}
				d.gz = true
				in = zr
			}
			max := d.MaxLineBytes
			if max <= 0 {
				max = DefaultMaxLineBytes
			}
			d.lr = &lineReader{r: in, max: max}
		}
		line, tooLong, err := d.lr.next()
		if line != nil || tooLong {
			d.line()
		}
		if tooLong {
			return nil, &LineError{File: d.name, Line: int(d.Lines), Err: fmt.Errorf("line longer than %d bytes, skipped", d.lr.max)}
		}
		if err != nil {
			d.done = true
			switch {
			case errors.Is(err, io.EOF):
				return nil, io.EOF
			case errors.Is(err, errStopped):
				return nil, io.EOF
			case d.gz && errors.Is(err, io.ErrUnexpectedEOF):
				return nil, fmt.Errorf("line %d: gzip stream truncated", d.Lines)
			}
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		evs, derr := d.ld.Decode(line, nil)
		if derr != nil {
			return nil, &LineError{File: d.name, Line: int(d.Lines), Err: derr}
		}
		d.pending, d.pi = evs, 0
		d.pos = Position{File: d.name, Line: int(d.Lines)}
	}
}

func (d *Decoder) line() { d.Lines++ }

// blockSize is the size of the blocks lines are read into.
const blockSize = 1 << 20

// lineReader splits a stream into lines held in blocks that are never
// reused: a line (and what is decoded from it without copying) stays valid.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error
	max        int
	skipping   bool
}

// next returns the next line without its newline. At the end of the
// stream it returns the last line if it has no newline (unless the stream
// was stopped: a followed file's partial line is dropped), then the error.
// tooLong reports a line longer than max, which was skipped.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	for {
		if i := bytes.IndexByte(l.buf[l.start:l.end], '\n'); i >= 0 {
			line = l.buf[l.start : l.start+i : l.start+i]
			l.start += i + 1
			if l.skipping {
				l.skipping = false
				return nil, true, nil
			}
			if len(line) > l.max {
				return nil, true, nil
			}
			if line == nil {
				line = []byte{}
			}
			return line, false, nil
		}
		if l.skipping {
			l.start = l.end // drop what was read of the long line
		}
		if l.err != nil {
			if l.start < l.end && !errors.Is(l.err, errStopped) {
				line = l.buf[l.start:l.end:l.end]
				l.start = l.end
				if len(line) > l.max || l.skipping {
					return nil, true, nil
				}
				return line, false, nil
			}
			if l.skipping {
				l.skipping = false
				return nil, true, l.err
			}
			return nil, false, l.err
		}
		pending := l.end - l.start
		if pending > l.max {
			l.skipping = true
			l.start = l.end
			continue
		}
		if l.end == len(l.buf) {
			size := blockSize
			if 2*pending > size {
				size = 2 * pending
			}
			nb := make([]byte, size)
			copy(nb, l.buf[l.start:l.end])
			l.buf, l.start, l.end = nb, 0, pending
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
		}
	}
}

// Stats counts what a Reader has read so far. Safe to read concurrently
// (Reader.Stats) while another goroutine reads events.
type Stats struct {
	// Files is the number of inputs opened so far.
	Files int64 `json:"files"`
	// Bytes read from the inputs as stored (compressed bytes for .gz).
	Bytes int64 `json:"bytes"`
	// TotalBytes is the size of all regular-file inputs (0 when unknown:
	// stdin, followed files grow).
	TotalBytes int64 `json:"totalBytes"`
	Lines      int64 `json:"lines"`
	Events     int64 `json:"events"`
	// BadLines counts undecodable lines.
	BadLines int64 `json:"badLines"`
}

// OpenOptions tune Open.
type OpenOptions struct {
	// Follow keeps reading the last input as it grows, across rotation
	// (the path is reopened when its inode changes, and read from the start
	// when it shrinks), until the context is done.
	Follow bool
	// PollInterval is how often a followed file is checked (default 250ms).
	PollInterval time.Duration
	// Stdin is read for the path "-" (default os.Stdin).
	Stdin io.Reader
	// MaxLineBytes bounds one line (default DefaultMaxLineBytes).
	MaxLineBytes int
}

// Source is one resolved input.
type Source struct {
	Path string
	Size int64
	// Time orders rotated files: the timestamp in a kube-apiserver
	// (lumberjack) backup name, else the modification time.
	Time time.Time
}

// Reader reads events from several inputs in order: files, gzip files,
// directories of rotated logs (oldest first, the active log last) and "-"
// for stdin.
type Reader struct {
	ctx     context.Context
	opts    OpenOptions
	sources []Source
	idx     int
	cur     *Decoder
	closer  io.Closer
	counter *countingReader
	lines   int64

	files, bytes, lineCount, events, bad atomic.Int64
	total                                atomic.Int64
}

// Open reads paths (see Reader) with default options.
func Open(paths ...string) (*Reader, error) {
	return OpenWith(context.Background(), OpenOptions{}, paths...)
}

// OpenWith resolves paths and returns a Reader over every input it could
// resolve. A path that does not exist or a directory that cannot be listed
// is reported in the returned error (errors.Join of *FileError), and the
// Reader still reads the others; the Reader is nil only when nothing could
// be resolved. With Follow, the last input is followed until ctx is done.
func OpenWith(ctx context.Context, opts OpenOptions, paths ...string) (*Reader, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	r := &Reader{ctx: ctx, opts: opts}
	var errs []error
	for _, p := range paths {
		srcs, err := resolve(p)
		if err != nil {
			errs = append(errs, &FileError{File: p, Err: err})
			continue
		}
		r.sources = append(r.sources, srcs...)
	}
	var total int64
	for _, s := range r.sources {
		total += s.Size
	}
	if !opts.Follow {
		r.total.Store(total)
	}
	if len(r.sources) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errors.New("no input"))
		}
		return nil, errors.Join(errs...)
	}
	return r, errors.Join(errs...)
}

// Sources lists the inputs in the order they are read.
func (r *Reader) Sources() []Source { return append([]Source(nil), r.sources...) }

// Stats returns the counters so far.
func (r *Reader) Stats() Stats {
	st := Stats{
		Files: r.files.Load(), Bytes: r.bytes.Load(), TotalBytes: r.total.Load(),
		Lines: r.lineCount.Load(), Events: r.events.Load(), BadLines: r.bad.Load(),
	}
	return st
}

// Position is the file and line of the event Next returned last.
func (r *Reader) Position() Position {
	if r.cur == nil {
		return Position{}
	}
	return r.cur.Position()
}

// Next returns the next event (owned by the caller), io.EOF after the last
// input, a *LineError for an undecodable line and a *FileError for an input
// that cannot be opened or read; after either error, call Next again.
func (r *Reader) Next() (*auditv1.Event, error) {
	for {
		if r.cur == nil {
			if r.idx >= len(r.sources) {
				return nil, io.EOF
			}
			src := r.sources[r.idx]
			if r.ctx.Err() != nil {
				notRead := len(r.sources) - r.idx
				r.idx = len(r.sources)
				return nil, &FileError{File: src.Path, Err: interrupted(notRead)}
			}
			r.idx++
			follow := r.opts.Follow && r.idx == len(r.sources)
			if err := r.open(src, follow); err != nil {
				return nil, &FileError{File: src.Path, Err: err}
			}
		}
		ev, err := r.cur.Next()
		r.lineCount.Store(r.lines + r.cur.Lines)
		switch {
		case err == nil:
			r.events.Add(1)
			return ev, nil
		case errors.Is(err, io.EOF):
			r.finish()
			continue
		default:
			var le *LineError
			if errors.As(err, &le) {
				r.bad.Add(1)
				return nil, err
			}
			name := r.cur.name
			r.finish()
			return nil, &FileError{File: name, Err: err}
		}
	}
}

// Close releases the current input.
func (r *Reader) Close() error {
	r.finish()
	r.idx = len(r.sources)
	return nil
}

func (r *Reader) finish() {
	if r.cur != nil {
		r.lines += r.cur.Lines
		r.cur = nil
	}
	if r.closer != nil {
		r.closer.Close()
		r.closer = nil
	}
}

func (r *Reader) open(src Source, follow bool) error {
	var in io.Reader
	switch {
	case follow:
		t, err := newTail(r.ctx, src.Path, r.opts.PollInterval)
		if err != nil {
			return err
		}
		in, r.closer = t, t
	default:
		var err error
		if in, r.closer, err = r.input(src); err != nil {
			return err
		}
	}
	r.files.Add(1)
	r.counter = &countingReader{r: in, n: &r.bytes}
	r.cur = NewDecoder(r.counter, src.Path)
	r.cur.MaxLineBytes = r.opts.MaxLineBytes
	return nil
}

// input opens a source that is read to its end: standard input for "-",
// else a regular file (never a FIFO or a device, whose open or reads would
// block). When the reader's context ends, standard input (a stream with no
// end of its own) ends as if closed, and a file stops with an error: its
// analysis is incomplete.
func (r *Reader) input(src Source) (io.Reader, io.Closer, error) {
	if src.Path == "-" {
		return &stoppable{fileinput.ContextReader(r.ctx, r.opts.Stdin)}, nil, nil
	}
	f, err := fileinput.Open(src.Path)
	if err != nil {
		return nil, nil, fileinput.Cause(err)
	}
	return &interruptible{ctx: r.ctx, r: f}, f, nil
}

// interrupted is the error of inputs not read to their end because the
// context ended.
func interrupted(notRead int) error {
	if notRead > 1 {
		return fmt.Errorf("not read: interrupted (and %d more inputs)", notRead-1)
	}
	return errors.New("not read: interrupted")
}

// stoppable turns the end of standard input's context into errStopped: the
// end of the stream, whose partial last line is dropped.
type stoppable struct{ r io.Reader }

func (s *stoppable) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if errors.Is(err, fileinput.ErrInterrupted) {
		err = errStopped
	}
	return n, err
}

// interruptible stops reading a file when ctx ends.
type interruptible struct {
	ctx context.Context
	r   io.Reader
}

func (i *interruptible) Read(p []byte) (int, error) {
	if i.ctx.Err() != nil {
		return 0, fileinput.ErrInterrupted
	}
	return i.r.Read(p)
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// rotatedName matches the timestamp lumberjack (kube-apiserver's log
// rotation) puts in backup names: audit-2026-11-27T10-00-00.000.log[.gz].
var rotatedName = regexp.MustCompile(`(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3})`)

func resolve(p string) ([]Source, error) {
	if p == "-" {
		return []Source{{Path: "-"}}, nil
	}
	st, err := fileinput.Stat(p) // a regular file or a directory, never a FIFO
	if err != nil {
		return nil, fileinput.Cause(err)
	}
	if !st.IsDir() {
		return []Source{sourceOf(p, st)}, nil
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		fp := filepath.Join(p, e.Name())
		fst, err := os.Stat(fp)
		if err != nil || !fst.Mode().IsRegular() {
			continue
		}
		out = append(out, sourceOf(fp, fst))
	}
	if len(out) == 0 {
		return nil, errors.New("directory holds no log files")
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

func sourceOf(p string, st os.FileInfo) Source {
	s := Source{Path: p, Size: st.Size(), Time: st.ModTime()}
	if m := rotatedName.FindString(filepath.Base(p)); m != "" {
		if t, err := time.Parse("2006-01-02T15-04-05.000", m); err == nil {
			s.Time = t
		}
	}
	return s
}

// tail follows a file across rotation by polling.
type tail struct {
	ctx  context.Context
	path string
	f    *os.File
	st   os.FileInfo
	off  int64
	poll time.Duration
}

func newTail(ctx context.Context, path string, poll time.Duration) (*tail, error) {
	f, err := fileinput.Open(path)
	if err != nil {
		return nil, fileinput.Cause(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &tail{ctx: ctx, path: path, f: f, st: st, poll: poll}, nil
}

func (t *tail) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		t.off += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if t.ctx.Err() != nil {
			return 0, errStopped
		}
		st, serr := os.Stat(t.path)
		switch {
		case serr == nil && !os.SameFile(st, t.st):
			// Rotated: drain what was written to the old file before the
			// rename, then continue with the new one.
			if n, _ := t.f.Read(p); n > 0 {
				t.off += int64(n)
				return n, nil
			}
			nf, err := fileinput.Open(t.path)
			if err != nil {
				break // not created yet (or not a regular file): wait
			}
			t.f.Close()
			t.f, t.st, t.off = nf, st, 0
			continue
		case serr == nil && st.Size() < t.off:
			// Truncated in place (copytruncate): start over.
			if _, err := t.f.Seek(0, io.SeekStart); err == nil {
				t.off = 0
				continue
			}
		}
		select {
		case <-t.ctx.Done():
			return 0, errStopped
		case <-time.After(t.poll):
		}
	}
}

func (t *tail) Close() error { return t.f.Close() }
