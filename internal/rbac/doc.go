// Package rbac is apiguard's permission engine: kube-apiserver's RBAC
// authorizer re-implemented over a loaded model of a cluster's roles and
// bindings, so that questions can be answered offline, fast and with the
// reason ("which binding, which role, which rule").
//
// The semantics follow the upstream sources exactly; each function names the
// file it mirrors (k8s.io/kubernetes v1.36.3, which the product module cannot
// import):
//
//   - rule matching: pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
//     APIGroupMatches, ResourceMatches, ResourceNameMatches,
//     NonResourceURLMatches) and plugin/pkg/auth/authorizer/rbac/rbac.go
//     (RuleAllows);
//   - which bindings apply: pkg/registry/rbac/validation/rule.go
//     (VisitRulesFor, GetRoleReferenceRules, appliesTo);
//   - who can: plugin/pkg/auth/authorizer/rbac/subject_locator.go
//     (AllowedSubjects);
//   - implicit groups: k8s.io/apiserver's authenticators and impersonation
//     filter (system:authenticated, system:unauthenticated,
//     system:serviceaccounts[:NS]);
//   - aggregation: pkg/controller/clusterroleaggregation;
//   - the defaults: plugin/pkg/auth/authorizer/rbac/bootstrappolicy, captured
//     in bootstrap_v1.36.json by bootstrap_gen.go;
//   - rule coverage: k8s.io/component-helpers/auth/rbac/validation (Covers).
//
// The model never holds Secret data: Secrets are kept as metadata only, and
// data/stringData in offline dumps are dropped while decoding.
package rbac
