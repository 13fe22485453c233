package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/report"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
)

// benchHTML: the HTML report of the 75,840-object synthetic cluster (bench
// rbac's): its size (budget 10 MB) and the time to write it. The budget of
// opening it (3 s to interactive in headless Chromium) is measured by the
// e2e test TestHTMLReportScale, which needs the browser: it logs the figure.
// Also the cut ranking's time (Analysis.Cuts: a reachability search per
// binding on a shortest path).
//
//	go run ./bench html
func benchHTML() error {
	dir, rmDir, err := workDir("", "apiguard-bench-html")
	if err != nil {
		return err
	}
	defer rmDir()
	dump := filepath.Join(dir, "cluster.json")
	cfg := rbacsynth.Default()
	if _, err := writeDump(dump, cfg, 1); err != nil {
		return err
	}
	ctx := context.Background()
	start := time.Now()
	run, err := app.Scan(ctx, app.ScanOptions{Inputs: app.Inputs{RBAC: []string{dump}}, Now: time.Now()})
	if err != nil {
		return err
	}
	scanned := time.Since(start)
	a := run.RBAC.Analysis()
	start = time.Now()
	cuts := a.Cuts()
	cutTime := time.Since(start)

	r := report.New("apiguard", "bench", dump, run.Checks, run.Findings, run.Problems)
	r.RBAC = run.RBAC
	var scanHTML, adminsHTML bytes.Buffer
	start = time.Now()
	if err := report.Render(&scanHTML, report.FormatHTML, r, report.Options{}); err != nil {
		return err
	}
	scanRender := time.Since(start)
	start = time.Now()
	if err := report.RBACAdminsHTML(&adminsHTML, run.RBAC, a.Admins, ""); err != nil {
		return err
	}
	adminsRender := time.Since(start)
	fmt.Printf("synthetic cluster: %d objects, %d findings, %d admins\n", cfg.Objects(), len(run.Findings), len(a.Admins))
	fmt.Printf("  load + analysis + checks                   %v\n", scanned.Round(time.Millisecond))
	fmt.Printf("  Analysis.Cuts                              %v  (%d cuts; the first cuts %d subjects)\n", cutTime.Round(time.Millisecond), len(cuts), firstCut(cuts))
	fmt.Printf("  scan -o html         %6.2f MiB in %v  (budget 10 MB)\n", float64(scanHTML.Len())/(1<<20), scanRender.Round(time.Millisecond))
	fmt.Printf("  rbac admins -o html  %6.2f MiB in %v  (budget 10 MB)\n", float64(adminsHTML.Len())/(1<<20), adminsRender.Round(time.Millisecond))
	fmt.Println("  open to interactive in Chromium: see TestHTMLReportScale's log (bash test/e2e/run.sh -run TestHTMLReportScale -v); budget 3 s")
	return nil
}

func firstCut(cuts []rbac.Cut) int {
	if len(cuts) == 0 {
		return 0
	}
	return len(cuts[0].Subjects)
}
