package app

import (
	"context"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/versions"
)

// ScanOptions say what apiguard scan reads and how it judges.
type ScanOptions struct {
	Inputs
	// Benchmark is the CIS benchmark version checks follow where versions
	// differ.
	Benchmark check.Benchmark
	// VersionsData is a versions data file ("": the local file when newer,
	// else the embedded data).
	VersionsData string
	// Now is the clock: inputs without a collection time are judged as of
	// Now.
	Now time.Time
	// Warn, when set, is told each problem of the inputs that did not stop
	// the scan, before the checks run.
	Warn func(inputs.Problem)
	// Audit, when it names logs, judges the RBAC grants against their use
	// (AG-AUTHZ-030).
	Audit AuditLogs
}

// CheckRun is what a run of checks found on a Snapshot: the CLI hands it
// to report.New.
type CheckRun struct {
	// Target names what was checked.
	Target string
	// Checks are the checks that ran (check.Select), Findings what they found.
	Checks   []check.Metadata
	Findings []check.Finding
	// Problems are input errors that did not stop the run.
	Problems  []inputs.Problem
	Benchmark check.Benchmark
	// RBAC is the RBAC model the checks read, nil when there was none (the
	// HTML report draws its attack paths).
	RBAC *rbac.Policy
}

// Scan collects the inputs and runs the checks that apply to them.
func Scan(ctx context.Context, o ScanOptions) (*CheckRun, error) {
	c, err := Collect(ctx, o.Inputs)
	if err != nil {
		return nil, err
	}
	s := c.Snapshot
	s.Benchmark = string(o.Benchmark)
	// patching: the versions data, and the clock of inputs without one
	d, err := loadVersions(o.VersionsData)
	if err != nil {
		return nil, err
	}
	if s.CollectedAt.IsZero() {
		s.CollectedAt = o.Now.UTC().Truncate(time.Second)
	}
	if len(o.Audit.Logs) > 0 {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		if err := auditUsage(ctx, s, o.Audit, now); err != nil {
			return nil, err
		}
	}
	warn(o.Warn, s.Problems)
	r := run(versions.WithData(ctx, d), s)
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted: the findings are incomplete
	}
	return &r, nil
}

// run runs the checks check.Select chooses for s.
func run(ctx context.Context, s *inputs.Snapshot) CheckRun {
	ran := check.Select(checks.All(), s)
	r := CheckRun{Target: s.Target, Checks: make([]check.Metadata, len(ran)), Findings: check.Run(ctx, ran, s),
		Problems: s.Problems, Benchmark: check.Benchmark(s.Benchmark), RBAC: s.RBAC}
	for i, c := range ran {
		r.Checks[i] = c.Metadata
	}
	return r
}

func warn(to func(inputs.Problem), problems []inputs.Problem) {
	if to == nil {
		return
	}
	for _, p := range problems {
		to(p)
	}
}
