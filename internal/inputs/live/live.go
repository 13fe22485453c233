// Package live fills a Snapshot from a running cluster through client-go,
// read-only: it GETs /version, lists Nodes (labels only matter) and the
// kube-apiserver pods in kube-system (mirror pods of static pods), the
// credential inventory (credentials.go) and the RBAC objects (rbac.go).
// Secrets are listed as metadata only, through secretmeta; their data is
// never read. What it cannot see it records with the reason, so checks
// report not-assessable instead of passing.
package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/inputs/offline"
)

// Result is a live snapshot plus the pod manifests it was built from, which
// `apiguard snapshot` saves beside it.
type Result struct {
	Snapshot  *inputs.Snapshot
	Manifests map[string][]byte
}

// FileUnavailable is the reason config files are not assessable live.
const FileUnavailable = "the file is on the control-plane node and is not readable through the Kubernetes API " +
	"(scan the node with `apiguard scan --manifest`, or put the file under files/ in a snapshot)"

// Collect reads the cluster. An error means the cluster could not be
// reached or asked at all; partial failures become Problems or a
// ControlPlaneHidden reason.
func Collect(ctx context.Context, client kubernetes.Interface, target string) (*Result, error) {
	s := inputs.New(target, "live")
	// Judged "as of" collection time: a snapshot scanned later keeps it.
	s.CollectedAt = time.Now().UTC().Truncate(time.Second)
	res := &Result{Snapshot: s, Manifests: map[string][]byte{}}

	info, err := client.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the server version: %w", target, err)
	}
	s.Cluster.ServerVersion = info.GitVersion

	var nodes []corev1.Node
	nl, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 200})
	if err != nil {
		s.Problems = append(s.Problems, inputs.Problem{Source: "nodes", Message: "cannot list nodes (" + reason(err) + "): managed-platform detection uses the server version only"})
	} else {
		nodes = nl.Items
	}
	s.Cluster.Platform, s.Cluster.PlatformEvidence = DetectPlatform(info.GitVersion, nodes)

	pods, err := apiserverPods(ctx, client)
	if err != nil {
		s.Cluster.ControlPlaneHidden = "cannot list pods in kube-system (" + reason(err) + "): grant the ClusterRole in deploy/rbac-readonly.yaml"
		return res, nil
	}
	for i := range pods {
		p := &pods[i]
		name := p.Namespace + "/" + p.Name
		data, err := podYAML(p)
		if err != nil {
			s.Problems = append(s.Problems, inputs.Problem{Source: "pod " + name, Message: err.Error()})
			continue
		}
		servers, problems, err := offline.ParseManifest("pod "+name, data)
		if err != nil {
			s.Problems = append(s.Problems, inputs.Problem{Source: "pod " + name, Message: err.Error()})
			continue
		}
		for _, pr := range problems {
			s.Problems = append(s.Problems, inputs.Problem{Source: "pod " + name, Message: pr.Message})
		}
		for _, a := range servers {
			a.Origin = "pod"
			a.Name = name
			for j := range a.Args {
				// Lines of a re-serialised pod mean nothing to the user.
				a.Args[j].File, a.Args[j].Line = "", 0
			}
			markFilesUnavailable(a, s.Cluster)
			s.APIServers = append(s.APIServers, a)
			res.Manifests[name] = data
		}
	}
	// Authentication posture: the credential inventory (Secrets as metadata
	// only, with type field selectors; client-certificate CSRs).
	s.Credentials = credentials(ctx, client)
	if len(s.APIServers) == 0 {
		s.Cluster.ControlPlaneHidden = hiddenReason(s.Cluster)
	}
	return res, nil
}

// apiserverPods finds kube-apiserver pods: by the label kubeadm and most
// installers set, then by name for installers that do not label.
func apiserverPods(ctx context.Context, client kubernetes.Interface) ([]corev1.Pod, error) {
	pl, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "component=kube-apiserver"})
	if err != nil {
		return nil, err
	}
	pods := pl.Items
	if len(pods) == 0 {
		all, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, p := range all.Items {
			if strings.HasPrefix(p.Name, "kube-apiserver-") || p.Name == "kube-apiserver" {
				pods = append(pods, p)
			}
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods, nil
}

// podYAML serialises a pod as a manifest, without server-managed noise.
func podYAML(p *corev1.Pod) ([]byte, error) {
	c := p.DeepCopy()
	c.ManagedFields = nil
	c.Status = corev1.PodStatus{}
	c.APIVersion, c.Kind = "v1", "Pod"
	return yaml.Marshal(c)
}

func markFilesUnavailable(a *inputs.APIServer, cluster inputs.Cluster) {
	f := a.Flags(cluster)
	for _, flag := range inputs.FileFlags {
		if v := f.Get(flag); v.Set && v.Value != "" {
			if a.Files == nil {
				a.Files = map[string]*inputs.File{}
			}
			a.Files[flag] = &inputs.File{Path: v.Value, Unavailable: FileUnavailable}
		}
	}
}

func hiddenReason(c inputs.Cluster) string {
	if c.Platform != "" {
		return fmt.Sprintf("managed control plane (%s; %s): the kube-apiserver flags and files are not visible to cluster users; "+
			"use the provider's API for what it exposes", strings.ToUpper(c.Platform), c.PlatformEvidence)
	}
	return "no kube-apiserver pod in kube-system (looked for label component=kube-apiserver and names kube-apiserver-*): " +
		"the control plane runs outside the cluster (managed, or a binary/systemd install); scan the node with --manifest or --flags-file"
}

func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden: " + shortStatus(err)
	case apierrors.IsUnauthorized(err):
		return "unauthorized: the credentials were rejected"
	}
	return err.Error()
}

func shortStatus(err error) string {
	if s, ok := err.(apierrors.APIStatus); ok {
		return s.Status().Message
	}
	return err.Error()
}

// DetectPlatform recognises managed control planes from the server version
// string and node labels. It returns the platform and the evidence.
func DetectPlatform(gitVersion string, nodes []corev1.Node) (platform, evidence string) {
	switch {
	case strings.Contains(gitVersion, "-eks-"):
		return "eks", "server version " + gitVersion
	case strings.Contains(gitVersion, "-gke."):
		return "gke", "server version " + gitVersion
	}
	for _, n := range nodes {
		for _, m := range platformLabels {
			if _, ok := n.Labels[m.label]; ok {
				return m.platform, fmt.Sprintf("node %s has label %s", n.Name, m.label)
			}
		}
	}
	return "", ""
}

var platformLabels = []struct{ label, platform string }{
	{"eks.amazonaws.com/nodegroup", "eks"},
	{"eks.amazonaws.com/compute-type", "eks"},
	{"cloud.google.com/gke-nodepool", "gke"},
	{"cloud.google.com/gke-os-distribution", "gke"},
	{"kubernetes.azure.com/cluster", "aks"},
	{"kubernetes.azure.com/agentpool", "aks"},
}
