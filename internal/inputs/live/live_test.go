package live

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func apiserverPod(name string, labels map[string]string, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: labels,
			Annotations: map[string]string{"kubernetes.io/config.mirror": "abc"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.36.3",
			Command: append([]string{"kube-apiserver"}, args...),
		}}},
	}
}

func client(gitVersion string, objs ...runtime.Object) *fake.Clientset {
	c := fake.NewClientset(objs...)
	c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: gitVersion}
	return c
}

func TestCollectFindsMirrorPod(t *testing.T) {
	c := client("v1.36.3",
		apiserverPod("kube-apiserver-cp1", map[string]string{"component": "kube-apiserver"}, "--anonymous-auth=false", "--authentication-config=/etc/kubernetes/authn.yaml"),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}},
	)
	res, err := Collect(context.Background(), c, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot
	if len(s.APIServers) != 1 || s.Cluster.ControlPlaneHidden != "" {
		t.Fatalf("want one apiserver, got %+v hidden=%q", s.APIServers, s.Cluster.ControlPlaneHidden)
	}
	a := s.APIServers[0]
	if a.Name != "kube-system/kube-apiserver-cp1" || a.Origin != "pod" || a.Version != "v1.36.3" {
		t.Fatalf("apiserver = %+v", a)
	}
	v := a.Flags(s.Cluster).Get("anonymous-auth")
	if v.Value != "false" || v.Source != "pod kube-system/kube-apiserver-cp1" {
		t.Fatalf("anonymous-auth = %+v", v)
	}
	if f := a.Files["authentication-config"]; f == nil || f.Unavailable == "" {
		t.Fatalf("live files must be unavailable with a reason: %+v", f)
	}
	if _, ok := res.Manifests[a.Name]; !ok {
		t.Fatal("manifest for snapshot missing")
	}
	// Read-only: only get/list verbs were used, and never on secrets.
	for _, act := range c.Actions() {
		if v := act.GetVerb(); v != "get" && v != "list" {
			t.Errorf("non-read verb %s on %s", v, act.GetResource())
		}
		if act.GetResource().Resource == "secrets" {
			t.Errorf("secrets must not be read")
		}
	}
}

func TestCollectFallsBackToName(t *testing.T) {
	c := client("v1.35.1", apiserverPod("kube-apiserver-master", nil, "--profiling=false"))
	res, err := Collect(context.Background(), c, "ctx")
	if err != nil || len(res.Snapshot.APIServers) != 1 {
		t.Fatalf("err=%v servers=%d", err, len(res.Snapshot.APIServers))
	}
}

func TestCollectManaged(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		nodes         []runtime.Object
		want          string
	}{
		{"eks by version", "v1.29.3-eks-adc7111", nil, "EKS"},
		{"gke by version", "v1.30.5-gke.1014001", nil, "GKE"},
		{"aks by node label", "v1.31.2", []runtime.Object{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "aks-1", Labels: map[string]string{"kubernetes.azure.com/cluster": "x"}}}}, "AKS"},
		{"self-managed, no pod", "v1.36.3", nil, "outside the cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Collect(context.Background(), client(tc.version, tc.nodes...), "ctx")
			if err != nil {
				t.Fatal(err)
			}
			if h := res.Snapshot.Cluster.ControlPlaneHidden; !strings.Contains(h, tc.want) {
				t.Fatalf("hidden reason %q does not mention %q", h, tc.want)
			}
		})
	}
}

func TestCollectForbidden(t *testing.T) {
	c := client("v1.36.3")
	c.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	})
	c.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", nil)
	})
	res, err := Collect(context.Background(), c, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot
	if !strings.Contains(s.Cluster.ControlPlaneHidden, "forbidden") || len(s.Problems) != 1 {
		t.Fatalf("hidden=%q problems=%v", s.Cluster.ControlPlaneHidden, s.Problems)
	}
}
