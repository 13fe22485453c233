// Command bench prints apiguard's performance figures against the budgets
// the issues name. Each capability adds one file with a func(figures) and
// one line to the benches list below.
//
//	go run ./bench            # every figure
//	go run ./bench scan rbac  # some of them
//
// Figures vary with the machine; they are printed, never asserted in tests.
package main

import (
	"fmt"
	"os"
)

// bench is one group of figures.
type bench struct {
	name string
	run  func() error
}

var benches = []bench{
	{"scan", benchScan},
	{"auditserve", benchAuditServe},
	{"auditpolicy", benchAuditPolicy},
	{"auditscan", benchAuditScan},
	{"rbac", benchRBAC},
	{"rbacusage", benchRBACUsage},
	{"html", benchHTML},
}

func main() {
	if _, err := os.Stat("examples"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: run from the repository root")
		os.Exit(2)
	}
	want := map[string]bool{}
	for _, a := range os.Args[1:] {
		want[a] = true
	}
	failed := false
	for _, b := range benches {
		if len(want) > 0 && !want[b.name] {
			continue
		}
		fmt.Printf("== %s\n", b.name)
		if err := b.run(); err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
