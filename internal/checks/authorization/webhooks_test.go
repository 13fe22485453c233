package authorization

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestWebhooksFailClosedNoABAC(t *testing.T) {
	deny := strings.Replace(hookNoOpinion, "NoOpinion", "Deny", 1)
	ct.Table(t, WebhooksFailClosedNoABAC, []ct.Case{
		{Name: "kubeadm", Snap: ct.Snapshot("--authorization-mode=Node,RBAC"), Want: check.Pass, Contains: "no ABAC and no authorization webhook"},
		{Name: "ABAC mode", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,ABAC", "--authorization-policy-file=/etc/kubernetes/abac.jsonl"), Want: check.Fail, Contains: "ABAC"},
		{Name: "ABACX is not ABAC", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,ABACX"), Want: check.Pass, Contains: "refuses to start"},
		{Name: "policy file alone", Snap: ct.Snapshot("--authorization-mode=Node,RBAC", "--authorization-policy-file=/etc/kubernetes/abac.jsonl"), Want: check.Fail, Contains: "without mode ABAC"},
		{Name: "config ABAC", Snap: authz(nodeRBAC+"- type: ABAC\n  name: abac\n", "--authorization-policy-file=/etc/kubernetes/abac.jsonl"), Want: check.Fail, Contains: "ABAC authorizer"},
		{Name: "legacy webhook before RBAC", Snap: ct.Snapshot("--authorization-mode=Node,Webhook,RBAC", "--authorization-webhook-config-file=/etc/kubernetes/wh.kubeconfig"), Want: check.Warn, Contains: "fixed failurePolicy NoOpinion"},
		{Name: "legacy webhook last", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,Webhook", "--authorization-webhook-config-file=/etc/kubernetes/wh.kubeconfig"), Want: check.Pass},
		{Name: "legacy webhook before AlwaysAllow fails open", Snap: ct.Snapshot("--authorization-mode=Webhook,AlwaysAllow", "--authorization-webhook-config-file=/etc/kubernetes/wh.kubeconfig"), Want: check.Fail, Contains: "fails open"},
		{Name: "legacy webhook long ttl", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,Webhook", "--authorization-webhook-config-file=/etc/kubernetes/wh.kubeconfig", "--authorization-webhook-cache-authorized-ttl=1h"), Want: check.Warn, Contains: "1h0m0s"},
		{Name: "config NoOpinion before RBAC", Snap: authz(authzHead + "- type: Node\n  name: node\n" + hookNoOpinion + "- type: RBAC\n  name: rbac\n"), Want: check.Pass, Contains: "fail safely"},
		{Name: "config NoOpinion then AlwaysAllow", Snap: authz(authzHead + hookNoOpinion + "- type: AlwaysAllow\n  name: alwaysallow\n"), Want: check.Fail, Contains: "fails open"},
		{Name: "config Deny before RBAC", Snap: authz(authzHead + deny + "- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n"), Want: check.Warn, Contains: "failurePolicy Deny ahead of Node, RBAC"},
		{Name: "config Deny last", Snap: authz(nodeRBAC + deny), Want: check.Pass},
		{Name: "config long authorizedTTL", Snap: authz(nodeRBAC + hookNoOpinion + "    authorizedTTL: 30m\n"), Want: check.Warn, Contains: "30m0s"},
		{Name: "config long TTL but caching off", Snap: authz(nodeRBAC + hookNoOpinion + "    authorizedTTL: 30m\n    cacheAuthorizedRequests: false\n"), Want: check.Pass},
		{Name: "config v1beta1 NoOpinion then AlwaysAllow", Snap: authz(v1beta1(authzHead + hookNoOpinion + "- type: AlwaysAllow\n  name: alwaysallow\n")), Want: check.Fail},
		{Name: "config unknown webhook field", Snap: authz(nodeRBAC + strings.Replace(hookNoOpinion, "failurePolicy", "failurePolicyy", 1)), Want: check.Fail, Contains: "authz.yaml:13"},
		unreadable(),
		managed(),
	})
}

func TestWebhookSeverityAndLocation(t *testing.T) {
	f := ct.One(t, WebhooksFailClosedNoABAC, authz(nodeRBAC+hookNoOpinion+"    authorizedTTL: 30m\n"))
	if f.Severity != check.Low {
		t.Fatalf("severity = %s", f.Severity)
	}
	if f.Location == nil || f.Location.Line != 17 {
		t.Fatalf("location = %+v", f.Location)
	}
	g := ct.One(t, WebhooksFailClosedNoABAC, authz(authzHead+hookNoOpinion+"- type: AlwaysAllow\n  name: alwaysallow\n"))
	if g.Severity != check.Medium || g.Location == nil || g.Location.Line != 9 {
		t.Fatalf("severity %s location %+v", g.Severity, g.Location)
	}
}
