package rbac

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
)

// pageSize is the Limit of every live list; Continue tokens fetch the rest.
const pageSize = 500

// LiveOptions tune LoadLive.
type LiveOptions struct {
	// Progress, when set, is called after every page with the resource
	// being listed and how many of its items have been read so far.
	Progress func(resource string, items int)
}

// LoadLive lists the engine's objects from a cluster, read-only: RBAC
// roles and bindings, ServiceAccounts, Namespaces, Pods, Nodes, and, with
// a Secret lister, the metadata of token Secrets (secretmeta: by type,
// metadata only, full objects refused). Every list is paginated. A list
// the reader may not do (forbidden) or that fails is a Problem; the error
// is for a cluster from which no RBAC object could be listed at all.
//
// Token Secrets need the opt-in Secret-inventory role. Without it (or
// without a lister) the model has none and Policy.SecretsUnavailable says
// why: the paths through legacy token Secrets are not assessed, the rest
// of the model is whole, and no Problem is recorded for the expected
// refusal.
func LoadLive(ctx context.Context, client kubernetes.Interface, secrets *secretmeta.Lister, opts LiveOptions) (*Policy, error) {
	b := NewBuilder()
	var failed []string
	note := func(what string, err error) bool {
		if err == nil {
			return true
		}
		failed = append(failed, what+": "+reason(err))
		b.Problem(what, "cannot list ("+reason(err)+"): the model lacks them, answers may be incomplete")
		return false
	}
	list := func(resource string, page func(metav1.ListOptions) (string, int, error)) bool {
		return note(resource, paginate(ctx, resource, opts.Progress, page))
	}
	rbacListed := 0
	for _, ok := range []bool{
		list("clusterroles", addPages(ctx, b, client.RbacV1().ClusterRoles().List)),
		list("clusterrolebindings", addPages(ctx, b, client.RbacV1().ClusterRoleBindings().List)),
		list("roles", addPages(ctx, b, client.RbacV1().Roles(metav1.NamespaceAll).List)),
		list("rolebindings", addPages(ctx, b, client.RbacV1().RoleBindings(metav1.NamespaceAll).List)),
	} {
		if ok {
			rbacListed++
		}
	}
	if rbacListed == 0 {
		return nil, fmt.Errorf("cannot list any RBAC object: %s", joinReasons(failed))
	}

	list("serviceaccounts", addPages(ctx, b, client.CoreV1().ServiceAccounts(metav1.NamespaceAll).List))
	list("namespaces", addPages(ctx, b, client.CoreV1().Namespaces().List))
	list("pods", addPages(ctx, b, client.CoreV1().Pods(metav1.NamespaceAll).List))
	list("nodes", addPages(ctx, b, client.CoreV1().Nodes().List))
	if secrets == nil {
		b.SecretsUnavailable("no metadata-only Secret lister was given for this connection, and apiguard lists Secrets no other way")
	} else {
		for _, q := range []struct{ ns, typ string }{
			{metav1.NamespaceAll, SecretTypeServiceAccountToken},
			{metav1.NamespaceSystem, SecretTypeBootstrapToken},
		} {
			var progress func(int)
			if opts.Progress != nil {
				progress = func(n int) { opts.Progress("secrets", n) }
			}
			items, err := secrets.List(ctx, q.ns, q.typ, progress)
			if err != nil {
				if q.typ == SecretTypeServiceAccountToken { // the analysis uses these only
					b.SecretsUnavailable("cannot list Secrets of type " + q.typ + " (metadata only): " + secretmeta.Reason(err))
				}
				if !apierrors.IsForbidden(err) { // forbidden: expected without the opt-in role
					b.Problem("secrets (type="+q.typ+")", "cannot list ("+secretmeta.Reason(err)+"): paths through legacy token Secrets are not assessed")
				}
				continue
			}
			for _, s := range items {
				b.AddSecret(Secret{Namespace: s.Namespace, Name: s.Name, Type: s.Type,
					ServiceAccountName: s.ServiceAccountName, Labels: s.Labels})
			}
		}
	}
	b.liveDump = true // the server's own model: nothing is assumed
	return b.Build(), nil
}

// paginate calls list with Limit pageSize until the Continue token is
// empty; list returns the token and the number of items of its page.
func paginate(ctx context.Context, resource string, progress func(string, int), list func(metav1.ListOptions) (string, int, error)) error {
	opts := metav1.ListOptions{Limit: pageSize}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, n, err := list(opts)
		if err != nil {
			return err
		}
		total += n
		if progress != nil {
			progress(resource, total)
		}
		if next == "" {
			return nil
		}
		opts.Continue = next
	}
}

// addPages makes a client-go List a paginate page function that adds each
// page to b.
func addPages[L interface {
	runtime.Object
	GetContinue() string
}](ctx context.Context, b *Builder, list func(context.Context, metav1.ListOptions) (L, error)) func(metav1.ListOptions) (string, int, error) {
	return func(o metav1.ListOptions) (string, int, error) {
		l, err := list(ctx, o)
		if err != nil {
			return "", 0, err
		}
		b.Add(l, "")
		return l.GetContinue(), meta.LenList(l), nil
	}
}

func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden: grant list on it (deploy/rbac-readonly.yaml)"
	case apierrors.IsNotFound(err):
		return "the server does not serve it"
	case apierrors.IsResourceExpired(err):
		return "the list changed too much while paging; retry"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err.Error()
	}
	return err.Error()
}

func joinReasons(rs []string) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += "; "
		}
		out += r
	}
	return out
}
