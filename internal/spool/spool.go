// Package spool is a durable, append-only record log on local disk: the
// write-ahead spool of `apiguard audit serve`.
//
// A Log is a directory of segment files, each named by the sequence number
// of its first record (00000000000000000042.seg). A record is
//
//	length uint32 | crc32c(seq, data) uint32 | seq uint64 | data
//
// little-endian. Append returns once the record is on stable storage
// (fsync; concurrent appends share one fsync: group commit), so a caller
// may acknowledge what it appended. Readers see only records that are
// durable. Open recovers a directory after a crash: a record cut short or
// failing its checksum ends its segment (the file is truncated there; a
// record is durable only once fsync returned, so nothing acknowledged is
// dropped unless the disk itself lost written data).
//
// When a write or fsync fails (disk full, I/O error) the records not yet
// durable are cut off again (the file is truncated back) and their Appends
// fail; the next Append tries again, so the log recovers by itself when
// space returns. A Log bounded by MaxBytes refuses records beyond it with
// ErrFull.
//
// Consumption is the caller's: Trim deletes the segments whose records are
// all at or below a sequence number, and small state files (cursors) are
// written with WriteFileAtomic.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Defaults and bounds.
const (
	DefaultSegmentBytes = 64 << 20
	// MaxRecord bounds one record's data (a corrupt length field must not
	// make recovery allocate gigabytes).
	MaxRecord = 256 << 20
	headerLen = 16
	segExt    = ".seg"
)

var (
	// ErrFull: the log holds MaxBytes; the record was not written.
	ErrFull = errors.New("spool full")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("spool closed")
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Options configure a Log. Zero values take the defaults.
type Options struct {
	// SegmentBytes: a new segment is started when the active one reaches
	// it (default 64 MiB, or MaxBytes/8 when that is smaller).
	SegmentBytes int64
	// MaxBytes bounds the bytes on disk (0: unbounded): Append returns
	// ErrFull rather than exceed it.
	MaxBytes int64
	// NoSync: Append does not fsync; records are visible to readers once
	// written, and durable after Sync.
	NoSync bool
	// Sync replaces (*os.File).Sync, for tests that inject failures.
	Sync func(*os.File) error
	// Write replaces (*os.File).Write, for tests that inject failures.
	Write func(*os.File, []byte) (int, error)
}

// Recovery is what Open found and repaired.
type Recovery struct {
	Segments  int    // segment files kept
	Records   int64  // valid records
	Truncated int64  // bytes cut off (torn or corrupt tails)
	Detail    string // where, when Truncated > 0
}

type segment struct {
	first, last uint64 // last == first-1 while empty
	path        string
	size        int64
}

// Log is a durable record log. Its methods are safe for concurrent use.
type Log struct {
	dir string
	opt Options

	mu       sync.Mutex
	cond     *sync.Cond // synced, epoch or syncing changed
	segs     []*segment // by first seq; the last one is active
	active   *os.File
	next     uint64 // seq of the next record
	written  uint64 // last seq written to the active file
	synced   uint64 // last durable seq (what readers see)
	syncOff  int64  // active segment size at synced
	size     int64  // bytes in all segments
	syncing  bool
	pending  []*waiter // Appends waiting for fsync
	badOff   int64     // >= 0: the active file must be truncated here before the next write
	closed   bool
	notify   chan struct{} // closed (and replaced) when synced grows
	buf      []byte
	sync     func(*os.File) error
	write    func(*os.File, []byte) (int, error)
	recovery Recovery
}

// Open opens (creating it if needed) the log in dir and recovers it.
func Open(dir string, opt Options) (*Log, error) {
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = DefaultSegmentBytes
		if opt.MaxBytes > 0 && opt.MaxBytes/8 < opt.SegmentBytes {
			opt.SegmentBytes = max(opt.MaxBytes/8, 64<<10)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l := &Log{dir: dir, opt: opt, badOff: -1, notify: make(chan struct{}), sync: opt.Sync, write: opt.Write}
	if l.sync == nil {
		l.sync = (*os.File).Sync
	}
	if l.write == nil {
		l.write = (*os.File).Write
	}
	l.cond = sync.NewCond(&l.mu)
	if err := l.recover(); err != nil {
		return nil, err
	}
	return l, nil
}

// Recovery reports what Open found.
func (l *Log) Recovery() Recovery { return l.recovery }

// Dir is the log's directory.
func (l *Log) Dir() string { return l.dir }

func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segExt) }

func (l *Log) recover() error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var segs []*segment
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segExt) || !e.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segExt), 10, 64)
		if err != nil || first == 0 {
			continue
		}
		segs = append(segs, &segment{first: first, path: filepath.Join(l.dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	var details []string
	prev := uint64(0)
	kept := segs[:0]
	for _, s := range segs {
		if s.first <= prev {
			// Overlaps the previous segment's records: left by a failure
			// between creating a segment and cutting the previous one.
			details = append(details, fmt.Sprintf("%s: overlaps the previous segment; removed", filepath.Base(s.path)))
			st, _ := os.Stat(s.path)
			if st != nil {
				l.recovery.Truncated += st.Size()
			}
			os.Remove(s.path)
			continue
		}
		last, size, n, cut, why, err := scanSegment(s.path, s.first)
		if err != nil {
			return err
		}
		if cut > 0 {
			if err := os.Truncate(s.path, size); err != nil {
				return fmt.Errorf("spool %s: truncating a torn record: %w", s.path, err)
			}
			l.recovery.Truncated += cut
			details = append(details, fmt.Sprintf("%s: %d bytes cut at offset %d (%s)", filepath.Base(s.path), cut, size, why))
		}
		if n == 0 {
			os.Remove(s.path)
			continue
		}
		s.last, s.size = last, size
		l.recovery.Records += n
		prev = last
		kept = append(kept, s)
	}
	l.recovery.Detail = strings.Join(details, "; ")
	l.segs = kept
	l.next = prev + 1
	l.written, l.synced = prev, prev
	for _, s := range kept {
		l.size += s.size
	}
	l.recovery.Segments = len(kept)
	// Append to the last segment, or start one.
	if len(kept) > 0 {
		s := kept[len(kept)-1]
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		l.active, l.syncOff = f, s.size
		return nil
	}
	return l.startSegment()
}

// scanSegment reads a segment's records: the last valid seq, the size of
// the valid prefix, the record count, and how many bytes follow the valid
// prefix (cut) with why.
func scanSegment(path string, first uint64) (last uint64, size int64, n int64, cut int64, why string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, 0, "", err
	}
	total := st.Size()
	r := &recordReader{f: f}
	last = first - 1
	for {
		seq, data, rlen, rerr := r.next()
		if rerr == io.EOF {
			return last, size, n, total - size, "", nil
		}
		if rerr != nil {
			return last, size, n, total - size, rerr.Error(), nil
		}
		if seq <= last {
			return last, size, n, total - size, fmt.Sprintf("sequence %d after %d", seq, last), nil
		}
		_ = data
		last = seq
		size += rlen
		n++
	}
}

// recordReader reads records sequentially from a file.
type recordReader struct {
	f   *os.File
	off int64
	hdr [headerLen]byte
}

var errTorn = errors.New("torn record")

// next reads the record at r.off: io.EOF at a clean end; another error
// for a torn or corrupt record (r.off unchanged).
func (r *recordReader) next() (seq uint64, data []byte, n int64, err error) {
	m, err := r.f.ReadAt(r.hdr[:], r.off)
	if m == 0 && err == io.EOF {
		return 0, nil, 0, io.EOF
	}
	if m < headerLen {
		return 0, nil, 0, fmt.Errorf("%w: %d-byte header", errTorn, m)
	}
	length := binary.LittleEndian.Uint32(r.hdr[0:4])
	sum := binary.LittleEndian.Uint32(r.hdr[4:8])
	seq = binary.LittleEndian.Uint64(r.hdr[8:16])
	if length > MaxRecord {
		return 0, nil, 0, fmt.Errorf("%w: length %d", errTorn, length)
	}
	data = make([]byte, length)
	if m, err = r.f.ReadAt(data, r.off+headerLen); m < int(length) {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("%w: %d of %d data bytes", errTorn, m, length)
		}
		return 0, nil, 0, err
	}
	if checksum(r.hdr[8:16], data) != sum {
		return 0, nil, 0, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	n = headerLen + int64(length)
	r.off += n
	return seq, data, n, nil
}

func checksum(seq, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(seq, crcTable), crcTable, data)
}

// startSegment creates the segment for l.next and makes it active (l.mu
// held or during Open).
func (l *Log) startSegment() error {
	path := filepath.Join(l.dir, segName(l.next))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	l.segs = append(l.segs, &segment{first: l.next, last: l.next - 1, path: path})
	l.active, l.syncOff = f, 0
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Append writes one record and returns its sequence number once it is
// durable (unless NoSync). On error nothing of the record remains.
func (l *Log) Append(data []byte) (uint64, error) {
	if len(data) > MaxRecord {
		return 0, fmt.Errorf("spool: record of %d bytes exceeds %d", len(data), MaxRecord)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if err := l.repair(); err != nil {
		return 0, err
	}
	recLen := int64(headerLen + len(data))
	if l.opt.MaxBytes > 0 && l.size+recLen > l.opt.MaxBytes {
		return 0, ErrFull
	}
	act := l.segs[len(l.segs)-1]
	if act.size > 0 && act.size+recLen > l.opt.SegmentBytes {
		if err := l.rotate(); err != nil {
			return 0, err
		}
		act = l.segs[len(l.segs)-1]
	}
	seq := l.next
	l.buf = appendRecord(l.buf[:0], seq, data)
	if n, err := l.write(l.active, l.buf); err != nil || n != len(l.buf) {
		if err == nil {
			err = io.ErrShortWrite
		}
		// Cut what part of this record reached the file; the records
		// before it are intact.
		if terr := l.active.Truncate(act.size); terr != nil {
			l.badOff = act.size
		}
		return 0, fmt.Errorf("spool write: %w", err)
	}
	act.size += recLen
	act.last = seq
	l.size += recLen
	l.next++
	l.written = seq
	if l.opt.NoSync {
		l.synced, l.syncOff = seq, act.size
		l.wake()
		return seq, nil
	}
	w := &waiter{seq: seq}
	l.pending = append(l.pending, w)
	for w.err == nil && !w.done {
		if l.closed {
			return 0, ErrClosed
		}
		if l.syncing {
			l.cond.Wait()
			continue
		}
		l.syncOnce()
	}
	if w.err != nil {
		return 0, w.err
	}
	return seq, nil
}

// waiter is an Append waiting for its record to be durable.
type waiter struct {
	seq  uint64
	done bool
	err  error
}

// syncOnce fsyncs the active file with l.mu released, then publishes
// (or, on failure, discards) what it covered. l.mu held.
func (l *Log) syncOnce() {
	l.syncing = true
	f, target := l.active, l.written
	act := l.segs[len(l.segs)-1]
	targetOff := act.size
	l.mu.Unlock()
	err := l.sync(f)
	l.mu.Lock()
	l.syncing = false
	if err != nil {
		l.cutUnsynced(l.syncOff, fmt.Errorf("spool fsync: %w", err))
	} else if target > l.synced && l.active == f {
		l.synced, l.syncOff = target, targetOff
		l.wake()
		keep := l.pending[:0]
		for _, w := range l.pending {
			if w.seq <= target {
				w.done = true
			} else {
				keep = append(keep, w)
			}
		}
		clear(l.pending[len(keep):])
		l.pending = keep
	}
	l.cond.Broadcast()
}

// cutUnsynced discards every record written after the durable ones (an
// fsync failed: their state on disk is unknown): the active file is
// truncated back to off (the durable size), and waiters on those records
// fail with err. When the truncation itself fails the log keeps trying
// before each later write. l.mu held.
func (l *Log) cutUnsynced(off int64, err error) {
	act := l.segs[len(l.segs)-1]
	for _, w := range l.pending {
		w.err = err
	}
	clear(l.pending)
	l.pending = l.pending[:0]
	l.size -= act.size - off
	act.size = off
	act.last = l.synced
	if act.last < act.first {
		act.last = act.first - 1
	}
	l.written = l.synced
	l.next = l.synced + 1
	if err := l.active.Truncate(off); err != nil {
		l.badOff = off
	}
	l.cond.Broadcast()
}

// repair retries a truncation that failed. l.mu held.
func (l *Log) repair() error {
	if l.badOff < 0 {
		return nil
	}
	if err := l.active.Truncate(l.badOff); err != nil {
		return fmt.Errorf("spool: cannot cut a failed write: %w", err)
	}
	l.badOff = -1
	return nil
}

// rotate makes a new active segment; the old one is durable first. l.mu held.
func (l *Log) rotate() error {
	for l.syncing {
		l.cond.Wait()
	}
	if l.written > l.synced {
		if err := l.sync(l.active); err != nil {
			err = fmt.Errorf("spool fsync: %w", err)
			l.cutUnsynced(l.syncOff, err)
			return err
		}
		l.synced, l.syncOff = l.written, l.segs[len(l.segs)-1].size
		for _, w := range l.pending {
			w.done = true
		}
		clear(l.pending)
		l.pending = l.pending[:0]
		l.wake()
		l.cond.Broadcast()
	}
	old := l.active
	if err := l.startSegment(); err != nil {
		return err
	}
	old.Close()
	return nil
}

func appendRecord(b []byte, seq uint64, data []byte) []byte {
	var hdr [headerLen]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint64(hdr[8:16], seq)
	binary.LittleEndian.PutUint32(hdr[4:8], checksum(hdr[8:16], data))
	return append(append(b, hdr[:]...), data...)
}

// wake tells readers that synced grew. l.mu held.
func (l *Log) wake() {
	close(l.notify)
	l.notify = make(chan struct{})
}

// Sync makes every record written so far durable (for a NoSync log).
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return l.sync(l.active)
}

// First and Last are the lowest and highest sequence numbers held (Last
// is 0 for a log that never held a record; First > Last when empty).
func (l *Log) First() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		if s.last >= s.first {
			return s.first
		}
	}
	return l.next
}

// Last is the highest durable sequence number.
func (l *Log) Last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.synced
}

// Size is the bytes the log holds on disk.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// MaxBytes is the bound the log was opened with (0: none).
func (l *Log) MaxBytes() int64 { return l.opt.MaxBytes }

// Trim deletes the segments whose records are all at or below upto. An
// active segment whose records are all consumed is closed and deleted too
// once it holds a sixteenth of SegmentBytes, so that consumed data does not
// linger on a small disk.
func (l *Log) Trim(upto uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if act := l.segs[len(l.segs)-1]; !l.closed && act.last >= act.first && act.last <= upto &&
		act.size >= l.opt.SegmentBytes/16 && l.written == l.synced && l.badOff < 0 {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	var errs []error
	n := 0
	for n < len(l.segs)-1 && l.segs[n].last <= upto {
		s := l.segs[n]
		if err := os.Remove(s.path); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
			break
		}
		l.size -= s.size
		n++
	}
	if n > 0 {
		l.segs = append(l.segs[:0], l.segs[n:]...)
	}
	return errors.Join(errs...)
}

// TrimBefore deletes the oldest segments (not the active one) while keep
// says no for a segment's last sequence number.
func (l *Log) TrimWhile(drop func(last uint64) bool) error {
	l.mu.Lock()
	upto := uint64(0)
	for _, s := range l.segs[:len(l.segs)-1] {
		if !drop(s.last) {
			break
		}
		upto = s.last
	}
	l.mu.Unlock()
	if upto == 0 {
		return nil
	}
	return l.Trim(upto)
}

// Close closes the log; blocked Appends and readers return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	for l.syncing {
		l.cond.Wait()
	}
	l.closed = true
	var err error
	if l.written > l.synced || l.opt.NoSync {
		if err = l.sync(l.active); err == nil {
			l.synced = l.written
			for _, w := range l.pending {
				w.done = true
			}
		}
	}
	l.wake()
	l.cond.Broadcast()
	return errors.Join(err, l.active.Close())
}

// Reader reads a log's durable records in order.
type Reader struct {
	l    *Log
	next uint64
	seg  *segment
	rr   *recordReader
}

// NewReader returns a reader of the records with sequence number from
// onwards.
func (l *Log) NewReader(from uint64) *Reader {
	return &Reader{l: l, next: max(from, 1)}
}

// Next returns the next durable record, waiting for one until ctx is done.
// The data is the caller's.
func (r *Reader) Next(ctx context.Context) (uint64, []byte, error) {
	for {
		seq, data, ok, err := r.try()
		if err != nil || ok {
			return seq, data, err
		}
		r.l.mu.Lock()
		ch, closed := r.l.notify, r.l.closed
		visible := r.l.synced
		r.l.mu.Unlock()
		if closed {
			return 0, nil, ErrClosed
		}
		if visible >= r.next {
			continue // published while we looked
		}
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-ch:
		}
	}
}

// TryNext returns the next durable record if there is one (ok false when
// none is ready).
func (r *Reader) TryNext() (seq uint64, data []byte, ok bool, err error) {
	return r.try()
}

func (r *Reader) try() (uint64, []byte, bool, error) {
	for {
		r.l.mu.Lock()
		if r.next > r.l.synced {
			r.l.mu.Unlock()
			return 0, nil, false, nil
		}
		if r.seg == nil {
			// The segment holding r.next (or the first after it).
			var found *segment
			for _, s := range r.l.segs {
				if s.last >= r.next && s.last >= s.first {
					found = s
					break
				}
			}
			r.l.mu.Unlock()
			if found == nil {
				return 0, nil, false, nil
			}
			if r.rr != nil {
				r.rr.f.Close()
				r.rr = nil
			}
			f, err := os.Open(found.path)
			if err != nil {
				if os.IsNotExist(err) {
					continue // trimmed under us
				}
				return 0, nil, false, err
			}
			r.seg, r.rr = found, &recordReader{f: f}
			continue
		}
		// Read only the durable prefix of the segment: the active one
		// may hold records being written or about to be cut.
		limit, sealed := r.seg.size, r.seg != r.l.segs[len(r.l.segs)-1]
		if !sealed {
			limit = r.l.syncOff
		}
		r.l.mu.Unlock()
		if r.rr.off >= limit {
			if sealed {
				r.seg = nil
				continue
			}
			return 0, nil, false, nil
		}
		seq, data, _, err := r.rr.next()
		if err != nil {
			return 0, nil, false, fmt.Errorf("spool %s: %w", r.rr.f.Name(), err)
		}
		if seq < r.next {
			continue
		}
		r.next = seq + 1
		return seq, data, true, nil
	}
}

// Close releases the reader's file.
func (r *Reader) Close() {
	if r.rr != nil {
		r.rr.f.Close()
		r.rr = nil
	}
}

// WriteFileAtomic replaces path with data durably: a temporary file is
// written and fsynced, renamed over path, and the directory fsynced.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}
