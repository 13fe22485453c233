package app

import (
	"context"

	"github.com/apiguard/apiguard/internal/rbac"
)

// RBACAdminsOptions is rbac admins: who holds or can reach cluster-admin
// power.
type RBACAdminsOptions struct {
	Input RBACInput
}

// RBACAdminsResult lists every such subject with its shortest path.
type RBACAdminsResult struct {
	// Policy is the model read (see RBACCanIResult).
	Policy *rbac.Policy
	Admins []rbac.Admin
	// Gap says which paths were not assessed, and why ("" when none).
	Gap string
}

// RBACAdmins runs the analysis and lists the admins.
func RBACAdmins(ctx context.Context, o RBACAdminsOptions) (*RBACAdminsResult, error) {
	p, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	return &RBACAdminsResult{Policy: p, Admins: p.Analysis().Admins, Gap: tokenPathsGap(p)}, nil
}
