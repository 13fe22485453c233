package auditserve

import (
	"sync"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/detect"
)

// batch is what one accepted request put in the queue.
type batch struct {
	events  []auditv1.Event
	matches [][]detect.Match // parallel to events when the engine matches in the request goroutines
	bytes   int64
}

// admission is the outcome of offering a batch to the queue.
type admission int

const (
	admitted  admission = iota // queued (the duplicates in it dropped)
	queueFull                  // nothing queued: retry later
	closed                     // shutting down: nothing queued
)

// queue is a FIFO of batches bounded in events and bytes. Admission is all
// or nothing and de-duplicates against every event queued within the
// dedupe window, under one lock, so that an acknowledged event is always
// queued exactly once.
type queue struct {
	mu        sync.Mutex
	nonEmpty  *sync.Cond
	batches   []*batch
	events    int64 // queued or being processed
	bytes     int64
	maxEvents int64
	maxBytes  int64
	closed    bool
	dd        *dedupe
}

func newQueue(maxEvents, maxBytes int64, dd *dedupe) *queue {
	q := &queue{maxEvents: maxEvents, maxBytes: maxBytes, dd: dd}
	q.nonEmpty = sync.NewCond(&q.mu)
	return q
}

// offer queues the events of one request whose keys are keys (and
// matches, when not nil, their rule matches; both parallel to events) and
// whose body was size bytes. It returns the outcome and, when admitted, how
// many events were duplicates (not queued).
//
// Room is checked for the whole batch before de-duplication, so a batch is
// refused only when it might not fit; an empty queue always takes a batch,
// however big, so that a batch larger than the queue cannot block forever.
func (q *queue) offer(events []auditv1.Event, keys []key, matches [][]detect.Match, size int64, now time.Time) (admission, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return closed, 0
	}
	if !q.fits(int64(len(events)), size) {
		return queueFull, 0
	}
	q.dd.expire(now)
	kept := events[:0]
	var keptM [][]detect.Match
	if matches != nil {
		keptM = matches[:0]
	}
	dups := 0
	for i := range events {
		if q.dd.contains(keys[i]) {
			dups++
			continue
		}
		q.dd.add(keys[i], now)
		kept = append(kept, events[i])
		if matches != nil {
			keptM = append(keptM, matches[i])
		}
	}
	if len(kept) == 0 {
		return admitted, dups
	}
	q.batches = append(q.batches, &batch{events: kept, matches: keptM, bytes: size})
	q.events += int64(len(kept))
	q.bytes += size
	q.nonEmpty.Signal()
	return admitted, dups
}

// fits reports whether n events of size bytes may be queued now (q.mu held).
func (q *queue) fits(n, size int64) bool {
	return q.events == 0 || (q.events+n <= q.maxEvents && q.bytes+size <= q.maxBytes)
}

// wouldFit is fits for a caller that does not hold the lock: a hint (the
// queue may change before offer), to skip work for a batch that will be refused.
func (q *queue) wouldFit(n, size int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.closed && q.fits(n, size)
}

// take blocks until a batch is queued and returns it, or returns nil when the
// queue is closed and empty. The batch still counts in the depth until done.
func (q *queue) take() *batch {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.batches) == 0 && !q.closed {
		q.nonEmpty.Wait()
	}
	if len(q.batches) == 0 {
		return nil
	}
	b := q.batches[0]
	q.batches[0] = nil
	q.batches = q.batches[1:]
	return b
}

// done releases n processed events (and bytes of their body) from the depth.
func (q *queue) done(n, bytes int64) {
	q.mu.Lock()
	q.events -= n
	q.bytes -= bytes
	q.mu.Unlock()
}

// close refuses further batches; take drains what is queued, then returns nil.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.nonEmpty.Broadcast()
	q.mu.Unlock()
}

// depth returns the events and bytes queued or being processed.
func (q *queue) depth() (events, bytes int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events, q.bytes
}

func (q *queue) dedupeLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dd.len()
}
