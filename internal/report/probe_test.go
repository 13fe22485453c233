package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// TestRenderProbe: the table has the probe's header and what it saw right
// after it, server text made printable and cut; json adds the endpoint and
// the managed-cluster settings; the other formats are the scan's.
func TestRenderProbe(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e := &inputs.Endpoint{
		URL: "https://10.0.0.1:6443", ProbedAt: at, Requests: 3,
		Addresses: []inputs.Address{{IP: "10.0.0.1", Class: inputs.AddrPrivate}},
		TLS: &inputs.TLSProbe{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			Versions: []inputs.TLSVersionResult{{Version: "TLS 1.0"}, {Version: "TLS 1.3", Accepted: true}},
			Chain: []inputs.Certificate{{Subject: "CN=kube-apiserver\x1b[31m", Issuer: "CN=kubernetes", KeyType: "ECDSA", KeyBits: 256,
				SignatureAlgorithm: "ECDSA-SHA256", NotAfter: at.Add(48 * time.Hour), DNSNames: []string{"kubernetes"}}},
			Verified: true, VerifiedWith: "the kubeconfig CA"},
		Paths: []inputs.PathResult{
			{Path: "/version", Status: 200, Outcome: inputs.Exposed, Leaked: []inputs.Leak{{Kind: "version", Value: "v1.36.3"}}},
			{Path: "/api\u202e", Status: 403, Outcome: inputs.Forbidden, Message: strings.Repeat("denied ", 30)},
		},
	}
	m := check.Metadata{ID: "AG-NET-013", Title: "Anonymous requests reveal nothing", Layer: check.Network, Severity: check.Medium}
	r := New("apiguard", "dev", e.URL, []check.Metadata{m}, []check.Finding{m.Result(check.Fail, e.URL, "/version answers anonymous requests")}, nil)

	var b bytes.Buffer
	if err := RenderProbe(&b, FormatTable, r, e, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"apiguard dev probe of https://10.0.0.1:6443\n\nEndpoint https://10.0.0.1:6443 (probed 2026-11-27 12:00:00Z, 3 requests)\n",
		"  10.0.0.1                                 private\n",
		"  TLS 1.0     refused\n  TLS 1.3     accepted\n",
		`CN=kube-apiserver\x1b[31m, issuer CN=kubernetes, ECDSA 256, ECDSA-SHA256, until 2026-11-29 (2 days)`,
		"  /version    200  exposed    version: v1.36.3\n",
		`/api\u202e`, "denied denied", "…\n",
		"\nNetwork exposure\n  FAIL  medium",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\u202e") || strings.Contains(out, " scan of ") {
		t.Errorf("table holds raw control characters or the scan's header:\n%s", out)
	}

	b.Reset()
	cloud := []inputs.CloudCluster{{Provider: "eks"}}
	if err := RenderProbe(&b, FormatJSON, r, nil, cloud, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["endpoint"]; ok || doc["cloud"] == nil || string(doc["problems"]) != "[]" || doc["findings"] == nil {
		t.Errorf("json without a probe: %s", b.String())
	}

	var got, want bytes.Buffer
	if err := RenderProbe(&got, FormatSARIF, r, e, cloud, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Render(&want, FormatSARIF, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Error("sarif of a probe differs from the scan's renderer")
	}
}
