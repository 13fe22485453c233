package versions

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// DataFileName is the name of the embedded data file and of the local copy
// `apiguard versions update` writes.
const DataFileName = "kubernetes.yaml"

//go:embed data/kubernetes.yaml
var embeddedYAML []byte

// Date is a calendar day (UTC), written "2006-01-02" in YAML and JSON.
type Date struct{ time.Time }

const dateLayout = "2006-01-02"

// ParseDate reads "2006-01-02" (an RFC 3339 timestamp is cut to its day).
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) > len(dateLayout) && (s[len(dateLayout)] == 'T' || s[len(dateLayout)] == ' ') {
		s = s[:len(dateLayout)]
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// DateOf is the UTC day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(dateLayout)
}

// UnmarshalYAML reads a YAML date or string.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a date (YYYY-MM-DD)", n.Line)
	}
	v, err := ParseDate(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes "2006-01-02".
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes "2006-01-02" (JSON).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "2006-01-02" (JSON).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// DaysUntil counts whole days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int { return int(o.Sub(d.Time).Hours() / 24) }

// Data is the release and CVE knowledge apiguard judges versions with.
type Data struct {
	// Date is when the file was compiled.
	Date     Date        `yaml:"date" json:"date"`
	Releases ReleaseData `yaml:"releases" json:"releases"`
	CVEs     CVEData     `yaml:"cves" json:"cves"`

	// Origin says where the data was read from ("embedded", or a path);
	// each section keeps its own when sections come from different files.
	Origin string `yaml:"-" json:"origin"`
}

// ReleaseData lists the upstream minors.
type ReleaseData struct {
	AsOf    Date     `yaml:"asOf" json:"asOf"`
	Sources []string `yaml:"sources" json:"sources"`
	Minors  []Minor  `yaml:"minors" json:"minors"`
	Origin  string   `yaml:"-" json:"origin"`
}

// CVEData lists the CVEs that affect kube-apiserver.
type CVEData struct {
	AsOf    Date     `yaml:"asOf" json:"asOf"`
	Sources []string `yaml:"sources" json:"sources"`
	Items   []CVE    `yaml:"items" json:"items"`
	Origin  string   `yaml:"-" json:"origin"`
}

// Minor is one upstream Kubernetes minor release.
type Minor struct {
	Minor       string `yaml:"minor" json:"minor"`
	Released    Date   `yaml:"released" json:"released"`
	Maintenance Date   `yaml:"maintenance,omitempty" json:"maintenance,omitzero"`
	EndOfLife   Date   `yaml:"endOfLife" json:"endOfLife"`
	Latest      string `yaml:"latest" json:"latest"`
	LatestDate  Date   `yaml:"latestDate,omitempty" json:"latestDate,omitzero"`
	Note        string `yaml:"note,omitempty" json:"note,omitempty"`
	Confidence  string `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	// Managed support windows, as the providers publish them.
	EKS *Managed `yaml:"eks,omitempty" json:"eks,omitempty"`
	GKE *Managed `yaml:"gke,omitempty" json:"gke,omitempty"`
	AKS *Managed `yaml:"aks,omitempty" json:"aks,omitempty"`

	version, latest Version
}

// Managed is a provider's support window for a minor. EKS: standard then
// paid extended support. GKE: standard support then end of life. AKS: end of
// community support, then Long Term Support (Premium tier) until EndOfLTS.
type Managed struct {
	Released             Date `yaml:"released,omitempty" json:"released,omitzero"`
	EndOfStandardSupport Date `yaml:"endOfStandardSupport,omitempty" json:"endOfStandardSupport,omitzero"`
	EndOfExtendedSupport Date `yaml:"endOfExtendedSupport,omitempty" json:"endOfExtendedSupport,omitzero"`
	EndOfLife            Date `yaml:"endOfLife,omitempty" json:"endOfLife,omitzero"`
	EndOfLTS             Date `yaml:"endOfLTS,omitempty" json:"endOfLTS,omitzero"`
}

// Requires narrows a CVE to configurations apiguard can see: admission
// plugins that must be on, or off, for it to be exploitable.
type Requires struct {
	AdmissionEnabled  []string `yaml:"admissionEnabled,omitempty" json:"admissionEnabled,omitempty"`
	AdmissionDisabled []string `yaml:"admissionDisabled,omitempty" json:"admissionDisabled,omitempty"`
}

// CVE is one vulnerability of kube-apiserver.
type CVE struct {
	ID       string  `yaml:"id" json:"id"`
	Title    string  `yaml:"title" json:"title"`
	Severity string  `yaml:"severity" json:"severity"`
	CVSS     float64 `yaml:"cvss,omitempty" json:"cvss,omitempty"`
	Vector   string  `yaml:"vector,omitempty" json:"vector,omitempty"`
	// Affected are ranges ("<1.10.11", ">=1.11.0,<1.11.5", "=1.21.0") on
	// the upstream X.Y.Z; "all" means every release (no fix exists).
	Affected   []string  `yaml:"affected" json:"affected"`
	Fixed      []string  `yaml:"fixed,omitempty" json:"fixed,omitempty"`
	Mitigation string    `yaml:"mitigation,omitempty" json:"mitigation,omitempty"`
	Condition  string    `yaml:"condition,omitempty" json:"condition,omitempty"`
	Requires   *Requires `yaml:"requires,omitempty" json:"requires,omitempty"`
	// InFeed is false for CVEs the official feed does not carry.
	InFeed     *bool  `yaml:"inFeed,omitempty" json:"inFeed,omitempty"`
	Confidence string `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	URL        string `yaml:"url,omitempty" json:"url,omitempty"`
	Published  Date   `yaml:"published,omitempty" json:"published,omitzero"`
	// Origin is "curated" (the override table) or "feed" (parsed from the
	// feed's free text by `apiguard versions update`).
	Origin string `yaml:"origin,omitempty" json:"origin,omitempty"`
	// Unparsed holds the feed's text when no range could be read from it;
	// such an entry matches nothing and is listed for a human to curate.
	Unparsed string `yaml:"unparsed,omitempty" json:"unparsed,omitempty"`

	ranges []Range
	fixed  []Version
}

// Link is the CVE's URL: its announcement issue when known, else its
// cve.org record.
func (c CVE) Link() string {
	if c.URL != "" {
		return c.URL
	}
	return "https://www.cve.org/CVERecord?id=" + c.ID
}

// NoFix reports a CVE that affects every release and has no fix.
func (c CVE) NoFix() bool {
	for _, a := range c.Affected {
		if strings.EqualFold(strings.TrimSpace(a), "all") {
			return true
		}
	}
	return false
}

// MaxDataSize bounds data files and feeds read from disk or the network.
const MaxDataSize = fileinput.VersionsDataLimit

var severities = map[string]bool{"info": true, "low": true, "medium": true, "high": true, "critical": true}

// ParseData decodes and validates a data file. Errors name the source, the
// line and the field.
func ParseData(src string, b []byte) (*Data, error) {
	if len(b) > MaxDataSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", src, MaxDataSize)
	}
	var d Data
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file: want a versions data file (date, releases, cves)", src)
		}
		return nil, fmt.Errorf("%s: %v", src, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	d.Origin = src
	d.Releases.Origin = src
	d.CVEs.Origin = src
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", src, err)
	}
	return &d, nil
}

func (d *Data) validate() error {
	if d.Date.IsZero() {
		return errors.New("date: required (YYYY-MM-DD)")
	}
	if len(d.Releases.Minors) == 0 {
		return errors.New("releases.minors: at least one minor is required")
	}
	seen := map[string]bool{}
	for i := range d.Releases.Minors {
		m := &d.Releases.Minors[i]
		at := fmt.Sprintf("releases.minors[%d] (%s)", i, m.Minor)
		v, err := Parse(m.Minor)
		if err != nil || v.HasPatch {
			return fmt.Errorf("%s.minor: %q is not a minor (want \"1.N\")", at, m.Minor)
		}
		if seen[v.MinorString()] {
			return fmt.Errorf("%s.minor: listed twice", at)
		}
		seen[v.MinorString()] = true
		m.version = v
		if m.Released.IsZero() || m.EndOfLife.IsZero() {
			return fmt.Errorf("%s: released and endOfLife are required", at)
		}
		if m.Latest != "" {
			l, err := Parse(m.Latest)
			if err != nil || !l.HasPatch || l.Major != v.Major || l.Minor != v.Minor {
				return fmt.Errorf("%s.latest: %q is not a patch release of %s", at, m.Latest, m.Minor)
			}
			m.latest = l
		}
	}
	sort.SliceStable(d.Releases.Minors, func(i, j int) bool {
		return d.Releases.Minors[i].version.Compare(d.Releases.Minors[j].version) < 0
	})
	ids := map[string]bool{}
	for i := range d.CVEs.Items {
		c := &d.CVEs.Items[i]
		at := fmt.Sprintf("cves.items[%d] (%s)", i, c.ID)
		if !strings.HasPrefix(c.ID, "CVE-") {
			return fmt.Errorf("%s.id: want CVE-YYYY-NNNN", at)
		}
		if ids[c.ID] {
			return fmt.Errorf("%s.id: listed twice", at)
		}
		ids[c.ID] = true
		c.Severity = strings.ToLower(c.Severity)
		if c.Severity == "" {
			c.Severity = "medium"
		}
		if !severities[c.Severity] {
			return fmt.Errorf("%s.severity: %q (want info, low, medium, high or critical)", at, c.Severity)
		}
		c.ranges = c.ranges[:0]
		for j, a := range c.Affected {
			r, err := ParseRange(a)
			if err != nil {
				return fmt.Errorf("%s.affected[%d]: %v", at, j, err)
			}
			c.ranges = append(c.ranges, r)
		}
		c.fixed = c.fixed[:0]
		for j, f := range c.Fixed {
			v, err := Parse(f)
			if err != nil || !v.HasPatch {
				return fmt.Errorf("%s.fixed[%d]: %q is not a version X.Y.Z", at, j, f)
			}
			c.fixed = append(c.fixed, v)
		}
		sort.Slice(c.fixed, func(a, b int) bool { return c.fixed[a].Compare(c.fixed[b]) < 0 })
	}
	return nil
}

var (
	embeddedOnce sync.Once
	embeddedData *Data
	embeddedErr  error
)

// Embedded returns the data compiled into the binary. A broken embedded file
// is a build bug; tests prove it parses.
func Embedded() *Data {
	embeddedOnce.Do(func() {
		embeddedData, embeddedErr = ParseData("embedded "+DataFileName, embeddedYAML)
	})
	if embeddedErr != nil {
		panic(embeddedErr)
	}
	return embeddedData
}

// EmbeddedYAML is the embedded file as shipped.
func EmbeddedYAML() []byte { return bytes.Clone(embeddedYAML) }

// Merge returns the data to use when a local file exists: each section
// (releases, CVEs) comes from whichever of base and local is newer, so a
// local file written by an older binary never hides newer embedded releases.
func Merge(base, local *Data) *Data {
	if local == nil {
		return base
	}
	out := *base
	out.Origin = local.Origin
	if !local.Releases.AsOf.Before(base.Releases.AsOf.Time) {
		out.Releases = local.Releases
	}
	if !local.CVEs.AsOf.Before(base.CVEs.AsOf.Time) {
		out.CVEs = local.CVEs
	}
	if local.Date.After(out.Date.Time) {
		out.Date = local.Date
	}
	if out.Releases.Origin == out.CVEs.Origin {
		out.Origin = out.Releases.Origin
	} else {
		out.Origin = "releases: " + out.Releases.Origin + "; CVEs: " + out.CVEs.Origin
	}
	return &out
}

// Describe is one line naming the data and its dates, for evidence.
func (d *Data) Describe() string {
	if d.Releases.Origin == d.CVEs.Origin {
		return fmt.Sprintf("%s: releases as of %s, CVEs as of %s", d.Releases.Origin, d.Releases.AsOf, d.CVEs.AsOf)
	}
	return fmt.Sprintf("releases as of %s (%s), CVEs as of %s (%s)", d.Releases.AsOf, d.Releases.Origin, d.CVEs.AsOf, d.CVEs.Origin)
}

// Age describes how old the data is at now, for reports.
func (d *Data) Age(now time.Time) string {
	n := DateOf(now)
	rel, cve := d.Releases.AsOf.DaysUntil(n), d.CVEs.AsOf.DaysUntil(n)
	switch {
	case rel < 0 && cve < 0:
		return "the data is newer than the evaluation date"
	case rel == cve:
		return fmt.Sprintf("%s old", days(rel))
	}
	return fmt.Sprintf("releases %s old, CVEs %s old", days(rel), days(cve))
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	if n < 0 {
		n = 0
	}
	return fmt.Sprintf("%d days", n)
}

// Minor returns the data of v's minor.
func (d *Data) Minor(v Version) (*Minor, bool) {
	for i := range d.Releases.Minors {
		m := &d.Releases.Minors[i]
		if m.version.Major == v.Major && m.version.Minor == v.Minor {
			return m, true
		}
	}
	return nil, false
}

// Oldest and Newest are the first and last minors of the data.
func (d *Data) Oldest() *Minor { return &d.Releases.Minors[0] }
func (d *Data) Newest() *Minor { return &d.Releases.Minors[len(d.Releases.Minors)-1] }

// Encode writes the data file, with a header comment.
func (d *Data) Encode() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# apiguard versions data, written by `apiguard versions update`.\n")
	b.WriteString("# Used instead of the embedded data for each section (releases, cves) whose asOf is newer.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
