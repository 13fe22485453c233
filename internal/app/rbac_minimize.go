package app

import (
	"context"
	"fmt"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// RBACMinimizeOptions is rbac minimize: the roles that grant one subject
// exactly what the audit logs show it used.
type RBACMinimizeOptions struct {
	// Subject is user:NAME, group:NAME or sa:NS/NAME (ParseRBACSubject).
	Subject string
	// Usage reads the model and the logs; its Track is set here.
	Usage RBACUsageOptions
}

// RBACMinimizeResult is the minimized roles, the model they were judged
// against, and what to say on stderr.
type RBACMinimizeResult struct {
	// Usage is the model, the report and where the audit policy came from.
	Usage     *RBACUsageResult
	Minimized *rbacusage.Minimized
	// Notes are said on stderr: no use, requests left out, names given up,
	// the missing audit policy.
	Notes []string
}

// RBACMinimize streams the logs through the usage engine tracking the
// subject, then builds the roles that grant what it used.
func RBACMinimize(ctx context.Context, o RBACMinimizeOptions) (*RBACMinimizeResult, error) {
	s, err := ParseRBACSubject(o.Subject)
	if err != nil {
		return nil, err
	}
	k := rbacusage.SubjectKey{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
	u := o.Usage
	u.Track = &k
	res, err := RBACUsage(ctx, u)
	if err != nil {
		return nil, err
	}
	head := res.Usage.Header()
	m := rbacusage.Minimize(rbacusage.MinimizeInput{Policy: res.Policy, Used: res.Used,
		Usage: res.Usage.Subject(k), Window: head.Window})
	out := &RBACMinimizeResult{Usage: res, Minimized: m}
	note := func(f string, a ...any) { out.Notes = append(out.Notes, fmt.Sprintf(f, a...)) }
	if head.Note != "" {
		note("%s", head.Note)
	}
	if m.Used == 0 {
		note("%s made no request in the window that needs a grant: nothing to generate", k)
	}
	for _, n := range m.NotHeld {
		note("left out, %s", n)
	}
	if res.Used.Collapsed > 0 {
		note("%d requests kept without their resource name: more than %d distinct requests", res.Used.Collapsed, rbacusage.DefaultTrackLimit)
	}
	if res.Used.Dropped > 0 {
		note("%d requests not kept: more than %d distinct requests; the roles are incomplete", res.Used.Dropped, 4*rbacusage.DefaultTrackLimit)
	}
	if m.Blind > 0 {
		note("%d blind rule(s) kept as held (annotated %s)", m.Blind, rbacusage.BlindAnnotation)
	}
	return out, nil
}
