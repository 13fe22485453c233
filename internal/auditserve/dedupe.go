package auditserve

import (
	"sync"
	"time"
)

// dedupe remembers the keys of accepted events for a time window, bounded
// in count (oldest forgotten first), so that a batch re-sent after a lost
// acknowledgement is not stored twice.
//
// A batch reserves its keys before it is written to the spool and commits
// them once it is durable (or releases them when the write failed, so the
// re-send is taken). An event whose key another request holds reserved is
// a conflict: that request's outcome is not known yet, so the batch is
// refused for now (429) rather than acknowledged on the strength of a
// write that may still fail.
type dedupe struct {
	mu      sync.Mutex
	window  time.Duration
	max     int
	seen    map[Key]struct{}
	pending map[Key]struct{}
	ring    []dedupeEntry // FIFO of seen keys: ring[head:] ++ ring[:head] when full
	head    int
	n       int
}

type dedupeEntry struct {
	k  Key
	at int64 // unix nanoseconds
}

func newDedupe(window time.Duration, max int) *dedupe {
	if max < 1 {
		max = 1
	}
	return &dedupe{window: window, max: max, seen: make(map[Key]struct{}), pending: make(map[Key]struct{})}
}

// reserve decides, for each key of a batch, whether its event is new
// (keep[i]) or a duplicate (of an accepted event, or of an earlier event of
// the same batch), and reserves the new ones. When a key is reserved by
// another request, nothing is reserved and conflict is true.
func (d *dedupe) reserve(keys []Key, now time.Time) (keep []bool, dups int, conflict bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	keep = make([]bool, len(keys))
	var mine map[Key]struct{}
	if len(keys) > 1 {
		mine = make(map[Key]struct{}, len(keys))
	}
	for i, k := range keys {
		if _, ok := d.seen[k]; ok {
			dups++
			continue
		}
		if _, ok := mine[k]; ok {
			dups++
			continue
		}
		if _, ok := d.pending[k]; ok {
			for j := range i {
				if keep[j] {
					delete(d.pending, keys[j])
				}
			}
			return nil, 0, true
		}
		d.pending[k] = struct{}{}
		if mine != nil {
			mine[k] = struct{}{}
		}
		keep[i] = true
	}
	return keep, dups, false
}

// commit turns the reserved keys of a stored batch into accepted ones.
func (d *dedupe) commit(keys []Key, keep []bool, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, k := range keys {
		if keep[i] {
			delete(d.pending, k)
			d.add(k, now.UnixNano())
		}
	}
}

// release forgets the reservations of a batch that was not stored.
func (d *dedupe) release(keys []Key, keep []bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, k := range keys {
		if keep[i] {
			delete(d.pending, k)
		}
	}
}

// seed adds a key accepted before a restart (at is when).
func (d *dedupe) seed(k Key, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at.Before(time.Now().Add(-d.window)) {
		return
	}
	if _, ok := d.seen[k]; !ok {
		d.add(k, at.UnixNano())
	}
}

// expire forgets keys older than the window (d.mu held).
func (d *dedupe) expire(now time.Time) {
	limit := now.Add(-d.window).UnixNano()
	for d.n > 0 {
		if d.ring[d.head].at >= limit {
			return
		}
		d.pop()
	}
}

func (d *dedupe) pop() {
	delete(d.seen, d.ring[d.head].k)
	d.head++
	if d.head == len(d.ring) {
		d.head = 0
	}
	d.n--
}

// add records k, which is not in seen (d.mu held).
func (d *dedupe) add(k Key, at int64) {
	if d.n == d.max {
		d.pop()
	}
	if d.n == len(d.ring) { // grow: unroll the ring into a bigger slice
		size := min(max(1024, 2*len(d.ring)), d.max)
		r := make([]dedupeEntry, size)
		m := copy(r, d.ring[d.head:])
		copy(r[m:], d.ring[:d.head])
		d.ring, d.head = r, 0
	}
	tail := d.head + d.n
	if tail >= len(d.ring) {
		tail -= len(d.ring)
	}
	d.ring[tail] = dedupeEntry{k: k, at: at}
	d.n++
	d.seen[k] = struct{}{}
}

func (d *dedupe) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// KeySet is a bounded, time-windowed set of keys (events processed, alerts
// raised), safe for concurrent use.
type KeySet struct{ d *dedupe }

// NewKeySet remembers keys for window, at most max of them (oldest first out).
func NewKeySet(window time.Duration, max int) *KeySet { return &KeySet{newDedupe(window, max)} }

// AddNew adds k (seen at at) and reports whether it was new.
func (s *KeySet) AddNew(k Key, at time.Time) bool {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.expire(time.Now())
	if _, ok := s.d.seen[k]; ok {
		return false
	}
	s.d.add(k, at.UnixNano())
	return true
}

// Has reports whether k is in the set.
func (s *KeySet) Has(k Key) bool {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	_, ok := s.d.seen[k]
	return ok
}

// Len is the number of keys held.
func (s *KeySet) Len() int { return s.d.len() }
