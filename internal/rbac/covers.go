package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Covers reports whether ownerRules allow everything servantRules allow,
// and returns the atomic servant rules that are not covered. It is
// k8s.io/component-helpers/auth/rbac/validation Covers (the comparison
// kube-apiserver's escalation check uses), re-implemented here to avoid a
// module for sixty lines.
func Covers(ownerRules, servantRules []rbacv1.PolicyRule) (bool, []rbacv1.PolicyRule) {
	var uncovered []rbacv1.PolicyRule
	for _, servant := range servantRules {
		for _, sub := range BreakdownRule(servant) {
			covered := false
			for i := range ownerRules {
				if ruleCovers(&ownerRules[i], &sub) {
					covered = true
					break
				}
			}
			if !covered {
				uncovered = append(uncovered, sub)
			}
		}
	}
	return len(uncovered) == 0, uncovered
}

// BreakdownRule splits a rule into rules of one verb, one group, one
// resource and at most one resource name (or one verb and one URL), as
// policy_comparator.go BreakdownRule.
func BreakdownRule(rule rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var subrules []rbacv1.PolicyRule
	for _, group := range rule.APIGroups {
		for _, resource := range rule.Resources {
			for _, verb := range rule.Verbs {
				if len(rule.ResourceNames) > 0 {
					for _, name := range rule.ResourceNames {
						subrules = append(subrules, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource}, Verbs: []string{verb}, ResourceNames: []string{name}})
					}
				} else {
					subrules = append(subrules, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource}, Verbs: []string{verb}})
				}
			}
		}
	}
	for _, url := range rule.NonResourceURLs {
		for _, verb := range rule.Verbs {
			subrules = append(subrules, rbacv1.PolicyRule{NonResourceURLs: []string{url}, Verbs: []string{verb}})
		}
	}
	return subrules
}

func has(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

func hasAll(set, contains []string) bool {
	for _, s := range contains {
		if !has(set, s) {
			return false
		}
	}
	return true
}

func resourceCoversAll(set, covers []string) bool {
	if has(set, rbacv1.ResourceAll) || hasAll(set, covers) {
		return true
	}
	for _, path := range covers {
		if has(set, path) {
			continue
		}
		// a subresource may be covered by */subresource
		i := strings.IndexByte(path, '/')
		if i < 0 || !has(set, "*/"+path[i+1:]) {
			return false
		}
	}
	return true
}

func nonResourceURLsCoversAll(set, covers []string) bool {
	for _, path := range covers {
		covered := false
		for _, owner := range set {
			if owner == path || (strings.HasSuffix(owner, "*") && strings.HasPrefix(path, strings.TrimRight(owner, "*"))) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// ruleCovers is policy_comparator.go ruleCovers: owner may be any rule,
// sub is an atomic rule from BreakdownRule.
func ruleCovers(owner, sub *rbacv1.PolicyRule) bool {
	verbs := has(owner.Verbs, rbacv1.VerbAll) || hasAll(owner.Verbs, sub.Verbs)
	groups := has(owner.APIGroups, rbacv1.APIGroupAll) || hasAll(owner.APIGroups, sub.APIGroups)
	resources := resourceCoversAll(owner.Resources, sub.Resources)
	urls := nonResourceURLsCoversAll(owner.NonResourceURLs, sub.NonResourceURLs)
	names := len(owner.ResourceNames) == 0 ||
		(len(sub.ResourceNames) > 0 && hasAll(owner.ResourceNames, sub.ResourceNames))
	return verbs && groups && resources && names && urls
}
