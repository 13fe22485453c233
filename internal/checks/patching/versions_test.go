package patching

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

func testData(t *testing.T) *versions.Data {
	t.Helper()
	b, err := os.ReadFile("testdata/versions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := versions.ParseData("testdata/versions.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var nov27 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// snap is a one-instance snapshot at a version, collected on nov27.
func snap(version string, args ...string) *inputs.Snapshot {
	s := ct.Version(ct.Snapshot(args...), version)
	s.APIServers[0].Image = "registry.k8s.io/kube-apiserver:" + version
	s.CollectedAt = nov27
	return s
}

// managed is a hidden control plane whose /version is known.
func managed(platform, gitVersion string) *inputs.Snapshot {
	s := ct.Hidden("managed control plane")
	s.Cluster.Platform, s.Cluster.ServerVersion = platform, gitVersion
	s.CollectedAt = nov27
	return s
}

type vcase struct {
	name     string
	snap     *inputs.Snapshot
	want     check.Status
	contains string
	severity check.Severity // checked when non-zero
}

func runTable(t *testing.T, c check.Check, cases []vcase) {
	t.Helper()
	ctx := versions.WithData(context.Background(), testData(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := check.Run(ctx, []check.Check{c}, tc.snap)
			if len(fs) != 1 {
				t.Fatalf("want 1 finding, got %+v", fs)
			}
			f := fs[0]
			if f.Status != tc.want || !strings.Contains(f.Message, tc.contains) {
				t.Fatalf("%s: %s, want %s containing %q", f.Status, f.Message, tc.want, tc.contains)
			}
			if tc.severity != 0 && f.Severity != tc.severity {
				t.Fatalf("severity %s, want %s", f.Severity, tc.severity)
			}
			if f.Resource == "" {
				t.Fatal("no resource")
			}
			if f.Status != check.NotAssessable {
				e := ct.Evidence(t, f, "versions data")
				if !strings.Contains(e.Value, "testdata/versions.yaml") || !strings.Contains(e.Source, "CVEs ") {
					t.Fatalf("data evidence %+v", e)
				}
			}
		})
	}
}

func TestSupportedMinor(t *testing.T) {
	noVersion := ct.Version(ct.Snapshot(), "")
	noVersion.Cluster.ServerVersion = "v1.36.3"
	noVersion.CollectedAt = nov27
	maint := snap("v1.36.6")
	maint.CollectedAt = time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	noClock := snap("v1.36.3")
	noClock.CollectedAt = time.Time{}
	runTable(t, SupportedMinor, []vcase{
		{"supported", snap("v1.36.3"), check.Pass, "supported until 2027-06-28", 0},
		{"end of life", snap("v1.33.1"), check.Fail, "reached end of life on 2026-06-28", check.High},
		{"maintenance mode", maint, check.Warn, "maintenance mode since 2027-04-28", check.Medium},
		{"older than the data", snap("v1.23.17"), check.Fail, "older than 1.32", 0},
		{"newer than the data", snap("v1.40.0"), check.NotAssessable, "newer than every minor", 0},
		{"EKS extended support", managed("eks", "v1.32.5-eks-adc7111"), check.Warn, "paid extended support lasts until 2027-03-23", 0},
		{"EKS from the suffix alone", managed("", "v1.32.5-eks-adc7111"), check.Warn, "EKS 1.32", 0},
		{"version from /version", noVersion, check.Pass, "supported", 0},
		{"no collection time: the data's date", noClock, check.Pass, "supported", 0},
		{"unknown version", ct.Version(ct.Snapshot(), ""), check.NotAssessable, "give --k8s-version", 0},
		{"hidden without /version", ct.Hidden("EKS control plane is managed"), check.NotAssessable, "EKS control plane is managed", 0},
	})
	ctx := versions.WithData(context.Background(), testData(t))
	f := check.Run(ctx, []check.Check{SupportedMinor}, snap("v1.36.3"))[0]
	if e := ct.Evidence(t, f, "version"); e.Value != "v1.36.3" || e.Source != "image registry.k8s.io/kube-apiserver:v1.36.3" {
		t.Fatalf("version evidence %+v", e)
	}
	if e := ct.Evidence(t, f, "versions data"); !strings.Contains(e.Source, "evaluated on 2026-11-27, the collection date") {
		t.Fatalf("clock evidence %+v", e)
	}
	f = check.Run(ctx, []check.Check{SupportedMinor}, noClock)[0]
	if e := ct.Evidence(t, f, "versions data"); !strings.Contains(e.Source, "the data's date") {
		t.Fatalf("clock evidence without a collection time %+v", e)
	}
	f = check.Run(ctx, []check.Check{SupportedMinor}, managed("eks", "v1.32.5-eks-adc7111"))[0]
	if e := ct.Evidence(t, f, "version"); e.Value != "v1.32.5-eks-adc7111 (upstream v1.32.5)" || e.Source != "/version (gitVersion)" || f.Resource != "test" {
		t.Fatalf("managed evidence %+v resource %s", e, f.Resource)
	}
}

func TestLatestPatch(t *testing.T) {
	runTable(t, LatestPatch, []vcase{
		{"behind", snap("v1.36.3"), check.Fail, "v1.36.3 is 3 patch releases behind v1.36.6 (released 2026-10-28)", check.Medium},
		{"one behind", snap("v1.36.5"), check.Fail, "1 patch release behind", 0},
		{"latest", snap("v1.36.6"), check.Pass, "latest patch release of 1.36", 0},
		{"newer than the data", snap("v1.36.9"), check.Pass, "newer than v1.36.6", 0},
		{"end-of-life minor", snap("v1.33.1"), check.Fail, "final patch of an end-of-life minor", 0},
		{"CVEs fixed since", snap("v1.36.3"), check.Fail, "known CVEs were fixed since", 0},
		{"no patch number", snap("v1.36"), check.NotAssessable, "names no patch release", 0},
		{"minor unknown to the data", snap("v1.23.17"), check.NotAssessable, "no patch releases of 1.23", 0},
		{"managed: the provider's call", managed("eks", "v1.32.5-eks-adc7111"), check.Warn, "EKS chooses the patch level", 0},
	})
	ctx := versions.WithData(context.Background(), testData(t))
	f := check.Run(ctx, []check.Check{LatestPatch}, snap("v1.36.3"))[0]
	if !strings.Contains(f.Remediation, "Upgrade kube-apiserver to v1.36.6") {
		t.Fatalf("remediation %q", f.Remediation)
	}
}

func TestKnownCVEs(t *testing.T) {
	withOwnerRefs := snap("v1.33.1", "--enable-admission-plugins=NodeRestriction,OwnerReferencesPermissionEnforcement")
	runTable(t, KnownCVEs, []vcase{
		{"affected, condition met", snap("v1.33.1", "--enable-admission-plugins=NodeRestriction"), check.Fail, "affected by 2 known CVE(s): CVE-2025-5187 (medium 6.7, fixed in 1.33.4)", check.Medium},
		{"condition not met: NodeRestriction off", snap("v1.33.1"), check.Fail, "ruled out by the configuration: CVE-2025-5187 (NodeRestriction is not enabled)", check.Low},
		{"condition not met: mitigation on", withOwnerRefs, check.Fail, "OwnerReferencesPermissionEnforcement is enabled", check.Low},
		{"high severity wins", snap("v1.36.3"), check.Fail, "CVE-2099-0001 (high 7.7, fixed in 1.36.5)", check.High},
		{"fixed", snap("v1.36.6"), check.Pass, "1 CVEs without a fix affect every release and need their mitigations (CVE-2020-8554)", 0},
		{"managed: potentially affected", managed("gke", "v1.33.1-gke.100"), check.Warn, "GKE may have back-ported the fixes", check.Medium},
		{"no patch number", snap("v1.33"), check.NotAssessable, "CVE ranges cannot be judged", 0},
	})
	ctx := versions.WithData(context.Background(), testData(t))
	f := check.Run(ctx, []check.Check{KnownCVEs}, snap("v1.36.3"))[0]
	e := ct.Evidence(t, f, "CVE-2099-0001")
	if e.Value != "high 7.7; affected >=1.36.0,<1.36.5; fixed in 1.36.5" || e.Source != "https://www.cve.org/CVERecord?id=CVE-2099-0001" {
		t.Fatalf("CVE evidence %+v", e)
	}
	if !strings.Contains(f.Remediation, "Upgrade to v1.36.6, the latest patch of 1.36") {
		t.Fatalf("remediation %q", f.Remediation)
	}
	f = check.Run(ctx, []check.Check{KnownCVEs}, snap("v1.33.1"))[0]
	if !strings.Contains(f.Remediation, "supported minor") {
		t.Fatalf("EOL remediation %q", f.Remediation)
	}
}

// TestEmbeddedDataDefault: without data in the context the checks use the
// embedded file and still judge every instance.
func TestEmbeddedDataDefault(t *testing.T) {
	s := snap("v1.36.3")
	for _, c := range []check.Check{SupportedMinor, LatestPatch, KnownCVEs} {
		f := ct.One(t, c, s)
		if f.Status == check.Error || f.Status == check.NotAssessable {
			t.Fatalf("%s: %s %s", c.ID, f.Status, f.Message)
		}
		if e := ct.Evidence(t, f, "versions data"); !strings.Contains(e.Value, "embedded") {
			t.Fatalf("%s: %+v", c.ID, e)
		}
	}
}
