package auditserve

import (
	"hash/maphash"
	"strconv"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// key identifies one audit event for de-duplication: 128 bits of two
// independently seeded hashes of (auditID, stage) and the fields that tell a
// re-sent event from another request that reused its Audit-ID.
type key [2]uint64

var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func eventKey(e *auditv1.Event) key {
	var k key
	for i := range k {
		var h maphash.Hash
		h.SetSeed(seeds[i])
		field := func(s string) {
			h.WriteString(s)
			h.WriteByte(0)
		}
		field(string(e.AuditID))
		field(string(e.Stage))
		// Timestamps at the precision of the audit format (MicroTime:
		// microseconds), so that an event keeps its key when re-encoded.
		var buf [20]byte
		h.Write(strconv.AppendInt(buf[:0], e.RequestReceivedTimestamp.UnixMicro(), 10))
		h.WriteByte(0)
		h.Write(strconv.AppendInt(buf[:0], e.StageTimestamp.UnixMicro(), 10))
		h.WriteByte(0)
		field(e.Verb)
		field(e.RequestURI)
		field(e.User.Username)
		for _, ip := range e.SourceIPs {
			field(ip)
		}
		k[i] = h.Sum64()
	}
	return k
}

// dedupe remembers the keys of queued events for a time window, bounded in
// count (oldest forgotten first). Not safe for concurrent use.
type dedupe struct {
	window time.Duration
	max    int
	seen   map[key]struct{}
	ring   []dedupeEntry // FIFO of seen keys, ring[head:] ++ ring[:head] when full
	head   int
	n      int
}

type dedupeEntry struct {
	k  key
	at int64 // unix nanoseconds
}

func newDedupe(window time.Duration, max int) *dedupe {
	if max < 1 {
		max = 1
	}
	return &dedupe{window: window, max: max, seen: make(map[key]struct{})}
}

// expire forgets keys older than the window.
func (d *dedupe) expire(now time.Time) {
	limit := now.Add(-d.window).UnixNano()
	for d.n > 0 {
		e := &d.ring[d.head]
		if e.at >= limit {
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

func (d *dedupe) contains(k key) bool {
	_, ok := d.seen[k]
	return ok
}

// add records k; the caller checked it was not there.
func (d *dedupe) add(k key, now time.Time) {
	if d.n == d.max {
		d.pop()
	}
	if d.n == len(d.ring) { // grow: unroll the ring into a bigger slice
		size := max(1024, 2*len(d.ring))
		size = min(size, d.max)
		r := make([]dedupeEntry, size)
		m := copy(r, d.ring[d.head:])
		copy(r[m:], d.ring[:d.head])
		d.ring, d.head = r, 0
	}
	tail := d.head + d.n
	if tail >= len(d.ring) {
		tail -= len(d.ring)
	}
	d.ring[tail] = dedupeEntry{k: k, at: now.UnixNano()}
	d.n++
	d.seen[k] = struct{}{}
}

func (d *dedupe) len() int { return d.n }
