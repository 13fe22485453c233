package live

import (
	"context"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// CollectRBAC reads the cluster's RBAC model into s (read-only: roles,
// bindings, ServiceAccounts, Namespaces, Pods, Nodes, and token Secrets as
// metadata only, see rbac.LoadLive). Lists it may not do become Problems;
// when no RBAC object can be listed, s.RBACUnavailable says why and the
// RBAC checks report not-assessable.
func CollectRBAC(ctx context.Context, client kubernetes.Interface, meta metadata.Interface, s *inputs.Snapshot, progress func(resource string, items int)) {
	p, err := rbac.LoadLive(ctx, client, meta, rbac.LiveOptions{Progress: progress})
	if err != nil {
		s.RBAC, s.RBACUnavailable = nil, "cannot read the RBAC objects ("+err.Error()+"): grant the ClusterRole in deploy/rbac-readonly.yaml"
		return
	}
	for _, pr := range p.Problems {
		s.Problems = append(s.Problems, inputs.Problem(pr))
	}
	s.RBAC, s.RBACUnavailable = p, ""
}
