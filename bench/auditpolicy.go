package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/apiguard/apiguard/internal/auditpolicy"
)

// benchAuditPolicy: load + lint + coverage of a generated 500-rule policy
// (budget 200 ms), and the evaluation rate of replayed events per core,
// decoding excluded (budget 500,000 events/s). Wall times suffer when other
// processes share the cores; the CPU time per operation (this process's
// user+system time, GOMAXPROCS=1) is printed next to them.
func benchAuditPolicy() error {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	data := auditpolicy.SyntheticPolicy(500)
	if _, err := auditpolicy.Load("p.yaml", data); err != nil {
		return err
	}
	wall, cpu, n := apMeasure(func() {
		p, _ := auditpolicy.Load("p.yaml", data)
		auditpolicy.Lint(p)
		auditpolicy.Coverage(p, auditpolicy.HumanUser)
	})
	fmt.Printf("load+lint+coverage of a 500-rule policy: %v/op wall, %v/op CPU (%d ops)  (budget 200ms)\n",
		wall.Round(100*time.Microsecond), cpu.Round(100*time.Microsecond), n)

	events := auditpolicy.SyntheticEvents(4096)
	for _, pol := range []struct {
		name string
		data []byte
	}{
		{"recommended standard policy (14 rules)", auditpolicy.Recommend(auditpolicy.Standard)},
		{"generated 500-rule policy", auditpolicy.SyntheticPolicy(500)},
	} {
		p, err := auditpolicy.Load("p.yaml", pol.data)
		if err != nil {
			return err
		}
		ev := auditpolicy.NewEvaluator(p.Internal)
		i := 0
		wall, cpu, _ := apMeasure(func() {
			e := &events[i%len(events)]
			i++
			r := e.Request()
			a := r.Attributes()
			ev.Decide(ev.RuleIndex(&a))
		})
		fmt.Printf("eval --events, evaluation only, %s: %.0f events/s per core wall, %.0f per CPU-second  (budget 500000)\n",
			pol.name, float64(time.Second)/float64(wall), float64(time.Second)/float64(cpu))
	}
	return nil
}

// apMeasure runs op with a growing count until a run takes a second, and
// returns the wall and CPU time per op of that run.
func apMeasure(op func()) (wall, cpu time.Duration, n int) {
	op() // warm-up
	for n = 1; ; n *= 2 {
		w0, c0 := time.Now(), cpuTime()
		for i := 0; i < n; i++ {
			op()
		}
		w, c := time.Since(w0), cpuTime()-c0
		if w >= time.Second || n >= 1<<30 {
			return w / time.Duration(n), c / time.Duration(n), n
		}
	}
}
