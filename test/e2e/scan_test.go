package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// The apiguard binary under test, built once by TestMain from the repository
// root (the product module, which this module also imports through a replace
// for internal/rbac; the binary is what users run, so the tests run it).
var apiguardBin struct {
	path string
	err  error
}

// buildAPIGuard builds cmd/apiguard into a temporary directory and returns
// the function that removes it.
func buildAPIGuard() (cleanup func()) {
	dir, err := os.MkdirTemp("", "apiguard-e2e-bin-")
	if err != nil {
		apiguardBin.err = err
		return func() {}
	}
	start := time.Now()
	out := filepath.Join(dir, "apiguard")
	cmd := exec.Command("go", "build", "-o", out, "github.com/apiguard/apiguard/cmd/apiguard")
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		apiguardBin.err = fmt.Errorf("go build github.com/apiguard/apiguard/cmd/apiguard: %v\n%s", err, b)
	} else {
		apiguardBin.path = out
		fmt.Fprintf(os.Stderr, "e2e: built apiguard in %s\n", time.Since(start).Round(time.Millisecond))
	}
	return func() { os.RemoveAll(dir) }
}

// runAPIGuard runs the binary and returns stdout, stderr and the exit code.
func runAPIGuard(t *testing.T, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, apiguardBin.path, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG=/nonexistent") // only the kubeconfig we pass
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ProcessState.Exited():
		code = ee.ExitCode()
	default:
		t.Fatalf("apiguard %q: %v\nstderr:\n%s", args, err, e.Bytes())
	}
	return o.Bytes(), e.Bytes(), code
}

// The `-o json` contract (README "Output and exit codes").
type evidence struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

type finding struct {
	CheckID  string     `json:"checkID"`
	Status   string     `json:"status"`
	Severity string     `json:"severity"`
	Layer    string     `json:"layer"`
	Message  string     `json:"message"`
	Resource string     `json:"resource"`
	Evidence []evidence `json:"evidence"`
	// Remediation is the fix (AG-AUTHZ-030 embeds the minimized roles).
	Remediation string `json:"remediation"`
}

type problem struct {
	Source  string `json:"source"`
	Message string `json:"message"`
}

type report struct {
	Tool     string    `json:"tool"`
	Target   string    `json:"target"`
	Findings []finding `json:"findings"`
	Problems []problem `json:"problems"`
}

// byID indexes the findings; every check must report exactly one finding
// (the lab has one kube-apiserver).
func (r *report) byID(t *testing.T, label string) map[string]finding {
	t.Helper()
	out := map[string]finding{}
	for _, f := range r.Findings {
		if prev, dup := out[f.CheckID]; dup {
			if rbacScoped(f.CheckID) { // one finding per subject or binding: keep the worst
				if statusRank[f.Status] > statusRank[prev.Status] {
					out[f.CheckID] = f
				}
				continue
			}
			t.Errorf("%s: %s reported twice: %q (%s) and %q (%s)", label, f.CheckID, prev.Status, prev.Resource, f.Status, f.Resource)
		}
		out[f.CheckID] = f
	}
	return out
}

// scanJSON runs `apiguard <args> -o json --fail-on none`, requires exit 0
// and decodes the report.
func scanJSON(t *testing.T, args ...string) *report {
	t.Helper()
	args = append(args, "-o", "json", "--fail-on", "none")
	stdout, stderr, code := runAPIGuard(t, args...)
	if code != 0 {
		t.Fatalf("apiguard %q: exit %d, want 0\nstderr:\n%s\nstdout:\n%.2000s", args, code, stderr, stdout)
	}
	if dir := os.Getenv("APIGUARD_E2E_DUMP"); dir != "" {
		// Keep the raw reports for inspection.
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ".json"
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), stdout, 0o644)
		}
	}
	var r report
	if err := json.Unmarshal(stdout, &r); err != nil {
		t.Fatalf("apiguard %q: output is not the JSON report: %v\n%.2000s", args, err, stdout)
	}
	if r.Tool != "apiguard" || len(r.Findings) == 0 {
		t.Fatalf("apiguard %q: tool %q, %d findings\n%.2000s", args, r.Tool, len(r.Findings), stdout)
	}
	return &r
}

// checkInfo is one entry of `apiguard checks -o json`.
type checkInfo struct {
	ID     string   `json:"id"`
	Inputs []string `json:"inputs"`
}

func (c checkInfo) needsFlags() bool { return slices.Contains(c.Inputs, "apiserver-flags") }

// catalogue lists every check the binary has.
func catalogue(t *testing.T) []checkInfo {
	t.Helper()
	stdout, stderr, code := runAPIGuard(t, "checks", "-o", "json")
	if code != 0 {
		t.Fatalf("apiguard checks: exit %d: %s", code, stderr)
	}
	var cs []checkInfo
	if err := json.Unmarshal(stdout, &cs); err != nil || len(cs) == 0 {
		t.Fatalf("apiguard checks -o json: %v (%d checks)", err, len(cs))
	}
	return cs
}

const (
	pass = "pass"
	fail = "fail"
	warn = "warn"
	na   = "not-assessable"
	nap  = "not-applicable"
)

// Expected status of every check on a LIVE scan of each lab profile, derived
// from what the profile configures (test/e2e/lab/profile.go, configs.go) and
// from what a live scan can see: the flags of the mirror pod, never the files
// they name (checks that need a file's content are not-assessable) nor the
// manifest's mode and owner on the host (AG-ADMIN-001/002 not-assessable).
// Defaults are kube-apiserver v1.36's.
var liveWant = map[string]map[string]string{
	lab.Hardened.Name: {
		// network
		"AG-NET-001": pass, // --bind-address=127.0.0.1 (loopback)
		"AG-NET-002": pass, // --tls-min-version=VersionTLS12
		"AG-NET-003": pass, // --tls-cipher-suites: ECDHE AES-GCM / ChaCha20 only, all in the CIS allowlist
		"AG-NET-004": pass, // --tls-cert-file and --tls-private-key-file
		"AG-NET-005": pass, // --profiling=false
		"AG-NET-006": pass, // --kubelet-certificate-authority
		"AG-NET-007": pass, // --etcd-certfile and --etcd-keyfile
		"AG-NET-008": pass, // --etcd-cafile
		"AG-NET-009": pass, // --etcd-servers=https://...
		"AG-NET-010": pass, // --request-timeout default 1m0s
		"AG-NET-011": fail, // DenyServiceExternalIPs is off by default and not enabled
		"AG-NET-012": pass, // no insecure port in 1.36
		"AG-NET-021": pass, // --secure-port default 6443
		// authentication
		"AG-AUTHN-001": na,   // anonymous is configured in --authentication-config: file not readable live
		"AG-AUTHN-002": pass, // no --token-auth-file
		"AG-AUTHN-003": pass, // --client-ca-file
		"AG-AUTHN-004": pass, // --service-account-lookup=true
		"AG-AUTHN-005": pass, // --service-account-key-file
		"AG-AUTHN-006": pass, // --service-account-extend-token-expiration=false
		"AG-AUTHN-007": pass, // --kubelet-client-certificate and --kubelet-client-key
		"AG-AUTHN-008": warn, // --enable-bootstrap-token-auth=true (kubeadm's flag set)
		"AG-AUTHN-009": pass, // front-proxy CA with --requestheader-allowed-names=front-proxy-client
		"AG-AUTHN-010": na,   // JWT authenticators live in --authentication-config: not readable live
		"AG-AUTHN-011": pass, // no --oidc-* flags
		"AG-AUTHN-012": pass, // no legacy ServiceAccount token Secret (TestAuthPosture creates them)
		"AG-AUTHN-013": pass, // no bootstrap token Secret
		"AG-AUTHN-014": pass, // no kube-apiserver-client CSR
		// authorization and admission
		"AG-AUTHZ-001": pass, // --authorization-mode=Node,RBAC
		"AG-AUTHZ-002": pass,
		"AG-AUTHZ-003": pass,
		"AG-AUTHZ-004": pass, // no webhook, no ABAC
		"AG-AUTHZ-005": pass, // AlwaysAdmit not enabled
		"AG-AUTHZ-006": pass, // NodeRestriction enabled
		"AG-AUTHZ-007": pass, // ServiceAccount on by default
		"AG-AUTHZ-008": pass, // NamespaceLifecycle on by default
		"AG-AUTHZ-009": fail, // EventRateLimit not enabled (its config exists, but the plugin is off)
		"AG-AUTHZ-010": fail, // AlwaysPullImages not enabled
		// auditing
		"AG-AUDIT-001": pass, // --audit-log-path
		"AG-AUDIT-002": pass, // --audit-log-maxage=30
		"AG-AUDIT-003": pass, // --audit-log-maxbackup=10
		"AG-AUDIT-004": pass, // --audit-log-maxsize=100
		"AG-AUDIT-005": na,   // --audit-policy-file is set but its content is not readable live
		"AG-AUDIT-006": pass, // json log format (default), audit.k8s.io/v1
		"AG-AUDIT-007": nap,  // no webhook backend: its batch settings do not apply
		"AG-AUDIT-008": pass, // log backend blocking (default)
		"AG-AUDIT-009": na,   // policy content not readable live
		// patching
		"AG-PATCH-001": pass, // no removed flag, no conflicting repeat
		"AG-PATCH-002": pass, // v1.36 is supported (until 2027-06-28; warn in maintenance mode from 2027-04-28)
		"AG-PATCH-003": fail, // v1.36.3 is behind the latest 1.36 patch in the versions data
		"AG-PATCH-004": pass, // no fixed kube-apiserver CVE affects v1.36.3
		// admin power
		"AG-ADMIN-001": na,   // manifest mode: host only
		"AG-ADMIN-002": na,   // manifest owner: host only
		"AG-ADMIN-003": pass, // --encryption-provider-config
		"AG-ADMIN-004": na,   // its providers are in the file: not readable live
	},
	lab.Insecure.Name: {
		"AG-NET-001": pass, // --bind-address=127.0.0.1
		"AG-NET-002": fail, // --tls-min-version=VersionTLS10
		"AG-NET-003": warn, // no --tls-cipher-suites: Go's defaults include ECDHE CBC suites
		"AG-NET-004": pass, // --tls-cert-file and --tls-private-key-file
		"AG-NET-005": fail, // --profiling=true
		"AG-NET-006": fail, // no --kubelet-certificate-authority
		"AG-NET-007": fail, // no etcd client certificate
		"AG-NET-008": fail, // no --etcd-cafile
		"AG-NET-009": fail, // --etcd-servers=http://...
		"AG-NET-010": pass, // default request timeout
		"AG-NET-011": fail, // DenyServiceExternalIPs off
		"AG-NET-012": pass,
		"AG-NET-021": pass,

		"AG-AUTHN-001": fail, // --anonymous-auth=true with Node,RBAC
		"AG-AUTHN-002": fail, // --token-auth-file (live: its users are unknown, but the flag alone fails)
		"AG-AUTHN-003": pass, // --client-ca-file
		"AG-AUTHN-004": fail, // --service-account-lookup=false
		"AG-AUTHN-005": pass, // --service-account-key-file
		"AG-AUTHN-006": fail, // --service-account-extend-token-expiration defaults to true
		"AG-AUTHN-007": fail, // no --kubelet-client-certificate/--kubelet-client-key
		"AG-AUTHN-008": pass, // bootstrap token auth defaults to off
		"AG-AUTHN-009": pass, // no request-header authentication configured
		"AG-AUTHN-010": pass, // no --authentication-config: no JWT authenticator
		"AG-AUTHN-011": pass, // no --oidc-* flags
		"AG-AUTHN-012": pass,
		"AG-AUTHN-013": pass,
		"AG-AUTHN-014": pass,

		"AG-AUTHZ-001": pass, // Node,RBAC
		"AG-AUTHZ-002": pass,
		"AG-AUTHZ-003": pass,
		"AG-AUTHZ-004": pass,
		"AG-AUTHZ-005": fail, // --enable-admission-plugins=AlwaysAdmit
		"AG-AUTHZ-006": fail, // NodeRestriction is off by default and not enabled
		"AG-AUTHZ-007": fail, // --disable-admission-plugins=ServiceAccount
		"AG-AUTHZ-008": pass, // NamespaceLifecycle on by default
		"AG-AUTHZ-009": fail,
		"AG-AUTHZ-010": fail,

		"AG-AUDIT-001": fail, // no audit backend
		"AG-AUDIT-002": nap,  // no audit log file: rotation limits have nothing to act on
		"AG-AUDIT-003": nap,
		"AG-AUDIT-004": nap,
		"AG-AUDIT-005": fail, // no --audit-policy-file: decidable from the flags alone
		"AG-AUDIT-006": nap,  // no audit log
		"AG-AUDIT-007": nap,
		"AG-AUDIT-008": nap,
		"AG-AUDIT-009": nap, // no policy to lint: AG-AUDIT-005 fails

		"AG-PATCH-001": pass,
		"AG-PATCH-002": pass,
		"AG-PATCH-003": fail,
		"AG-PATCH-004": pass,

		"AG-ADMIN-001": na,
		"AG-ADMIN-002": na,
		"AG-ADMIN-003": fail, // no --encryption-provider-config
		"AG-ADMIN-004": fail, // idem: decidable from the flags alone
	},
	lab.KubeadmLike.Name: {
		"AG-NET-001": pass, // the lab's one extraArg --bind-address=127.0.0.1 (real kubeadm: warn)
		"AG-NET-002": pass, // unset: kube-apiserver's own TLS 1.2 minimum
		"AG-NET-003": warn, // no --tls-cipher-suites
		"AG-NET-004": pass,
		"AG-NET-005": fail, // --profiling defaults to true
		"AG-NET-006": fail, // kubeadm sets no --kubelet-certificate-authority
		"AG-NET-007": pass,
		"AG-NET-008": pass,
		"AG-NET-009": pass, // https etcd
		"AG-NET-010": pass,
		"AG-NET-011": fail,
		"AG-NET-012": pass,
		"AG-NET-021": pass,

		"AG-AUTHN-001": fail, // --anonymous-auth defaults to true
		"AG-AUTHN-002": pass,
		"AG-AUTHN-003": pass,
		"AG-AUTHN-004": pass, // --service-account-lookup defaults to true
		"AG-AUTHN-005": pass,
		"AG-AUTHN-006": fail, // --service-account-extend-token-expiration defaults to true
		"AG-AUTHN-007": pass,
		"AG-AUTHN-008": warn, // --enable-bootstrap-token-auth=true
		"AG-AUTHN-009": pass, // front-proxy CA + allowed names
		"AG-AUTHN-010": pass,
		"AG-AUTHN-011": pass,
		"AG-AUTHN-012": pass,
		"AG-AUTHN-013": pass,
		"AG-AUTHN-014": pass,

		"AG-AUTHZ-001": pass,
		"AG-AUTHZ-002": pass,
		"AG-AUTHZ-003": pass,
		"AG-AUTHZ-004": pass,
		"AG-AUTHZ-005": pass,
		"AG-AUTHZ-006": pass, // --enable-admission-plugins=NodeRestriction
		"AG-AUTHZ-007": pass,
		"AG-AUTHZ-008": pass,
		"AG-AUTHZ-009": fail,
		"AG-AUTHZ-010": fail,

		"AG-AUDIT-001": fail,
		"AG-AUDIT-002": nap,
		"AG-AUDIT-003": nap,
		"AG-AUDIT-004": nap,
		"AG-AUDIT-005": fail,
		"AG-AUDIT-006": nap, // no audit log
		"AG-AUDIT-007": nap,
		"AG-AUDIT-008": nap,
		"AG-AUDIT-009": nap, // no policy to lint: AG-AUDIT-005 fails

		"AG-PATCH-001": pass,
		"AG-PATCH-002": pass,
		"AG-PATCH-003": fail,
		"AG-PATCH-004": pass,

		"AG-ADMIN-001": na,
		"AG-ADMIN-002": na,
		"AG-ADMIN-003": fail,
		"AG-ADMIN-004": fail,
	},
}

// offlineChanges are the checks whose status differs on an OFFLINE scan of
// the same cluster's static-pod manifest (--manifest, --root /): the files
// the flags name are read from disk, and the manifest's mode (the lab writes
// it 0600, like kubeadm) and owner are visible. AG-ADMIN-002 depends on who
// runs the suite; see manifestOwnerWant.
var offlineChanges = map[string]map[string]string{
	lab.Hardened.Name: {
		"AG-AUTHN-001": pass, // authentication-config: anonymous only for /livez, /readyz, /healthz
		"AG-AUTHN-012": na,   // the credential inventory is live-only
		"AG-AUTHN-013": na,
		"AG-AUTHN-014": na,
		"AG-AUTHN-010": pass, // authentication-config has no jwt entries
		"AG-AUDIT-005": pass, // audit policy with rules
		"AG-AUDIT-009": warn, // lint findings below high
		"AG-ADMIN-004": pass, // secretbox first for secrets
		"AG-ADMIN-001": pass, // 0600
	},
	lab.Insecure.Name: {
		"AG-ADMIN-001": pass,
		"AG-AUTHN-012": na, // the credential inventory is live-only
		"AG-AUTHN-013": na,
		"AG-AUTHN-014": na,
	},
	lab.KubeadmLike.Name: {
		"AG-ADMIN-001": pass,
		"AG-AUTHN-012": na, // the credential inventory is live-only
		"AG-AUTHN-013": na,
		"AG-AUTHN-014": na,
	},
}

// manifestOwnerWant is AG-ADMIN-002 offline: the manifest is owned by
// whoever runs the suite.
func manifestOwnerWant() string {
	if os.Getuid() == 0 && os.Getgid() == 0 {
		return pass
	}
	return fail
}

// optInChecks are the checks a scan selects only when their input is given
// (check.Select), by that input's flag: the profiles' scans give none, so
// they must report nothing.
var optInChecks = map[string]string{"AG-AUTHZ-030": "--audit"}

// assertStatuses compares a report with the expected status of every check
// the binary has, and returns the findings by check ID.
func assertStatuses(t *testing.T, label string, r *report, checks []checkInfo, want map[string]string) map[string]finding {
	t.Helper()
	got := r.byID(t, label)
	var diffs []string
	for _, c := range checks {
		w, ok := want[c.ID]
		f, reported := got[c.ID]
		if flag, opt := optInChecks[c.ID]; opt && !ok {
			if reported {
				diffs = append(diffs, fmt.Sprintf("%s: ran without %s, its opt-in input (got %s: %s)", c.ID, flag, f.Status, f.Message))
			}
			continue
		}
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: no expectation in this test (got %s: %s); add one", c.ID, f.Status, f.Message))
		case !reported:
			diffs = append(diffs, fmt.Sprintf("%s: want %s, but the check reported no finding", c.ID, w))
		case f.Status != w:
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s: %s", c.ID, f.Status, w, f.Message))
		}
	}
	for id := range got {
		if !slices.ContainsFunc(checks, func(c checkInfo) bool { return c.ID == id }) {
			diffs = append(diffs, fmt.Sprintf("%s: finding for a check that `apiguard checks` does not list", id))
		}
	}
	for id := range want {
		if !slices.ContainsFunc(checks, func(c checkInfo) bool { return c.ID == id }) {
			diffs = append(diffs, fmt.Sprintf("%s: expected by this test but not in `apiguard checks`", id))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("%s: %d check(s) differ from the expectation:\n  %s", label, len(diffs), strings.Join(diffs, "\n  "))
	}
	return got
}

// rbacScoped: checks of the cluster's RBAC model (authorization, admin
// power), whose resources are subjects and bindings, one finding each.
func rbacScoped(id string) bool {
	var n int
	if _, err := fmt.Sscanf(id, "AG-AUTHZ-%d", &n); err == nil {
		return n >= 11 && n <= 26
	}
	return id == "AG-ADMIN-005" || id == "AG-ADMIN-006"
}

// statusRank orders statuses by how much they ask of the user.
var statusRank = map[string]int{pass: 0, na: 1, warn: 2, fail: 3}

// rbacLiveWant is what the RBAC checks find in every lab profile: only
// Kubernetes' defaults plus kubeadm's binding of cluster-admin to the group
// kubeadm:cluster-admins (bootstrap.go); Insecure adds a binding of view to
// system:unauthenticated.
func rbacLiveWant(profile string) map[string]string {
	w := map[string]string{"AG-ADMIN-005": warn, "AG-ADMIN-006": pass} // kubeadm:cluster-admins: a known admin group
	for n := 11; n <= 26; n++ {
		w[fmt.Sprintf("AG-AUTHZ-%03d", n)] = pass
	}
	if profile == lab.Insecure.Name {
		w["AG-AUTHZ-024"] = fail // lab:anonymous-view
	}
	return w
}

// clusterScoped: checks of the cluster's credential inventory, whose
// resource is the scan target (authentication posture).
func clusterScoped(id string) bool {
	return id == "AG-AUTHN-012" || id == "AG-AUTHN-013" || id == "AG-AUTHN-014"
}

// fromServerVersion: patching checks judge /version when no kube-apiserver
// instance is visible (managed control planes).
func fromServerVersion(id string) bool {
	return id == "AG-PATCH-002" || id == "AG-PATCH-003" || id == "AG-PATCH-004"
}

// argValues maps each flag name of an argv to its values.
func argValues(args []string) map[string][]string {
	out := map[string][]string{}
	for _, a := range args {
		name, val, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out[name] = append(out[name], val)
	}
	return out
}

// assertFlagEvidence checks every flag evidence ("--name") of every finding:
// a flag on the command line is reported with its value and a source
// starting with wantSource; a flag not on it never claims that source.
func assertFlagEvidence(t *testing.T, label string, r *report, c *lab.Cluster, wantSource string) {
	t.Helper()
	args := argValues(c.APIServerArgs)
	n := 0
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			if !strings.HasPrefix(e.Key, "--") {
				continue
			}
			vals, set := args[strings.TrimPrefix(e.Key, "--")]
			switch {
			case set && !strings.HasPrefix(e.Source, wantSource):
				t.Errorf("%s: %s evidence %s=%q has source %q, want %q...", label, f.CheckID, e.Key, e.Value, e.Source, wantSource)
			case set && len(vals) == 1 && e.Value != vals[0]:
				t.Errorf("%s: %s evidence %s=%q, but the server runs with %s=%s", label, f.CheckID, e.Key, e.Value, e.Key, vals[0])
			case !set && strings.HasPrefix(e.Source, wantSource):
				t.Errorf("%s: %s evidence %s (not on the command line) claims source %q", label, f.CheckID, e.Key, e.Source)
			}
			if set {
				n++
			}
		}
	}
	if n == 0 {
		t.Errorf("%s: no evidence names a flag of the command line", label)
	}
}

// evidenceOf returns the evidence with the given key.
func evidenceOf(f finding, key string) (evidence, bool) {
	for _, e := range f.Evidence {
		if e.Key == key {
			return e, true
		}
	}
	return evidence{}, false
}

// TestScanProfiles starts each lab profile once (sequentially) and runs the
// scanner against it: live, offline on the manifest, through a snapshot, and
// the profile-specific collection scenarios.
func TestScanProfiles(t *testing.T) {
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	checks := catalogue(t)
	for _, p := range lab.Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			c := lab.Start(t, p)
			// The probe's verdicts need view's aggregated rules (Insecure binds
			// view to system:unauthenticated): probe_test.go.
			c.WaitAggregated(t)
			var live, offline *report
			t.Run("live", func(t *testing.T) { live = liveScan(t, c, checks) })
			t.Run("offline", func(t *testing.T) { offline = offlineScan(t, c, checks) })
			t.Run("ground-truth", func(t *testing.T) {
				if live == nil || offline == nil {
					t.Skip("a scan failed")
				}
				// The live finding, or the offline one where live cannot see the file.
				scanned := live.byID(t, "live")
				for id, f := range offline.byID(t, "offline") {
					if scanned[id].Status == na {
						scanned[id] = f
					}
				}
				groundTruth(t, c, scanned)
			})
			t.Run("snapshot", func(t *testing.T) {
				if live == nil {
					t.Skip("the live scan failed")
				}
				snapshotRoundTrip(t, c, live)
			})
			switch p.Name {
			case lab.Hardened.Name:
				t.Run("read-only", func(t *testing.T) {
					if live == nil {
						t.Skip("the live scan failed")
					}
					readOnlyCollection(t, c, live)
				})
			case lab.Insecure.Name:
				t.Run("html", func(t *testing.T) { htmlLive(t, c) }) // htmlreport_test.go
				t.Run("missing-permissions", func(t *testing.T) { missingPermissions(t, c, checks) })
			case lab.KubeadmLike.Name:
				// Last: it deletes the mirror pod.
				t.Run("managed-like", func(t *testing.T) { managedLike(t, c, checks) })
			}
		})
	}
}

func liveScan(t *testing.T, c *lab.Cluster, checks []checkInfo) *report {
	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	label := c.Profile.Name + " live"
	want := map[string]string{}
	for id, s := range liveWant[c.Profile.Name] {
		want[id] = s
	}
	for id, s := range probeWant[c.Profile.Name] { // network exposure: probe_test.go
		want[id] = s
	}
	for id, s := range rbacLiveWant(c.Profile.Name) {
		want[id] = s
	}
	got := assertStatuses(t, label, r, checks, want)

	resource := "kube-system/kube-apiserver-" + c.NodeName
	if c.MirrorPodName != "kube-apiserver-"+c.NodeName {
		t.Fatalf("the lab's mirror pod is %q, want kube-apiserver-%s", c.MirrorPodName, c.NodeName)
	}
	for _, f := range r.Findings {
		if endpointScoped(f.CheckID) || clusterScoped(f.CheckID) || rbacScoped(f.CheckID) {
			continue // the endpoint URL, the managed cluster (probe_test.go), the credential inventory or RBAC
		}
		if f.Resource != resource {
			t.Errorf("%s: %s resource %q, want %q", label, f.CheckID, f.Resource, resource)
		}
	}
	assertFlagEvidence(t, label, r, c, "pod "+resource)
	if len(r.Problems) > 0 {
		t.Errorf("%s: problems reported: %+v", label, r.Problems)
	}
	if !strings.Contains(r.Target, c.URL) {
		t.Errorf("%s: target %q does not name %s", label, r.Target, c.URL)
	}

	// Spot checks of the evidence the README promises.
	switch c.Profile.Name {
	case lab.Hardened.Name:
		if e, ok := evidenceOf(got["AG-NET-005"], "--profiling"); !ok || e.Value != "false" || e.Source != "pod "+resource {
			t.Errorf("%s: AG-NET-005 --profiling evidence %+v, want false from pod %s", label, e, resource)
		}
		for _, id := range []string{"AG-AUTHN-001", "AG-AUDIT-005", "AG-ADMIN-004"} {
			if m := got[id].Message; !strings.Contains(m, "not readable through the Kubernetes API") {
				t.Errorf("%s: %s should say the file is not readable live: %q", label, id, m)
			}
		}
	case lab.KubeadmLike.Name:
		if e, ok := evidenceOf(got["AG-NET-005"], "--profiling"); !ok || e.Value != "true" || e.Source != "default for v1.36" {
			t.Errorf("%s: AG-NET-005 --profiling evidence %+v, want the v1.36 default true", label, e)
		}
	case lab.Insecure.Name:
		if e, ok := evidenceOf(got["AG-AUTHN-002"], "--token-auth-file"); !ok || e.Source != "pod "+resource {
			t.Errorf("%s: AG-AUTHN-002 evidence %+v", label, e)
		}
	}
	return r
}

func offlineScan(t *testing.T, c *lab.Cluster, checks []checkInfo) *report {
	r := scanJSON(t, "scan", "--manifest", c.ManifestPath, "--root", "/")
	label := c.Profile.Name + " offline"
	want := map[string]string{}
	for id, s := range liveWant[c.Profile.Name] {
		want[id] = s
	}
	for id, s := range offlineChanges[c.Profile.Name] {
		want[id] = s
	}
	want["AG-ADMIN-002"] = manifestOwnerWant()
	for id := range probeWant[c.Profile.Name] {
		want[id] = na // offline: no probe, no --cloud file
	}
	for id := range rbacLiveWant(c.Profile.Name) {
		want[id] = na // offline: no --rbac dump
	}
	got := assertStatuses(t, label, r, checks, want)
	// A static pod manifest names its instance after the Pod it holds.
	for _, f := range r.Findings {
		if endpointScoped(f.CheckID) || clusterScoped(f.CheckID) || rbacScoped(f.CheckID) {
			continue
		}
		if f.Resource != "kube-system/kube-apiserver" {
			t.Errorf("%s: %s resource %q, want kube-system/kube-apiserver (the manifest's Pod)", label, f.CheckID, f.Resource)
		}
	}
	assertFlagEvidence(t, label, r, c, c.ManifestPath+":")

	switch c.Profile.Name {
	case lab.Hardened.Name:
		// The file contents were really read.
		if m := got["AG-AUTHN-001"].Message; !strings.Contains(m, "health endpoints") {
			t.Errorf("%s: AG-AUTHN-001 message %q does not describe the anonymous conditions", label, m)
		}
		if m := got["AG-ADMIN-004"].Message; !strings.Contains(m, "secretbox") {
			t.Errorf("%s: AG-ADMIN-004 message %q does not name secretbox", label, m)
		}
		if m := got["AG-AUDIT-005"].Message; !strings.Contains(m, "rules") {
			t.Errorf("%s: AG-AUDIT-005 message %q", label, m)
		}
	case lab.Insecure.Name:
		f := got["AG-AUTHN-002"]
		for _, u := range []string{"static-admin", "static-reader"} {
			if !strings.Contains(f.Message, u) {
				t.Errorf("%s: AG-AUTHN-002 message does not name user %s: %q", label, u, f.Message)
			}
		}
		// static-admin is in system:masters.
		if f.Severity != "critical" || !strings.Contains(f.Message, "system:masters") {
			t.Errorf("%s: AG-AUTHN-002 severity %s, message %q: want critical, naming system:masters", label, f.Severity, f.Message)
		}
		// Tokens are never printed.
		out, _ := json.Marshal(f)
		for _, tok := range c.StaticTokens {
			if strings.Contains(string(out), tok) {
				t.Errorf("%s: AG-AUTHN-002 leaks a static token", label)
			}
		}
	}
	return r
}

// findingKey is what a snapshot must reproduce of a live finding: all but
// the evidence sources.
func findingKey(f finding) string {
	var ev []string
	for _, e := range f.Evidence {
		ev = append(ev, e.Key+"="+e.Value)
	}
	return strings.Join([]string{f.CheckID, f.Status, f.Resource, f.Message, strings.Join(ev, "; ")}, " | ")
}

func snapshotRoundTrip(t *testing.T, c *lab.Cluster, live *report) {
	dir := filepath.Join(t.TempDir(), "snap")
	_, stderr, code := runAPIGuard(t, "snapshot", "--kubeconfig", c.AdminKubeconfig, "--out", dir)
	if code != 0 {
		t.Fatalf("apiguard snapshot: exit %d: %s", code, stderr)
	}
	r := scanJSON(t, "scan", "--snapshot", dir)
	var want, got []string
	for _, f := range live.Findings {
		want = append(want, findingKey(f))
	}
	for _, f := range r.Findings {
		got = append(got, findingKey(f))
	}
	sort.Strings(want)
	sort.Strings(got)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s snapshot: live finding not reproduced:\n  %s", c.Profile.Name, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s snapshot: finding not in the live scan:\n  %s", c.Profile.Name, g)
		}
	}
	if len(r.Problems) > 0 {
		t.Errorf("%s snapshot: problems reported: %+v", c.Profile.Name, r.Problems)
	}
}

// auditEvent is the part of an audit.k8s.io/v1 Event the tests read.
type auditEvent struct {
	Kind            string    `json:"kind"`
	AuditID         string    `json:"auditID"`
	Stage           string    `json:"stage"`
	Level           string    `json:"level"`
	Verb            string    `json:"verb"`
	RequestURI      string    `json:"requestURI"`
	UserAgent       string    `json:"userAgent"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
	User            struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ImpersonatedUser *struct {
		Username string `json:"username"`
	} `json:"impersonatedUser"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
}

// isSecretList: the event is a list of Secrets.
func (e auditEvent) isSecretList() bool {
	return e.Verb == "list" && e.ObjectRef != nil && e.ObjectRef.Resource == "secrets"
}

func readAudit(t *testing.T, path, user string) []auditEvent {
	t.Helper()
	var out []auditEvent
	eachLine(t, path, func(line []byte) {
		var e auditEvent
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("%s: not a JSON audit event: %v: %.200s", path, err, line)
		}
		if e.User.Username == user {
			out = append(out, e)
		}
	})
	return out
}

// auditViolations lists the events that are not pure reads (get, list,
// watch), that get a Secret, that impersonate, or that the policy did not
// record at Metadata or above; requests describes every event.
func auditViolations(events []auditEvent) (violations, requests []string) {
	readVerbs := map[string]bool{"get": true, "list": true, "watch": true}
	for _, e := range events {
		what := e.Verb + " " + e.RequestURI
		if e.ObjectRef != nil {
			what += fmt.Sprintf(" (%s/%s ns=%q, level %s)", e.ObjectRef.APIGroup, e.ObjectRef.Resource, e.ObjectRef.Namespace, e.Level)
		}
		requests = append(requests, what)
		switch {
		case e.Level == "" || e.Level == "None":
			violations = append(violations, "audit event below Metadata: "+what)
		case !readVerbs[e.Verb]:
			violations = append(violations, "non-read verb: "+what)
		case e.ImpersonatedUser != nil:
			violations = append(violations, "impersonation of "+e.ImpersonatedUser.Username+": "+what)
		case e.ObjectRef != nil && e.ObjectRef.Resource == "secrets" && e.Verb != "list":
			violations = append(violations, "Secret read with verb "+e.Verb+" (only metadata-only lists are allowed): "+what)
		}
	}
	return violations, requests
}

// limitedRBAC lets its user read /version and discovery and list nodes, and
// nothing in kube-system.
const limitedRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: apiguard-e2e-limited
rules:
- nonResourceURLs: ["/version", "/api", "/apis"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: apiguard-e2e-limited
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: apiguard-e2e-limited
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: apiguard-limited
`

func missingPermissions(t *testing.T, c *lab.Cluster, checks []checkInfo) {
	path := filepath.Join(t.TempDir(), "limited.yaml")
	if err := os.WriteFile(path, []byte(limitedRBAC), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ApplyFile(t, path)
	kc := c.UserKubeconfig(t, "apiguard-limited")
	// The user really is in that position.
	cs := lab.Client(t, kc)
	if _, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("limited user cannot list nodes: %v", err)
	}
	if _, err := cs.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{}); err == nil {
		t.Fatal("limited user can list pods in kube-system")
	}

	r := scanJSON(t, "scan", "--kubeconfig", kc)
	got := r.byID(t, "missing permissions")
	for _, ck := range checks {
		f, ok := got[ck.ID]
		switch {
		case optInChecks[ck.ID] != "":
			if ok {
				t.Errorf("%s: ran without %s, its opt-in input (got %s: %s)", ck.ID, optInChecks[ck.ID], f.Status, f.Message)
			}
		case !ok:
			t.Errorf("%s: no finding", ck.ID)
		case endpointScoped(ck.ID):
			continue // the anonymous probe assesses whatever the user's permissions
		case fromServerVersion(ck.ID):
			continue // judged from /version, which every user may read
		case f.Status == pass:
			t.Errorf("%s passes without seeing the control plane: %s", ck.ID, f.Message)
		case ck.needsFlags() && (f.Status != na || !strings.Contains(f.Message, "forbidden")):
			t.Errorf("%s: got %s %q, want not-assessable mentioning forbidden", ck.ID, f.Status, f.Message)
		case f.Status != na:
			t.Errorf("%s: got %s, want not-assessable: %s", ck.ID, f.Status, f.Message)
		}
	}
}

func managedLike(t *testing.T, c *lab.Cluster, checks []checkInfo) {
	ctx := context.Background()
	admin := c.AdminClient(t)
	zero := int64(0)
	if err := admin.CoreV1().Pods("kube-system").Delete(ctx, c.MirrorPodName, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("delete mirror pod: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pods, err := admin.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-system still has %d pod(s)", len(pods.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}

	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	got := r.byID(t, "managed-like")
	for _, ck := range checks {
		f, ok := got[ck.ID]
		switch {
		case optInChecks[ck.ID] != "":
			if ok {
				t.Errorf("%s: ran without %s, its opt-in input (got %s: %s)", ck.ID, optInChecks[ck.ID], f.Status, f.Message)
			}
		case !ok:
			t.Errorf("%s: no finding", ck.ID)
		case endpointScoped(ck.ID):
			continue // the probe and --cloud files, not the control plane
		case fromServerVersion(ck.ID) || clusterScoped(ck.ID) || rbacScoped(ck.ID):
			continue // judged from /version, the credential inventory and RBAC, not the control plane
		case f.Status != na:
			t.Errorf("%s: got %s without a visible control plane, want not-assessable: %s", ck.ID, f.Status, f.Message)
		case !strings.Contains(f.Message, "no kube-apiserver pod"):
			t.Errorf("%s: message does not say why: %q", ck.ID, f.Message)
		}
	}
}
