package app

import (
	"context"

	"github.com/apiguard/apiguard/internal/rbac"
)

// RBACWhoCanOptions is rbac who-can: every subject allowed a request.
type RBACWhoCanOptions struct {
	Input RBACInput
	// Request is from ParseRBACRequest.
	Request rbac.Request
}

// RBACWhoCanResult lists the subjects, each with its grants.
type RBACWhoCanResult struct {
	// Policy is the model read (see RBACCanIResult).
	Policy   *rbac.Policy
	Subjects []rbac.Subject
}

// RBACWhoCan answers as kube-apiserver's SubjectAccessEvaluator does.
func RBACWhoCan(ctx context.Context, o RBACWhoCanOptions) (*RBACWhoCanResult, error) {
	p, err := loadRBAC(ctx, o.Input)
	if err != nil {
		return nil, err
	}
	return &RBACWhoCanResult{Policy: p, Subjects: p.WhoCan(o.Request)}, nil
}
