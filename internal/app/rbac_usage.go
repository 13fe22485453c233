package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/inputs/offline"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacusage"
)

// RBACUsageOptions is rbac usage: what every subject holds against what
// the audit logs show it used.
type RBACUsageOptions struct {
	Input RBACInput
	// Audit are the logs and the window counted in them.
	Audit AuditLogs
	// Policy (when its Path is set) is the audit policy the logs were
	// written under: what it does not log is blind. Without it, the policy
	// a snapshot given as Input.From names is read (scan reads it so).
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
	// PolicySource says where the audit policy was read: the --policy
	// file, or the file a snapshot's kube-apiserver names ("" for none).
	PolicySource string
}

// usageMemoryLimit is RBACUsage's soft memory limit (unless GOMEMLIMIT
// is set): the budget is 512 MiB of RSS on a 75k-object model, of which
// about 70 MiB are the binary and the runtime before any input.
const usageMemoryLimit = 400 << 20

// usageGCPercent is GOGC while the logs are counted (under the soft limit).
const usageGCPercent = 400

// RBACUsage reads the RBAC model, then streams the audit logs through the
// usage engine.
func RBACUsage(ctx context.Context, o RBACUsageOptions) (*RBACUsageResult, error) {
	if len(o.Audit.Logs) == 0 {
		return nil, Input(errors.New("no audit log: give --audit FILE|DIR|-"))
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	opts, err := o.Audit.options(now())
	if err != nil {
		return nil, err
	}
	if o.Track != nil {
		opts.Track = []rbacusage.SubjectKey{*o.Track}
	}
	res := &RBACUsageResult{}
	switch {
	case o.Policy.Path != "":
		p, err := o.Policy.load(ctx)
		if err != nil {
			return nil, err
		}
		warnPolicy(o.Warnings, p)
		opts.Policy, res.PolicySource = p, o.Policy.Path
	default:
		opts.Policy, res.PolicySource = snapshotsAuditPolicy(o.Input.From)
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
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// counting allocates per event (decoded events, short-lived) over
		// a live heap of the model that each collection marks whole: let
		// the heap grow to the soft limit between collections instead of
		// twice the live size (a third of the collections, same peak).
		defer debug.SetGCPercent(debug.SetGCPercent(usageGCPercent))
	}
	engine := rbacusage.New(model, opts)
	warn := func(msg string) { fmt.Fprintln(o.Warnings, "apiguard: warning: "+msg) }
	if err := readAuditLogs(ctx, o.Audit.Logs, warn, engine.Add); err != nil {
		return nil, err
	}
	res.Policy, res.Usage = model, engine.Stream()
	if o.Track != nil {
		res.Used = engine.Used(*o.Track)
	}
	return res, nil
}

// snapshotsAuditPolicy is the audit policy of the first snapshot directory
// among from whose kube-apiserver names one that the snapshot holds.
// Snapshots that cannot be read are left to the RBAC reader to report.
func snapshotsAuditPolicy(from []string) (*auditpolicy.Policy, string) {
	for _, dir := range from {
		if !offline.IsSnapshotDir(dir) {
			continue
		}
		s, err := offline.LoadSnapshotServers(dir)
		if err != nil {
			continue
		}
		if p, src := snapshotAuditPolicy(s); p != nil {
			return p, src + " in snapshot " + dir
		}
	}
	return nil, ""
}
