package detect

import (
	"hash/maphash"
	"strconv"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// reqKey identifies one request for alert de-duplication: 128 bits of two
// independently seeded hashes of its auditID and of what kube-apiserver
// records the same in every stage of one request (requestReceivedTimestamp,
// user, verb, requestURI). The Audit-ID header is chosen by the client: a
// key of the auditID alone let one request silence the alerts of a later
// one that reused its ID. The stages of one request (ResponseStarted,
// ResponseComplete) and the same event read or delivered twice (a webhook
// retry, a re-sent batch, overlapping logs) share the key and alert once;
// another request with the same auditID was received at another time.
type reqKey [2]uint64

var reqSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func requestKey(ev *auditv1.Event) reqKey {
	var k reqKey
	var buf [20]byte
	// At the precision of the audit format (MicroTime: microseconds).
	received := strconv.AppendInt(buf[:0], ev.RequestReceivedTimestamp.UnixMicro(), 10)
	for i := range k {
		var h maphash.Hash
		h.SetSeed(reqSeeds[i])
		for _, s := range [...]string{string(ev.AuditID), ev.User.Username, ev.Verb, ev.RequestURI} {
			h.WriteString(s)
			h.WriteByte(0)
		}
		h.Write(received)
		k[i] = h.Sum64()
	}
	return k
}

// dedupe remembers recent (rule, request) pairs, FIFO-bounded.
type dedupe struct {
	size int
	m    map[dkey]struct{}
	ring []dkey
	pos  int
}

type dkey struct {
	rule int
	req  reqKey
}

func newDedupe(n int) *dedupe {
	return &dedupe{size: n, m: make(map[dkey]struct{}, 1024), ring: make([]dkey, 0, 1024)}
}

// add returns false when the pair was already there.
func (d *dedupe) add(rule int, req reqKey) bool {
	k := dkey{rule, req}
	if _, ok := d.m[k]; ok {
		return false
	}
	if len(d.ring) < d.size {
		d.ring = append(d.ring, k)
	} else {
		delete(d.m, d.ring[d.pos])
		d.ring[d.pos] = k
		d.pos = (d.pos + 1) % d.size
	}
	d.m[k] = struct{}{}
	return true
}
