package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The matching functions below are kube-apiserver's, from
// k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go, kept
// line-for-line in meaning. Notable consequences (the traps other tools
// fall into):
//
//   - apiGroups "" is the core group and matches only it; only "*" is a
//     wildcard. There is no "core" alias.
//   - resources "*" matches every resource and subresource; "pods" matches
//     pods but not pods/exec; "pods/exec" matches only that; "*/exec"
//     matches the exec subresource of any resource; "pods/*" is NOT a
//     wildcard (it matches only a subresource literally named "*").
//   - resourceNames restrict to named objects; a request without a name
//     (list, watch, create, deletecollection) never matches a rule that has
//     resourceNames.
//   - nonResourceURLs "*" matches every path; a trailing "*" is a prefix
//     match ("/healthz/*" matches "/healthz/etcd", not "/healthz");
//     anything else must be equal.
//   - verbs "*" matches every verb; verbs are compared as given (RBAC does
//     not fold case).

// VerbMatches is evaluation_helpers.go VerbMatches.
func VerbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

// APIGroupMatches is evaluation_helpers.go APIGroupMatches.
func APIGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// ResourceMatches is evaluation_helpers.go ResourceMatches. resource and
// subresource are the request's, not combined: the combination
// "resource/subresource" is compared without building it.
func ResourceMatches(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	for _, r := range rule.Resources {
		// if everything is allowed, we match
		if r == rbacv1.ResourceAll {
			return true
		}
		// if we have an exact match, we match
		if subresource == "" {
			if r == resource {
				return true
			}
			continue
		}
		if len(r) == len(resource)+1+len(subresource) && r[len(resource)] == '/' &&
			strings.HasPrefix(r, resource) && strings.HasSuffix(r, subresource) {
			return true
		}
		// We can also match a */subresource (and nothing else: pods/* is
		// not a wildcard).
		if len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

// ResourceNameMatches is evaluation_helpers.go ResourceNameMatches.
func ResourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// NonResourceURLMatches is evaluation_helpers.go NonResourceURLMatches.
func NonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// RuleAllows is plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows: does
// one rule allow the request (identity aside)?
func RuleAllows(req *Request, rule *rbacv1.PolicyRule) bool {
	if req.IsResourceRequest() {
		return VerbMatches(rule, req.Verb) &&
			APIGroupMatches(rule, req.APIGroup) &&
			ResourceMatches(rule, req.Resource, req.Subresource) &&
			ResourceNameMatches(rule, req.Name)
	}
	return VerbMatches(rule, req.Verb) && NonResourceURLMatches(rule, req.Path)
}

// firstAllowing returns the index of the first rule that allows req, or -1.
func firstAllowing(req *Request, rules []rbacv1.PolicyRule) int {
	for i := range rules {
		if RuleAllows(req, &rules[i]) {
			return i
		}
	}
	return -1
}

// CompactString is evaluation_helpers.go CompactString: the rule as kube-
// apiserver prints it in escalation errors, e.g.
// {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}.
func CompactString(r rbacv1.PolicyRule) string {
	parts := make([]string, 0, 5)
	args := make([]any, 0, 5)
	if len(r.APIGroups) > 0 {
		parts = append(parts, "APIGroups:%q")
		args = append(args, r.APIGroups)
	}
	if len(r.Resources) > 0 {
		parts = append(parts, "Resources:%q")
		args = append(args, r.Resources)
	}
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, "NonResourceURLs:%q")
		args = append(args, r.NonResourceURLs)
	}
	if len(r.ResourceNames) > 0 {
		parts = append(parts, "ResourceNames:%q")
		args = append(args, r.ResourceNames)
	}
	if len(r.Verbs) > 0 {
		parts = append(parts, "Verbs:%q")
		args = append(args, r.Verbs)
	}
	return fmt.Sprintf("{"+strings.Join(parts, ", ")+"}", args...)
}
