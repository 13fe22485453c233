package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/rbac"
)

// TestParseRBACRequest: how a question becomes the authorizer's request,
// the notes that say so, and the input errors.
func TestParseRBACRequest(t *testing.T) {
	cases := []struct {
		name  string
		q     RBACQuestion
		want  rbac.Request
		notes string
		err   string
	}{
		{"namespaced", RBACQuestion{Verb: "get", Resource: "pods/log", Namespace: "dev"},
			rbac.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "dev"}, "", ""},
		{"group inferred", RBACQuestion{Verb: "create", Resource: "deployments", Name: "web", Namespace: "ci"},
			rbac.Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Name: "web", Namespace: "ci"}, "deployments means deployments.apps, the built-in resource's group", ""},
		{"subresource flag", RBACQuestion{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "p"},
			rbac.Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "p"}, "", ""},
		{"subresource twice", RBACQuestion{Verb: "create", Resource: "pods/exec", Subresource: "attach"}, rbac.Request{}, "", "subresource given twice (pods/exec and --subresource attach)"},
		{"URL ignores -n", RBACQuestion{Verb: "get", Resource: "/healthz", Namespace: "x"},
			rbac.Request{Verb: "get", Path: "/healthz"}, "-n is ignored for the non-resource URL /healthz: only ClusterRoleBindings grant URLs", ""},
		{"URL with a name", RBACQuestion{Verb: "get", Resource: "/healthz", Name: "x"}, rbac.Request{}, "", "a non-resource URL (/healthz) takes no NAME and no --subresource"},
		{"namespace object is in itself", RBACQuestion{Verb: "get", Resource: "namespaces", Name: "dev", Namespace: "prod"},
			rbac.Request{Verb: "get", Resource: "namespaces", Name: "dev", Namespace: "dev"}, "a request for namespace dev is in namespace dev; -n prod is ignored", ""},
		{"cluster-scoped ignores -n", RBACQuestion{Verb: "list", Resource: "nodes", Namespace: "dev"},
			rbac.Request{Verb: "list", Resource: "nodes"}, "nodes is cluster-scoped: -n is ignored (RoleBindings never grant it)", ""},
		{"empty verb", RBACQuestion{Resource: "pods"}, rbac.Request{}, "", "VERB is empty"},
		{"bad resource", RBACQuestion{Verb: "get", Resource: "pods/"}, rbac.Request{}, "", "RESOURCE "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, notes, err := ParseRBACRequest(c.q)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) || !IsInput(err) {
					t.Fatalf("error %v, want an input error starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Verb != c.want.Verb || req.APIGroup != c.want.APIGroup || req.Resource != c.want.Resource || req.Subresource != c.want.Subresource ||
				req.Name != c.want.Name || req.Namespace != c.want.Namespace || req.Path != c.want.Path {
				t.Errorf("request %+v, want %+v", req, c.want)
			}
			if got := strings.Join(notes, "\n"); got != c.notes {
				t.Errorf("notes %q, want %q", got, c.notes)
			}
		})
	}
}

func TestParseRBACSubject(t *testing.T) {
	for in, want := range map[string]rbac.Subject{
		"user:alice":                       {Kind: rbac.KindUser, Name: "alice"},
		"G:system:authenticated":           {Kind: rbac.KindGroup, Name: "system:authenticated"},
		"sa:ci/deployer":                   {Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "deployer"},
		"serviceaccount:ci/deployer":       {Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "deployer"},
		"system:serviceaccount:ci:builder": {Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "builder"},
	} {
		got, err := ParseRBACSubject(in)
		if err != nil || got.Kind != want.Kind || got.Name != want.Name || got.Namespace != want.Namespace {
			t.Errorf("%s: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"alice", "user:", "sa:ci", "sa:ci/a/b", "sa:/x", "robot:x"} {
		if _, err := ParseRBACSubject(in); err == nil || !IsInput(err) {
			t.Errorf("%s: error %v, want an input error", in, err)
		}
	}
}

const clusterDump = "../cli/testdata/rbac/cluster.yaml"

// TestRBACQueries runs each use case on the cli's golden dump.
func TestRBACQueries(t *testing.T) {
	ctx := context.Background()
	in := RBACInput{From: []string{clusterDump}}
	req, _, err := ParseRBACRequest(RBACQuestion{Verb: "get", Resource: "pods", Namespace: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	req.User = "alice"
	canI, err := RBACCanI(ctx, RBACCanIOptions{Input: in, Request: req})
	if err != nil || !canI.Allowed || len(canI.Grants) == 0 || canI.Policy.Builtins.Count() == 0 {
		t.Fatalf("can-i: %+v, %v", canI, err)
	}
	alone, err := RBACCanI(ctx, RBACCanIOptions{Input: RBACInput{From: in.From, NoBuiltins: true}, Request: req})
	if err != nil || alone.Policy.Builtins.Count() != 0 {
		t.Fatalf("--no-builtin-roles: %+v, %v", alone, err)
	}
	whoCan, err := RBACWhoCan(ctx, RBACWhoCanOptions{Input: in, Request: req})
	if err != nil || !hasSubject(whoCan.Subjects, rbac.KindUser, "alice") {
		t.Fatalf("who-can: %+v, %v", whoCan, err)
	}
	alice := rbac.Subject{Kind: rbac.KindUser, Name: "alice"} // a RoleBinding in dev
	all, err := RBACPolicy(ctx, RBACPolicyOptions{Input: in, Subject: alice})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := RBACPolicy(ctx, RBACPolicyOptions{Input: in, Subject: alice, Namespace: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range prod.Rules {
		if r.Namespace != "" && r.Namespace != "prod" {
			t.Errorf("-n prod kept a rule of %s", r.Namespace)
		}
	}
	if len(prod.Rules) == 0 || len(prod.Rules) >= len(all.Rules) {
		t.Errorf("policy: %d rules, %d in prod", len(all.Rules), len(prod.Rules))
	}
	admins, err := RBACAdmins(ctx, RBACAdminsOptions{Input: in})
	if err != nil || len(admins.Admins) == 0 || admins.Gap != "" {
		t.Fatalf("admins: %+v, %v", admins, err)
	}
	masters := rbac.Subject{Kind: rbac.KindGroup, Name: rbac.PrivilegedGroup}
	paths, err := RBACPaths(ctx, RBACPathsOptions{Input: in, Subject: masters})
	if err != nil || len(paths.Paths) == 0 || paths.Subject.Name != rbac.PrivilegedGroup {
		t.Fatalf("paths: %+v, %v", paths, err)
	}
}

func hasSubject(subjects []rbac.Subject, kind, name string) bool {
	for _, s := range subjects {
		if s.Kind == kind && s.Name == name {
			return true
		}
	}
	return false
}

// TestRBACInputErrors: what cannot be read is an input error (exit 2),
// named as the cli names it.
func TestRBACInputErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		in   RBACInput
		want string
	}{
		{"missing dump", RBACInput{From: []string{"testdata/does-not-exist.yaml"}}, "does-not-exist.yaml"},
		{"no RBAC", RBACInput{From: []string{"../cli/testdata/no-apiserver.yaml"}}, "no RBAC objects found"},
		{"no kubeconfig", RBACInput{Cluster: func() (*rest.Config, error) { return nil, errors.New("no context") }},
			"no input: give --from DUMP, or a kubeconfig context (no context)"},
		{"no cluster", RBACInput{}, "no input: give --from DUMP, or a kubeconfig context"},
		{"unreachable", RBACInput{Cluster: func() (*rest.Config, error) { return &rest.Config{Host: "http://127.0.0.1:1"}, nil },
			ClusterName: func(host string) string { return "context lab (" + host + ")" }}, "context lab (http://127.0.0.1:1): "},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := RBACAdmins(ctx, RBACAdminsOptions{Input: c.in})
			if err == nil || !IsInput(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want an input error with %q", err, c.want)
			}
		})
	}
}
