package app

import (
	"context"
	"fmt"
	"io"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
)

// AuditPolicyLintResult is the policy as loaded and its findings.
type AuditPolicyLintResult struct {
	Policy   *auditpolicy.Policy
	Findings []auditpolicy.Finding
}

// FailsAt reports whether a finding is at or above sev.
func (r *AuditPolicyLintResult) FailsAt(sev check.Severity) bool {
	return auditpolicy.FailsAt(r.Findings, sev)
}

// AuditPolicyLint reports every problem of a policy, with its rule and
// line.
func AuditPolicyLint(ctx context.Context, f PolicyFile) (*AuditPolicyLintResult, error) {
	p, err := f.load(ctx)
	if err != nil {
		return nil, err
	}
	fs, err := auditpolicy.LintContext(ctx, p)
	if err != nil {
		return nil, Input(err)
	}
	if fs == nil {
		fs = []auditpolicy.Finding{}
	}
	return &AuditPolicyLintResult{Policy: p, Findings: fs}, nil
}

// AuditPolicyCoverageOptions is audit policy coverage: the security-relevant
// requests, made as User (with Groups) or as auditpolicy.HumanUser.
type AuditPolicyCoverageOptions struct {
	Policy PolicyFile
	User   string
	Groups []string
	// Warnings receives what loading the policy found.
	Warnings io.Writer
}

// AuditPolicyCoverageResult is each request's level, deciding rule and
// status under the policy.
type AuditPolicyCoverageResult struct {
	Policy   *auditpolicy.Policy
	Identity auditpolicy.Identity
	Rows     []auditpolicy.Row
}

// AuditPolicyCoverage evaluates the security-relevant requests.
func AuditPolicyCoverage(ctx context.Context, o AuditPolicyCoverageOptions) (*AuditPolicyCoverageResult, error) {
	who := auditpolicy.HumanUser
	if o.User != "" || len(o.Groups) > 0 {
		if o.User == "" {
			return nil, Input(fmt.Errorf("--group needs --user"))
		}
		who = auditpolicy.Identity{Name: o.User, User: o.User, Groups: auditpolicy.ImplicitGroups(o.User, o.Groups)}
	}
	p, err := o.Policy.load(ctx)
	if err != nil {
		return nil, err
	}
	warnPolicy(o.Warnings, p)
	return &AuditPolicyCoverageResult{Policy: p, Identity: who, Rows: auditpolicy.Coverage(p, who)}, nil
}

// AuditPolicyRecommend is the recommended policy of a profile (minimal,
// standard or strict), as YAML.
func AuditPolicyRecommend(profile string) ([]byte, error) {
	p, err := auditpolicy.ParseProfile(profile)
	if err != nil {
		return nil, Input(fmt.Errorf("--profile: %v", err))
	}
	return auditpolicy.Recommend(p), nil
}

// AuditPolicyLintRules are the rules lint applies.
func AuditPolicyLintRules() []auditpolicy.LintRule { return auditpolicy.LintRules }
