package auditserve

import (
	"testing"

	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

// BenchmarkEngineMix: the built-in rules on the load test's event mix, on
// one goroutine (what the receiver's worker would do without matching in
// the request goroutines).
func BenchmarkEngineMix(b *testing.B) {
	e, err := detect.New(detect.Builtin(), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	l := loadgen.List(0, 800)
	n := 0
	for b.Loop() {
		for i := range l.Items {
			e.Process(&l.Items[i])
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
