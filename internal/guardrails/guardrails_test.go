package guardrails

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	authnv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func event(verb, group, resource, sub, ns, name, user string, groups []string, body string) *auditv1.Event {
	ev := &auditv1.Event{Verb: verb, AuditID: types.UID("id-" + resource + "-" + name), User: authnv1.UserInfo{Username: user, Groups: groups},
		ObjectRef: &auditv1.ObjectReference{APIGroup: group, APIVersion: "v1", Resource: resource, Subresource: sub, Namespace: ns, Name: name}}
	if body != "" {
		ev.RequestObject = &runtime.Unknown{Raw: []byte(body)}
	}
	return ev
}

// TestGuardrails: each policy, compiled and evaluated by kube-apiserver's
// own validating admission policy code, denies its escalation for a
// non-admin and lets admins, the control plane and benign writes through.
func TestGuardrails(t *testing.T) {
	admins := []Subject{{Kind: "Group", Name: "platform-admins"}, {Kind: "ServiceAccount", Namespace: "argocd", Name: "argocd-application-controller"}}
	set := Generate(Options{Action: Deny, Admins: admins, PowerfulRoles: PowerfulRoles([]RoleRules{
		{Name: "cluster-admin", Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}},
		{Name: "view", Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}}},
		{Namespace: "shop", Name: "binder", Rules: []rbacv1.PolicyRule{{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"bind", "create"}}}},
	})})
	r, err := NewReplayer(set.Policies)
	if err != nil {
		t.Fatal(err)
	}
	dev := []string{"dev", "system:authenticated"}
	crb := func(role string) string {
		return `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"x"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"` + role + `"},"subjects":[{"kind":"User","name":"eve"}]}`
	}
	pod := func(ns, spec string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"` + ns + `"},"spec":` + spec + `}`
	}
	for _, c := range []struct {
		name   string
		ev     *auditv1.Event
		policy string // "" allowed
	}{
		{"ClusterRoleBinding to cluster-admin", event("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x", "bob", dev, crb("cluster-admin")), "bindings-to-admin-power"},
		{"RoleBinding to a Role holding bind", event("create", "rbac.authorization.k8s.io", "rolebindings", "", "shop", "x", "bob", dev,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"x","namespace":"shop"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"binder"},"subjects":[{"kind":"User","name":"eve"}]}`), "bindings-to-admin-power"},
		{"binding to view", event("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x", "bob", dev, crb("view")), ""},
		{"an admin group binds cluster-admin", event("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x", "alice", []string{"platform-admins"}, crb("cluster-admin")), ""},
		{"the GitOps admin binds cluster-admin", event("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x", "system:serviceaccount:argocd:argocd-application-controller", nil, crb("cluster-admin")), ""},
		{"ClusterRole with escalate", event("update", "rbac.authorization.k8s.io", "clusterroles", "", "", "r", "bob", dev,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["escalate"]}]}`), "roles-gaining-escalation"},
		{"ClusterRole reading Secrets", event("create", "rbac.authorization.k8s.io", "clusterroles", "", "", "r", "bob", dev,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]}`), "roles-gaining-escalation"},
		{"the aggregation controller writes an aggregated role", event("update", "rbac.authorization.k8s.io", "clusterroles", "", "", "admin", "system:serviceaccount:kube-system:clusterrole-aggregation-controller", nil,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"admin"},"rules":[{"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]}]}`), ""},
		{"a Role reading Secrets in its namespace", event("create", "rbac.authorization.k8s.io", "roles", "", "shop", "r", "bob", dev,
			`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r","namespace":"shop"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}`), ""},
		{"privileged pod in kube-system", event("create", "", "pods", "", "kube-system", "p", "bob", dev, pod("kube-system", `{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}`)), "host-access-in-system-namespaces"},
		{"hostPath DaemonSet in kube-system", event("create", "apps", "daemonsets", "", "kube-system", "d", "bob", dev,
			`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d","namespace":"kube-system"},"spec":{"template":{"spec":{"volumes":[{"name":"r","hostPath":{"path":"/"}}],"containers":[{"name":"c","image":"x"}]}}}}`), "host-access-in-system-namespaces"},
		{"hostPID CronJob in kube-system", event("create", "batch", "cronjobs", "", "kube-system", "c", "bob", dev,
			`{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"kube-system"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]}}}}}}`), "host-access-in-system-namespaces"},
		{"privileged pod in an app namespace", event("create", "", "pods", "", "shop", "p", "bob", dev, pod("shop", `{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}`)), ""},
		{"mirror pod of a static pod, by its node", event("create", "", "pods", "", "kube-system", "kube-apiserver-n1", "system:node:n1", []string{"system:nodes"}, pod("kube-system", `{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}`)), ""},
		{"legacy token Secret", event("create", "", "secrets", "", "shop", "t", "bob", dev,
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"t","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}`), "legacy-token-secrets"},
		{"an Opaque Secret", event("create", "", "secrets", "", "shop", "s", "bob", dev, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"Opaque"}`), ""},
		{"client CSR approved", event("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "c", "bob", dev,
			`{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"c"},"spec":{"signerName":"kubernetes.io/kube-apiserver-client","request":"LS0t","usages":["client auth"]},"status":{"conditions":[{"type":"Approved","status":"True"}]}}`), "client-certificate-approvals"},
		{"kubelet CSR approved by the controller", event("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "c", "system:serviceaccount:kube-system:certificate-controller", nil,
			`{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"c"},"spec":{"signerName":"kubernetes.io/kube-apiserver-client-kubelet","request":"LS0t","usages":["client auth"]},"status":{"conditions":[{"type":"Approved","status":"True"}]}}`), ""},
		{"webhook deleted", event("delete", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "gatekeeper", "bob", dev, ""), "admission-webhooks"},
		{"namespace set to privileged", event("update", "", "namespaces", "", "", "shop", "bob", dev,
			`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), "pod-security-labels"},
		{"namespace set to restricted", event("update", "", "namespaces", "", "", "shop", "bob", dev,
			`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"pod-security.kubernetes.io/enforce":"restricted"}}}`), ""},
		{"a Deployment in an app namespace", event("create", "apps", "deployments", "", "shop", "w", "bob", dev,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","namespace":"shop"},"spec":{"template":{"spec":{"containers":[{"name":"w","image":"nginx"}]}}}}`), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := r.Judge(context.Background(), c.ev)
			if !v.Judged {
				t.Fatal("not judged")
			}
			d := v.Denials
			switch {
			case c.policy == "" && len(d) > 0:
				t.Errorf("denied: %v", d)
			case c.policy != "" && (len(d) != 1 || d[0].Policy != "apiguard-guardrail-"+c.policy):
				t.Errorf("denials %v, want one by %s", d, c.policy)
			case c.policy != "" && !strings.HasPrefix(d[0].Message, "apiguard guardrail: "):
				t.Errorf("message %q", d[0].Message)
			}
		})
	}
}

func TestParseSubjectAndAction(t *testing.T) {
	for in, want := range map[string]Subject{
		"user:alice": {Kind: "User", Name: "alice"}, "group:ops": {Kind: "Group", Name: "ops"},
		"sa:argocd/ctrl": {Kind: "ServiceAccount", Namespace: "argocd", Name: "ctrl"}, "system:serviceaccount:ci:d": {Kind: "ServiceAccount", Namespace: "ci", Name: "d"},
	} {
		if got, err := ParseSubject(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"alice", "sa:argocd", "user:", "system:serviceaccount:x"} {
		if _, err := ParseSubject(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := ParseAction("block"); err == nil {
		t.Error("--action block accepted")
	}
}

// FuzzReadPolicies: any file gives policies or an error naming the document.
func FuzzReadPolicies(f *testing.F) {
	f.Add([]byte("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: a}\nspec: {validations: [{expression: 'true'}]}\n---\nkind: ValidatingAdmissionPolicyBinding\n"))
	f.Add([]byte("kind: [\n"))
	f.Add([]byte("{\"kind\":\"ValidatingAdmissionPolicy\",\"spec\":3}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ReadPolicies("p.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "p.yaml: ") {
				t.Errorf("error without the file: %v", err)
			}
			return
		}
		for _, p := range ps {
			if p.Kind != "ValidatingAdmissionPolicy" {
				t.Errorf("kind %q", p.Kind)
			}
			_, _ = NewReplayer([]admissionv1.ValidatingAdmissionPolicy{p})
		}
	})
}

// TestSelfProtection: the static policy refuses changes to the guardrails
// by anyone but the admins, and leaves other policies alone.
func TestSelfProtection(t *testing.T) {
	self := SelfProtection(Options{Action: Deny, Admins: []Subject{{Kind: "Group", Name: "platform-admins"}}})
	if !strings.HasSuffix(self.Policies[0].Name, ".static.k8s.io") || self.Bindings[0].Spec.PolicyName != self.Policies[0].Name {
		t.Fatalf("static names: %s %s", self.Policies[0].Name, self.Bindings[0].Spec.PolicyName)
	}
	r, err := NewReplayer(self.Policies)
	if err != nil {
		t.Fatal(err)
	}
	del := func(name, user string, groups ...string) []Denial {
		return r.Judge(context.Background(), event("delete", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", "", "", name, user, groups, "")).Denials
	}
	if d := del("apiguard-guardrail-admission-webhooks", "carol", "dev"); len(d) != 1 || !strings.Contains(d[0].Message, "is one of apiguard guardrails") {
		t.Errorf("carol deletes a guardrail: %v", d)
	}
	if d := del("apiguard-guardrail-admission-webhooks", "alice", "platform-admins"); len(d) != 0 {
		t.Errorf("an admin deletes a guardrail: %v", d)
	}
	if d := del("team-policy", "carol", "dev"); len(d) != 0 {
		t.Errorf("carol deletes her own policy: %v", d)
	}
	if !strings.Contains(StaticAdmissionConfig("/etc/kubernetes/apiguard/static"), "staticManifestsDir: /etc/kubernetes/apiguard/static\n") {
		t.Error("admission config")
	}
}
