package detect

import "time"

// window is the state of one windowed rule.
type window struct {
	count     int
	within    time.Duration
	distinct  bool
	maxKeys   int
	keys      map[string]*keyState
	lastSweep time.Time
}

type keyState struct {
	times      []time.Time
	values     map[string]time.Time
	last       time.Time
	quietUntil time.Time
}

func newWindow(w *Window, maxKeys int) *window {
	// Bound the timestamps a rule may hold to about 16 MiB.
	if lim := (1 << 21) / w.Count; lim < maxKeys {
		maxKeys = max(lim, 64)
	}
	return &window{count: w.Count, within: time.Duration(w.Within), distinct: w.Distinct != "", maxKeys: maxKeys, keys: map[string]*keyState{}}
}

// observe records an event; it returns the count reached when the window
// fires, else 0.
func (w *window) observe(key, value string, t time.Time) int {
	if t.Sub(w.lastSweep) > w.within || t.Before(w.lastSweep) {
		w.sweep(t)
	}
	st := w.keys[key]
	if st == nil {
		if len(w.keys) >= w.maxKeys {
			w.sweep(t)
			dropArbitrary(w.keys, w.maxKeys)
		}
		st = &keyState{}
		w.keys[key] = st
	}
	if t.After(st.last) {
		st.last = t
	}
	if t.Before(st.quietUntil) {
		return 0
	}
	from := t.Add(-w.within)
	n := 0
	if w.distinct {
		if st.values == nil {
			st.values = map[string]time.Time{}
		}
		st.values[value] = t
		for v, vt := range st.values {
			if vt.Before(from) {
				delete(st.values, v)
			}
		}
		n = len(st.values)
	} else {
		kept := st.times[:0]
		for _, x := range st.times {
			if !x.Before(from) {
				kept = append(kept, x)
			}
		}
		st.times = append(kept, t)
		n = len(st.times)
	}
	if n < w.count {
		return 0
	}
	st.times, st.values = st.times[:0], nil
	st.quietUntil = t.Add(w.within)
	return n
}

// dropArbitrary forgets arbitrary keys of m, still full (max keys) after
// a sweep, down to nine tenths of max: state stays bounded whatever the
// keys' number.
func dropArbitrary[V any](m map[string]V, max int) {
	if len(m) < max {
		return
	}
	for k := range m {
		if len(m) < max*9/10 {
			break
		}
		delete(m, k)
	}
}

func (w *window) sweep(t time.Time) {
	w.lastSweep = t
	from := t.Add(-w.within)
	for k, st := range w.keys {
		if st.last.Before(from) && !t.Before(st.quietUntil) {
			delete(w.keys, k)
		}
	}
}
