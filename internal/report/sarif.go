package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/apiguard/apiguard/internal/check"
)

// SARIF 2.1.0 identifiers.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// InformationURI is the tool's home page in SARIF output.
	InformationURI = "https://github.com/apiguard/apiguard"
	// FingerprintKey names apiguard's partial fingerprint:
	// hex(sha256(checkID + "|" + resource)). Bump the version if the recipe changes.
	FingerprintKey = "apiguard/v1"
	srcRoot        = "%SRCROOT%"
)

// Notification descriptor IDs (tool.driver.notifications).
const (
	notifNotAssessable = "apiguard/not-assessable"
	notifCheckError    = "apiguard/check-error"
	notifInputProblem  = "apiguard/input-problem"
	notifNotApplicable = "apiguard/not-applicable"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool           `json:"tool"`
	Invocations []sarifInvocation   `json:"invocations"`
	Results     []sarifResult       `json:"results"`
	Properties  *sarifRunProperties `json:"properties,omitempty"`
}

// sarifRunProperties is the run's property bag.
type sarifRunProperties struct {
	// Benchmark: the CIS benchmark version the checks followed where versions differ.
	Benchmark check.Benchmark `json:"benchmark"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string            `json:"name"`
	Version        string            `json:"version,omitempty"`
	InformationURI string            `json:"informationUri"`
	Rules          []sarifDescriptor `json:"rules"`
	Notifications  []sarifDescriptor `json:"notifications"`
}

// sarifDescriptor is a reportingDescriptor: a rule or a notification kind.
type sarifDescriptor struct {
	ID                   string               `json:"id"`
	Name                 string               `json:"name,omitempty"`
	ShortDescription     *sarifMessage        `json:"shortDescription,omitempty"`
	FullDescription      *sarifMessage        `json:"fullDescription,omitempty"`
	Help                 *sarifMessage        `json:"help,omitempty"`
	HelpURI              string               `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifConfiguration  `json:"defaultConfiguration,omitempty"`
	Properties           *sarifRuleProperties `json:"properties,omitempty"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is the CVSS-like score GitHub turns into
	// critical/high/medium/low on code scanning alerts.
	SecuritySeverity string `json:"security-severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string              `json:"level"`
	Message        sarifMessage        `json:"message"`
	Locations      []sarifLocation     `json:"locations,omitempty"`
	Descriptor     sarifDescriptorRef  `json:"descriptor"`
	AssociatedRule *sarifDescriptorRef `json:"associatedRule,omitempty"`
}

type sarifDescriptorRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID              string                `json:"ruleId"`
	RuleIndex           int                   `json:"ruleIndex"`
	Level               string                `json:"level"`
	Message             sarifMessage          `json:"message"`
	Locations           []sarifLocation       `json:"locations"`
	PartialFingerprints map[string]string     `json:"partialFingerprints"`
	Properties          sarifResultProperties `json:"properties"`
}

type sarifResultProperties struct {
	Status   check.Status     `json:"status"`
	Evidence []check.Evidence `json:"evidence,omitempty"`
	Path     []check.Step     `json:"path,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// renderSARIF writes one SARIF 2.1.0 run.
//
//   - tool.driver.rules has one rule per check in r.Checks (every check that
//     ran, not only failing ones), so code scanning can close alerts whose
//     rule ran clean. A finding whose check is missing from r.Checks gets a
//     rule built from the finding, so ruleIndex is always valid.
//   - results are the fail and warn findings only.
//   - not-assessable and error findings, and input problems, are
//     invocations[0].toolExecutionNotifications, not results. SARIF has
//     result.kind "open" ("insufficient information to decide") for
//     not-assessable, but GitHub code scanning ignores result.kind and turns
//     every result into an alert whose severity comes from the rule's
//     security-severity: a managed control plane would get unfixable
//     "critical" alerts that fail pull-request checks. As notifications they
//     stay in the log, with their rule and resource, for viewers and auditors,
//     and GitHub lists them as tool diagnostics instead of alerts. The table,
//     json, junit and markdown formats show them as first-class results.
//   - every result has a physicalLocation: GitHub rejects a whole upload
//     whose results lack one ("locationFromSarifResult: expected a physical
//     location"). Findings with a file location point at that file and line;
//     the others (live clusters) point at a pseudo-path named after the
//     resource. All results also carry the resource as a logicalLocation.
//   - not-applicable findings (SARIF's result.kind "notApplicable": the
//     setting has no effect here) are note-level notifications with their
//     rule, for the same reason: GitHub would raise a "notApplicable" result
//     as an alert at the rule's severity.
func renderSARIF(b *bytes.Buffer, r *Report, _ Options) error {
	rules, ruleIdx := sarifRules(r)

	results := []sarifResult{}
	var notes []sarifNotification
	for _, f := range r.Findings {
		ri := ruleIdx[f.CheckID]
		switch f.Status {
		case check.Fail, check.Warn:
			results = append(results, sarifResult{
				RuleID:              f.CheckID,
				RuleIndex:           ri,
				Level:               resultLevel(f),
				Message:             sarifMessage{Text: resultText(f)},
				Locations:           sarifLocations(f, r.Target),
				PartialFingerprints: map[string]string{FingerprintKey: fingerprint(f)},
				Properties:          sarifResultProperties{Status: f.Status, Evidence: f.Evidence, Path: f.Path},
			})
		case check.NotAssessable, check.Error:
			desc, level := sarifDescriptorRef{ID: notifNotAssessable, Index: 0}, "warning"
			if f.Status == check.Error {
				desc, level = sarifDescriptorRef{ID: notifCheckError, Index: 1}, "error"
			}
			notes = append(notes, sarifNotification{
				Level:          level,
				Message:        sarifMessage{Text: f.CheckID + ": " + resultText(f)},
				Locations:      sarifLocations(f, r.Target),
				Descriptor:     desc,
				AssociatedRule: &sarifDescriptorRef{ID: f.CheckID, Index: ri},
			})
		case check.NotApplicable:
			notes = append(notes, sarifNotification{
				Level:          "note",
				Message:        sarifMessage{Text: f.CheckID + ": not applicable: " + resultText(f)},
				Locations:      sarifLocations(f, r.Target),
				Descriptor:     sarifDescriptorRef{ID: notifNotApplicable, Index: 3},
				AssociatedRule: &sarifDescriptorRef{ID: f.CheckID, Index: ri},
			})
		}
	}
	for _, p := range r.Problems {
		notes = append(notes, sarifNotification{
			Level:      "warning",
			Message:    sarifMessage{Text: p.String()},
			Descriptor: sarifDescriptorRef{ID: notifInputProblem, Index: 2},
		})
	}

	name := r.Tool
	if name == "" {
		name = "apiguard"
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           name,
				Version:        r.Version,
				InformationURI: InformationURI,
				Rules:          rules,
				Notifications:  sarifNotificationDescriptors(),
			}},
			// The scan ran to its end; check errors are error-level
			// notifications, as SARIF allows with executionSuccessful true.
			Invocations: []sarifInvocation{{ExecutionSuccessful: true, ToolExecutionNotifications: notes}},
			Results:     results,
		}},
	}
	if r.Benchmark != "" {
		log.Runs[0].Properties = &sarifRunProperties{Benchmark: r.Benchmark}
	}
	return WriteJSON(b, log)
}

func sarifNotificationDescriptors() []sarifDescriptor {
	return []sarifDescriptor{
		{ID: notifNotAssessable, Name: "NotAssessable", ShortDescription: &sarifMessage{
			Text: "A check could not see its input (managed control plane, unreadable file, missing permission); verify it by other means."}},
		{ID: notifCheckError, Name: "CheckError", ShortDescription: &sarifMessage{
			Text: "A check failed to run; its result is unknown."}},
		{ID: notifInputProblem, Name: "InputProblem", ShortDescription: &sarifMessage{
			Text: "An input could not be used, fully or in part."}},
		{ID: notifNotApplicable, Name: "NotApplicable", ShortDescription: &sarifMessage{
			Text: "The setting a check judges has no effect in this configuration (SARIF result kind notApplicable); the message names the check that owns the cause."}},
	}
}

// sarifRules builds one rule per check (first occurrence of an ID wins) and
// adds rules for findings whose check is not in r.Checks.
func sarifRules(r *Report) ([]sarifDescriptor, map[string]int) {
	rules := []sarifDescriptor{}
	idx := map[string]int{}
	add := func(m check.Metadata) {
		if _, dup := idx[m.ID]; dup {
			return
		}
		idx[m.ID] = len(rules)
		rules = append(rules, sarifRule(m))
	}
	for _, m := range r.Checks {
		add(m)
	}
	for _, f := range r.Findings {
		add(check.Metadata{ID: f.CheckID, Title: f.Title, Layer: f.Layer, Severity: f.Severity, Remediation: f.Remediation})
	}
	return rules, idx
}

func sarifRule(m check.Metadata) sarifDescriptor {
	short := m.Title
	if short == "" {
		short = m.ID
	}
	rule := sarifDescriptor{
		ID:                   m.ID,
		Name:                 ruleName(m),
		ShortDescription:     &sarifMessage{Text: short},
		DefaultConfiguration: &sarifConfiguration{Level: severityLevel(m.Severity)},
		Properties: &sarifRuleProperties{
			Tags:             ruleTags(m),
			SecuritySeverity: securitySeverity(m.Severity),
		},
	}
	if m.Rationale != "" {
		rule.FullDescription = &sarifMessage{Text: m.Rationale}
	}
	if m.Remediation != "" || len(m.References) > 0 {
		rule.Help = ruleHelp(m)
	}
	for _, ref := range m.References {
		if ref.URL != "" {
			rule.HelpURI = ref.URL
			break
		}
	}
	return rule
}

// ruleHelp is the remediation, plus the references in the markdown form that
// GitHub shows on an alert.
func ruleHelp(m check.Metadata) *sarifMessage {
	text := m.Remediation
	md := mdText(m.Remediation)
	var refs []string
	for _, ref := range m.References {
		label := ref.Title
		if ref.CIS != "" {
			label = strings.TrimSpace("CIS " + ref.CIS + " " + label)
		}
		switch {
		case ref.URL != "" && label != "":
			refs = append(refs, "- ["+mdText(label)+"]("+ref.URL+")")
		case ref.URL != "":
			refs = append(refs, "- <"+ref.URL+">")
		case label != "":
			refs = append(refs, "- "+mdText(label))
		}
	}
	if len(refs) > 0 {
		if md != "" {
			md += "\n\n"
		}
		md += "References:\n\n" + strings.Join(refs, "\n")
	}
	if text == "" {
		text = m.Title
	}
	return &sarifMessage{Text: text, Markdown: md}
}

// ruleName is the CamelCase of the title ("Anonymous requests are disabled"
// → "AnonymousRequestsAreDisabled"), or of the ID when there is no title.
func ruleName(m check.Metadata) string {
	src := m.Title
	if src == "" {
		src = m.ID
	}
	var b strings.Builder
	for _, w := range strings.FieldsFunc(src, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(w)
		b.WriteRune(unicode.ToUpper(rs[0]))
		b.WriteString(string(rs[1:]))
	}
	return b.String()
}

func ruleTags(m check.Metadata) []string {
	tags := []string{}
	if m.Layer != "" {
		tags = append(tags, string(m.Layer))
	}
	for _, ref := range m.References {
		if t := "CIS-" + ref.CIS; ref.CIS != "" && !slices.Contains(tags, t) { // tags are a set in SARIF
			tags = append(tags, t)
		}
	}
	// GitHub shows security-severity on alerts of security rules.
	return append(tags, "security")
}

func securitySeverity(s check.Severity) string {
	switch s {
	case check.Critical:
		return "9.0"
	case check.High:
		return "7.0"
	case check.Medium:
		return "5.0"
	case check.Low:
		return "3.0"
	}
	return "0.0"
}

// severityLevel is a rule's default level: error for critical/high, warning
// for medium/low, note for info.
func severityLevel(s check.Severity) string {
	switch {
	case s >= check.High:
		return "error"
	case s >= check.Low:
		return "warning"
	}
	return "note"
}

// resultLevel: info findings are notes; warns are at most warnings.
func resultLevel(f check.Finding) string {
	l := severityLevel(f.Severity)
	if f.Status == check.Warn && l == "error" {
		return "warning"
	}
	return l
}

func resultText(f check.Finding) string {
	text := f.Message
	if text == "" {
		text = f.Title
	}
	if f.Resource != "" {
		text += " (resource: " + f.Resource + ")"
	}
	return text
}

// fingerprint is hex(sha256(checkID + "|" + resource)): stable across runs
// and line moves, so code scanning matches an alert to its earlier self.
func fingerprint(f check.Finding) string {
	sum := sha256.Sum256([]byte(f.CheckID + "|" + f.Resource))
	return hex.EncodeToString(sum[:])
}

// sarifLocations places a finding: in its file when it has one, else at a
// pseudo-path named after the resource (see renderSARIF); the resource is
// also the logical location.
func sarifLocations(f check.Finding, target string) []sarifLocation {
	res := f.Resource
	if res == "" {
		res = target
	}
	if res == "" {
		res = "cluster"
	}
	loc := sarifLocation{LogicalLocations: []sarifLogicalLocation{{
		Name:               path.Base(res),
		FullyQualifiedName: res,
		Kind:               "resource",
	}}}
	if f.Location != nil && f.Location.File != "" {
		loc.PhysicalLocation = &sarifPhysicalLocation{ArtifactLocation: fileArtifact(f.Location.File)}
		if f.Location.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Location.Line}
		}
	} else {
		loc.PhysicalLocation = &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: pathURI(res)}}
	}
	return []sarifLocation{loc}
}

// fileArtifact: relative paths stay relative (forward slashes, a leading
// "./" dropped) under %SRCROOT%; absolute ones become file:// URIs.
func fileArtifact(p string) sarifArtifactLocation {
	p = strings.ReplaceAll(p, `\`, "/")
	switch {
	case strings.HasPrefix(p, "/"):
		return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: p}).String()}
	case len(p) >= 3 && p[1] == ':' && p[2] == '/' && isASCIILetter(p[0]): // C:/x
		return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: "/" + p}).String()}
	}
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return sarifArtifactLocation{URI: pathURI(p), URIBaseID: srcRoot}
}

// pathURI escapes a relative path as a URI reference, one segment at a time.
// Colons are escaped too, so "a:b" is not read as a URI scheme.
func pathURI(p string) string {
	segs := strings.Split(strings.TrimLeft(p, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
