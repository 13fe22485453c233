package live

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/internal/rbac"
)

// CollectRBAC reads the cluster's RBAC model into s (read-only: roles,
// bindings, ServiceAccounts, Namespaces, Pods, Nodes, and token Secrets as
// metadata only through secretmeta, see rbac.LoadLive). Lists it may not
// do become Problems; when no RBAC object can be listed, s.RBACUnavailable
// says why and the RBAC checks report not-assessable. Token Secrets the
// credential may not list (no opt-in role) leave
// s.RBAC.SecretsUnavailable set.
func CollectRBAC(ctx context.Context, client kubernetes.Interface, s *inputs.Snapshot, progress func(resource string, items int)) {
	secrets, err := secretmeta.ForClientset(client)
	if err != nil {
		secrets = nil // LoadLive says so; Secrets are listed no other way
	}
	p, err := rbac.LoadLive(ctx, client, secrets, rbac.LiveOptions{Progress: progress})
	if err != nil {
		s.RBAC, s.RBACUnavailable = nil, "cannot read the RBAC objects ("+err.Error()+"): grant the ClusterRole in deploy/rbac-readonly.yaml"
		return
	}
	s.Problems = append(s.Problems, p.Problems...)
	s.RBAC, s.RBACUnavailable = p, ""
}
