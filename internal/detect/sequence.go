package detect

import "time"

// sequence is the state of one sequence rule: for each key, how many of
// its steps were seen in order, and when the first was.
type sequence struct {
	steps     int // len(Sequence.After)
	absent    bool
	within    time.Duration
	maxKeys   int
	keys      map[string]*seqState
	lastSweep time.Time
}

type seqState struct {
	done  int       // steps of After seen, in order
	first time.Time // the event time of After[0]
}

func newSequence(s *Sequence, maxKeys int) *sequence {
	return &sequence{steps: len(s.After), absent: s.Absent, within: time.Duration(s.Within), maxKeys: maxKeys, keys: map[string]*seqState{}}
}

// observe records an event of key that matched the steps in mask (bit k:
// After[k]; lastStep: the rule's condition) at event time t, and returns
// the number of steps of the completed sequence (After and the condition)
// when this event completes one, else 0. One event completes a sequence
// before it can start another, and advances it by one step at most.
func (s *sequence) observe(key string, mask uint8, t time.Time) int {
	if t.Sub(s.lastSweep) > s.within || t.Before(s.lastSweep) {
		s.sweep(t)
	}
	if s.absent {
		return s.observeAbsent(key, mask, t)
	}
	st := s.keys[key]
	if st != nil && t.Sub(st.first) > s.within {
		st.done = 0 // expired: starts again
	}
	if st != nil && st.done == s.steps && mask&lastStep != 0 {
		delete(s.keys, key)
		return s.steps + 1
	}
	if st == nil || st.done == 0 {
		if mask&1 == 0 {
			return 0
		}
		s.start(key, st, t)
		return 0
	}
	if st.done < s.steps && mask&(1<<st.done) != 0 {
		st.done++
	}
	return 0
}

// observeAbsent is observe for Sequence.Absent: After[0] records its key
// (first: its last time), the condition alerts (1) when the key was not
// recorded within the window before it.
func (s *sequence) observeAbsent(key string, mask uint8, t time.Time) int {
	st := s.keys[key]
	alert := 0
	if mask&lastStep != 0 && (st == nil || t.Sub(st.first) > s.within || t.Before(st.first)) {
		alert = 1
	}
	if mask&1 != 0 {
		s.start(key, st, t)
	}
	return alert
}

// start records the first step of key at t, in st (nil: a new key, room
// made for it when the rule holds maxKeys).
func (s *sequence) start(key string, st *seqState, t time.Time) {
	if st == nil {
		if len(s.keys) >= s.maxKeys {
			s.sweep(t)
			dropArbitrary(s.keys, s.maxKeys)
		}
		st = &seqState{}
		s.keys[key] = st
	}
	st.done, st.first = 1, t
}

// sweep forgets the sequences older than within at t.
func (s *sequence) sweep(t time.Time) {
	s.lastSweep = t
	for k, st := range s.keys {
		if t.Sub(st.first) > s.within {
			delete(s.keys, k)
		}
	}
}
