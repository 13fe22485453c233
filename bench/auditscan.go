package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/apiguard/apiguard/internal/testsupport/auditsynth"
)

// benchAuditScan: `apiguard audit scan` end to end (decode + every built-in
// rule) on a generated realistic log, on one core and on all of them, and
// its peak RSS on two log sizes (budgets: 150,000 events/s per core,
// under 200 MiB whatever the log size).
//
// Figures are per CPU-second as well as per wall-clock second: on a shared
// machine the wall clock measures the neighbours too.
func benchAuditScan() error {
	bin, cleanup, err := buildBinary()
	if err != nil {
		return err
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "apiguard-bench-audit")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	gen := func(name string, events int) (string, auditsynth.Stats, error) {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			return "", auditsynth.Stats{}, err
		}
		st, err := auditsynth.Write(f, auditsynth.Options{Events: events, Seed: 1, AttackEvery: 10000})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return p, st, err
	}
	small, sst, err := gen("small.log", 100_000)
	if err != nil {
		return err
	}
	large, lst, err := gen("large.log", 400_000)
	if err != nil {
		return err
	}
	fmt.Printf("generated log: %d events, %.1f MiB, %d B/event; levels %s; %d attacks\n",
		lst.Events, float64(lst.Bytes)/(1<<20), lst.Bytes/lst.Events, levelMix(lst), lst.Attacks)

	type run struct {
		wall, cpu time.Duration
		rssKiB    int64
		alerts    int
	}
	scan := func(file string, procs int) (run, error) {
		cmd := exec.Command(bin, "audit", "scan", file, "-o", "jsonl", "--fail-on", "none")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, io.Discard
		start := time.Now()
		peak, err := runPeak(cmd)
		if err != nil {
			return run{}, fmt.Errorf("scan: %v", err)
		}
		return run{wall: time.Since(start), cpu: childCPU(cmd), alerts: bytes.Count(out.Bytes(), []byte("\n")), rssKiB: peak}, nil
	}
	best := func(file string, procs, n int) (run, error) {
		var b run
		for i := 0; i < n; i++ {
			r, err := scan(file, procs)
			if err != nil {
				return r, err
			}
			if i == 0 || r.cpu < b.cpu {
				b = r
			}
		}
		return b, nil
	}
	cores := runtime.NumCPU()
	load0 := loadAverage()
	one, err := best(large, 1, 3)
	if err != nil {
		return err
	}
	all, err := best(large, cores, 3)
	if err != nil {
		return err
	}
	ev := float64(lst.Events)
	fmt.Printf("audit scan, 1 core (GOMAXPROCS=1, best of 3): %.0f events/s wall, %.0f events per CPU-second  (budget 150000/s per core)\n",
		ev/one.wall.Seconds(), ev/one.cpu.Seconds())
	fmt.Printf("audit scan, %d cores (best of 3): %.0f events/s wall = %.0f per core, %.0f events per CPU-second; %d alerts\n",
		cores, ev/all.wall.Seconds(), ev/all.wall.Seconds()/float64(cores), ev/all.cpu.Seconds(), all.alerts)
	if l := loadAverage(); l != "" {
		fmt.Printf("machine: %d CPUs, load average %s before the runs, %s after (wall-clock figures include the neighbours' work)\n", cores, load0, l)
	}
	sr, err := scan(small, cores)
	if err != nil {
		return err
	}
	fmt.Printf("peak RSS: %.0f MiB for %.0f MiB of log, %.0f MiB for %.0f MiB  (budget 200 MiB whatever the size)\n",
		float64(sr.rssKiB)/1024, float64(sst.Bytes)/(1<<20), float64(all.rssKiB)/1024, float64(lst.Bytes)/(1<<20))
	return nil
}

func levelMix(st auditsynth.Stats) string {
	var b bytes.Buffer
	for i, l := range []string{"Metadata", "Request", "RequestResponse"} {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.0f%%", l, 100*float64(st.ByLevel[l])/float64(st.Events))
	}
	return b.String()
}
