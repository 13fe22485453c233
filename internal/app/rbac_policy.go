package app

import (
	"context"

	"github.com/apiguard/apiguard/internal/rbac"
)

// RBACPolicyOptions is rbac policy: the effective rules of one subject.
type RBACPolicyOptions struct {
	Input RBACInput
	// Subject is from ParseRBACSubject.
	Subject rbac.Subject
	// Groups are groups the user belongs to, whose rules are added.
	Groups []string
	// Namespace limits the rules to cluster-wide ones and this namespace's.
	Namespace string
}

// RBACPolicyResult is every rule the subject holds, with its grant.
type RBACPolicyResult struct {
	// Policy is the model read (see RBACCanIResult).
	Policy *rbac.Policy
	Rules  []rbac.EffectiveRule
}

// RBACPolicy lists the rules of one subject and where each comes from.
func RBACPolicy(ctx context.Context, o RBACPolicyOptions) (*RBACPolicyResult, error) {
	p, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	res := &RBACPolicyResult{Policy: p}
	for _, r := range p.RulesFor(o.Subject, o.Groups...) {
		if o.Namespace == "" || r.Namespace == "" || r.Namespace == o.Namespace {
			res.Rules = append(res.Rules, r)
		}
	}
	return res, nil
}
