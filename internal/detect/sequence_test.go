package detect

import (
	"fmt"
	"testing"
	"time"
)

// TestSequenceState: steps in order within the window, per key; expired
// sequences start again; an event completes a sequence before it starts
// another; keys stay bounded.
func TestSequenceState(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	type obs struct {
		key  string
		mask uint8
		min  int
		want int
	}
	for _, c := range []struct {
		name  string
		steps int
		obs   []obs
	}{
		{"A then B", 1, []obs{{"k", 1, 0, 0}, {"k", lastStep, 5, 2}}},
		{"B alone", 1, []obs{{"k", lastStep, 0, 0}}},
		{"B then A then B", 1, []obs{{"k", lastStep, 0, 0}, {"k", 1, 1, 0}, {"k", lastStep, 2, 2}}},
		{"another key", 1, []obs{{"k", 1, 0, 0}, {"j", lastStep, 1, 0}}},
		{"too late", 1, []obs{{"k", 1, 0, 0}, {"k", lastStep, 61, 0}}},
		{"too late, then again in time", 1, []obs{{"k", 1, 0, 0}, {"k", 1, 61, 0}, {"k", lastStep, 70, 2}}},
		{"A, B, C in order", 2, []obs{{"k", 1, 0, 0}, {"k", 2, 1, 0}, {"k", lastStep, 2, 3}}},
		{"A, C: B missing", 2, []obs{{"k", 1, 0, 0}, {"k", lastStep, 2, 0}}},
		{"B before A", 2, []obs{{"k", 2, 0, 0}, {"k", 1, 1, 0}, {"k", lastStep, 2, 0}}},
		{"once completed, it starts over", 1, []obs{{"k", 1, 0, 0}, {"k", lastStep, 1, 2}, {"k", lastStep, 2, 0}}},
		{"an event that is A and B completes, and does not restart", 1, []obs{{"k", 1, 0, 0}, {"k", 1 | lastStep, 1, 2}, {"k", lastStep, 2, 0}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			after := make([]string, c.steps)
			s := newSequence(&Sequence{After: after, Within: Duration(time.Hour)}, 100)
			for i, o := range c.obs {
				if got := s.observe(o.key, o.mask, at(o.min)); got != o.want {
					t.Errorf("observation %d (%s, %b, +%dm): %d, want %d", i, o.key, o.mask, o.min, got, o.want)
				}
			}
		})
	}
	s := newSequence(&Sequence{After: []string{"a"}, Within: Duration(time.Hour)}, 100)
	for i := range 1000 {
		s.observe(fmt.Sprint("k", i), 1, t0)
	}
	if n := len(s.keys); n > 100 {
		t.Errorf("%d keys held, want at most 100", n)
	}
}
