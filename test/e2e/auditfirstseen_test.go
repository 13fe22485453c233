package e2e

import (
	"context"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuditFirstSeen proves the first-seen rules on the real server's log,
// scanned with --learn 3s (the built-in rules learn for 24h): during the
// first seconds bob reads pods with kubectl and the admin binds roles (both
// learned); then bob reads with curl (AG-DET-108), mallory, who never took
// a sensitive action, binds a role (AG-DET-417), and the admin binding
// again, bob with kubectl again, raise neither.
func TestAuditFirstSeen(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := lab.Start(t, lab.Hardened)
	rec := &auditRecorder{steps: map[string]string{}}
	client := func(kubeconfig, ua string) kubernetes.Interface {
		return rec.client(t, kubeconfig, "", func(cfg *rest.Config) { cfg.UserAgent = ua })
	}
	const kubectl = "kubectl/v1.36.3 (linux/amd64) kubernetes/e2e"
	admin := client(c.AdminKubeconfig, kubectl)
	bobKC, malloryKC := c.UserKubeconfig(t, "bob"), c.UserKubeconfig(t, "mallory")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	bind := func(cs kubernetes.Interface, name, role, user string) error {
		_, err := cs.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}, metav1.CreateOptions{})
		return err
	}
	type step struct {
		name  string
		rules []string
		run   func()
	}
	steps := []step{
		{"learning: the admin binds view to bob and admin to mallory", nil, func() {
			must("bob-view", bind(admin, "bob-view", "view", "bob"))
			must("mallory-admin", bind(admin, "mallory-admin", "admin", "mallory"))
		}},
		{"learning: bob lists pods with kubectl", nil, func() {
			eventually(t, 30*time.Second, "bob may list pods", func() (bool, string) {
				_, err := client(bobKC, kubectl).CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
				return err == nil, errString(err)
			})
		}},
		{"wait for the end of learning", nil, func() { time.Sleep(4 * time.Second) }},
		{"bob reads pods with curl", []string{"AG-DET-108"}, func() {
			_, err := client(bobKC, "curl/8.5.0").CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			must("bob with curl", err)
		}},
		{"mallory binds a role for the first time", []string{"AG-DET-417"}, func() {
			eventually(t, 30*time.Second, "mallory may bind edit", func() (bool, string) {
				err := bind(client(malloryKC, kubectl), "mallory-edit", "edit", "eve")
				return err == nil, errString(err)
			})
		}},
		{"the admin binds again, bob lists with kubectl again", nil, func() {
			must("again", bind(admin, "again", "view", "eve"))
			_, err := client(bobKC, kubectl).CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			must("bob with kubectl", err)
		}},
	}
	for _, s := range steps {
		rec.set(s.name)
		s.run()
	}
	rec.set("after")
	rec.waitLogged(t, c.AuditLogPath, "after")

	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "--learn", "3s", "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan: exit %d\nstderr:\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(stdout)

	for _, s := range steps {
		for _, r := range []string{"AG-DET-108", "AG-DET-417"} {
			got := byStep[s.name][r]
			if want := contains(s.rules, r); want && len(got) == 0 {
				t.Errorf("%s: %s did not alert; alerts of the step: %q", s.name, r, keys(byStep[s.name]))
			} else if !want && len(got) > 0 {
				t.Errorf("%s: %s alerted: %s", s.name, r, got[0].Message)
			}
			for _, a := range got {
				t.Logf("%s: %s %s", s.name, r, a.Message)
			}
		}
	}
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
