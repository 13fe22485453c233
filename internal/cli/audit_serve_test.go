package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
)

func TestAuditServeUsage(t *testing.T) {
	p, err := loadgen.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spool := " --spool " + t.TempDir()
	wantUsageErrors(t, []usageCase{
		{"audit serve --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile, "--spool is required"},
		{"audit serve --spool nats://127.0.0.1:1 --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile, "want a stream name"},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile + " --spool-max-bytes 0", "--spool-max-bytes"},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile, "no authentication: set --client-ca"},
		{"audit serve" + spool + " --client-ca " + p.CAFile, "--tls-cert and --tls-key are required"},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile + " --max-body lots", `--max-body "lots"`},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile + " --allow-cidrs 10.0.0.0/33", "--allow-cidrs"},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --token-file /nonexistent/token", "--token-file"},
		{"audit serve" + spool + " --tls-cert " + p.CertFile + " --tls-key " + p.KeyFile + " --client-ca " + p.CAFile + " --rules /nonexistent/rules.yaml", "rules.yaml"},
	})
}

// clusterAdminBinding is the audit event of mallory binding herself to
// cluster-admin (RequestResponse, as the webhook sends it).
func clusterAdminBinding() auditv1.Event {
	crb := `{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"pwn"},` +
		`"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"}],` +
		`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}`
	ts := metav1.NewMicroTime(time.Now())
	return auditv1.Event{
		Level: auditv1.LevelRequestResponse, AuditID: "0d8f5c1a-1111-4222-8333-444455556666", Stage: auditv1.StageResponseComplete,
		RequestURI: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Verb: "create",
		User:      authnv1.UserInfo{Username: "mallory", Groups: []string{"system:authenticated"}},
		SourceIPs: []string{"192.0.2.10"}, UserAgent: "kubectl/v1.36.3",
		ObjectRef:      &auditv1.ObjectReference{Resource: "clusterrolebindings", Name: "pwn", APIGroup: "rbac.authorization.k8s.io", APIVersion: "v1"},
		ResponseStatus: &metav1.Status{Code: 201}, RequestObject: &runtime.Unknown{Raw: []byte(crb)}, ResponseObject: &runtime.Unknown{Raw: []byte(crb)},
		RequestReceivedTimestamp: ts, StageTimestamp: ts,
		Annotations: map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed"},
	}
}

func TestAuditServe(t *testing.T) {
	dir := t.TempDir()
	p, err := loadgen.NewPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, events := filepath.Join(dir, "alerts.jsonl"), filepath.Join(dir, "events.jsonl")
	args := []string{"apiguard", "audit", "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
		"--tls-cert", p.CertFile, "--tls-key", p.KeyFile, "--client-ca", p.CAFile, "--client-name", loadgen.ClientName,
		"--out", out, "--events-out", events, "--spool", filepath.Join(dir, "spool")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, &stdout, &stderr) }()

	addr := regexp.MustCompile(`url=https://(\S+) .*metrics=http://(\S+)/metrics`)
	var m []string
	waitUntil(t, 20*time.Second, func() bool { m = addr.FindStringSubmatch(stderr.String()); return m != nil },
		func() string { return "not listening; stderr:\n" + stderr.String() })
	url, metricsURL := "https://"+m[1], "http://"+m[2]
	if !strings.HasSuffix(url, "/audit") {
		t.Fatalf("the listening line names %s, want the path /audit", url)
	}

	list := loadgen.List(0, 10)
	list.Items = append(list.Items, clusterAdminBinding())
	body, _ := json.Marshal(list)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS()}}
	for range 2 { // the second is a re-send: dropped
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	// Without the client certificate: 401.
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ClientTLS().RootCAs}}}).Post(url, "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("POST without a certificate: %v %v", resp, err)
	}
	resp.Body.Close()

	waitUntil(t, 20*time.Second, func() bool { return strings.Contains(stdout.String(), "AG-DET-401") },
		func() string { return "no live alert; stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String() })
	// The sinks may deliver an alert before the worker counts its group as
	// processed: wait for the metrics rather than read them once.
	wantMetrics := []string{`apiguard_audit_alerts_total{rule="AG-DET-401",severity="critical"} 1`,
		"apiguard_audit_events_processed_total 11", "apiguard_audit_events_duplicate_total 11"}
	var metrics string
	waitUntil(t, 20*time.Second, func() bool {
		resp, err := http.Get(metricsURL + "/metrics")
		if err != nil {
			return false
		}
		mb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(mb)
		for _, want := range wantMetrics {
			if !strings.Contains(metrics, want) {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("metrics lack one of %q:\n%s", wantMetrics, metrics) })

	cancel() // SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not exit after cancellation")
	}
	var alert map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("stdout line is not JSON: %q", line)
		}
		if a["rule"] == "AG-DET-401" {
			alert = a
		}
	}
	if alert["auditID"] != "0d8f5c1a-1111-4222-8333-444455556666" || alert["user"] != "mallory" || alert["severity"] != "critical" {
		t.Errorf("alert %v", alert)
	}
	fb, _ := os.ReadFile(out)
	if string(fb) != stdout.String() {
		t.Errorf("--out differs from stdout:\n%s\n---\n%s", fb, stdout.String())
	}
	eb, _ := os.ReadFile(events)
	if n := strings.Count(string(eb), "\n"); n != 11 || !strings.Contains(string(eb), `"auditID":"0d8f5c1a-1111-4222-8333-444455556666"`) {
		t.Errorf("--events-out: %d lines:\n%s", n, eb)
	}
	if !strings.Contains(stderr.String(), "receiver stopped") || !strings.Contains(stderr.String(), "accepted=11") {
		t.Errorf("no shutdown summary in stderr:\n%s", stderr.String())
	}
}

// TestAuditWebhookKubeconfig: the shipped webhook configuration is a valid
// kubeconfig that kube-apiserver can load (webhook.LoadKubeconfig uses
// clientcmd), over https with a CA and a client certificate.
func TestAuditWebhookKubeconfig(t *testing.T) {
	cfg, err := clientcmd.LoadFromFile("../../deploy/audit-webhook-kubeconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil {
		t.Fatalf("current-context %q not defined", cfg.CurrentContext)
	}
	cl, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cl == nil || user == nil {
		t.Fatalf("context %q: cluster or user missing", cfg.CurrentContext)
	}
	if !strings.HasPrefix(cl.Server, "https://") || cl.CertificateAuthority == "" || cl.InsecureSkipTLSVerify {
		t.Errorf("cluster: server %q, CA %q, insecure %v: want https with a CA", cl.Server, cl.CertificateAuthority, cl.InsecureSkipTLSVerify)
	}
	if user.ClientCertificate == "" || user.ClientKey == "" {
		t.Errorf("user: want a client certificate and key")
	}
}
