package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

// RBACInput is where the rbac queries read roles and bindings: kubectl
// dumps, or the cluster, live and read-only.
type RBACInput struct {
	// From are kubectl dumps (files or directories of .yaml, .yml and
	// .json); without them the cluster is read.
	From []string
	// NoBuiltins reads From alone: kube-apiserver's built-in roles and
	// bindings the dumps lack are not assumed.
	NoBuiltins bool
	// Cluster is the live cluster's REST config (never impersonating: the
	// rbac queries' --as is the question, not the reader).
	Cluster func() (*rest.Config, error)
	// ClusterName names the cluster of a REST config's host in errors
	// ("context prod (https://...)").
	ClusterName func(host string) string
	// Progress, when set (a terminal), shows the live read's progress.
	Progress io.Writer
}

// loadRBAC reads in.From, or the cluster live.
func loadRBAC(ctx context.Context, in RBACInput) (*rbac.Policy, error) {
	if len(in.From) > 0 {
		p, err := rbacdump.LoadWith(rbac.FileOptions{NoBuiltins: in.NoBuiltins}, in.From...)
		return p, Input(err)
	}
	if in.Cluster == nil {
		return nil, Input(fmt.Errorf("no input: give --from DUMP, or a kubeconfig context"))
	}
	cfg, err := in.Cluster()
	if err != nil {
		return nil, Input(fmt.Errorf("no input: give --from DUMP, or a kubeconfig context (%v)", err))
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, Input(err)
	}
	// Token Secrets (the analysis' legacy-token paths) only through the
	// guarded metadata lister.
	secrets, err := secretmeta.ForClientset(client)
	if err != nil {
		return nil, Input(err)
	}
	var opts rbac.LiveOptions
	if in.Progress != nil {
		opts.Progress = func(resource string, n int) {
			fmt.Fprintf(in.Progress, "\r\033[Kreading %s: %d", resource, n)
		}
	}
	p, err := rbac.LoadLive(ctx, client, secrets, opts)
	if in.Progress != nil {
		fmt.Fprint(in.Progress, "\r\033[K")
	}
	if err != nil {
		name := cfg.Host
		if in.ClusterName != nil {
			name = in.ClusterName(cfg.Host)
		}
		return nil, Input(fmt.Errorf("%s: %w", name, err))
	}
	return p, nil
}

// RBACQuestion is a request as the rbac queries take it: VERB RESOURCE
// [NAME] (RESOURCE as kubectl reads it, plus /SUBRESOURCE), or VERB /URL.
type RBACQuestion struct {
	Verb, Resource, Name string
	// Subresource is --subresource (the same as RESOURCE/SUBRESOURCE).
	Subresource string
	// Namespace is the question's; "" is cluster-wide.
	Namespace string
}

// ParseRBACRequest turns the question into an authorizer request, with
// notes on how it was read ("-n is ignored for ..."), for stderr.
func ParseRBACRequest(q RBACQuestion) (rbac.Request, []string, error) {
	var notes []string
	req := rbac.Request{Verb: q.Verb}
	if req.Verb == "" {
		return req, nil, Input(fmt.Errorf("VERB is empty"))
	}
	if strings.HasPrefix(q.Resource, "/") {
		if q.Name != "" || q.Subresource != "" {
			return req, nil, Input(fmt.Errorf("a non-resource URL (%s) takes no NAME and no --subresource", q.Resource))
		}
		if q.Namespace != "" {
			notes = append(notes, fmt.Sprintf("-n is ignored for the non-resource URL %s: only ClusterRoleBindings grant URLs", q.Resource))
		}
		req.Path = q.Resource
		return req, notes, nil
	}
	res, err := rbac.ParseResource(q.Resource)
	if err != nil {
		return req, nil, Input(fmt.Errorf("RESOURCE %v", err))
	}
	if q.Subresource != "" {
		if res.Subresource != "" {
			return req, nil, Input(fmt.Errorf("subresource given twice (%s and --subresource %s)", q.Resource, q.Subresource))
		}
		res.Subresource = q.Subresource
	}
	if res.Inferred {
		notes = append(notes, fmt.Sprintf("%s means %s.%s, the built-in resource's group", res.Resource, res.Resource, res.Group))
	}
	req.APIGroup, req.Resource, req.Subresource = res.Group, res.Resource, res.Subresource
	req.Name = q.Name
	req.Namespace = q.Namespace
	switch {
	case res.Builtin && res.Group == "" && res.Resource == "namespaces" && req.Name != "":
		// GET /api/v1/namespaces/NAME carries namespace NAME
		// (apiserver's RequestInfoFactory), so a RoleBinding in that
		// namespace can grant access to the namespace itself.
		if q.Namespace != "" && q.Namespace != req.Name {
			notes = append(notes, fmt.Sprintf("a request for namespace %s is in namespace %s; -n %s is ignored", req.Name, req.Name, q.Namespace))
		}
		req.Namespace = req.Name
	case res.ClusterScoped && q.Namespace != "":
		notes = append(notes, fmt.Sprintf("%s is cluster-scoped: -n is ignored (RoleBindings never grant it)", res.String()))
		req.Namespace = ""
	}
	return req, notes, nil
}

// tokenPathsGap says which paths were not assessed because the legacy
// token Secrets could not be read (live, without the opt-in
// Secret-inventory role), when someone beyond the defaults and the cluster
// admins may read Secrets; "" otherwise.
func tokenPathsGap(p *rbac.Policy) string {
	if p.SecretsUnavailable == "" {
		return ""
	}
	readers := p.Analysis().SecretReaders()
	if len(readers) == 0 {
		return ""
	}
	names := make([]string, 0, len(readers))
	for i, r := range readers {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(readers)-5))
			break
		}
		names = append(names, r.String())
	}
	return fmt.Sprintf("paths through legacy ServiceAccount token Secrets, which %d subject(s) may read (%s): %s",
		len(readers), strings.Join(names, ", "), p.SecretsUnavailable)
}

// ParseRBACSubject reads user:NAME, group:NAME, sa:NS/NAME (or
// serviceaccount:NS/NAME) and system:serviceaccount:NS:NAME.
func ParseRBACSubject(s string) (rbac.Subject, error) {
	if ns, name, ok := rbac.SplitServiceAccountUsername(s); ok {
		return rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	prefix, rest, ok := strings.Cut(s, ":")
	if ok && rest != "" {
		switch strings.ToLower(prefix) {
		case "user", "u":
			return rbac.Subject{Kind: rbac.KindUser, Name: rest}, nil
		case "group", "g":
			return rbac.Subject{Kind: rbac.KindGroup, Name: rest}, nil
		case "sa", "serviceaccount":
			ns, name, ok := strings.Cut(rest, "/")
			if ok && ns != "" && name != "" && !strings.Contains(name, "/") {
				return rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
			}
		}
	}
	return rbac.Subject{}, Input(fmt.Errorf("SUBJECT %q: want user:NAME, group:NAME, sa:NAMESPACE/NAME or system:serviceaccount:NAMESPACE:NAME", s))
}
