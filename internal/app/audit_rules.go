package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/detect"
)

// AuditRulesOptions is audit rules: the detection rules, or some of them,
// optionally checked against an audit policy.
type AuditRulesOptions struct {
	// RuleFiles are YAML files of more rules to list.
	RuleFiles []string
	// IDs selects rules (case-insensitive); empty lists them all.
	IDs []string
	// Policy, when its Path is set, is evaluated for each rule's
	// representative request.
	Policy PolicyFile
}

// AuditRulesResult is the rules, sorted by tactic, and (with a policy)
// each one's coverage by rule ID.
type AuditRulesResult struct {
	Rules    []detect.Rule
	Coverage map[string]*detect.RuleCoverage
}

// AuditRules lists the rules audit scan and audit serve run.
func AuditRules(ctx context.Context, o AuditRulesOptions) (*AuditRulesResult, error) {
	rules, err := loadRules(o.RuleFiles)
	if err != nil {
		return nil, err
	}
	detect.SortRules(rules)
	if len(o.IDs) > 0 {
		var sel []detect.Rule
		for _, id := range o.IDs {
			found := false
			for _, r := range rules {
				if strings.EqualFold(r.ID, id) {
					sel = append(sel, r)
					found = true
				}
			}
			if !found {
				return nil, Input(fmt.Errorf("no rule %q (apiguard audit rules lists them)", id))
			}
		}
		rules = sel
	}
	res := &AuditRulesResult{Rules: rules, Coverage: map[string]*detect.RuleCoverage{}}
	if o.Policy.Path != "" {
		p, err := o.Policy.load(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range detect.Coverage(rules, p) {
			res.Coverage[c.Rule] = &c
		}
	}
	return res, nil
}
