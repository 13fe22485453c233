package report

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/rbacusage"
)

// TestRBACMinimizeRoundTrip renders the minimized roles, decodes them with
// client-go's deserializer, builds an RBAC model of them alone and asks it:
// every used request is allowed, and what the subject holds today but did
// not use is not.
func TestRBACMinimizeRoundTrip(t *testing.T) {
	held, err := rbacdump.LoadWith(rbac.FileOptions{NoBuiltins: true}, "../rbacusage/testdata/minimize.yaml")
	if err != nil {
		t.Fatal(err)
	}
	user := rbacusage.SubjectKey{Kind: "User", Name: "min"}
	used := []rbacusage.UsedRequest{
		{Verb: "get", Resource: "pods", Namespace: "dev", Name: "a"},
		{Verb: "list", Resource: "pods", Namespace: "dev"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "dev", Name: "a"},
		{Verb: "list", Resource: "pods"},
		{Verb: "get", Resource: "nodes", Name: "n1"},
		{Verb: "create", Resource: "secrets", Namespace: "prod", Name: "s"},
		{Verb: "update", Resource: "configmaps", Namespace: "prod", Name: "c"},
		{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "prod", Name: "web"},
		{Verb: "get", Path: "/metrics"},
	}
	unused := []rbac.Request{
		{Verb: "get", Resource: "pods", Namespace: "dev", Name: "b"},
		{Verb: "delete", Resource: "pods", Namespace: "dev", Name: "a"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "prod", Name: "a"},
		{Verb: "watch", Resource: "pods"},
		{Verb: "get", Resource: "nodes", Name: "n2"},
		{Verb: "list", Resource: "nodes"},
		{Verb: "get", Resource: "secrets", Namespace: "prod", Name: "s"},
		{Verb: "update", Resource: "configmaps", Namespace: "dev", Name: "c"},
		{Verb: "get", APIGroup: "apps", Resource: "deployments", Namespace: "prod", Name: "web"},
		{Verb: "get", Path: "/healthz"},
	}
	u := &rbacusage.Used{Subject: user}
	for _, r := range used {
		u.Requests = append(u.Requests, rbacusage.UsedCount{UsedRequest: r, Requests: 1})
	}
	m := rbacusage.Minimize(rbacusage.MinimizeInput{Policy: held, Used: u})
	if len(m.NotHeld) > 0 {
		t.Fatalf("not held: %q", m.NotHeld)
	}
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			render := RBACMinimizeYAML
			if format == "json" {
				render = RBACMinimizeJSON
			}
			if err := render(&buf, m); err != nil {
				t.Fatal(err)
			}
			decode := scheme.Codecs.UniversalDeserializer().Decode
			obj, _, err := decode(buf.Bytes(), nil, nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			list, ok := obj.(*corev1.List)
			if !ok {
				t.Fatalf("decoded %T, want a v1 List", obj)
			}
			var objs []runtime.Object
			for _, it := range list.Items {
				o, _, err := decode(it.Raw, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, o)
			}
			if len(objs) != len(m.Objects()) {
				t.Fatalf("%d objects decoded, %d rendered", len(objs), len(m.Objects()))
			}
			p := rbac.Load(objs...)
			if len(p.Problems) > 0 {
				t.Errorf("problems: %v", p.Problems)
			}
			for _, r := range used {
				req := rbac.Request{User: "min", Verb: r.Verb, APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource,
					Namespace: r.Namespace, Name: r.Name, Path: r.Path}
				if ok, _ := p.Allowed(req); !ok {
					t.Errorf("used %+v: denied by the minimized roles", req)
				}
			}
			for _, req := range unused {
				if ok, _ := held.Allowed(withUser(req)); !ok {
					t.Fatalf("fixture: %+v is not held today", req)
				}
				if ok, g := p.Allowed(withUser(req)); ok {
					t.Errorf("unused %+v: allowed by %v", req, g)
				}
			}
		})
	}
}

func withUser(r rbac.Request) rbac.Request { r.User = "min"; return r }

func TestRBACMinimizeEmpty(t *testing.T) {
	m := rbacusage.Minimize(rbacusage.MinimizeInput{Policy: rbac.Load(), Used: &rbacusage.Used{Subject: rbacusage.SubjectKey{Kind: "User", Name: "x"}}})
	var buf bytes.Buffer
	if err := RBACMinimizeYAML(&buf, m); err != nil {
		t.Fatal(err)
	}
	if want := "apiVersion: v1\nitems: []\nkind: List\nmetadata: {}\n"; buf.String() != want {
		t.Errorf("%q, want %q", buf.String(), want)
	}
}
