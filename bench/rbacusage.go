package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
	"github.com/apiguard/apiguard/internal/testsupport/usagesynth"
)

// benchRBACUsage: `apiguard rbac usage` end to end on the 75k-object
// generated cluster of the rbac bench and a generated log of its subjects'
// requests (usagesynth: a busy cluster's mix), in a fresh process on one
// core (GOMAXPROCS=1) and on all of them (budget: 150,000 events/s per
// core, 512 MiB peak RSS, streaming: the peak does not grow with the log).
//
//	go run ./bench rbacusage [--events N] [--keep DIR]
//
// The fixed cost (start, loading the dump, the report) is measured on a
// log of 1,000 events and given apart.
func benchRBACUsage() error {
	fs := flag.NewFlagSet("rbacusage", flag.ContinueOnError)
	events := fs.Int64("events", 10_000_000, "events in the large log (the small one has a tenth)")
	keep := fs.String("keep", "", "write the dump and logs into `DIR` and keep them")
	if err := fs.Parse(flagArgs(os.Args[1:])); err != nil {
		return err
	}
	bin, cleanup, err := buildBinary()
	if err != nil {
		return err
	}
	defer cleanup()
	dir, rmDir, err := workDir(*keep, "apiguard-bench-rbacusage")
	if err != nil {
		return err
	}
	defer rmDir()
	cfg := rbacsynth.Default()
	dump := filepath.Join(dir, "cluster.json")
	if _, err := writeDump(dump, cfg, 1); err != nil {
		return err
	}
	p, err := rbacdump.Load(dump)
	if err != nil {
		return err
	}
	start := time.Now()
	logs := map[int64]string{}
	var large usagesynth.Stats
	for _, n := range []int64{1000, *events / 10, *events} {
		path := filepath.Join(dir, "audit-"+strconv.FormatInt(n, 10)+".log")
		st, err := writeUsageLog(path, usagesynth.New(p, 1), n)
		if err != nil {
			return err
		}
		logs[n] = path
		large = st
	}
	fmt.Printf("model: %d objects; log: %d events from %d request shapes, %.0f MiB (%d B/event), written in %v\n",
		p.Objects(), large.Events, large.Templates, float64(large.Bytes)/(1<<20), large.Bytes/max(large.Events, 1), time.Since(start).Round(time.Second))
	kinds := make([]string, 0, len(large.ByKind))
	for k := range large.ByKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return large.ByKind[kinds[i]] > large.ByKind[kinds[j]] })
	fmt.Print("  mix:")
	for _, k := range kinds {
		fmt.Printf(" %s %.1f%%;", k, 100*float64(large.ByKind[k])/float64(large.Events))
	}
	fmt.Println()

	type run struct {
		wall, cpu time.Duration
		rssKiB    int64
	}
	usage := func(log string, procs int) (run, error) {
		cmd := exec.Command(bin, "rbac", "usage", "--from", dump, "--audit", log, "-o", "json")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		t := time.Now()
		peak, err := runPeak(cmd)
		if err != nil {
			return run{}, fmt.Errorf("rbac usage: %v", err)
		}
		return run{wall: time.Since(t), cpu: childCPU(cmd), rssKiB: peak}, nil
	}
	load0 := loadAverage()
	fixed, err := usage(logs[1000], 1)
	if err != nil {
		return err
	}
	one, err := usage(logs[*events], 1)
	if err != nil {
		return err
	}
	cores := runtime.NumCPU()
	all, err := usage(logs[*events], cores)
	if err != nil {
		return err
	}
	small, err := usage(logs[*events/10], 1)
	if err != nil {
		return err
	}
	ev := float64(*events)
	s := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	fmt.Printf("fixed cost (1,000 events: start, load the dump, judge every grant, JSON report): %s wall, %s CPU\n", s(fixed.wall), s(fixed.cpu))
	fmt.Printf("rbac usage, 1 core (GOMAXPROCS=1), %d events: %s wall, %s CPU = %.0f events/s wall, %.0f events per CPU-second end to end (%.0f per CPU-second without the fixed cost)  (budget 150000/s per core)\n",
		*events, s(one.wall), s(one.cpu), ev/one.wall.Seconds(), ev/one.cpu.Seconds(), ev/(one.cpu-fixed.cpu).Seconds())
	fmt.Printf("rbac usage, %d cores: %s wall, %s CPU = %.0f events/s wall\n", cores, s(all.wall), s(all.cpu), ev/all.wall.Seconds())
	fmt.Printf("peak RSS: %.0f MiB for 1,000 events, %.0f MiB for %d, %.0f MiB for %d (1 core), %.0f MiB (%d cores)  (budget 512 MiB whatever the log)\n",
		float64(fixed.rssKiB)/1024, float64(small.rssKiB)/1024, *events/10, float64(one.rssKiB)/1024, *events, float64(all.rssKiB)/1024, cores)
	fmt.Printf("machine: %d CPUs, load average %s before the runs, %s after\n", cores, cmp.Or(load0, "unknown"), cmp.Or(loadAverage(), "unknown"))
	return nil
}

func writeUsageLog(path string, g *usagesynth.Generator, n int64) (usagesynth.Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return usagesynth.Stats{}, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := g.Write(w, n)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return st, err
}
