package app

import (
	"context"

	"github.com/apiguard/apiguard/internal/rbac"
)

// RBACCanIOptions is rbac can-i: may the request's User (with its
// Groups) do it?
type RBACCanIOptions struct {
	Input RBACInput
	// Request is from ParseRBACRequest, with User and Groups set.
	Request rbac.Request
}

// RBACCanIResult is the answer, and the grants that allow it.
type RBACCanIResult struct {
	// Policy is the model read: its Problems are input warnings, its
	// Builtins the assumption made.
	Policy  *rbac.Policy
	Allowed bool
	Grants  []rbac.Grant
}

// RBACCanI answers as kube-apiserver's RBAC authorizer would.
func RBACCanI(ctx context.Context, o RBACCanIOptions) (*RBACCanIResult, error) {
	p, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	ok, grants := p.Allowed(o.Request)
	return &RBACCanIResult{Policy: p, Allowed: ok, Grants: grants}, nil
}
