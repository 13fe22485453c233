package usagesynth

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/rbacusage"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
)

// TestLogIsTheModelsUse: the log decodes, carries every part of the mix,
// and what is not refused is allowed by the model it was drawn from (the
// usage engine attributes it); the same seed writes the same log.
func TestLogIsTheModelsUse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := rbacsynth.Generate(w, rbacsynth.MinConfig(3), 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p, err := rbacdump.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000
	events, err := New(p, 1).Events(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != n {
		t.Fatalf("%d events, want %d", len(events), n)
	}
	again, _ := New(p, 1).Events(n)
	if again[n-1].AuditID != events[n-1].AuditID || again[n-1].RequestURI != events[n-1].RequestURI {
		t.Error("the same seed wrote another log")
	}
	var st Stats
	st.ByKind = map[string]int64{}
	g := New(p, 1)
	if st, err = g.Write(discard{}, n); err != nil {
		t.Fatal(err)
	}
	for _, k := range kindNames {
		if st.ByKind[k] == 0 {
			t.Errorf("no %s event in %v", k, st.ByKind)
		}
	}
	e := rbacusage.New(p, rbacusage.Options{})
	for _, ev := range events {
		e.Add(ev)
	}
	r := e.Result()
	s := r.Stats
	if s.Counted == 0 || s.Denied == 0 || s.NotFinal == 0 {
		t.Fatalf("stats %+v: want counted, denied and watch ResponseStarted events", s)
	}
	if s.Unattributed*100 > s.Counted-s.Denied {
		t.Errorf("%d of %d authorized requests not attributed to the model's grants (want under 1%%)", s.Unattributed, s.Counted-s.Denied)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
