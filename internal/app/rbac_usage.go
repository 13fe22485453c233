package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacusage"
)

// RBACUsageOptions is rbac usage: what every subject holds against what
// the audit logs show it used.
type RBACUsageOptions struct {
	Input RBACInput
	// Audit are files, .gz files, directories of rotated logs, or "-".
	Audit []string
	// Since and Until are RFC 3339 times or durations back from Now.
	Since, Until string
	// Policy (when its Path is set) is the audit policy the logs were
	// written under: what it does not log is blind.
	Policy PolicyFile
	Now    func() time.Time
	// Track keeps this subject's distinct requests (RBACUsageResult.Used).
	Track *rbacusage.SubjectKey
	// Warnings receives input problems as they are found.
	Warnings io.Writer
}

// RBACUsageResult is the report and the model it was judged against.
type RBACUsageResult struct {
	Policy *rbac.Policy
	// Usage is the report, built one subject at a time as it is walked
	// (a large model's is millions of rules: never held whole).
	Usage *rbacusage.Usage
	// Used is what Track used (nil without Track).
	Used *rbacusage.Used
}

// usageMemoryLimit is RBACUsage's soft memory limit (unless GOMEMLIMIT
// is set): the budget is 512 MiB of RSS on a 75k-object model, of which
// about 70 MiB are the binary and the runtime before any input.
const usageMemoryLimit = 400 << 20

// RBACUsage reads the RBAC model, then streams the audit logs through the
// usage engine.
func RBACUsage(ctx context.Context, o RBACUsageOptions) (*RBACUsageResult, error) {
	if len(o.Audit) == 0 {
		return nil, Input(errors.New("no audit log: give --audit FILE|DIR|-"))
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	opts := rbacusage.Options{Track: o.Track}
	for _, b := range []struct {
		flag, v string
		t       *time.Time
	}{{"--since", o.Since, &opts.Since}, {"--until", o.Until, &opts.Until}} {
		if b.v == "" {
			continue
		}
		t, err := rbacusage.ParseTime(b.v, now())
		if err != nil {
			return nil, Input(fmt.Errorf("%s %v", b.flag, err))
		}
		*b.t = t
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since) {
		return nil, Input(fmt.Errorf("--until %s is before --since %s", o.Until, o.Since))
	}
	if o.Policy.Path != "" {
		p, err := o.Policy.load(ctx)
		if err != nil {
			return nil, err
		}
		warnPolicy(o.Warnings, p)
		opts.Policy = p
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// a soft limit, from the start: the collector keeps the heap near
		// its live size instead of twice it, while the dump is decoded
		// (its bytes and the model at once: the peak) and then while
		// counting (the model, the counts, the answers cached)
		debug.SetMemoryLimit(usageMemoryLimit)
	}
	model, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	engine := rbacusage.New(model, opts)
	warn := func(msg string) { fmt.Fprintln(o.Warnings, "apiguard: warning: "+msg) }
	if err := readAuditLogs(ctx, o.Audit, warn, engine.Add); err != nil {
		return nil, err
	}
	return &RBACUsageResult{Policy: model, Usage: engine.Stream(), Used: engine.Used()}, nil
}
