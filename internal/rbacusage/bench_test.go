package rbacusage

import (
	"bufio"
	"os"
	"path/filepath"
	"sync"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
	"github.com/apiguard/apiguard/internal/testsupport/usagesynth"
)

// The benchmarks run on the bench's model (rbacsynth.Default, 75k
// objects) and a log of its subjects (usagesynth); `go run ./bench
// rbacusage` measures the command end to end.

var large struct {
	once   sync.Once
	p      *rbac.Policy
	events []*auditv1.Event
	err    error
}

func largeModel(b *testing.B) (*rbac.Policy, []*auditv1.Event) {
	large.once.Do(func() {
		dir, err := os.MkdirTemp("", "rbacusage-bench")
		if err != nil {
			large.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "cluster.json")
		f, err := os.Create(path)
		if err != nil {
			large.err = err
			return
		}
		w := bufio.NewWriter(f)
		if large.err = rbacsynth.Generate(w, rbacsynth.Default(), 1); large.err == nil {
			large.err = w.Flush()
		}
		f.Close()
		if large.err != nil {
			return
		}
		if large.p, large.err = rbacdump.Load(path); large.err != nil {
			return
		}
		large.events, large.err = usagesynth.New(large.p, 1).Events(300_000)
	})
	if large.err != nil {
		b.Fatal(large.err)
	}
	return large.p, large.events
}

// BenchmarkAdd is the cost of one event in the steady state (warm
// cache): one Engine over repeated passes of the log, which remembers
// fewer auditIDs than a pass holds so that each pass counts again.
func BenchmarkAdd(b *testing.B) {
	p, events := largeModel(b)
	e := New(p, Options{DedupeWindow: len(events) / 3})
	for _, ev := range events { // warm: the steady state is measured
		e.Add(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Add(events[i%len(events)])
	}
	if e.stats.Counted == 0 {
		b.Fatal("nothing counted")
	}
}

// BenchmarkResult judges every grant of every subject of the large model
// after the whole log.
func BenchmarkResult(b *testing.B) {
	p, events := largeModel(b)
	e := New(p, Options{})
	for _, ev := range events {
		e.Add(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.Result(); len(r.Subjects) == 0 {
			b.Fatal("no subjects")
		}
	}
}
