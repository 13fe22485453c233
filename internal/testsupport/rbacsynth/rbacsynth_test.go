package rbacsynth_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
)

func small() rbacsynth.Config {
	return rbacsynth.Config{Namespaces: 40, ClusterRoles: 200, ClusterRoleBindings: 150, Roles: 300, RoleBindings: 500,
		ServiceAccounts: 400, Pods: 900, Nodes: 6, TokenSecrets: 20, MissingRoleRefs: 5, MissingSubjects: 7}
}

func generate(t testing.TB, cfg rbacsynth.Config, seed int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rbacsynth.Generate(&buf, cfg, seed); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func load(t testing.TB, data []byte) *rbac.Policy {
	t.Helper()
	b := rbac.NewBuilder()
	if err := rbacdump.AddData(b, "dump.json", data); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// TestCounts: the dump loads with exactly the configured counts and no
// problem but the missing roleRefs asked for.
func TestCounts(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  rbacsynth.Config
	}{
		{"minimum", rbacsynth.MinConfig(1)},
		{"minimum, 5 nodes", rbacsynth.MinConfig(5)},
		{"small", small()},
		{"small, nothing missing", func() rbacsynth.Config { c := small(); c.MissingRoleRefs, c.MissingSubjects = 0, 0; return c }()},
		{"small, one missing", func() rbacsynth.Config { c := small(); c.MissingRoleRefs, c.MissingSubjects = 1, 1; return c }()},
		{"wide", rbacsynth.Config{Namespaces: 300, ClusterRoles: 400, ClusterRoleBindings: 300, Roles: 600, RoleBindings: 900,
			ServiceAccounts: 700, Pods: 1500, Nodes: 12, TokenSecrets: 40, MissingRoleRefs: 9, MissingSubjects: 13}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := generate(t, c.cfg, 7)
			if !json.Valid(data) {
				t.Fatal("not valid JSON")
			}
			p := load(t, data)
			got := rbacsynth.Config{
				Namespaces: len(p.Namespaces), ClusterRoles: len(p.ClusterRoles), ClusterRoleBindings: len(p.ClusterRoleBindings),
				Roles: len(p.Roles), RoleBindings: len(p.RoleBindings), ServiceAccounts: len(p.ServiceAccounts), Pods: len(p.Pods),
				Nodes: len(p.Nodes), TokenSecrets: len(p.Secrets), MissingRoleRefs: c.cfg.MissingRoleRefs, MissingSubjects: c.cfg.MissingSubjects,
			}
			if got != c.cfg {
				t.Errorf("counts\n got %+v\nwant %+v", got, c.cfg)
			}
			if p.Objects() != c.cfg.Objects() {
				t.Errorf("Objects() = %d, want %d", p.Objects(), c.cfg.Objects())
			}
			missing := 0
			for _, pr := range p.Problems {
				if strings.Contains(pr.Message, "roleRef: ") && strings.Contains(pr.Message, "does not exist") {
					missing++
					continue
				}
				t.Errorf("problem: %s", pr)
			}
			if missing != c.cfg.MissingRoleRefs {
				t.Errorf("%d missing roleRefs reported, want %d", missing, c.cfg.MissingRoleRefs)
			}
			checkReferences(t, p, c.cfg)
		})
	}
}

// checkReferences: pods run as existing ServiceAccounts on existing nodes;
// every ServiceAccount subject exists but the missing ones asked for.
func checkReferences(t *testing.T, p *rbac.Policy, cfg rbacsynth.Config) {
	t.Helper()
	sas := map[string]bool{}
	for _, s := range p.ServiceAccounts {
		sas[s.Namespace+"/"+s.Name] = true
	}
	nodes := map[string]bool{}
	for _, n := range p.Nodes {
		nodes[n.Name] = true
	}
	mirror := 0
	for _, x := range p.Pods {
		if x.ServiceAccountName == "" {
			mirror++
		} else if !sas[x.Namespace+"/"+x.ServiceAccountName] {
			t.Errorf("pod %s/%s runs as a missing ServiceAccount %s", x.Namespace, x.Name, x.ServiceAccountName)
		}
		if x.NodeName != "" && !nodes[x.NodeName] {
			t.Errorf("pod %s/%s on a missing node %s", x.Namespace, x.Name, x.NodeName)
		}
	}
	if want := 4 * min(3, cfg.Nodes); mirror != want {
		t.Errorf("%d mirror pods, want %d", mirror, want)
	}
	for _, s := range p.Secrets {
		if !sas[s.Namespace+"/"+s.ServiceAccountName] || s.Type != rbac.SecretTypeServiceAccountToken {
			t.Errorf("token Secret %s/%s of a missing ServiceAccount %q (type %s)", s.Namespace, s.Name, s.ServiceAccountName, s.Type)
		}
	}
	missing := 0
	for _, list := range [][]*rbac.Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			for _, s := range b.Subjects {
				if s.Kind != rbac.KindServiceAccount {
					continue
				}
				ns := s.Namespace
				if ns == "" {
					ns = b.Namespace
				}
				if !sas[ns+"/"+s.Name] {
					missing++
				}
			}
		}
	}
	if missing != cfg.MissingSubjects {
		t.Errorf("%d ServiceAccount subjects missing, want %d", missing, cfg.MissingSubjects)
	}
}

// TestScenarios: the escalation scenarios hold as the authorizer sees them.
func TestScenarios(t *testing.T) {
	p := load(t, generate(t, small(), 3))
	allowed := func(user string, groups []string, req rbac.Request) bool {
		req.User, req.Groups = user, groups
		ok, _ := p.Allowed(req)
		return ok
	}
	sa := rbac.ServiceAccountUsername
	for _, c := range []struct {
		name   string
		user   string
		groups []string
		req    rbac.Request
		want   bool
	}{
		{"carol mints builder's token", "carol.tanaka@example.com", nil, rbac.Request{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "builder", Namespace: "tools"}, true},
		{"carol mints no other token", "carol.tanaka@example.com", nil, rbac.Request{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "rbac-manager", Namespace: "tools"}, false},
		{"builder creates pods in ci", sa("tools", "builder"), nil, rbac.Request{Verb: "create", Resource: "pods", Namespace: "ci"}, true},
		{"deployer creates pods in ops", sa("ci", "deployer"), nil, rbac.Request{Verb: "create", Resource: "pods", Namespace: "ops"}, true},
		{"ops-admin is cluster-admin", sa("ops", "ops-admin"), nil, rbac.Request{Verb: "*", APIGroup: "*", Resource: "*"}, true},
		{"argocd controller holds everything", sa("argocd", "argocd-application-controller"), nil, rbac.Request{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true},
		{"sre proxies to kubelets", "erin.kim@example.com", []string{"sre"}, rbac.Request{Verb: "create", Resource: "nodes", Subresource: "proxy", Name: "x"}, true},
		{"support impersonates ServiceAccounts", "x", []string{"oidc:support-engineers"}, rbac.Request{Verb: "impersonate", Resource: "serviceaccounts", Namespace: "ops", Name: "ops-admin"}, true},
		{"csr-bot approves client certificates", sa("tools", "csr-bot"), nil, rbac.Request{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"}, true},
		{"kube-state-metrics lists secrets", sa("monitoring", "kube-state-metrics"), nil, rbac.Request{Verb: "list", Resource: "secrets"}, true},
		{"anonymous reads /healthz", rbac.Anonymous, nil, rbac.Request{Verb: "get", Path: "/healthz"}, true},
		{"anyone authenticated reads /metrics", "someone", nil, rbac.Request{Verb: "get", Path: "/metrics"}, true},
		{"admin aggregates custom resources", "nobody", []string{"oidc:platform-admins"}, rbac.Request{Verb: "delete", APIGroup: "cert-manager.io", Resource: "certificates", Namespace: "x"}, true},
		{"nobody else is cluster-admin", "mallory", nil, rbac.Request{Verb: "delete", Resource: "nodes"}, false},
	} {
		if got := allowed(c.user, c.groups, c.req); got != c.want {
			t.Errorf("%s: allowed = %v, want %v", c.name, got, c.want)
		}
	}
	for _, name := range []string{"admin", "edit", "view", "platform:monitoring-reader", "platform:debugger"} {
		r := p.ClusterRole(name)
		if r == nil || r.AggregationRule == nil || len(r.Rules) == 0 || r.Aggregated {
			t.Errorf("ClusterRole %s: want stored aggregated rules, got %+v", name, r)
		}
	}
	if r := p.ClusterRole("edit"); r == nil || !r.Default {
		t.Errorf("edit is not recognised as a Kubernetes default: %+v", r)
	}
}

// TestDeterministic: one seed, one dump; another seed, another dump.
func TestDeterministic(t *testing.T) {
	cfg := small()
	a, b, c := generate(t, cfg, 11), generate(t, cfg, 11), generate(t, cfg, 12)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same output")
	}
}

func TestTooSmall(t *testing.T) {
	cfg := small()
	cfg.ClusterRoles = 10
	if err := rbacsynth.Generate(&bytes.Buffer{}, cfg, 1); err == nil || !strings.Contains(err.Error(), "ClusterRoles 10 <") {
		t.Errorf("err = %v, want one naming ClusterRoles", err)
	}
	cfg = small()
	cfg.Nodes = 0
	if err := rbacsynth.Generate(&bytes.Buffer{}, cfg, 1); err == nil {
		t.Error("no error for zero nodes")
	}
}

// BenchmarkLoadFiles: rbacdump.Load of the default cluster (the RBAC scale
// budget's), written to a temporary file once.
func BenchmarkLoadFiles(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cluster.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := rbacsynth.Generate(w, rbacsynth.Default(), 1); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var p *rbac.Policy
	for b.Loop() {
		p, err = rbacdump.Load(path)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Objects()), "objects")
}

// BenchmarkGenerate: writing the default cluster.
func BenchmarkGenerate(b *testing.B) {
	var n countingWriter
	for b.Loop() {
		n = 0
		if err := rbacsynth.Generate(&n, rbacsynth.Default(), 1); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(n))
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
