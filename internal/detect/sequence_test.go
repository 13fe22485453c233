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
	// absent: the condition alerts unless its key's step was seen within the hour before
	ab := newSequence(&Sequence{After: []string{"a"}, Within: Duration(time.Hour), Absent: true}, 100)
	for i, o := range []obs{{"k", lastStep, 0, 1}, {"k", 1, 1, 0}, {"k", lastStep, 2, 0}, {"k", lastStep, 3, 0},
		{"j", lastStep, 3, 1}, {"k", lastStep, 62, 1}, {"k", 1 | lastStep, 70, 1}, {"k", lastStep, 71, 0}} {
		if got := ab.observe(o.key, o.mask, at(o.min)); got != o.want {
			t.Errorf("absent: observation %d (%s, %b, +%dm): %d, want %d", i, o.key, o.mask, o.min, got, o.want)
		}
	}
	s := newSequence(&Sequence{After: []string{"a"}, Within: Duration(time.Hour)}, 100)
	for i := range 1000 {
		s.observe(fmt.Sprint("k", i), 1, t0)
	}
	if n := len(s.keys); n > 100 {
		t.Errorf("%d keys held, want at most 100", n)
	}
}

// TestFirstSeenState: without values a key never seen alerts, with them a
// value new to a known key; nothing while learning; bounded memory.
func TestFirstSeenState(t *testing.T) {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	keys := newFirstSeen(&FirstSeen{Learn: Duration(24 * time.Hour)}, 0, 100)
	for _, c := range []struct {
		key  string
		hour int
		want bool
	}{{"a", 0, false}, {"b", 23, false}, {"a", 30, false}, {"c", 30, true}, {"c", 31, false}, {"b", 40, false}} {
		if got := keys.observe(c.key, "", false, h(c.hour)); got != c.want {
			t.Errorf("keys: %s at +%dh: %v, want %v", c.key, c.hour, got, c.want)
		}
	}
	vals := newFirstSeen(&FirstSeen{Value: "v", Learn: Duration(24 * time.Hour)}, 0, 100)
	for _, c := range []struct {
		key, value string
		hour       int
		want       bool
	}{{"a", "kubectl", 0, false}, {"a", "helm", 1, false}, {"a", "curl", 25, true}, {"a", "curl", 26, false},
		{"a", "kubectl", 27, false}, {"b", "curl", 28, false}, {"b", "python", 29, true}} {
		if got := vals.observe(c.key, c.value, true, h(c.hour)); got != c.want {
			t.Errorf("values: %s=%s at +%dh: %v, want %v", c.key, c.value, c.hour, got, c.want)
		}
	}
	override := newFirstSeen(&FirstSeen{Learn: Duration(24 * time.Hour)}, time.Second, 100)
	override.observe("a", "", false, t0)
	if !override.observe("b", "", false, t0.Add(2*time.Second)) {
		t.Error("Options.Learn of 1s: a new key 2s later does not alert")
	}
	for i := range 1000 {
		vals.observe(fmt.Sprint("k", i), "x", true, h(50))
		vals.observe("a", fmt.Sprint("v", i), true, h(50))
	}
	if len(vals.keys) > 100 || len(vals.keys["a"]) > MaxFirstSeenValues {
		t.Errorf("%d keys, %d values of a: want at most 100 and %d", len(vals.keys), len(vals.keys["a"]), MaxFirstSeenValues)
	}
	// the values of all keys are bounded too (and counted right)
	many := newFirstSeen(&FirstSeen{Value: "v", Learn: Duration(time.Minute)}, 0, 1<<20)
	for i := range 10000 {
		for j := range 40 {
			many.observe(fmt.Sprint("k", i), fmt.Sprint("v", j), true, t0)
		}
	}
	n := 0
	for _, vs := range many.keys {
		n += len(vs)
	}
	if n != many.values || n > maxFirstSeenTotal {
		t.Errorf("%d values held (counted %d), want at most %d", n, many.values, maxFirstSeenTotal)
	}
}
