package authorization

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestNodeAuthorizer(t *testing.T) {
	ct.Table(t, NodeAuthorizer, []ct.Case{
		{Name: "default AlwaysAllow has no Node", Snap: ct.Snapshot(), Want: check.Fail},
		{Name: "kubeadm", Snap: ct.Snapshot("--authorization-mode=Node,RBAC"), Want: check.Pass},
		{Name: "accumulated", Snap: ct.Snapshot("--authorization-mode=RBAC", "--authorization-mode=Node"), Want: check.Pass},
		{Name: "NodeX is not Node", Snap: ct.Snapshot("--authorization-mode=NodeX,RBAC"), Want: check.Fail, Contains: "no Node authorizer"},
		{Name: "lower-case node is not Node", Snap: ct.Snapshot("--authorization-mode=node,RBAC"), Want: check.Fail},
		{Name: "config with Node", Snap: authz(nodeRBAC), Want: check.Pass},
		{Name: "config v1beta1 with Node", Snap: authz(v1beta1(nodeRBAC)), Want: check.Pass},
		{Name: "config without Node", Snap: authz(authzHead + "- type: RBAC\n  name: rbac\n"), Want: check.Fail},
		{Name: "config ignores the mode flag", Snap: authz(authzHead+"- type: RBAC\n  name: rbac\n", "--authorization-mode=Node,RBAC"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "config unknown field", Snap: authz(strings.Replace(nodeRBAC, "type: Node", "typ: Node", 1)), Want: check.Fail, Contains: "authz.yaml:4"},
		unreadable(),
		managed(),
	})
}

func TestRBACAuthorizer(t *testing.T) {
	ct.Table(t, RBACAuthorizer, []ct.Case{
		{Name: "default AlwaysAllow has no RBAC", Snap: ct.Snapshot(), Want: check.Fail},
		{Name: "kubeadm", Snap: ct.Snapshot("--authorization-mode=Node,RBAC"), Want: check.Pass},
		{Name: "RBACX is not RBAC", Snap: ct.Snapshot("--authorization-mode=Node,RBACX"), Want: check.Fail, Contains: "no RBAC authorizer"},
		{Name: "last wins does not apply to slices", Snap: ct.Snapshot("--authorization-mode=RBAC", "--authorization-mode=Node"), Want: check.Pass},
		{Name: "config with RBAC", Snap: authz(nodeRBAC), Want: check.Pass},
		{Name: "config v1beta1 without RBAC", Snap: authz(v1beta1(authzHead + "- type: Node\n  name: node\n")), Want: check.Fail},
		{Name: "config misspelt type value", Snap: authz(strings.Replace(nodeRBAC, "type: RBAC", "type: Rbac", 1)), Want: check.Fail, Contains: "no RBAC authorizer"},
		unreadable(),
		managed(),
	})
}
