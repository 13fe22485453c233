package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// bootstrap creates what kubeadm init (or the profile) adds after the API
// server is up.
func (c *Cluster) bootstrap(ctx context.Context) error {
	cs, err := c.superClient()
	if err != nil {
		return err
	}
	// kubeadm init: kubeadm:cluster-admins -> cluster-admin (admin.conf's group).
	bindings := []*rbacv1.ClusterRoleBinding{{
		ObjectMeta: metav1.ObjectMeta{Name: "kubeadm:cluster-admins"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "kubeadm:cluster-admins"}},
	}}
	if c.Profile.Name == Insecure.Name {
		// The classic misconfiguration: anonymous users can read the cluster.
		bindings = append(bindings, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "lab:anonymous-view"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"}},
		})
	}
	for _, b := range bindings {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create clusterrolebinding %s: %w", b.Name, err)
		}
	}
	return nil
}

func (c *Cluster) startControllerManager() error {
	kc := filepath.Join(c.Dir, "etc", "kubernetes", "controller-manager.conf")
	if err := c.writeKubeconfig(kc, "system:kube-controller-manager", c.pki.ControllerManager); err != nil {
		return err
	}
	pk := c.pki.Dir
	// kubeadm v1.36 getControllerManagerCommand, plus a free --secure-port.
	c.ControllerManagerArgv = []string{c.bins.KubeControllerManager,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--client-ca-file=" + filepath.Join(pk, "ca.crt"),
		"--cluster-signing-cert-file=" + filepath.Join(pk, "ca.crt"),
		"--cluster-signing-key-file=" + filepath.Join(pk, "ca.key"),
		"--controllers=*,bootstrapsigner,tokencleaner",
		"--kubeconfig=" + kc,
		"--leader-elect=true",
		"--requestheader-client-ca-file=" + filepath.Join(pk, "front-proxy-ca.crt"),
		"--root-ca-file=" + filepath.Join(pk, "ca.crt"),
		"--service-account-private-key-file=" + filepath.Join(pk, "sa.key"),
		"--use-service-account-credentials=true",
		fmt.Sprintf("--secure-port=%d", c.ControllerManagerPort),
		"--cert-dir=" + filepath.Join(c.Dir, "var", "run", "kube-controller-manager"),
	}
	if err := c.run("kube-controller-manager", c.ControllerManagerArgv); err != nil {
		return err
	}
	return c.waitTCP("kube-controller-manager", c.ControllerManagerPort, 60*time.Second)
}

// WaitAggregated waits until kube-controller-manager's clusterrole-aggregation
// controller has filled the aggregated ClusterRoles admin, edit and view.
func (c *Cluster) WaitAggregated(t testing.TB) {
	t.Helper()
	cs, err := c.superClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	err = wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		for _, name := range []string{"admin", "edit", "view"} {
			cr, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil || len(cr.Rules) == 0 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		if p := c.proc("kube-controller-manager"); p != nil {
			t.Logf("kube-controller-manager log tail:\n%s", p.tail(40))
		}
		t.Fatalf("aggregated ClusterRoles admin/edit/view never got rules: %v", err)
	}
}

// ApplyFile creates (or updates) the RBAC objects of a multi-document YAML
// file (ClusterRole, ClusterRoleBinding, Role, RoleBinding), e.g.
// deploy/rbac-readonly.yaml. Other kinds fail the test.
func (c *Cluster) ApplyFile(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.superClient()
	if err != nil {
		t.Fatal(err)
	}
	if err := applyRBAC(context.Background(), cs, data); err != nil {
		t.Fatalf("apply %s: %v", path, err)
	}
}

func applyRBAC(ctx context.Context, cs kubernetes.Interface, data []byte) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return err
		}
		if meta.Kind == "" {
			continue // empty document / comments only
		}
		if meta.APIVersion != rbacv1.SchemeGroupVersion.String() {
			return fmt.Errorf("unsupported apiVersion %q (kind %s)", meta.APIVersion, meta.Kind)
		}
		switch meta.Kind {
		case "ClusterRole":
			var o rbacv1.ClusterRole
			if err := yaml.UnmarshalStrict(doc, &o); err != nil {
				return err
			}
			_, err = cs.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = cs.RbacV1().ClusterRoles().Update(ctx, withRV(ctx, &o, cs), metav1.UpdateOptions{})
			}
		case "ClusterRoleBinding":
			var o rbacv1.ClusterRoleBinding
			if err := yaml.UnmarshalStrict(doc, &o); err != nil {
				return err
			}
			_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{})
		case "Role":
			var o rbacv1.Role
			if err := yaml.UnmarshalStrict(doc, &o); err != nil {
				return err
			}
			_, err = cs.RbacV1().Roles(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		case "RoleBinding":
			var o rbacv1.RoleBinding
			if err := yaml.UnmarshalStrict(doc, &o); err != nil {
				return err
			}
			_, err = cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		default:
			return fmt.Errorf("unsupported kind %q", meta.Kind)
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: %w", meta.Kind, err)
		}
	}
}

func withRV(ctx context.Context, o *rbacv1.ClusterRole, cs kubernetes.Interface) *rbacv1.ClusterRole {
	if cur, err := cs.RbacV1().ClusterRoles().Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
		o.ResourceVersion = cur.ResourceVersion
	}
	return o
}
