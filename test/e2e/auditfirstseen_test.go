package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuditFirstSeen proves the first-seen rules on the real server's log,
// scanned with --learn 3s (the built-in rules learn for 24h): during the
// first seconds bob reads pods with kubectl and the admin binds roles (both
// learned); then bob reads with curl (AG-DET-108), mallory, who never took
// a sensitive action, binds a role (AG-DET-417), the ServiceAccount app,
// learnt from 127.0.0.1, lists pods from 127.1.0.1 (AG-DET-109); the admin
// binding again, bob with kubectl again, app from 127.0.9.9 raise none.
func TestAuditFirstSeen(t *testing.T) {
	begin := time.Now()
	c := lab.Start(t, lab.Hardened)
	rec := &auditRecorder{steps: map[string]string{}}

	// The same rules read the log as it grows (--follow), from before the
	// first step: their memory lives across the reads.
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	follow := exec.Command(apiguardBin.path, "audit", "scan", "--follow", c.AuditLogPath, "--learn", "3s", "-o", "jsonl", "--fail-on", "none")
	follow.Env = append(os.Environ(), "NO_COLOR=1")
	followOut, followErr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	follow.Stdout, follow.Stderr = followOut, followErr
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()

	steps := firstSeenSteps(t, c, rec)
	check := func(how string, stdout []byte) { firstSeenCheck(t, how, rec, steps, stdout) }
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "--learn", "3s", "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan: exit %d\nstderr:\n%s", code, stderr)
	}
	check("audit scan", stdout)

	// --follow: once it has raised what the file scan raised, or 30 s,
	// SIGINT ends it (it reports what it read).
	want := bytes.Count(stdout, []byte("\n"))
	eventually(t, 30*time.Second, "--follow raised as many alerts as the scan of the file", func() (bool, string) {
		n := strings.Count(followOut.String(), "\n")
		return n >= want, fmt.Sprintf("%d of %d alerts", n, want)
	})
	if err := follow.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := follow.Wait(); err != nil {
		t.Errorf("audit scan --follow: %v\nstderr:\n%s", err, followErr.String())
	}
	check("audit scan --follow", []byte(followOut.String()))
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}

// TestAuditFirstSeenServe: the same steps with the server's audit webhook
// going to `audit serve --learn 3s`: the receiver's engine raises the same
// first-seen alerts, on the same requests, as the scan of the log.
func TestAuditFirstSeenServe(t *testing.T) {
	defer asRecover(t)
	dir := t.TempDir()
	pki, err := lab.NewAuditWebhookPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	rcv := asStartReceiver(t, pki, dir, "--learn", "3s")
	kubeconfig, err := pki.WriteKubeconfig(rcv.url + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	c := lab.Start(t, lab.Hardened.With(
		"--audit-webhook-config-file="+kubeconfig,
		"--audit-webhook-mode=batch",
		"--audit-webhook-batch-max-wait=1s",
		"--audit-webhook-batch-max-size=400",
	))
	rec := &auditRecorder{steps: map[string]string{}}
	steps := firstSeenSteps(t, c, rec)
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "--learn", "3s", "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan: exit %d\nstderr:\n%s", code, stderr)
	}
	firstSeenCheck(t, "audit scan", rec, steps, stdout)
	// the receiver: each first-seen alert of the file scan, by audit ID
	var wantIDs []string
	for _, line := range bytes.Split(stdout, []byte("\n")) {
		var a alertLine
		if json.Unmarshal(line, &a) == nil && (a.Rule == "AG-DET-108" || a.Rule == "AG-DET-109" || a.Rule == "AG-DET-417") {
			wantIDs = append(wantIDs, a.Rule+" "+a.AuditID)
		}
	}
	var got []byte
	eventually(t, 30*time.Second, "audit serve raised the first-seen alerts of the scan", func() (bool, string) {
		got = got[:0]
		have := map[string]bool{}
		for _, a := range rcv.snapshot() {
			have[a.Rule+" "+a.AuditID] = true
			line, _ := json.Marshal(a.alertLine)
			got = append(append(got, line...), '\n')
		}
		var missing []string
		for _, id := range wantIDs {
			if !have[id] {
				missing = append(missing, id)
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %q", missing)
	})
	firstSeenCheck(t, "audit serve", rec, steps, got)
}

type firstSeenStep struct {
	name  string
	rules []string
	run   func()
}

// firstSeenSteps runs the scenario against c, each step's requests recorded
// by rec, and waits until they are all in the log.
func firstSeenSteps(t *testing.T, c *lab.Cluster, rec *auditRecorder) []firstSeenStep {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
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
	type step = firstSeenStep
	// The ServiceAccount app reads pods; its requests come from the
	// loopback addresses the test dials from (Linux routes all of 127/8
	// to lo): 127.0.0.1 while learning, 127.0.9.9 (the same /16) and
	// 127.1.0.1 (another /16) after.
	_, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, metav1.CreateOptions{})
	must("ServiceAccount app", err)
	tr, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "app", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	must("token of app", err)
	appKC := c.TokenKubeconfig(t, "app", tr.Status.Token)
	appFrom := func(ip string) kubernetes.Interface {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
		return rec.client(t, appKC, "", func(cfg *rest.Config) { cfg.UserAgent, cfg.Dial = kubectl, d.DialContext })
	}
	appLists := func(ip string) {
		t.Helper()
		_, err := appFrom(ip).CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		must("app lists pods from "+ip, err)
	}
	steps := []step{
		{"learning: the admin binds view to bob, admin to mallory and view to app", nil, func() {
			must("bob-view", bind(admin, "bob-view", "view", "bob"))
			must("mallory-admin", bind(admin, "mallory-admin", "admin", "mallory"))
			_, err := admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "app-view"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "app", Namespace: "default"}}}, metav1.CreateOptions{})
			must("app-view", err)
		}},
		{"learning: app lists pods from 127.0.0.1", nil, func() {
			eventually(t, 30*time.Second, "app may list pods", func() (bool, string) {
				_, err := appFrom("127.0.0.1").CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
				return err == nil, errString(err)
			})
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
		{"app lists pods from 127.0.9.9, in the /16 it was used from", nil, func() { appLists("127.0.9.9") }},
		{"app's token used from 127.1.0.1, another /16", []string{"AG-DET-109"}, func() { appLists("127.1.0.1") }},
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
	return steps
}

// firstSeenCheck: each step raised exactly the first-seen alerts it names.
func firstSeenCheck(t *testing.T, how string, rec *auditRecorder, steps []firstSeenStep, stdout []byte) {
	t.Helper()
	byStep := rec.alertsByStep(stdout)
	for _, s := range steps {
		for _, r := range []string{"AG-DET-108", "AG-DET-109", "AG-DET-417"} {
			got := byStep[s.name][r]
			if want := contains(s.rules, r); want && len(got) == 0 {
				t.Errorf("%s: %s: %s did not alert; alerts of the step: %q", how, s.name, r, keys(byStep[s.name]))
			} else if !want && len(got) > 0 {
				t.Errorf("%s: %s: %s alerted: %s", how, s.name, r, got[0].Message)
			}
			for _, a := range got {
				t.Logf("%s: %s: %s %s", how, s.name, r, a.Message)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
