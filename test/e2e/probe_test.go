package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// probePaths are the anonymous GETs of `apiguard probe`, in its order.
var probePaths = []string{
	"/version", "/healthz?verbose", "/livez", "/readyz", "/api", "/apis", "/api/v1/namespaces", "/openapi/v2",
	"/.well-known/openid-configuration", "/openid/v1/jwks", "/metrics", "/debug/pprof/", "/logs/",
	"/api/v1/namespaces/kube-public/configmaps/cluster-info",
}

var healthPaths = []string{"/healthz?verbose", "/livez", "/readyz"}

// probeWant is the exact status of every network-exposure check that reads
// the probe, on a live scan or `apiguard probe` of each profile. The lab
// listens on 127.0.0.1 (loopback: never public, so nothing is escalated to
// critical), its serving certificate is kubeadm's (RSA 2048, one year,
// SANs localhost, kubernetes.default.svc..., 127.0.0.1, 10.96.0.1) and the
// managed-cluster checks have no --cloud file.
var probeWant = map[string]map[string]string{
	lab.Hardened.Name: {
		"AG-NET-013": pass, // 401 on every path but /livez, /readyz, /healthz (anonymous.conditions)
		"AG-NET-014": pass, // --tls-min-version=VersionTLS12
		"AG-NET-015": pass, // --tls-cipher-suites: ECDHE AEAD only
		"AG-NET-016": pass, // verifies with the kubeconfig CA, 364 days left
		"AG-NET-017": pass, // internal SANs, but a loopback endpoint
		"AG-NET-018": pass, // 127.0.0.1
		"AG-NET-019": na,   // no --cloud file
		"AG-NET-020": na,
	},
	lab.Insecure.Name: {
		"AG-NET-013": fail, // system:unauthenticated bound to view: namespaces readable; /version too
		"AG-NET-014": fail, // --tls-min-version=VersionTLS10
		"AG-NET-015": warn, // Go's default suites: ECDHE CBC-SHA accepted
		"AG-NET-016": pass,
		"AG-NET-017": pass,
		"AG-NET-018": pass,
		"AG-NET-019": na,
		"AG-NET-020": na,
	},
	lab.KubeadmLike.Name: {
		"AG-NET-013": warn, // anonymous on (403) and /version readable (system:public-info-viewer)
		"AG-NET-014": pass, // kube-apiserver's own TLS 1.2 minimum
		"AG-NET-015": warn, // Go's default suites
		"AG-NET-016": pass,
		"AG-NET-017": pass,
		"AG-NET-018": pass,
		"AG-NET-019": na,
		"AG-NET-020": na,
	},
}

// endpointScoped: the network-exposure checks that read the probe or the
// --cloud files. Their resource is the endpoint URL or the managed cluster,
// and they assess whatever the caller's permissions on the control plane
// (the probe is anonymous): TestScanProfiles takes their expectations from
// probeWant (live) and not-assessable (offline: no probe, no --cloud).
func endpointScoped(id string) bool {
	_, ok := probeWant[lab.Hardened.Name][id]
	return ok
}

// probeReport is `apiguard probe -o json`: the report contract plus the
// raw probe.
type probeReport struct {
	report
	Endpoint struct {
		URL       string `json:"url"`
		Addresses []struct {
			IP    string `json:"ip"`
			Class string `json:"class"`
		} `json:"addresses"`
		TLS struct {
			Verified     bool   `json:"verified"`
			VerifiedWith string `json:"verifiedWith"`
			Versions     []struct {
				Version  string `json:"version"`
				Accepted bool   `json:"accepted"`
			} `json:"versions"`
			WeakSuites []struct {
				Name     string `json:"name"`
				Accepted bool   `json:"accepted"`
			} `json:"weakSuites"`
			Chain []struct {
				Subject     string   `json:"subject"`
				KeyType     string   `json:"keyType"`
				KeyBits     int      `json:"keyBits"`
				IPAddresses []string `json:"ipAddresses"`
			} `json:"chain"`
		} `json:"tls"`
		Paths []struct {
			Path    string `json:"path"`
			Status  int    `json:"status"`
			Outcome string `json:"outcome"`
			Leaked  []struct {
				Kind  string `json:"kind"`
				Value string `json:"value"`
			} `json:"leaked"`
		} `json:"paths"`
		Requests int `json:"requests"`
	} `json:"endpoint"`
}

// TestProbeProfiles: the hardened profile answers anonymous callers only on
// the health endpoints and refuses TLS 1.0/1.1; the insecure one leaks the
// namespaces and the version to anonymous callers and accepts TLS 1.0; the
// kubeadm-like one authenticates anonymous callers (403) and shows them
// /version. Ground truth comes from the server itself (anonymous GETs, TLS
// handshakes), then `apiguard probe` and the live `apiguard scan` must say
// exactly that.
func TestProbeProfiles(t *testing.T) {
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	for _, p := range lab.Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			start := time.Now()
			c := lab.Start(t, p)
			// The view role (bound to system:unauthenticated by Insecure) has
			// rules only once kube-controller-manager aggregated it.
			c.WaitAggregated(t)
			truth := probeGroundTruth(t, c)
			var pr *probeReport
			t.Run("probe", func(t *testing.T) { pr = probeCommand(t, c, truth) })
			t.Run("scan", func(t *testing.T) { liveScanProbe(t, c, pr) })
			t.Run("scan-cloud", func(t *testing.T) { liveScanCloud(t, c) })
			t.Logf("%s: %s", p.Name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// truth is what the server shows, measured without apiguard.
type truth struct {
	status map[string]int // anonymous GET status by path
	tls10  bool
	tls11  bool
}

func probeGroundTruth(t *testing.T, c *lab.Cluster) truth {
	tr := truth{status: map[string]int{}}
	for _, p := range probePaths {
		st, _ := c.AnonymousGet(t, p)
		tr.status[p] = st
	}
	tr.tls10 = handshake(t, c, tls.VersionTLS10, tls.VersionTLS10, nil) == nil
	tr.tls11 = handshake(t, c, tls.VersionTLS11, tls.VersionTLS11, nil) == nil

	// The profiles really are what the expectations say.
	switch c.Profile.Name {
	case lab.Hardened.Name:
		for _, p := range probePaths {
			want := http.StatusUnauthorized
			if slices.Contains(healthPaths, p) {
				want = http.StatusOK
			}
			if tr.status[p] != want {
				t.Errorf("hardened: anonymous GET %s: HTTP %d, want %d", p, tr.status[p], want)
			}
		}
		if tr.tls10 || tr.tls11 {
			t.Errorf("hardened: TLS 1.0 accepted %v, TLS 1.1 accepted %v", tr.tls10, tr.tls11)
		}
	case lab.Insecure.Name:
		for _, p := range []string{"/version", "/api/v1/namespaces"} {
			if tr.status[p] != http.StatusOK {
				t.Errorf("insecure: anonymous GET %s: HTTP %d, want 200", p, tr.status[p])
			}
		}
		if !tr.tls10 {
			t.Errorf("insecure: TLS 1.0 refused")
		}
	case lab.KubeadmLike.Name:
		if tr.status["/version"] != http.StatusOK || tr.status["/api/v1/namespaces"] != http.StatusForbidden {
			t.Errorf("kubeadm-like: /version %d, /api/v1/namespaces %d", tr.status["/version"], tr.status["/api/v1/namespaces"])
		}
	}
	t.Logf("%s ground truth: %v, TLS 1.0 %v, TLS 1.1 %v", c.Profile.Name, tr.status, tr.tls10, tr.tls11)
	return tr
}

// outcomeOf is how the probe must classify an HTTP status on a path.
func outcomeOf(path string, status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "unauthenticated"
	case status == http.StatusForbidden:
		return "forbidden"
	case status >= 200 && status < 300:
		return "exposed"
	case status == http.StatusNotFound && strings.HasPrefix(path, "/api/v1/"):
		return "allowed-not-found"
	case status == http.StatusNotFound:
		return "not-served"
	}
	return "failed"
}

func probeCommand(t *testing.T, c *lab.Cluster, tr truth) *probeReport {
	stdout, stderr, code := runAPIGuard(t, "probe", "--kubeconfig", c.AdminKubeconfig, "-o", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("apiguard probe: exit %d\n%s", code, stderr)
	}
	dump(t, stdout)
	var r probeReport
	if err := json.Unmarshal(stdout, &r); err != nil {
		t.Fatalf("apiguard probe -o json: %v\n%.2000s", err, stdout)
	}
	e := r.Endpoint
	if r.Tool != "apiguard" || r.Target != c.URL || e.URL != c.URL {
		t.Errorf("tool %q, target %q, endpoint %q; want %s", r.Tool, r.Target, e.URL, c.URL)
	}
	if len(e.Addresses) != 1 || e.Addresses[0].IP != "127.0.0.1" || e.Addresses[0].Class != "loopback" {
		t.Errorf("addresses %+v, want 127.0.0.1 loopback", e.Addresses)
	}
	// Every anonymous GET classified as the server answered it.
	if len(e.Paths) != len(probePaths) {
		t.Errorf("%d paths probed, want %d", len(e.Paths), len(probePaths))
	}
	for _, p := range e.Paths {
		want := tr.status[p.Path]
		if p.Status != want || p.Outcome != outcomeOf(p.Path, want) {
			t.Errorf("%s: probe says HTTP %d %s, the server answers %d (%s)", p.Path, p.Status, p.Outcome, want, outcomeOf(p.Path, want))
		}
	}
	// TLS as measured.
	acc := map[string]bool{}
	for _, v := range e.TLS.Versions {
		acc[v.Version] = v.Accepted
	}
	if acc["TLS 1.0"] != tr.tls10 || acc["TLS 1.1"] != tr.tls11 || !acc["TLS 1.2"] || !acc["TLS 1.3"] {
		t.Errorf("versions %+v; the server accepts TLS 1.0 %v, 1.1 %v", e.TLS.Versions, tr.tls10, tr.tls11)
	}
	if !e.TLS.Verified || e.TLS.VerifiedWith != "the kubeconfig CA" {
		t.Errorf("chain verified %v with %q, want the kubeconfig CA", e.TLS.Verified, e.TLS.VerifiedWith)
	}
	if len(e.TLS.Chain) == 0 || e.TLS.Chain[0].Subject != "CN=kube-apiserver" || e.TLS.Chain[0].KeyType != "RSA" || e.TLS.Chain[0].KeyBits != 2048 ||
		!slices.Equal(e.TLS.Chain[0].IPAddresses, []string{"127.0.0.1", "10.96.0.1"}) {
		t.Errorf("chain %+v", e.TLS.Chain)
	}
	// Cross-check the weak suites the probe saw with our own handshake.
	cbc := handshake(t, c, tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}) == nil
	for _, s := range e.TLS.WeakSuites {
		if s.Name == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" && s.Accepted != cbc {
			t.Errorf("%s: probe says accepted=%v, a handshake says %v", s.Name, s.Accepted, cbc)
		}
	}
	if e.Requests == 0 || e.Requests > 80 {
		t.Errorf("%d requests: want a bounded, non-zero count", e.Requests)
	}
	// What the insecure profile leaks.
	if c.Profile.Name == lab.Insecure.Name {
		leaks := map[string]string{}
		for _, p := range e.Paths {
			for _, l := range p.Leaked {
				leaks[p.Path+" "+l.Kind] = l.Value
			}
		}
		if v := leaks["/version version"]; v != lab.KubernetesVersion {
			t.Errorf("/version leak %q, want %s", v, lab.KubernetesVersion)
		}
		if v := leaks["/api/v1/namespaces namespaces"]; !strings.HasPrefix(v, "4 namespaces: default, kube-node-lease, kube-public, kube-system") {
			t.Errorf("namespaces leak %q", v)
		}
	}
	got := assertProbeFindings(t, c.Profile.Name+" probe", &r.report, false)
	if c.Profile.Name == lab.Insecure.Name {
		f := got["AG-NET-013"]
		if f.Severity != "high" || !strings.Contains(f.Message, "/api/v1/namespaces (cluster data)") || !strings.Contains(f.Message, "/version (the exact server version)") {
			t.Errorf("insecure AG-NET-013: %s %q", f.Severity, f.Message)
		}
		if f := got["AG-NET-014"]; !strings.Contains(f.Message, "TLS 1.0 and TLS 1.1") {
			t.Errorf("insecure AG-NET-014: %q", f.Message)
		}
	}

	// The probe is anonymous even with an admin kubeconfig: every request
	// it made is in the Hardened audit log without a user, or as
	// system:anonymous (health endpoints), never as kubernetes-admin.
	if c.AuditLogPath != "" {
		assertProbeAnonymous(t, c)
	}
	return &r
}

// assertProbeFindings compares the endpoint checks of a report with probeWant
// and returns them by ID. withOthers: the report has other checks too.
func assertProbeFindings(t *testing.T, label string, r *report, withOthers bool) map[string]finding {
	t.Helper()
	want := probeWant[strings.Fields(label)[0]]
	got := map[string]finding{}
	for _, f := range r.Findings {
		if !endpointScoped(f.CheckID) { // by probeWant, not by ID: AG-NET-021 reads flags
			if !withOthers {
				t.Errorf("%s: unexpected finding %s", label, f.CheckID)
			}
			continue
		}
		if _, dup := got[f.CheckID]; dup {
			t.Errorf("%s: %s reported twice", label, f.CheckID)
		}
		got[f.CheckID] = f
	}
	var diffs []string
	for id, w := range want {
		f, ok := got[id]
		switch {
		case !ok && (w != na || withOthers):
			diffs = append(diffs, fmt.Sprintf("%s: no finding, want %s", id, w))
		case ok && f.Status != w:
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s: %s", id, f.Status, w, f.Message))
		}
	}
	for id, f := range got {
		if _, ok := want[id]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: no expectation (got %s: %s)", id, f.Status, f.Message))
		}
		if f.Status != na && !strings.HasPrefix(f.Resource, "https://127.0.0.1:") {
			diffs = append(diffs, fmt.Sprintf("%s: resource %q, want the endpoint URL", id, f.Resource))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: %d endpoint check(s) differ:\n  %s", label, len(diffs), strings.Join(diffs, "\n  "))
	}
	return got
}

// liveScanProbe: the live scan runs the same probe and reports the same
// verdicts as `apiguard probe`.
func liveScanProbe(t *testing.T, c *lab.Cluster, pr *probeReport) {
	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	got := assertProbeFindings(t, c.Profile.Name+" live scan", r, true)
	for _, id := range []string{"AG-NET-019", "AG-NET-020"} {
		if f := got[id]; !strings.Contains(f.Message, "--cloud FILE") {
			t.Errorf("%s without --cloud: %q", id, f.Message)
		}
	}
	if pr == nil {
		return
	}
	for _, f := range pr.Findings {
		if g := got[f.CheckID]; g.Status != f.Status || g.Message != f.Message {
			t.Errorf("%s: the live scan says %s %q, apiguard probe %s %q", f.CheckID, g.Status, g.Message, f.Status, f.Message)
		}
	}
}

// liveScanCloud: a live scan with a managed-cluster file reports both the
// probe and the file.
func liveScanCloud(t *testing.T, c *lab.Cluster) {
	fixture := filepath.Join("..", "..", "internal", "cli", "testdata", "cloud", "eks-public.json")
	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig, "--cloud", fixture)
	got := r.byID(t, "scan --cloud")
	if f := got["AG-NET-019"]; f.Status != fail || f.Resource != "eks prod (eu-west-1)" || !strings.Contains(f.Message, "0.0.0.0/0") {
		t.Errorf("AG-NET-019 with --cloud: %s %s %q", f.Status, f.Resource, f.Message)
	}
	if f := got["AG-NET-013"]; f.Status != probeWant[c.Profile.Name]["AG-NET-013"] {
		t.Errorf("AG-NET-013 with --cloud: %s, want %s", f.Status, probeWant[c.Profile.Name]["AG-NET-013"])
	}
}

type probeAuditEvent struct {
	UserAgent  string `json:"userAgent"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

func assertProbeAnonymous(t *testing.T, c *lab.Cluster) {
	var events []probeAuditEvent
	deadline := time.Now().Add(10 * time.Second)
	for {
		events = events[:0]
		f, err := os.Open(c.AuditLogPath)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var e probeAuditEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil && strings.HasPrefix(e.UserAgent, "apiguard-probe/") {
				events = append(events, e)
			}
		}
		f.Close()
		if len(events) >= len(probePaths) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(events) < len(probePaths) {
		t.Errorf("the audit log has %d events of the probe, want at least %d (one per path)", len(events), len(probePaths))
	}
	for _, e := range events {
		if e.User.Username != "" && e.User.Username != "system:anonymous" {
			t.Errorf("probe request %s ran as %q: the probe must never send credentials", e.RequestURI, e.User.Username)
		}
	}
	t.Logf("%d audit events of the probe, all anonymous", len(events))
}

func dump(t *testing.T, out []byte) {
	if dir := os.Getenv("APIGUARD_E2E_DUMP"); dir != "" {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ".json"
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), out, 0o644)
		}
	}
}
