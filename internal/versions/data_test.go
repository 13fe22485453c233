package versions

import (
	"strings"
	"testing"
	"time"
)

func TestEmbeddedData(t *testing.T) {
	d := Embedded()
	if d.Date.IsZero() || d.Releases.AsOf.IsZero() || d.CVEs.AsOf.IsZero() {
		t.Fatalf("dates missing: %+v", d.Date)
	}
	if len(d.Releases.Sources) == 0 || len(d.CVEs.Sources) == 0 {
		t.Fatal("every section names its sources")
	}
	// Every minor from 1.24 on, without gaps, each with its latest patch.
	want := 24
	for _, m := range d.Releases.Minors {
		if m.version.Minor != want {
			t.Fatalf("minor %s: want 1.%d (no gaps, sorted)", m.Minor, want)
		}
		want++
		if m.Latest == "" || m.LatestDate.IsZero() {
			t.Errorf("%s: latest patch and its date are required", m.Minor)
		}
		if !m.Maintenance.IsZero() && (m.Maintenance.Before(m.Released.Time) || m.EndOfLife.Before(m.Maintenance.Time)) {
			t.Errorf("%s: dates out of order", m.Minor)
		}
	}
	if want <= 36 {
		t.Fatalf("data ends at 1.%d, want at least 1.36", want-1)
	}
	// A CVE's fixed versions are outside its affected ranges, and each
	// affected range ends where a fix starts.
	for _, c := range d.CVEs.Items {
		for _, f := range c.fixed {
			for _, r := range c.ranges {
				if r.Contains(f) {
					t.Errorf("%s: fixed version %s is inside affected range %s", c.ID, f, r)
				}
			}
		}
		if !c.NoFix() && len(c.fixed) == 0 {
			t.Errorf("%s: a fixed CVE lists its fixed versions", c.ID)
		}
	}
}

func TestParseDataErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty file"},
		{"date: 2026-01-01\nreleases: {minors: []}\n", "at least one minor"},
		{"date: 2026-13-01\n", "line 1"},
		{"date: 2026-01-01\nbogus: 1\n", "field bogus not found"},
		{"date: 2026-01-01\nreleases:\n  minors:\n  - {minor: \"1.30.1\", released: 2024-01-01, endOfLife: 2025-01-01}\n", "is not a minor"},
		{"date: 2026-01-01\nreleases:\n  minors:\n  - {minor: \"1.30\", released: 2024-01-01, endOfLife: 2025-01-01, latest: \"1.31.2\"}\n", "not a patch release of 1.30"},
		{"date: 2026-01-01\nreleases:\n  minors:\n  - {minor: \"1.30\", released: 2024-01-01, endOfLife: 2025-01-01}\ncves:\n  items:\n  - {id: CVE-1-1, affected: [\"<=x\"]}\n", "affected[0]"},
		{"date: 2026-01-01\nreleases:\n  minors:\n  - {minor: \"1.30\", released: 2024-01-01, endOfLife: 2025-01-01}\ncves:\n  items:\n  - {id: CVE-1-1, severity: severe, affected: [all]}\n", "severity"},
	} {
		_, err := ParseData("f.yaml", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Errorf("ParseData(%q) error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestRange(t *testing.T) {
	for _, c := range []struct {
		r, v string
		in   bool
	}{
		{"<1.10.11", "1.10.10", true},
		{"<1.10.11", "1.10.11", false},
		{">=1.11.0,<1.11.5", "1.11.4", true},
		{">=1.11.0,<1.11.5", "1.12.0", false},
		{"=1.21.0", "1.21.0", true},
		{"=1.21.0", "1.21.1", false},
		{">=1.32.0,<=1.32.5", "v1.32.5-eks-1234567", true},
		{"all", "1.99.0", true},
		{">1.2.3", "1.2.4", true},
		{"!=1.2.3", "1.2.3", false},
	} {
		r, err := ParseRange(c.r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Contains(MustParse(c.v)); got != c.in {
			t.Errorf("%s contains %s = %v", c.r, c.v, got)
		}
	}
	for _, bad := range []string{"", "<1.2", ">=1.2.3-rc.1", "<x", ",", ">=1.2.3,"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) should fail", bad)
		}
	}
}

func day(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d.Time
}

func TestAssess(t *testing.T) {
	d := Embedded()
	now := day("2026-11-27")
	cases := []struct {
		v, platform string
		support     Support
		behind      int
		cves        []string
		detail      string
	}{
		{"v1.36.3", "", Supported, 3, nil, "supported until 2027-06-28"},
		{"v1.36.6", "", Supported, 0, nil, ""},
		{"v1.35.2", "", Supported, 8, nil, ""},
		{"v1.34.13", "", EndOfLife, 0, nil, "reached end of life on 2026-10-27"},
		{"v1.33.1", "", EndOfLife, 12, []string{"CVE-2025-5187", "CVE-2025-4563"}, ""},
		{"v1.33.2", "", EndOfLife, 11, []string{"CVE-2025-5187"}, ""},
		{"v1.29.3-eks-adc7111", "", EndOfLife, 12, []string{"CVE-2025-5187", "CVE-2024-3177"}, "EKS 1.29: extended support ended on 2026-03-23"},
		{"v1.32.5-eks-1234567", "", ExtendedSupport, 8, []string{"CVE-2025-5187", "CVE-2025-4563"}, "paid extended support lasts until 2027-03-23"},
		{"1.30.5-gke.1014001", "", EndOfLife, 9, []string{"CVE-2025-5187"}, "GKE 1.30: end of life on 2025-09-30"},
		{"v1.31.5", "aks", ExtendedSupport, 9, []string{"CVE-2025-5187"}, "Long Term Support"},
		{"v1.34.10", "aks", Supported, 3, nil, "AKS 1.34: supported until 2026-11-30 (upstream end of life 2026-10-27)"},
		{"v1.23.17", "", OlderThanData, 0, []string{"CVE-2023-44487", "CVE-2025-5187", "CVE-2023-2728", "CVE-2023-2727", "CVE-2024-3177"}, "older than 1.24"},
		{"v1.38.0", "", NewerThanData, 0, nil, "newer than every minor"},
		{"v1.28.1", "", EndOfLife, 14, []string{"CVE-2023-44487", "CVE-2025-5187", "CVE-2024-3177"}, ""},
	}
	for _, c := range cases {
		a := d.Assess(MustParse(c.v), c.platform, now)
		if a.Support != c.support || a.PatchesBehind != c.behind {
			t.Errorf("%s: support %s behind %d, want %s %d (%s)", c.v, a.Support, a.PatchesBehind, c.support, c.behind, a.SupportDetail)
		}
		var ids []string
		for _, m := range a.CVEs {
			ids = append(ids, m.ID)
		}
		if strings.Join(ids, ",") != strings.Join(c.cves, ",") && !(len(ids) == 0 && len(c.cves) == 0) {
			t.Errorf("%s: CVEs %v, want %v", c.v, ids, c.cves)
		}
		if c.detail != "" && !strings.Contains(a.SupportDetail, c.detail) {
			t.Errorf("%s: detail %q, want %q", c.v, a.SupportDetail, c.detail)
		}
		if len(a.Unfixed) == 0 {
			t.Errorf("%s: the no-fix CVEs are listed apart", c.v)
		}
		if PlatformName(a.Platform) != "" != a.BackportCaveat {
			t.Errorf("%s: backport caveat %v on platform %q", c.v, a.BackportCaveat, a.Platform)
		}
	}
	// fixedIn: on the same minor, else the next minor's fix.
	a := d.Assess(MustParse("v1.33.1"), "", now)
	for _, m := range a.CVEs {
		if m.ID == "CVE-2025-5187" && m.FixedIn != "1.33.4" {
			t.Errorf("fixedIn = %s", m.FixedIn)
		}
	}
	a = d.Assess(MustParse("v1.23.17"), "", now)
	for _, m := range a.CVEs {
		if m.ID == "CVE-2024-3177" && m.FixedIn != "1.27.13" {
			t.Errorf("1.23 fixedIn = %s, want the first newer minor's fix", m.FixedIn)
		}
	}
	// X.Y only: support is known, patches and CVEs are not.
	a = d.Assess(MustParse("1.33"), "", now)
	if a.PatchKnown || len(a.CVEs) != 0 || a.Support != EndOfLife {
		t.Errorf("1.33: %+v", a)
	}
	// Maintenance mode and prerelease.
	if a := d.Assess(MustParse("v1.36.6"), "", day("2027-05-01")); a.Support != Maintenance {
		t.Errorf("1.36 in May 2027: %s", a.Support)
	}
	if a := d.Assess(MustParse("v1.37.0"), "", day("2026-08-01")); a.Support != Prerelease {
		t.Errorf("1.37 before its release: %s", a.Support)
	}
	if a := d.Assess(MustParse("v1.36.99"), "", now); !a.NewerPatch {
		t.Error("a patch newer than the data is noted")
	}
}

func TestMerge(t *testing.T) {
	base := Embedded()
	local := *base
	local.Origin, local.Releases.Origin, local.CVEs.Origin = "local.yaml", "local.yaml", "local.yaml"
	local.Releases.AsOf = Date{base.Releases.AsOf.AddDate(0, -1, 0)}
	local.CVEs.AsOf = Date{base.CVEs.AsOf.AddDate(0, 1, 0)}
	m := Merge(base, &local)
	if m.Releases.Origin != base.Releases.Origin || m.CVEs.Origin != "local.yaml" {
		t.Fatalf("merge picks the newer section: %s / %s", m.Releases.Origin, m.CVEs.Origin)
	}
	if !strings.Contains(m.Describe(), "local.yaml") || !strings.Contains(m.Describe(), "embedded") {
		t.Fatalf("describe: %s", m.Describe())
	}
	if Merge(base, nil) != base {
		t.Fatal("no local file: base")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	b, err := Embedded().Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseData("re-encoded", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(d.Releases.Minors) != len(Embedded().Releases.Minors) || len(d.CVEs.Items) != len(Embedded().CVEs.Items) {
		t.Fatal("round trip lost entries")
	}
	if d.Releases.Minors[0].Released != Embedded().Releases.Minors[0].Released {
		t.Fatal("dates changed")
	}
}
