package versions

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Range is a set of versions in hashicorp/go-version constraint style:
// comma-separated terms that must all hold ("<1.10.11", ">=1.11.0,<1.11.5",
// "=1.21.0"), or "all". Versions compare on X.Y.Z only.
type Range struct {
	raw   string
	all   bool
	terms []rangeTerm
}

type rangeTerm struct {
	op string
	v  Version
}

// ParseRange reads one range.
func ParseRange(s string) (Range, error) {
	r := Range{raw: strings.TrimSpace(s)}
	if strings.EqualFold(r.raw, "all") || r.raw == "*" {
		r.all = true
		return r, nil
	}
	if r.raw == "" {
		return r, fmt.Errorf("empty range (want e.g. \">=1.30.0,<1.30.5\" or \"all\")")
	}
	for _, part := range strings.Split(r.raw, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{">=", "<=", "==", "!=", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			op = "="
		}
		vs := strings.TrimSpace(strings.TrimPrefix(part, op))
		if op == "==" {
			op = "="
		}
		v, err := Parse(vs)
		if err != nil || !v.HasPatch || v.Suffix != "" {
			return r, fmt.Errorf("%q: %q is not a version X.Y.Z (want terms like \">=1.30.0\" joined by commas)", s, vs)
		}
		r.terms = append(r.terms, rangeTerm{op: op, v: v})
	}
	return r, nil
}

// Contains reports whether v is in the range.
func (r Range) Contains(v Version) bool {
	if r.all {
		return true
	}
	if len(r.terms) == 0 {
		return false
	}
	for _, t := range r.terms {
		c := v.Compare(t.v)
		ok := false
		switch t.op {
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		}
		if !ok {
			return false
		}
	}
	return true
}

func (r Range) String() string { return r.raw }

// Support is where a minor stands in its support window.
type Support string

const (
	Supported Support = "supported"
	// Maintenance: critical fixes only, until end of life.
	Maintenance Support = "maintenance"
	// ExtendedSupport: past the community or standard window, still
	// patched by a managed provider (EKS extended support, AKS LTS).
	ExtendedSupport Support = "extended-support"
	EndOfLife       Support = "end-of-life"
	// OlderThanData: older than the data's oldest minor, so end of life.
	OlderThanData Support = "older-than-data"
	// NewerThanData: a minor the data does not know yet.
	NewerThanData Support = "newer-than-data"
	// Prerelease: known to the data but not released at the evaluation date.
	Prerelease Support = "prerelease"
)

// Unsupported reports a minor that no longer receives security fixes.
func (s Support) Unsupported() bool { return s == EndOfLife || s == OlderThanData }

// Managed platforms whose providers back-port fixes without changing the
// upstream patch number.
var managedPlatforms = map[string]string{"eks": "EKS", "gke": "GKE", "aks": "AKS"}

// PlatformName is "EKS" for "eks", or "" when p is not a managed platform.
func PlatformName(p string) string { return managedPlatforms[strings.ToLower(p)] }

// CVEMatch is a CVE that applies to a version.
type CVEMatch struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Severity string  `json:"severity"`
	CVSS     float64 `json:"cvss,omitempty"`
	// Range is the affected range the version falls in.
	Range string `json:"range"`
	// FixedIn is the first fixed release for this minor, or a newer minor's
	// fix ("1.34.0") when the minor never got one; "" when none exists.
	FixedIn    string    `json:"fixedIn,omitempty"`
	Condition  string    `json:"condition,omitempty"`
	Requires   *Requires `json:"requires,omitempty"`
	Mitigation string    `json:"mitigation,omitempty"`
	URL        string    `json:"url"`
	Confidence string    `json:"confidence,omitempty"`
}

// Assessment is what the data says about one version at one date.
type Assessment struct {
	// Input is the version string as given; Version its upstream X.Y.Z.
	Input   string `json:"input"`
	Version string `json:"version"`
	// Vendor is the distribution its suffix names (eks, gke, k3s, rke2).
	Vendor string `json:"vendor,omitempty"`
	// Platform is the managed platform (eks, gke, aks) the support window
	// and back-port caveat are for.
	Platform string  `json:"platform,omitempty"`
	AsOf     Date    `json:"asOf"`
	Minor    string  `json:"minor"`
	Support  Support `json:"support"`
	// SupportDetail explains Support in one sentence.
	SupportDetail string `json:"supportDetail"`
	Released      Date   `json:"released,omitzero"`
	Maintenance   Date   `json:"maintenance,omitzero"`
	EndOfLife     Date   `json:"endOfLife,omitzero"`
	// PatchKnown is false for "1.36" (no patch number).
	PatchKnown    bool   `json:"patchKnown"`
	LatestPatch   string `json:"latestPatch,omitempty"`
	LatestDate    Date   `json:"latestDate,omitzero"`
	PatchesBehind int    `json:"patchesBehind"`
	// NewerPatch: the patch is newer than the data's latest.
	NewerPatch bool `json:"newerPatchThanData,omitempty"`
	// CVEs are the fixed CVEs the version carries; Unfixed those that affect
	// every release (mitigations only); Unparsed are feed CVE IDs whose
	// affected versions could not be read.
	CVEs     []CVEMatch `json:"cves"`
	Unfixed  []CVEMatch `json:"unfixed"`
	Unparsed []string   `json:"unparsedCVEs,omitempty"`
	// BackportCaveat: a managed provider may have back-ported fixes.
	BackportCaveat bool     `json:"backportCaveat"`
	Data           DataInfo `json:"data"`
}

// DataInfo says which data judged the version and how old it is.
type DataInfo struct {
	Origin       string `json:"origin"`
	ReleasesAsOf Date   `json:"releasesAsOf"`
	CVEsAsOf     Date   `json:"cvesAsOf"`
	Age          string `json:"age"`
}

// Info describes the data as of now, for reports.
func (d *Data) Info(now time.Time) DataInfo {
	return DataInfo{Origin: d.Origin, ReleasesAsOf: d.Releases.AsOf, CVEsAsOf: d.CVEs.AsOf, Age: d.Age(now)}
}

// MinorStatus is a minor of the data with its upstream support status.
type MinorStatus struct {
	Minor
	Support Support `json:"support"`
}

// MinorStatuses judges every minor of the data at now, in its order.
func (d *Data) MinorStatuses(now time.Time) []MinorStatus {
	var out []MinorStatus
	for _, m := range d.Releases.Minors {
		out = append(out, MinorStatus{Minor: m, Support: d.Assess(MustParse(m.Minor), "", now).Support})
	}
	return out
}

// Assess judges v against the data at now. platform ("eks", "gke", "aks",
// or "") selects the provider's support window; a vendor suffix (-eks-,
// -gke.) sets it when empty.
func (d *Data) Assess(v Version, platform string, now time.Time) Assessment {
	today := DateOf(now)
	a := Assessment{
		Input: v.Raw, Version: v.Upstream(), Vendor: v.Vendor(), AsOf: today, Minor: v.MinorString(),
		PatchKnown: v.HasPatch, CVEs: []CVEMatch{}, Unfixed: []CVEMatch{},
		Data: d.Info(now),
	}
	if a.Input == "" {
		a.Input = v.String()
	}
	a.Platform = strings.ToLower(platform)
	if a.Platform == "" && PlatformName(a.Vendor) != "" {
		a.Platform = a.Vendor
	}
	a.BackportCaveat = PlatformName(a.Platform) != ""
	d.assessSupport(&a, v, today)
	if m, ok := d.Minor(v); ok && v.HasPatch && m.Latest != "" {
		a.LatestPatch, a.LatestDate = m.latest.String(), m.LatestDate
		switch {
		case v.Patch < m.latest.Patch:
			a.PatchesBehind = m.latest.Patch - v.Patch
		case v.Patch > m.latest.Patch:
			a.NewerPatch = true
		}
	} else if ok && m.Latest != "" {
		a.LatestPatch, a.LatestDate = m.latest.String(), m.LatestDate
	}
	for _, c := range d.CVEs.Items {
		switch {
		case c.NoFix():
			a.Unfixed = append(a.Unfixed, matchOf(c, "all", ""))
		case len(c.ranges) == 0:
			if c.Unparsed != "" {
				a.Unparsed = append(a.Unparsed, c.ID)
			}
		case v.HasPatch:
			for _, r := range c.ranges {
				if r.Contains(v) {
					a.CVEs = append(a.CVEs, matchOf(c, r.String(), fixedFor(c, v)))
					break
				}
			}
		}
	}
	sort.SliceStable(a.CVEs, func(i, j int) bool {
		si, sj := severityRank[a.CVEs[i].Severity], severityRank[a.CVEs[j].Severity]
		if si != sj {
			return si > sj
		}
		return a.CVEs[i].ID > a.CVEs[j].ID
	})
	return a
}

var severityRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

func matchOf(c CVE, r, fixedIn string) CVEMatch {
	return CVEMatch{ID: c.ID, Title: c.Title, Severity: c.Severity, CVSS: c.CVSS, Range: r, FixedIn: fixedIn,
		Condition: c.Condition, Requires: c.Requires, Mitigation: c.Mitigation, URL: c.Link(), Confidence: c.Confidence}
}

// fixedFor is the first fix on v's minor, else the first fix on a newer minor.
func fixedFor(c CVE, v Version) string {
	for _, f := range c.fixed {
		if f.Major == v.Major && f.Minor == v.Minor && f.Compare(v) > 0 {
			return strings.TrimPrefix(f.String(), "v")
		}
	}
	for _, f := range c.fixed {
		if f.Compare(v) > 0 && (f.Major > v.Major || f.Minor > v.Minor) {
			return strings.TrimPrefix(f.String(), "v")
		}
	}
	return ""
}

func (d *Data) assessSupport(a *Assessment, v Version, today Date) {
	m, ok := d.Minor(v)
	if !ok {
		switch {
		case v.Compare(d.Oldest().version) < 0:
			a.Support = OlderThanData
			a.SupportDetail = fmt.Sprintf("Kubernetes %s is older than %s, the oldest minor in the data, and every such release is past end of life", v.MinorString(), d.Oldest().Minor)
		default:
			a.Support = NewerThanData
			a.SupportDetail = fmt.Sprintf("Kubernetes %s is newer than every minor in the data (newest %s, releases as of %s): update the data with `apiguard versions update`", v.MinorString(), d.Newest().Minor, d.Releases.AsOf)
		}
		return
	}
	a.Released, a.Maintenance, a.EndOfLife = m.Released, m.Maintenance, m.EndOfLife
	after := func(x Date) bool { return !x.IsZero() && today.After(x.Time) }
	switch {
	case today.Before(m.Released.Time):
		a.Support = Prerelease
		a.SupportDetail = fmt.Sprintf("Kubernetes %s is not released as of %s (planned %s): a pre-release must not serve production", m.Minor, today, m.Released)
	case after(m.EndOfLife):
		a.Support = EndOfLife
		a.SupportDetail = fmt.Sprintf("Kubernetes %s reached end of life on %s and receives no security fixes", m.Minor, m.EndOfLife)
	case after(m.Maintenance):
		a.Support = Maintenance
		a.SupportDetail = fmt.Sprintf("Kubernetes %s is in maintenance mode since %s (critical fixes only) and reaches end of life on %s", m.Minor, m.Maintenance, m.EndOfLife)
	default:
		a.Support = Supported
		a.SupportDetail = fmt.Sprintf("Kubernetes %s is supported until %s", m.Minor, m.EndOfLife)
	}
	name := PlatformName(a.Platform)
	if name == "" || a.Support == Prerelease {
		return
	}
	w := map[string]*Managed{"eks": m.EKS, "gke": m.GKE, "aks": m.AKS}[a.Platform]
	if w == nil {
		a.SupportDetail += fmt.Sprintf(" (upstream dates: the data has no %s support window for %s)", name, m.Minor)
		return
	}
	up := fmt.Sprintf(" (upstream end of life %s)", m.EndOfLife)
	switch a.Platform {
	case "eks":
		switch {
		case after(w.EndOfExtendedSupport):
			a.Support, a.SupportDetail = EndOfLife, fmt.Sprintf("EKS %s: extended support ended on %s%s; AWS upgrades such control planes automatically", m.Minor, w.EndOfExtendedSupport, up)
		case after(w.EndOfStandardSupport):
			a.Support, a.SupportDetail = ExtendedSupport, fmt.Sprintf("EKS %s: standard support ended on %s; paid extended support lasts until %s%s", m.Minor, w.EndOfStandardSupport, w.EndOfExtendedSupport, up)
		default:
			a.Support, a.SupportDetail = Supported, fmt.Sprintf("EKS %s: standard support until %s%s", m.Minor, w.EndOfStandardSupport, up)
		}
	case "gke":
		switch {
		case after(w.EndOfLife):
			a.Support, a.SupportDetail = EndOfLife, fmt.Sprintf("GKE %s: end of life on %s%s", m.Minor, w.EndOfLife, up)
		case after(w.EndOfStandardSupport):
			a.Support, a.SupportDetail = Maintenance, fmt.Sprintf("GKE %s: standard support ended on %s; end of life on %s%s", m.Minor, w.EndOfStandardSupport, w.EndOfLife, up)
		default:
			a.Support, a.SupportDetail = Supported, fmt.Sprintf("GKE %s: standard support until %s%s", m.Minor, w.EndOfStandardSupport, up)
		}
	case "aks":
		switch {
		case after(w.EndOfLife) && (w.EndOfLTS.IsZero() || after(w.EndOfLTS)):
			end := w.EndOfLife
			if !w.EndOfLTS.IsZero() {
				end = w.EndOfLTS
			}
			a.Support, a.SupportDetail = EndOfLife, fmt.Sprintf("AKS %s: support ended on %s%s", m.Minor, end, up)
		case after(w.EndOfLife):
			a.Support, a.SupportDetail = ExtendedSupport, fmt.Sprintf("AKS %s: community support ended on %s; only Long Term Support (Premium tier, AKSLongTermSupport plan) covers it until %s%s", m.Minor, w.EndOfLife, w.EndOfLTS, up)
		default:
			a.Support, a.SupportDetail = Supported, fmt.Sprintf("AKS %s: supported until %s%s", m.Minor, w.EndOfLife, up)
		}
	}
}
