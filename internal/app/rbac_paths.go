package app

import (
	"context"

	"github.com/apiguard/apiguard/internal/rbac"
)

// RBACPathsOptions is rbac paths: every shortest path from one subject
// to cluster-admin power.
type RBACPathsOptions struct {
	Input RBACInput
	// Subject is from ParseRBACSubject.
	Subject rbac.Subject
}

// RBACPathsResult holds the paths (none when the subject has no path).
type RBACPathsResult struct {
	// Policy is the model read (see RBACCanIResult).
	Policy  *rbac.Policy
	Subject rbac.SubjectRef
	Paths   [][]rbac.Step
	// Gap says which paths were not assessed, and why ("" when none).
	Gap string
}

// RBACPaths runs the analysis and lists the subject's paths.
func RBACPaths(ctx context.Context, o RBACPathsOptions) (*RBACPathsResult, error) {
	p, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	ref := rbac.SubjectRef{Kind: o.Subject.Kind, Name: o.Subject.Name, Namespace: o.Subject.Namespace}
	return &RBACPathsResult{Policy: p, Subject: ref, Paths: p.Analysis().Paths(ref), Gap: tokenPathsGap(p)}, nil
}
