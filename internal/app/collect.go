package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/cloud"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/inputs/live"
	"github.com/apiguard/apiguard/internal/inputs/offline"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/versions"
)

// Inputs select what scan and snapshot read: files, a snapshot, or, with
// none of them, the kubeconfig's cluster, live and read-only.
type Inputs struct {
	// Manifests: static pod manifests, workload YAML, kubectl output or
	// kubeadm configuration (files or directories).
	Manifests []string
	// FlagsFiles hold a kube-apiserver argv.
	FlagsFiles []string
	// Snapshot is a directory written by Snapshot.
	Snapshot string
	// Root is the directory absolute paths named by flags are read under.
	Root string
	// K8sVersion overrides the Kubernetes version whose defaults apply.
	K8sVersion string
	// Cloud are managed-cluster JSON files or terraform plans; alone (no
	// file input, no chosen cluster), only they are read.
	Cloud []string
	// RBAC are kubectl dumps of the RBAC objects; alone, only they are read.
	RBAC []string
	// NoBuiltinRoles reads RBAC dumps alone, without kube-apiserver's
	// built-in roles and bindings they lack.
	NoBuiltinRoles bool

	// Cluster is the live cluster's REST config; its error says why there
	// is none.
	Cluster func() (*rest.Config, error)
	// ClusterName names the cluster of a REST config's host in reports
	// ("context prod (https://...)").
	ClusterName func(host string) string
	// ClusterChosen: a kubeconfig or context was named explicitly, so
	// Cloud files do not make a files-only scan.
	ClusterChosen bool
	// UserAgent is sent by the network probe of a live read.
	UserAgent string
	// Progress, when set (a terminal), shows the live read's progress.
	Progress io.Writer
}

func (in Inputs) files() bool {
	return len(in.Manifests) > 0 || len(in.FlagsFiles) > 0 || in.Snapshot != "" || len(in.RBAC) > 0
}

func (in Inputs) rbacOptions() rbac.FileOptions {
	return rbac.FileOptions{NoBuiltins: in.NoBuiltinRoles}
}

// Collected is what collection saw: the Snapshot, and the pod manifests a
// live read built it from (Snapshot saves them beside it).
type Collected struct {
	Snapshot  *inputs.Snapshot
	Manifests map[string][]byte
}

// Collect fills a Snapshot from the inputs.
func Collect(ctx context.Context, in Inputs) (*Collected, error) {
	if len(in.Cloud) > 0 {
		return collectWithCloud(ctx, in)
	}
	if in.Snapshot != "" && (len(in.Manifests) > 0 || len(in.FlagsFiles) > 0) {
		return nil, Input(fmt.Errorf("--snapshot cannot be combined with --manifest or --flags-file"))
	}
	if in.K8sVersion != "" {
		if _, err := versions.Parse(in.K8sVersion); err != nil {
			return nil, Input(fmt.Errorf("--k8s-version: %v", err))
		}
	}
	// A directory given to --manifest that holds a snapshot is a snapshot.
	if len(in.Manifests) == 1 && len(in.FlagsFiles) == 0 && offline.IsSnapshotDir(in.Manifests[0]) {
		in.Snapshot, in.Manifests = in.Manifests[0], nil
	}
	switch {
	case in.Snapshot != "":
		s, err := offline.LoadSnapshotWith(in.Snapshot, in.rbacOptions())
		if err != nil {
			return nil, Input(err)
		}
		if len(in.RBAC) > 0 { // --rbac replaces the snapshot's own rbac/ folder
			if err := offline.LoadRBAC(s, in.RBAC, in.rbacOptions()); err != nil {
				return nil, Input(err)
			}
		}
		setVersion(s, in.K8sVersion)
		return &Collected{Snapshot: s}, nil
	case in.files():
		s, err := offline.Load(offline.Options{Manifests: in.Manifests, FlagsFiles: in.FlagsFiles, Root: in.Root, Version: in.K8sVersion, RBAC: in.RBAC, RBACOptions: in.rbacOptions()})
		if err != nil {
			return nil, Input(err)
		}
		return &Collected{Snapshot: s}, nil
	}
	return collectLive(ctx, in)
}

// collectLive reads the cluster: the control plane, the credential
// inventory and the RBAC model through client-go, and what an anonymous
// network client sees of its endpoint.
func collectLive(ctx context.Context, in Inputs) (*Collected, error) {
	const noInput = "no input: give --manifest, --flags-file or --snapshot, or a kubeconfig context"
	if in.Cluster == nil {
		return nil, Input(errors.New(noInput))
	}
	cfg, err := in.Cluster()
	if err != nil {
		return nil, Input(fmt.Errorf("%s (%v)", noInput, err))
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, Input(err)
	}
	name := cfg.Host
	if in.ClusterName != nil {
		name = in.ClusterName(cfg.Host)
	}
	res, err := live.Collect(ctx, client, name)
	if err != nil {
		return nil, Input(err)
	}
	res.Snapshot.Endpoint = probeEndpoint(ctx, cfg, in.UserAgent)
	var progress func(string, int)
	if in.Progress != nil {
		progress = func(resource string, n int) { fmt.Fprintf(in.Progress, "\r\033[Kreading %s: %d", resource, n) }
	}
	live.CollectRBAC(ctx, client, res.Snapshot, progress)
	if in.Progress != nil {
		fmt.Fprint(in.Progress, "\r\033[K")
	}
	setVersion(res.Snapshot, in.K8sVersion)
	return &Collected{Snapshot: res.Snapshot, Manifests: res.Manifests}, nil
}

// collectWithCloud reads the Cloud files and the other inputs. Cloud files
// alone (no file input, no chosen cluster) make a snapshot of them only.
func collectWithCloud(ctx context.Context, in Inputs) (*Collected, error) {
	clusters, err := cloud.Load(in.Cloud)
	if err != nil {
		return nil, Input(err)
	}
	if !in.files() && !in.ClusterChosen {
		s := inputs.New(strings.Join(in.Cloud, ", "), "offline")
		s.Cloud = clusters
		s.SetScope(inputs.CloudOnly)
		return &Collected{Snapshot: s}, nil
	}
	rest := in
	rest.Cloud = nil
	c, err := Collect(ctx, rest)
	if err != nil {
		return nil, err
	}
	c.Snapshot.Cloud = append(c.Snapshot.Cloud, clusters...)
	return c, nil
}

// setVersion applies a --k8s-version override to every instance.
func setVersion(s *inputs.Snapshot, v string) {
	if v == "" {
		return
	}
	for _, a := range s.APIServers {
		a.Version = v
	}
}
