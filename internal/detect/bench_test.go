package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/testsupport/auditsynth"
)

var (
	benchOnce sync.Once
	benchLog  []byte
)

func benchData(b *testing.B) []byte {
	benchOnce.Do(func() {
		// Cached between runs: generating costs more than scanning.
		cache := filepath.Join(os.TempDir(), "apiguard-bench-synth-v1.log")
		if data, err := os.ReadFile(cache); err == nil {
			benchLog = data
			return
		}
		var buf bytes.Buffer
		if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 50000, Seed: 1, AttackEvery: 5000}); err != nil {
			b.Fatal(err)
		}
		benchLog = buf.Bytes()
		os.WriteFile(cache, benchLog, 0o600)
	})
	return benchLog
}

// BenchmarkScan: decode + every built-in rule, per event, on the synthetic
// mix (one core).
func BenchmarkScan(b *testing.B) {
	data := benchData(b)
	rules := Builtin()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	events := 0
	for i := 0; i < b.N; i++ {
		e, err := New(rules, Options{})
		if err != nil {
			b.Fatal(err)
		}
		d := auditlog.NewDecoder(bytes.NewReader(data), "bench")
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			e.Process(ev)
			events++
		}
	}
	reportRates(b, events, cpu0)
}

// BenchmarkDecode: decoding alone.
func BenchmarkDecode(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	events := 0
	for i := 0; i < b.N; i++ {
		d := auditlog.NewDecoder(bytes.NewReader(data), "bench")
		for {
			_, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	reportRates(b, events, cpu0)
}

// reportRates adds the figures the budgets are about: events a second of
// wall clock, and a second of CPU time since cpu0 (one core's worth).
func reportRates(b *testing.B, events int, cpu0 time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
}

// cpuTime is the CPU time this process used so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPipeline: what `apiguard audit scan` does: read a file, decode
// and match in parallel workers, commit in order.
func BenchmarkPipeline(b *testing.B) {
	data := benchData(b)
	file := filepath.Join(b.TempDir(), "audit.log")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	rules := Builtin()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cpuTime()
	events := 0
	for i := 0; i < b.N; i++ {
		e, _ := New(rules, Options{})
		r, err := auditlog.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		p := auditlog.NewParallel(r, runtime.GOMAXPROCS(0), func() func(*auditv1.Event) []Match {
			m := e.NewMatcher()
			return func(ev *auditv1.Event) []Match { return m.Match(ev, nil) }
		})
		for {
			d, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			events++
			if len(d.Result) > 0 {
				e.Commit(d.Event, d.Result)
			}
		}
		p.Close()
	}
	reportRates(b, events, cpu0)
}

// BenchmarkDecodeStdlib: the same log through encoding/json into the v1
// types (kube-apiserver's own way), for comparison.
func BenchmarkDecodeStdlib(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var ev auditv1.Event
			if err := json.Unmarshal(line, &ev); err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
