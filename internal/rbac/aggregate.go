package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// aggregate fills the rules of aggregated ClusterRoles the way
// kube-controller-manager's clusterrole-aggregation controller does
// (pkg/controller/clusterroleaggregation, syncClusterRole): for each
// selector in order, the ClusterRoles whose labels match it, sorted by
// name and skipping the role itself, contribute their rules, each rule
// once. The controller re-runs whenever a ClusterRole changes, so chains
// (admin selects edit, which aggregates itself) are resolved to a fixed
// point.
//
// An aggregated ClusterRole read with no rules gets the computed union
// (Aggregated=true). One read with rules keeps them, because those are
// what the server enforces; when they grant something other than the
// union, a warning says the controller has not caught up, or is not
// running.
func (p *Policy) aggregate() {
	type agg struct {
		role      *Role
		selectors []labels.Selector
	}
	var aggs []agg
	for _, r := range p.ClusterRoles {
		if r.AggregationRule == nil {
			continue
		}
		a := agg{role: r}
		ok := true
		for i := range r.AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&r.AggregationRule.ClusterRoleSelectors[i])
			if err != nil {
				// The controller gives up on the role: its rules stay as stored.
				p.objProblem(r.String(), r.Source, "aggregationRule.clusterRoleSelectors: "+err.Error()+": the aggregation controller cannot compute its rules")
				ok = false
				break
			}
			a.selectors = append(a.selectors, sel)
		}
		if !ok {
			continue
		}
		if len(r.Rules) == 0 {
			r.Aggregated = true
		}
		aggs = append(aggs, a)
	}
	if len(aggs) == 0 {
		return
	}
	union := func(a agg) []rbacv1.PolicyRule {
		var out []rbacv1.PolicyRule
		for _, sel := range a.selectors {
			for _, src := range p.ClusterRoles { // sorted by name
				if src == a.role || !sel.Matches(labels.Set(src.Labels)) {
					continue
				}
				for j := range src.Rules {
					if !containsRule(out, &src.Rules[j]) {
						out = append(out, src.Rules[j])
					}
				}
			}
		}
		return out
	}
	// Fixed point over the roles whose rules are computed; each pass can
	// only propagate rules one more link down a chain.
	for pass := 0; pass <= len(aggs); pass++ {
		changed := false
		for _, a := range aggs {
			if !a.role.Aggregated {
				continue
			}
			if rules := union(a); !rulesEqual(rules, a.role.Rules) {
				a.role.Rules = rules
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, a := range aggs {
		if a.role.Aggregated {
			continue
		}
		want := union(a)
		if more, _ := validation.Covers(want, a.role.Rules); !more {
			p.objProblem(a.role.String(), a.role.Source, "its rules grant more than the union of the ClusterRoles its aggregationRule selects (the aggregation controller has not caught up, or the rules were edited); the stored rules are used, as the server enforces them")
		} else if less, _ := validation.Covers(a.role.Rules, want); !less {
			p.objProblem(a.role.String(), a.role.Source, "its rules grant less than the union of the ClusterRoles its aggregationRule selects (the aggregation controller has not caught up); the stored rules are used, as the server enforces them")
		}
	}
}

func containsRule(list []rbacv1.PolicyRule, r *rbacv1.PolicyRule) bool {
	for i := range list {
		if ruleEqual(&list[i], r) {
			return true
		}
	}
	return false
}
