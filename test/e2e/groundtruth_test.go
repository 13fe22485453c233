package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// groundTruth derives, from the running server's observable behaviour, what
// some checks must say, and compares with the scanner. It guards the
// expectation tables themselves: they are written from the checks'
// semantics, and this proves those semantics hold on the real server.
// scanned holds, per check, the finding of the scan that could assess it
// (offline when the live scan cannot read the file it needs).
func groundTruth(t *testing.T, c *lab.Cluster, scanned map[string]finding) {
	ctx := context.Background()
	// expect compares a check with what the server shows: wantPass, or
	// else a failing or warning finding.
	expect := func(id, why string, wantPass bool) {
		t.Helper()
		f, found := scanned[id]
		switch {
		case !found:
			t.Errorf("%s: no finding to compare with the server (%s)", id, why)
		case wantPass && f.Status != pass:
			t.Errorf("%s: the server shows %s, but the check says %s: %s", id, why, f.Status, f.Message)
		case !wantPass && (f.Status == pass || f.Status == na):
			t.Errorf("%s: the server shows %s, but the check says %s: %s", id, why, f.Status, f.Message)
		default:
			t.Logf("%s %s: %s", id, f.Status, why)
		}
	}

	// TLS protocol versions and cipher suites actually accepted.
	oldTLS := handshake(t, c, tls.VersionTLS10, tls.VersionTLS10, nil) == nil || handshake(t, c, tls.VersionTLS11, tls.VersionTLS11, nil) == nil
	expect("AG-NET-002", fmt.Sprintf("TLS 1.0/1.1 handshake accepted: %v", oldTLS), !oldTLS)
	cbc := handshake(t, c, tls.VersionTLS12, tls.VersionTLS12, []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	}) == nil
	expect("AG-NET-003", fmt.Sprintf("TLS 1.2 ECDHE-RSA-AES-CBC-SHA accepted: %v", cbc), !cbc)
	// Every profile refuses RSA key exchange (the Go defaults since Go 1.22,
	// or the Hardened allowlist): AG-NET-003's message says so.
	if err := handshake(t, c, tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}); err == nil {
		t.Errorf("the server accepts TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key exchange); AG-NET-003 says Go's defaults exclude it")
	}

	// Profiling endpoints, as cluster-admin.
	admin := c.AdminClient(t)
	var code int
	admin.Discovery().RESTClient().Get().AbsPath("/debug/pprof/").Do(ctx).StatusCode(&code)
	expect("AG-NET-005", fmt.Sprintf("GET /debug/pprof/ as admin: HTTP %d", code), code == http.StatusNotFound)

	// Anonymous requests outside the health endpoints: 401 means they are
	// not authenticated at all; 403 or 200 means system:anonymous exists.
	st, _ := c.AnonymousGet(t, "/api/v1/namespaces")
	expect("AG-AUTHN-001", fmt.Sprintf("anonymous GET /api/v1/namespaces: HTTP %d", st), st == http.StatusUnauthorized)

	// Static tokens.
	if tok := c.StaticTokens["static-reader"]; tok != "" {
		tc := lab.Client(t, c.TokenKubeconfig(t, "static-reader", tok))
		_, err := tc.Discovery().ServerVersion()
		expect("AG-AUTHN-002", fmt.Sprintf("a static token authenticates (err %v)", err), err != nil)
	}

	// Authorization: a user without any binding is denied.
	nobody := c.UserClient(t, "apiguard-e2e-nobody")
	_, err := nobody.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
	expect("AG-AUTHZ-001", fmt.Sprintf("an unbound user listing secrets: %v", errSummary(err)), apierrors.IsForbidden(err))

	// Encryption at rest, read back raw from etcd.
	name := "apiguard-e2e-probe"
	if _, err := admin.CoreV1().Secrets(metav1.NamespaceDefault).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"k": "plaintext-marker"},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	raw := c.EtcdGet(t, "/registry/secrets/default/"+name)
	plain := strings.Contains(string(raw), "plaintext-marker")
	expect("AG-ADMIN-003", fmt.Sprintf("Secret data readable in etcd: %v", plain), !plain)
	expect("AG-ADMIN-004", fmt.Sprintf("Secret data readable in etcd: %v", plain), !plain)
}

func errSummary(err error) string {
	if err == nil {
		return "allowed"
	}
	if apierrors.IsForbidden(err) {
		return "forbidden"
	}
	return err.Error()
}

// handshake tries a TLS handshake with the API server limited to the given
// protocol versions and (when non-nil) cipher suites.
func handshake(t *testing.T, c *lab.Cluster, minV, maxV uint16, suites []uint16) error {
	t.Helper()
	pool := caPool(t, c.CACertPath)
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", fmt.Sprintf("127.0.0.1:%d", c.Port), &tls.Config{
		RootCAs: pool, ServerName: "127.0.0.1", MinVersion: minV, MaxVersion: maxV, CipherSuites: suites,
	})
	if err != nil {
		return err
	}
	return conn.Close()
}
