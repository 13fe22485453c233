package detect

import "time"

// firstSeen is the state of one firstSeen rule: per key, the values seen
// with it, and when the rule started learning.
type firstSeen struct {
	learn   time.Duration
	maxKeys int
	start   time.Time // event time of the first event observed
	keys    map[string]map[string]struct{}
	values  int // in all keys
}

// maxFirstSeenTotal bounds the values one firstSeen rule remembers in all
// its keys (about 100 bytes each: 25 MiB), whatever the keys' number.
const maxFirstSeenTotal = 1 << 18

func newFirstSeen(f *FirstSeen, learn time.Duration, maxKeys int) *firstSeen {
	if learn == 0 {
		learn = time.Duration(f.Learn)
	}
	return &firstSeen{learn: learn, maxKeys: maxKeys, keys: map[string]map[string]struct{}{}}
}

// observe records key (and value, withValue) at event time t and reports
// whether it alerts, learning over: without values, the key is new; with
// them, the key had other values, none of them this one. Memory is
// bounded: maxKeys keys (beyond, arbitrary keys are forgotten) of
// MaxFirstSeenValues values each.
func (f *firstSeen) observe(key, value string, withValue bool, t time.Time) bool {
	if f.start.IsZero() || t.Before(f.start) {
		f.start = t
	}
	learnt := t.Sub(f.start) >= f.learn
	vs := f.keys[key]
	if vs == nil {
		f.makeRoom(key)
		f.keys[key] = map[string]struct{}{value: {}}
		f.values++
		return !withValue && learnt // with values, a key is known from its first one on
	}
	if !withValue {
		return false
	}
	if _, ok := vs[value]; ok {
		return false
	}
	f.makeRoom(key)
	if len(vs) >= MaxFirstSeenValues {
		for v := range vs {
			delete(vs, v)
			f.values--
			break
		}
	}
	vs[value] = struct{}{}
	f.values++
	return learnt
}

// makeRoom forgets arbitrary keys other than keep while the rule holds
// maxKeys keys or maxFirstSeenTotal values, down to nine tenths.
func (f *firstSeen) makeRoom(keep string) {
	if len(f.keys) < f.maxKeys && f.values < maxFirstSeenTotal {
		return
	}
	for k, kv := range f.keys {
		if len(f.keys) < f.maxKeys*9/10 && f.values < maxFirstSeenTotal*9/10 {
			break
		}
		if k != keep {
			f.values -= len(kv)
			delete(f.keys, k)
		}
	}
}
