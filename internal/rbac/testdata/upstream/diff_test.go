// Package upstreamdiff checks internal/rbac against kube-apiserver's own
// RBAC authorizer (plugin/pkg/auth/authorizer/rbac: Authorize and
// SubjectAccessEvaluator.AllowedSubjects) on random policies and requests.
// k8s.io/kubernetes cannot be a dependency of the product module, so
// run.sh builds a throw-away module from test/e2e's dependencies.
package upstreamdiff

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/kubernetes/pkg/registry/rbac/validation"
	rbacauth "k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"

	"github.com/apiguard/apiguard/internal/rbac"
)

var (
	verbs     = []string{"get", "list", "create", "*", "GET", "delete"}
	groups    = []string{"", "apps", "*", "core"}
	resources = []string{"pods", "pods/exec", "*/exec", "pods/*", "*", "deployments", "secrets", "*/*", "pods/log", "nodes", "nodes/proxy"}
	urls      = []string{"/healthz", "/healthz/*", "*", "/api*", "/metrics", "/api"}
	names     = []string{"a", "b", "*"}
	nss       = []string{"ns1", "ns2", ""}
	users     = []string{"alice", "bob", "system:anonymous", "system:serviceaccount:ns1:sa1", "system:serviceaccount:ns2:sa1", "system:serviceaccount:ns1:sa2"}
	grps      = []string{"dev", "ops", "system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:serviceaccounts:ns1"}
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.Intn(len(l))] }
func some(r *rand.Rand, l []string, max int) []string {
	n := r.Intn(max + 1)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, pick(r, l))
	}
	return out
}

func randRule(r *rand.Rand) rbacv1.PolicyRule {
	if r.Intn(5) == 0 {
		return rbacv1.PolicyRule{Verbs: some(r, verbs, 2), NonResourceURLs: some(r, urls, 2)}
	}
	pr := rbacv1.PolicyRule{Verbs: some(r, verbs, 3), APIGroups: some(r, groups, 2), Resources: some(r, resources, 3)}
	if r.Intn(3) == 0 {
		pr.ResourceNames = some(r, names, 2)
	}
	return pr
}

func randSubject(r *rand.Rand) rbacv1.Subject {
	switch r.Intn(4) {
	case 0:
		return rbacv1.Subject{Kind: "User", Name: pick(r, users[:3])}
	case 1:
		return rbacv1.Subject{Kind: "Group", Name: pick(r, grps)}
	case 2:
		return rbacv1.Subject{Kind: "ServiceAccount", Name: pick(r, []string{"sa1", "sa2"}), Namespace: pick(r, nss)}
	default:
		return rbacv1.Subject{Kind: pick(r, []string{"User", "Group", "Bogus"}), Name: pick(r, append(users, grps...))}
	}
}

const seeds = 3000

func TestDifferential(t *testing.T) {
	allowedCount := 0
	defer func() { t.Logf("%d requests, %d allowed", seeds*200, allowedCount) }()
	ctx := context.Background()
	for seed := int64(0); seed < seeds; seed++ {
		r := rand.New(rand.NewSource(seed))
		var crs []*rbacv1.ClusterRole
		var roles []*rbacv1.Role
		var crbs []*rbacv1.ClusterRoleBinding
		var rbs []*rbacv1.RoleBinding
		var objs []runtime.Object
		for i := 0; i < 6; i++ {
			cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("cr", i)}}
			for j := r.Intn(3); j >= 0; j-- {
				cr.Rules = append(cr.Rules, randRule(r))
			}
			crs = append(crs, cr)
			objs = append(objs, cr)
			ro := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("r", i), Namespace: pick(r, nss[:2])}}
			for j := r.Intn(3); j >= 0; j-- {
				ro.Rules = append(ro.Rules, randRule(r))
			}
			roles = append(roles, ro)
			objs = append(objs, ro)
		}
		for i := 0; i < 8; i++ {
			ref := rbacv1.RoleRef{Kind: pick(r, []string{"ClusterRole", "ClusterRole", "Role", "Foo"}), Name: pick(r, []string{"cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "r0", "r1", "r2", "missing"})}
			var subs []rbacv1.Subject
			for j := r.Intn(3); j >= 0; j-- {
				subs = append(subs, randSubject(r))
			}
			if r.Intn(2) == 0 {
				b := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("crb", i)}, RoleRef: ref, Subjects: subs}
				crbs = append(crbs, b)
				objs = append(objs, b)
			} else {
				b := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("rb", i), Namespace: pick(r, nss[:2])}, RoleRef: ref, Subjects: subs}
				rbs = append(rbs, b)
				objs = append(objs, b)
			}
		}
		_, sr := validation.NewTestRuleResolver(roles, rbs, crs, crbs)
		up := rbacauth.New(sr, sr, sr, sr)
		locator := rbacauth.NewSubjectAccessEvaluator(sr, sr, sr, sr, "")
		p := rbac.Load(objs...)
		for q := 0; q < 200; q++ {
			req := rbac.Request{User: pick(r, users), Groups: some(r, grps[:2], 1), Verb: pick(r, verbs[:3]), Namespace: pick(r, nss)}
			attrs := authorizer.AttributesRecord{Verb: req.Verb, Namespace: req.Namespace}
			if r.Intn(5) == 0 {
				req.Path = pick(r, []string{"/healthz", "/healthz/etcd", "/api", "/apis", "/metrics"})
				req.Namespace = ""
				attrs.Path, attrs.Namespace = req.Path, ""
			} else {
				req.APIGroup = pick(r, []string{"", "apps"})
				req.Resource = pick(r, []string{"pods", "deployments", "secrets", "nodes"})
				req.Subresource = pick(r, []string{"", "", "exec", "log", "*", "proxy"})
				req.Name = pick(r, []string{"", "a", "b"})
				attrs.ResourceRequest = true
				attrs.APIGroup, attrs.Resource, attrs.Subresource, attrs.Name = req.APIGroup, req.Resource, req.Subresource, req.Name
			}
			attrs.User = &user.DefaultInfo{Name: req.User, Groups: rbac.EffectiveGroups(req.User, req.Groups)}
			dec, _, _ := up.Authorize(ctx, attrs)
			ok, grants := p.Allowed(req)
			if ok {
				allowedCount++
			}
			if ok != (dec == authorizer.DecisionAllow) {
				t.Fatalf("seed %d: %+v: ours %v %v, upstream %v", seed, req, ok, grants, dec)
			}
			// who-can: same subjects (upstream lists unmatched SA subjects without namespace too)
			want := map[string]bool{}
			subs, _ := locator.AllowedSubjects(ctx, attrs)
			for _, s := range subs {
				if s.Kind == "ServiceAccount" && s.Namespace == "" {
					continue
				}
				if s.Kind != "User" && s.Kind != "Group" && s.Kind != "ServiceAccount" {
					continue
				}
				want[s.Kind+"/"+s.Namespace+"/"+s.Name] = true
			}
			got := map[string]bool{}
			for _, s := range p.WhoCan(req) {
				got[s.Kind+"/"+s.Namespace+"/"+s.Name] = true
			}
			// RoleBinding SA subjects without namespace: ours default to the binding's namespace
			for k := range got {
				if !want[k] {
					// accept if upstream listed it with an empty namespace from a RoleBinding
					ok := false
					for _, s := range subs {
						if s.Kind == "ServiceAccount" && s.Namespace == "" && "ServiceAccount/"+req.Namespace+"/"+s.Name == k {
							ok = true
						}
					}
					if !ok {
						t.Fatalf("seed %d %+v: who-can lists %s, upstream does not: %v", seed, req, k, subs)
					}
				}
			}
			for k := range want {
				if !got[k] {
					t.Fatalf("seed %d %+v: upstream lists %s, ours does not", seed, req, k)
				}
			}
		}
	}
}
