package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/report"
)

// reportFlags are -o, --fail-on and --show-passed of the commands that
// report findings (scan, probe, kubeconfig audit).
type reportFlags struct {
	format, failOn string
	showPassed     bool

	threshold check.Severity
	never     bool
}

func (f *reportFlags) add(cmd *cobra.Command, formatNote, showPassedHelp string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", ")+formatNote)
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a failing finding is at or above this severity (info, low, medium, high, critical, or none)")
	fl.BoolVar(&f.showPassed, "show-passed", false, showPassedHelp)
}

// parse validates --fail-on, then -o.
func (f *reportFlags) parse() error {
	var err error
	if f.threshold, f.never, err = parseFailOn(f.failOn); err != nil {
		return err
	}
	return checkFormat(f.format, report.Formats()...)
}

// options are the renderers': colour for a table on a terminal.
func (f *reportFlags) options(a *env) report.Options {
	return report.Options{Color: f.format == report.FormatTable && useColor(a.stdout), ShowPassed: f.showPassed,
		FailOn: f.threshold, FailOnSet: true, FailNever: f.never}
}

// exit is exit 1 when a failing finding is at or above --fail-on.
func (f *reportFlags) exit(fs []check.Finding) error {
	if !f.never && check.FailsAt(fs, f.threshold) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func parseFailOn(v string) (check.Severity, bool, error) {
	if strings.EqualFold(v, "none") || strings.EqualFold(v, "never") {
		return 0, true, nil
	}
	s, err := check.ParseSeverity(v)
	if err != nil {
		return 0, false, usageErr("--fail-on: %v", err)
	}
	return s, false, nil
}

// addBenchmarkFlag adds --benchmark to the commands that run checks.
func addBenchmarkFlag(cmd *cobra.Command, v *string) {
	names := make([]string, len(check.Benchmarks))
	for i, b := range check.Benchmarks {
		names[i] = string(b)
	}
	cmd.Flags().StringVar(v, "benchmark", string(check.DefaultBenchmark), "CIS Kubernetes Benchmark version to follow where versions differ ("+
		strings.Join(names, ", ")+"; e.g. the 1.2.29 cipher allowlist)")
}

func parseBenchmark(v string) (check.Benchmark, error) {
	b, err := check.ParseBenchmark(v)
	if err != nil {
		return "", usageErr("--benchmark: %v", err)
	}
	return b, nil
}

// checksReport is the report of a run of checks.
func checksReport(r *app.CheckRun) *report.Report {
	out := report.New("apiguard", Version, r.Target, r.Checks, r.Findings, r.Problems)
	out.Benchmark, out.RBAC = r.Benchmark, r.RBAC
	return out
}

// warn prints a problem of the inputs that did not stop the command.
func (a *env) warn(p inputs.Problem) {
	fmt.Fprintln(a.stderr, "apiguard: warning: "+p.String())
}
