package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuditRefusals proves the rules on what kube-apiserver refused, on its
// own audit log: a lab with anonymous authentication on (the hardened
// profile without its structured authentication config, which limits
// anonymous to the health endpoints) and its RequestResponse audit policy.
//
//   - anonymous reads the kube-system Secrets (403 from RBAC): AG-DET-706,
//     and its reads of /healthz, /readyz and /version raise nothing;
//   - eve, who may impersonate no one, impersonates system:admin in group
//     system:masters, and a kube-system ServiceAccount (403 from the
//     impersonation filter): AG-DET-416 on each, attributed to eve;
//   - the same Secrets read by the admin, and an allowed impersonation
//     (kubernetes-admin may impersonate anyone) raise neither.
func TestAuditRefusals(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := lab.Start(t, lab.Hardened.Without("authentication-config"))
	rec := &auditRecorder{steps: map[string]string{}}
	client := func(kubeconfig string, mod func(*rest.Config)) kubernetes.Interface {
		return rec.client(t, kubeconfig, "", mod)
	}
	eveKC := c.UserKubeconfig(t, "eve")
	impersonating := func(kc, user string, groups ...string) kubernetes.Interface {
		return client(kc, func(cfg *rest.Config) { cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups} })
	}

	type step struct {
		name  string
		rules []string // the rules that must alert on the step's requests (and no other of these)
		run   func()
	}
	forbidden := func(what string, err error) {
		t.Helper()
		if !apierrors.IsForbidden(err) {
			t.Fatalf("%s: %v, want Forbidden", what, err)
		}
	}
	steps := []step{
		{"anonymous reads the health and version endpoints", nil, func() {
			for _, p := range []string{"/healthz", "/readyz", "/version"} {
				if code := anonymousGet(t, c, rec, p); code != 200 {
					t.Fatalf("anonymous GET %s: %d, want 200", p, code)
				}
			}
		}},
		{"anonymous lists the kube-system Secrets", []string{"AG-DET-706"}, func() {
			if code := anonymousGet(t, c, rec, "/api/v1/namespaces/kube-system/secrets"); code != 403 {
				t.Fatalf("anonymous list of kube-system Secrets: %d, want 403 (anonymous on, RBAC refuses)", code)
			}
		}},
		{"eve impersonates system:admin in system:masters", []string{"AG-DET-416"}, func() {
			_, err := impersonating(eveKC, "system:admin", "system:masters").CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
			forbidden("eve as system:admin", err)
		}},
		{"eve impersonates a kube-system ServiceAccount", []string{"AG-DET-416"}, func() {
			_, err := impersonating(eveKC, "system:serviceaccount:kube-system:default").CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			forbidden("eve as kube-system:default", err)
		}},
		{"the admin reads the kube-system Secrets, and impersonates a user", nil, func() {
			if _, err := client(c.AdminKubeconfig, nil).CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := impersonating(c.AdminKubeconfig, "dev-alice").CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) && err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range steps {
		rec.set(s.name)
		s.run()
	}
	rec.set("after")

	// Every recorded request is in the log at its final stage.
	rec.waitLogged(t, c.AuditLogPath, "after")

	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan: exit %d\nstderr:\n%s", code, stderr)
	}
	if d := os.Getenv("APIGUARD_E2E_DUMP"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		data, _ := os.ReadFile(c.AuditLogPath)
		_ = os.WriteFile(filepath.Join(d, "auditrefusals-audit.log"), data, 0o644)
		_ = os.WriteFile(filepath.Join(d, "auditrefusals-alerts.jsonl"), stdout, 0o644)
	}
	byStep := rec.alertsByStep(stdout)

	watched := []string{"AG-DET-706", "AG-DET-416"}
	for _, s := range steps {
		for _, r := range watched {
			got := byStep[s.name][r]
			if want := contains(s.rules, r); want && len(got) == 0 {
				t.Errorf("%s: %s did not alert; alerts of the step: %q", s.name, r, keys(byStep[s.name]))
			} else if !want && len(got) > 0 {
				t.Errorf("%s: %s alerted: %s", s.name, r, got[0].Message)
			}
			for _, a := range got {
				if r == "AG-DET-416" && (a.User != "eve" || a.Identity != "eve") {
					t.Errorf("%s: %s attributed to user %q identity %q, want eve (who tried)", s.name, r, a.User, a.Identity)
				}
				t.Logf("%s: %s %s", s.name, r, a.Message)
			}
		}
	}
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}
