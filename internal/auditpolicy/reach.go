package auditpolicy

import (
	"strings"

	audit "k8s.io/apiserver/pkg/apis/audit"
)

// Reachability: does some request reach rule j (match it, and no earlier
// rule)? The answer comes from evaluating a finite set of candidate
// requests built from rule j's own fields with the real evaluator.
//
// The set is complete: for every request r that matches rule j there is a
// candidate c that every earlier rule matching c also matches r, so if no
// candidate reaches j, no request does. Per field:
//   - users: each of the rule's users, or a fresh name no rule mentions;
//   - groups: one of the rule's groups alone (more groups only make more
//     rules match), or none;
//   - verbs: each of the rule's verbs, or every verb the request-info
//     resolver produces;
//   - namespaces: each of the rule's, or a fresh one;
//   - resources: per pattern, the resource it names, or a fresh one for
//     "*" and "*/sub", and both the bare resource and a fresh subresource
//     for "res/*" (which matches both); names: each resourceName or a fresh
//     one;
//   - non-resource URLs: the URL, or for "/p*" the prefix plus a fresh
//     suffix, or a fresh path for "*".
//
// A filter narrows the question to some requests (Secrets, reads, a
// need's request); there the candidates are realistic: the namespace of a
// cluster-scoped resource is "", a create has no name.

const (
	freshUser  = "apiguard:probe-user"
	freshNS    = "apiguard-probe-ns"
	freshGroup = "probe.apiguard.invalid"
	freshRes   = "apiguardprobes"
	freshSub   = "apiguardprobe"
	freshName  = "apiguard-probe-name"
	freshPath  = "/apiguard-probe"
	freshTail  = "~apiguard-probe"
)

// Verbs kube-apiserver's request-info resolver produces.
var (
	resourceVerbs    = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy"}
	nonResourceVerbs = []string{"get", "post", "put", "patch", "delete", "head", "options"}
)

// filter restricts the requests a reachability question is about.
type filter struct {
	// resource, when set, fixes the resource (and group, subresource).
	resource             bool
	group, res, sub      string
	path                 string // non-resource path, when set
	verbs                []string
	resourceOnly, nrOnly bool
	// ns, when set, fixes the namespace (for canonical requests).
	ns *string
}

// reachResult is the answer for one rule.
type reachResult struct {
	reached   bool
	witness   Request // a request rule j decides, when reached
	shadowers []int   // earlier rules that caught candidates, when not
	matched   bool    // some candidate matches rule j at all
	tooMany   bool    // too many candidates: no answer (treated as reached)
}

const maxCandidates = 20000

// reach answers whether some request (within f) is decided by rule j.
func (e *Evaluator) reach(rules []audit.PolicyRule, j int, f filter) reachResult {
	r := rules[j]
	var out reachResult
	users := r.Users
	if len(users) == 0 {
		users = []string{freshUser}
	}
	groups := make([][]string, 0, len(r.UserGroups)+1)
	for _, g := range r.UserGroups {
		groups = append(groups, []string{g})
	}
	if len(groups) == 0 {
		groups = append(groups, nil)
	}
	targets := e.targets(r, f)
	if len(targets) == 0 {
		return out
	}
	n := 0
	for _, t := range targets {
		verbs := verbsFor(r, f, t.IsResourceRequest())
		n += len(users) * len(groups) * len(verbs)
	}
	if n > maxCandidates {
		out.tooMany, out.reached = true, true
		return out
	}
	seen := map[int]bool{}
	for _, t := range targets {
		for _, v := range verbsFor(r, f, t.IsResourceRequest()) {
			if f.resource && v == "create" && t.Subresource == "" && t.Name != "" {
				continue // a create has no name when the policy is evaluated
			}
			for _, u := range users {
				for _, g := range groups {
					c := t
					c.Verb, c.User, c.Groups = v, u, g
					a := c.Attributes()
					idx := e.wholeIndex(&a)
					switch {
					case idx == j:
						out.reached, out.matched, out.witness = true, true, c
						return out
					case idx >= 0 && idx < j:
						out.matched = true
						if !seen[idx] {
							seen[idx] = true
							out.shadowers = append(out.shadowers, idx)
						}
					}
				}
			}
		}
	}
	return out
}

func verbsFor(r audit.PolicyRule, f filter, resource bool) []string {
	if len(r.Verbs) > 0 {
		if len(f.verbs) == 0 {
			return r.Verbs
		}
		var out []string
		for _, v := range r.Verbs {
			if contains(f.verbs, v) {
				out = append(out, v)
			}
		}
		return out
	}
	if len(f.verbs) > 0 {
		return f.verbs
	}
	if resource {
		return resourceVerbs
	}
	return nonResourceVerbs
}

// targets returns the candidate requests (without user and verb).
func (e *Evaluator) targets(r audit.PolicyRule, f filter) []Request {
	var out []Request
	resourceRule := len(r.Resources) > 0 || len(r.Namespaces) > 0
	nonResourceRule := !resourceRule && len(r.NonResourceURLs) > 0
	wantResource := !f.nrOnly && f.path == "" && !nonResourceRule
	wantNonResource := !f.resourceOnly && !f.resource && !resourceRule
	if wantResource {
		out = append(out, e.resourceTargets(r, f)...)
	}
	if wantNonResource {
		paths := []string{freshPath}
		if f.path != "" {
			if nonResourceRule && !matchesAnyPath(r.NonResourceURLs, f.path) {
				paths = nil
			} else {
				paths = []string{f.path}
			}
		} else if nonResourceRule {
			paths = paths[:0]
			for _, spec := range r.NonResourceURLs {
				switch {
				case spec == "*":
					paths = append(paths, freshPath)
				case strings.HasSuffix(spec, "*"):
					paths = append(paths, strings.TrimSuffix(spec, "*")+freshTail)
				default:
					paths = append(paths, spec)
				}
			}
		}
		for _, p := range paths {
			out = append(out, Request{Path: p})
		}
	}
	return out
}

func matchesAnyPath(specs []string, path string) bool {
	for _, s := range specs {
		if s == "*" || s == path || strings.HasSuffix(s, "*") && strings.HasPrefix(path, strings.TrimRight(s, "*")) {
			return true
		}
	}
	return false
}

// resourceTargets returns (group, resource, subresource, name, namespace)
// candidates of a rule.
func (e *Evaluator) resourceTargets(r audit.PolicyRule, f filter) []Request {
	type grn struct{ group, res, sub, name string }
	var rs []grn
	if f.resource {
		if len(r.Resources) == 0 {
			rs = append(rs, grn{f.group, f.res, f.sub, freshName}, grn{f.group, f.res, f.sub, ""})
		}
		for _, gr := range r.Resources {
			if gr.Group != f.group && gr.Group != "*" {
				continue
			}
			if len(gr.Resources) == 0 {
				rs = append(rs, grn{f.group, f.res, f.sub, freshName}, grn{f.group, f.res, f.sub, ""})
				continue
			}
			if !matchesAnyResource(gr.Resources, f.res, f.sub) {
				continue
			}
			names := []string{freshName, ""}
			if len(gr.ResourceNames) > 0 {
				names = gr.ResourceNames
			}
			for _, n := range names {
				rs = append(rs, grn{f.group, f.res, f.sub, n})
			}
		}
	} else {
		if len(r.Resources) == 0 {
			rs = append(rs, grn{freshGroup, freshRes, "", freshName})
		}
		for _, gr := range r.Resources {
			g := gr.Group
			if g == "*" {
				g = freshGroup
			}
			names := gr.ResourceNames
			if len(names) == 0 || len(gr.Resources) == 0 {
				names = []string{freshName}
			}
			var pairs [][2]string
			if len(gr.Resources) == 0 {
				pairs = append(pairs, [2]string{freshRes, ""})
			}
			for _, p := range gr.Resources {
				switch {
				case p == "*":
					pairs = append(pairs, [2]string{freshRes, ""})
				case strings.HasPrefix(p, "*/"):
					pairs = append(pairs, [2]string{freshRes, strings.TrimPrefix(p, "*/")})
				case strings.HasSuffix(p, "/*"):
					base := strings.TrimSuffix(p, "/*")
					pairs = append(pairs, [2]string{base, ""}, [2]string{base, freshSub})
				default:
					res, sub, _ := strings.Cut(p, "/")
					pairs = append(pairs, [2]string{res, sub})
				}
			}
			for _, pr := range pairs {
				for _, n := range names {
					rs = append(rs, grn{g, pr[0], pr[1], n})
				}
			}
		}
	}
	// Namespaces.
	var nss []string
	switch {
	case f.ns != nil:
		if len(r.Namespaces) > 0 && !contains(r.Namespaces, *f.ns) {
			return nil
		}
		nss = []string{*f.ns}
	case len(r.Namespaces) > 0:
		nss = r.Namespaces
	case f.resource && clusterScoped[f.res] && isBuiltinGroup(f.group):
		nss = []string{""}
	case f.resource:
		nss = []string{freshNS, ""}
	default:
		nss = []string{freshNS}
	}
	var out []Request
	for _, x := range rs {
		for _, ns := range nss {
			if f.resource && clusterScoped[f.res] && isBuiltinGroup(f.group) && ns != "" {
				continue
			}
			out = append(out, Request{APIGroup: x.group, Resource: x.res, Subresource: x.sub, Name: x.name, Namespace: ns})
		}
	}
	return out
}

// matchesAnyResource is the checker's resource pattern match.
func matchesAnyResource(patterns []string, res, sub string) bool {
	combined := res
	if sub != "" {
		combined = res + "/" + sub
	}
	for _, p := range patterns {
		if p == combined || p == "*" {
			return true
		}
		if sub != "" && strings.HasPrefix(p, "*/") && sub == strings.TrimPrefix(p, "*/") {
			return true
		}
		if strings.HasSuffix(p, "/*") && res == strings.TrimSuffix(p, "/*") {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
