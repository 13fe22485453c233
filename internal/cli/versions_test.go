package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/versions"
)

// The CLI's clock and user configuration directory are pinned for every
// test of the package, so goldens that judge support windows, data age and
// certificate expiry stay stable, and a developer's own local versions
// data file (apiguard versions update) never leaks into them.
func init() {
	now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	versions.SetUserConfigDirForTest(filepath.Join("testdata", "versions", "no-user-config"))
}

func TestVersionsCLI(t *testing.T) {
	runGoldens(t, "versions", []goldenCase{
		{"check-eks", "versions check v1.29.3-eks-adc7111", 1},
		{"check-gke-json", "versions check 1.30.5-gke.1014001 -o json", 1},
		{"check-aks", "versions check v1.34.10 --platform aks", 0},
		{"check-current", "versions check v1.36.6", 0},
		{"check-behind", "versions check v1.36.3", 0},
		{"check-later-date", "versions check v1.36.6 --now 2027-07-01", 1},
		{"check-minor-only", "versions check 1.35", 0},
		{"check-updated-data", "versions check v1.36.3 --versions-data testdata/versions/updated.yaml", 1},
		{"check-bad-version", "versions check latest", 2},
		{"check-bad-platform", "versions check v1.36.3 --platform openshift", 2},
		{"check-bad-date", "versions check v1.36.3 --now tomorrow", 2},
		{"check-bad-data", "versions check v1.36.3 --versions-data testdata/versions/bad.yaml", 2},
		{"list", "versions list", 0},
		{"update-bad-feed", "versions update --feed testdata/versions/bad.yaml --out testdata/versions/never-written.yaml", 2},
		{"scan-updated-data", "scan --snapshot ../../examples/kubeadm-1.36 --versions-data testdata/versions/updated.yaml -o json --fail-on none", 0},
		{"scan-managed-version", "scan --snapshot testdata/versions/eks-snapshot --fail-on none", 0},
	})
	if _, err := os.Stat("testdata/versions/never-written.yaml"); err == nil {
		t.Fatal("a failed update wrote its output")
	}
}

// TestVersionsUpdate: the feed from a file and from a URL (bounded), the
// local file written, then used by check and scan without --versions-data.
func TestVersionsUpdate(t *testing.T) {
	feed, err := os.ReadFile("../versions/testdata/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.json" {
			w.Write(feed)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "kubernetes.yaml")
	o, e, code := runCLI("versions", "update", "--feed", srv.URL+"/index.json", "--out", out)
	if code != 0 || !strings.Contains(o, "added: CVE-2099-0001") || !strings.Contains(o, "check by hand") || !strings.Contains(o, "CVEs as of 2026-11-20") {
		t.Fatalf("update from URL: %d\n%s%s", code, o, e)
	}
	if _, _, code := runCLI("versions", "update", "--feed", srv.URL+"/missing.json", "--out", out); code != 2 {
		t.Fatalf("404 feed: exit %d", code)
	}
	// The default local file: written under the user config dir, then used.
	versions.SetUserConfigDirForTest(dir)
	defer versions.SetUserConfigDirForTest(filepath.Join("testdata", "versions", "no-user-config"))
	if o, e, code := runCLI("versions", "update", "--feed", "../versions/testdata/feed.json"); code != 0 || !strings.Contains(o, filepath.Join(dir, "apiguard", "kubernetes.yaml")) {
		t.Fatalf("update to the default path: %d %s %s", code, o, e)
	}
	o, _, code = runCLI("versions", "check", "v1.36.3", "-o", "json")
	var as versions.Assessment
	if err := json.Unmarshal([]byte(o), &as); err != nil || code != 1 || len(as.CVEs) != 1 || as.CVEs[0].ID != "CVE-2099-0001" {
		t.Fatalf("check with the local data: %d %v %s", code, err, o)
	}
	if as.Data.CVEsAsOf.String() != "2026-11-20" || !strings.Contains(as.Data.Origin, dir) {
		t.Fatalf("data info: %+v", as.Data)
	}
	o, _, _ = runCLI("scan", "--snapshot", "../../examples/kubeadm-1.36", "-o", "json", "--fail-on", "none")
	if !strings.Contains(o, "CVE-2099-0001") {
		t.Fatal("scan does not use the local data file")
	}
}
