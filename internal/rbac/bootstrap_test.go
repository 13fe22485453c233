package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func loadBootstrap(t *testing.T, mutate func(crs []rbacv1.ClusterRole, crbs []rbacv1.ClusterRoleBinding, rs []rbacv1.Role, rbs []rbacv1.RoleBinding) []runtime.Object) *Policy {
	t.Helper()
	crs, crbs, rs, rbs := BootstrapObjects()
	var objs []runtime.Object
	if mutate != nil {
		objs = mutate(crs, crbs, rs, rbs)
	}
	objs = append(objs, &rbacv1.ClusterRoleList{Items: crs}, &rbacv1.ClusterRoleBindingList{Items: crbs}, &rbacv1.RoleList{Items: rs}, &rbacv1.RoleBindingList{Items: rbs})
	return Load(objs...)
}

func TestBootstrapIsDefault(t *testing.T) {
	p := loadBootstrap(t, nil)
	if len(p.ClusterRoles) < 60 || len(p.ClusterRoleBindings) < 40 || len(p.Roles) == 0 || len(p.RoleBindings) == 0 {
		t.Fatalf("bootstrap policy too small: %d %d %d %d", len(p.ClusterRoles), len(p.ClusterRoleBindings), len(p.Roles), len(p.RoleBindings))
	}
	for _, r := range append(append([]*Role{}, p.ClusterRoles...), p.Roles...) {
		if !r.Default {
			t.Errorf("%s not default: %s", r, r.DefaultNote)
		}
	}
	for _, b := range append(append([]*Binding{}, p.ClusterRoleBindings...), p.RoleBindings...) {
		if !b.Default {
			t.Errorf("%s not default: %s", b, b.DefaultNote)
		}
	}
	if len(p.Problems) != 0 {
		t.Errorf("problems: %s", problems(p))
	}
	// Facts of a fresh v1.36 cluster, through the engine.
	for _, c := range []struct {
		req  Request
		want bool
	}{
		{Request{User: "system:anonymous", Verb: "get", Path: "/healthz"}, true}, // system:public-info-viewer
		{Request{User: "system:anonymous", Verb: "get", Path: "/version"}, true}, // system:public-info-viewer
		{Request{User: "system:anonymous", Verb: "get", Path: "/api"}, false},    // system:discovery is authenticated only
		{Request{User: "alice", Verb: "get", Path: "/apis/apps/v1"}, true},       // system:discovery
		{Request{User: "alice", Verb: "create", APIGroup: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, true},
		{Request{User: "alice", Verb: "list", Resource: "pods", Namespace: "default"}, false},
		{Request{User: "system:kube-scheduler", Verb: "create", Resource: "pods", Subresource: "binding", Namespace: "x"}, true},
		{Request{User: "system:kube-controller-manager", Verb: "get", Resource: "secrets", Namespace: "kube-system", Name: "x"}, true},
		{Request{User: "system:serviceaccount:kube-system:replicaset-controller", Verb: "create", Resource: "pods", Namespace: "x"}, true},
		{Request{User: "system:serviceaccount:kube-system:replicaset-controller", Verb: "get", Resource: "secrets", Namespace: "x"}, false},
		{Request{User: "system:serviceaccount:kube-system:bootstrap-signer", Verb: "update", Resource: "configmaps", Namespace: "kube-public", Name: "cluster-info"}, true},
		{Request{User: "x", Groups: l("system:bootstrappers"), Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"}, false}, // kubeadm binds it, not the server
	} {
		if ok, g := p.Allowed(c.req); ok != c.want {
			t.Errorf("%+v: %v %v, want %v", c.req, ok, g, c.want)
		}
	}
	// admin, edit and view are computed from the system:aggregate-to-* roles.
	edit := p.ClusterRole("edit")
	if !edit.Aggregated || len(edit.Rules) < 10 {
		t.Fatalf("edit: aggregated %v, %d rules", edit.Aggregated, len(edit.Rules))
	}
	p2 := Load(&rbacv1.ClusterRoleList{Items: mustBootstrapRoles()}, crb("e", "edit", user("ed")), crb("v", "view", user("vi")), crb("a", "admin", user("ad")))
	for _, c := range []struct {
		user, verb, group, res, sub string
		want                        bool
	}{
		{"ed", "create", "apps", "deployments", "", true},
		{"ed", "create", "", "pods", "exec", true},
		{"ed", "get", "", "secrets", "", true},
		{"ed", "create", "rbac.authorization.k8s.io", "rolebindings", "", false},
		{"ad", "create", "rbac.authorization.k8s.io", "rolebindings", "", true},
		{"vi", "get", "", "secrets", "", false},
		{"vi", "list", "apps", "deployments", "", true},
	} {
		if ok, _ := p2.Allowed(Request{User: c.user, Verb: c.verb, APIGroup: c.group, Resource: c.res, Subresource: c.sub, Namespace: "ns"}); ok != c.want {
			t.Errorf("%s %s %s/%s: %v, want %v", c.user, c.verb, c.res, c.sub, ok, c.want)
		}
	}
}

func mustBootstrapRoles() []rbacv1.ClusterRole {
	crs, _, _, _ := BootstrapObjects()
	return crs
}

func TestBootstrapModified(t *testing.T) {
	p := loadBootstrap(t, func(crs []rbacv1.ClusterRole, crbs []rbacv1.ClusterRoleBinding, rs []rbacv1.Role, rbs []rbacv1.RoleBinding) []runtime.Object {
		for i := range crbs {
			switch crbs[i].Name {
			case "cluster-admin":
				crbs[i].Subjects = append(crbs[i].Subjects, user("mallory"))
			case "system:discovery":
				crbs[i].Subjects = nil // fewer subjects: still the default (the server re-adds them)
			case "system:basic-user":
				crbs[i].Labels, crbs[i].Annotations = nil, nil
			}
		}
		for i := range crs {
			switch crs[i].Name {
			case "system:node-proxier":
				crs[i].Rules = append(crs[i].Rules, rule(l("get"), l(""), l("secrets")))
			case "system:discovery":
				crs[i].Rules = crs[i].Rules[:1] // an older release's subset
			case "system:public-info-viewer":
				crs[i].Annotations = map[string]string{AutoupdateAnnotation: "false"}
			case "view":
				crs[i].AggregationRule.ClusterRoleSelectors[0].MatchLabels = map[string]string{"anything": "true"}
			}
		}
		return []runtime.Object{
			&rbacv1.ClusterRole{ObjectMeta: metaLabels("system:fake-default", map[string]string{BootstrapLabel: BootstrapLabelValue})},
		}
	})
	for _, c := range []struct {
		what, note string
		def        bool
	}{
		{"ClusterRoleBinding cluster-admin", "has subjects the Kubernetes v1.36 default does not (User mallory); counted as user-made", false},
		{"ClusterRoleBinding system:discovery", "Kubernetes default (bootstrap policy)", true},
		{"ClusterRoleBinding system:basic-user", "has the name of a Kubernetes default but not its bootstrap label or autoupdate annotation; counted as user-made", false},
		{"ClusterRole system:node-proxier", `grants more than the Kubernetes v1.36 default ({APIGroups:[""], Resources:["secrets"], Verbs:["get"]}); counted as user-made`, false},
		{"ClusterRole system:discovery", "Kubernetes default (bootstrap policy)", true},
		{"ClusterRole system:public-info-viewer", "Kubernetes default (bootstrap policy); autoupdate is off, so kube-apiserver no longer reconciles it", true},
		{"ClusterRole view", "its aggregationRule differs from the Kubernetes v1.36 default; counted as user-made", false},
		{"ClusterRole system:fake-default", "carries the bootstrap label or autoupdate annotation but is not a Kubernetes v1.36 default; counted as user-made", false},
	} {
		def, note, found := false, "", false
		for _, r := range p.ClusterRoles {
			if r.String() == c.what {
				def, note, found = r.Default, r.DefaultNote, true
			}
		}
		for _, b := range p.ClusterRoleBindings {
			if b.String() == c.what {
				def, note, found = b.Default, b.DefaultNote, true
			}
		}
		if !found || def != c.def || note != c.note {
			t.Errorf("%s: found %v default %v note %q\nwant default %v note %q", c.what, found, def, note, c.def, c.note)
		}
	}
	// User-made objects carry no note.
	p = Load(clusterRole("mine", rule(l("get"), l(""), l("pods"))))
	if r := p.ClusterRole("mine"); r.Default || r.DefaultNote != "" {
		t.Errorf("mine: %v %q", r.Default, r.DefaultNote)
	}
	if !strings.HasPrefix(BootstrapVersion, "v1.") {
		t.Error(BootstrapVersion)
	}
}

func metaLabels(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}
