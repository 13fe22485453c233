package authorization

import (
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const authzFlag = "--authorization-config=/etc/kubernetes/authz.yaml"

// authz builds a snapshot with --authorization-config pointing at yaml.
func authz(yaml string, args ...string) *inputs.Snapshot {
	s := ct.Snapshot(append([]string{authzFlag}, args...)...)
	return ct.File(s, "authorization-config", yaml)
}

func v1beta1(yaml string) string {
	return strings.Replace(yaml, "apiserver.config.k8s.io/v1\n", "apiserver.config.k8s.io/v1beta1\n", 1)
}

const nodeRBAC = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Node
  name: node
- type: RBAC
  name: rbac
`

const withAlwaysAllow = nodeRBAC + `- type: AlwaysAllow
  name: alwaysallow
`

const hookNoOpinion = `- type: Webhook
  name: policy.example.com
  webhook:
    timeout: 3s
    subjectAccessReviewVersion: v1
    failurePolicy: NoOpinion
    connectionInfo:
      type: KubeConfigFile
      kubeConfigFile: /etc/kubernetes/authz-webhook.kubeconfig
`

const authzHead = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
`

func managed() ct.Case {
	return ct.Case{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable, Contains: "GKE"}
}

func unreadable() ct.Case {
	return ct.Case{Name: "unreadable config", Snap: ct.Unavailable(ct.Snapshot(authzFlag), "authorization-config", "permission denied"), Want: check.NotAssessable, Contains: "permission denied"}
}
