package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
)

// The HTML report: one self-contained file (styles, script and data
// inline; no network access when opened) that people who do not read JSON
// can open from a mail attachment. Every command's document shares one
// template: a summary first (data-summary attributes carry the numbers the
// JSON output has, for tests and scripts), then the sections the command
// has (findings, the attack-path graph and its cut ranking, alerts over
// time, tables). It prints (print CSS), reads without colour (every status
// is a word), and is accessible (semantic tables, the graph's alt text and
// a table of the same paths).

//go:embed html/report.tmpl
var htmlAssets embed.FS

// The inline style and script, the same in every report.
var (
	//go:embed html/report.css
	htmlCSS string
	//go:embed html/report.js
	htmlJS string
)

var htmlTemplate = template.Must(template.New("report.tmpl").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).ParseFS(htmlAssets, "html/report.tmpl"))

// FormatHTML is the self-contained HTML report.
const FormatHTML = "html"

// htmlDoc is what the template renders.
type htmlDoc struct {
	// Kind names the command (data-apiguard-report): scan, rbac-admins,
	// rbac-paths, rbac-usage, audit-scan, audit-policy-coverage.
	Kind     string
	Title    string
	Subtitle string
	Verdict  *htmlVerdict
	Stats    []htmlStat
	Notes    []string
	Layers   *htmlLayers
	Top      []htmlFinding
	Findings *htmlFindings
	Graph    *htmlGraph
	Cuts     *htmlCuts
	Charts   []htmlChart
	Tables   []htmlTable
	CSS      template.CSS
	JS       template.JS
	// Data is the graph's nodes, edges and paths, as JSON for the script.
	Data template.JS
}

type htmlVerdict struct {
	Text  string
	Class string // ok, bad
}

// htmlStat is one number of the summary; Key names it in data-summary.
type htmlStat struct {
	Label string
	Value string
	Key   string
}

type htmlLayers struct {
	Rows  []htmlLayerRow
	Total htmlLayerRow
}

type htmlLayerRow struct {
	Key, Title                                          string
	Fail, Warn, NotAssessable, NotApplicable, Err, Pass int
	Total                                               int
}

type htmlFindings struct {
	Layers     []htmlOption
	Severities []string
	Statuses   []htmlOption
	Groups     []htmlFindingGroup
}

type htmlOption struct {
	Value, Label string
	Checked      bool
}

type htmlFindingGroup struct {
	Key, Title string
	Findings   []htmlFinding
	// More are the findings of a check beyond its first htmlFullPerCheck,
	// one compact row each (-o json has them whole).
	More []*htmlMore
}

type htmlMore struct {
	CheckID, Title, Severity, Layer string
	Rows                            []htmlCompact
}

type htmlCompact struct {
	Status, StatusLabel, Resource, Message, Source string
}

// htmlFullPerCheck bounds the findings of one check shown whole: a large
// cluster has thousands of one check (a subject each), and whole they
// would make a report no browser opens quickly. The rest are rows.
const htmlFullPerCheck = 20

// htmlCompactMessage bounds a compact row's message (runes).
const htmlCompactMessage = 200

type htmlFinding struct {
	Anchor      string
	CheckID     string
	Title       string
	Status      string // the JSON status
	StatusLabel string
	Severity    string
	Layer       string
	Resource    string
	Message     string
	Evidence    []check.Evidence
	Path        []check.Step
	Location    string
	Rationale   string
	Fix         string
	CIS         string
}

// htmlTable is a generic table: rows may carry up to three filter values
// (data-f1..3) that the filters above the table select on.
type htmlTable struct {
	ID      string
	Title   string
	Intro   string
	Head    []string
	Rows    []htmlRow
	Filters []htmlFilter
	// Empty is said when there are no rows.
	Empty string
}

type htmlFilter struct {
	Slot    int // 1, 2 or 3
	Label   string
	Options []string
}

type htmlRow struct {
	ID         string
	F1, F2, F3 string
	Cells      []string
	// Detail, when set, is a second row spanning the table: preformatted.
	Detail string
	Class  string
}

// htmlChart is alerts over time: one row of bars per series.
type htmlChart struct {
	ID     string
	Title  string
	Intro  string
	From   string
	To     string
	Bucket string
	Series []htmlSeries
}

type htmlSeries struct {
	Label string
	Total int64
	Bars  []htmlBar
	Alt   string
}

type htmlBar struct {
	X, Y, W, H float64
	Count      int64
	Title      string
}

// renderHTMLDoc fills in the assets and executes the template.
func renderHTMLDoc(w io.Writer, d *htmlDoc) error {
	d.CSS, d.JS = template.CSS(htmlCSS), template.JS(htmlJS)
	if d.Data == "" {
		d.Data = "{}"
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlJSON is v as JSON safe inside a script element: encoding/json writes
// <, > and & as \u003c..., so no "</script>" can end it early.
func htmlJSON(v any) (template.JS, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return template.JS(b), nil
}

// renderHTML is -o html of the findings report (scan, probe, kubeconfig
// audit).
func renderHTML(b *bytes.Buffer, r *Report, o Options) error {
	title := "apiguard report"
	if r.Command != "" && r.Command != "scan" {
		title = "apiguard " + r.Command
	}
	d := &htmlDoc{Kind: "scan", Title: title, Subtitle: reportSubtitle(r)}
	if r.Command != "" {
		d.Kind = strings.ReplaceAll(r.Command, " ", "-")
	}
	s := r.Summary
	d.Verdict = findingsVerdict(r, o)
	d.Stats = []htmlStat{
		{"Fail", fmt.Sprint(s.Fail), "fail"},
		{"Warn", fmt.Sprint(s.Warn), "warn"},
		{"Not assessable", fmt.Sprint(s.NotAssessable), "notAssessable"},
		{"Not applicable", fmt.Sprint(s.NotApplicable), "notApplicable"},
		{"Error", fmt.Sprint(s.Error), "error"},
		{"Pass", fmt.Sprint(s.Pass), "pass"},
		{"Total", fmt.Sprint(s.Total), "total"},
	}
	for _, sev := range severitiesDesc {
		if n := s.FailBySeverity[sev.String()]; n > 0 {
			d.Stats = append(d.Stats, htmlStat{"Failing " + sev.String(), fmt.Sprint(n), "failBySeverity:" + sev.String()})
		}
	}
	for _, p := range r.Problems {
		d.Notes = append(d.Notes, "Input problem: "+clean(p.String()))
	}
	meta := map[string]check.Metadata{}
	for _, m := range r.Checks {
		meta[m.ID] = m
	}
	d.Layers = layerCounts(r.Findings)
	d.Findings, d.Top = findingSections(r.Findings, meta)
	if r.RBAC != nil {
		g, data, err := attackGraph(r.RBAC, nil)
		if err != nil {
			return err
		}
		d.Graph, d.Data = g, data
		d.Cuts = cutsOf(r.RBAC)
	}
	return renderHTMLDoc(b, d)
}

func reportSubtitle(r *Report) string {
	parts := []string{}
	if r.Target != "" {
		parts = append(parts, "Target: "+clean(r.Target))
	}
	tool := r.Tool
	if tool == "" {
		tool = "apiguard"
	}
	if r.Version != "" {
		tool += " " + r.Version
	}
	parts = append(parts, "Scanned by "+tool)
	if r.Benchmark != "" {
		parts = append(parts, "following "+r.Benchmark.Name()+" where CIS versions differ")
	}
	return strings.Join(parts, " · ")
}

// findingsVerdict is the exit verdict the command gave: exit 1 when a
// failing finding is at or above --fail-on.
func findingsVerdict(r *Report, o Options) *htmlVerdict {
	if o.FailNever {
		return &htmlVerdict{Text: "Exit 0: --fail-on none (" + verdictCounts(r.Summary) + ")", Class: "ok"}
	}
	th := check.High
	if o.FailOnSet {
		th = o.FailOn
	}
	if check.FailsAt(r.Findings, th) {
		return &htmlVerdict{Text: fmt.Sprintf("Exit 1: failing findings at or above %s (%s)", th, verdictCounts(r.Summary)), Class: "bad"}
	}
	return &htmlVerdict{Text: fmt.Sprintf("Exit 0: no failing finding at or above %s (%s)", th, verdictCounts(r.Summary)), Class: "ok"}
}

func verdictCounts(s check.Summary) string {
	if by := failBySeverity(s); by != "" {
		return by + " failing"
	}
	return "nothing failing"
}

// layerCounts is the summary table: each layer's counts by status.
func layerCounts(fs []check.Finding) *htmlLayers {
	out := &htmlLayers{Total: htmlLayerRow{Key: "total", Title: "Total"}}
	idx := map[check.Layer]int{}
	for _, l := range check.Layers {
		idx[l] = len(out.Rows)
		out.Rows = append(out.Rows, htmlLayerRow{Key: string(l), Title: l.Title()})
	}
	add := func(r *htmlLayerRow, st check.Status) {
		r.Total++
		switch st {
		case check.Fail:
			r.Fail++
		case check.Warn:
			r.Warn++
		case check.NotAssessable:
			r.NotAssessable++
		case check.NotApplicable:
			r.NotApplicable++
		case check.Error:
			r.Err++
		case check.Pass:
			r.Pass++
		}
	}
	for _, f := range fs {
		i, ok := idx[f.Layer]
		if !ok {
			i = len(out.Rows)
			idx[f.Layer] = i
			out.Rows = append(out.Rows, htmlLayerRow{Key: string(f.Layer), Title: f.Layer.Title()})
		}
		add(&out.Rows[i], f.Status)
		add(&out.Total, f.Status)
	}
	return out
}

// htmlTopFindings bounds the summary's list of the worst failures.
const htmlTopFindings = 10

// findingSections groups the findings by layer with stable anchors (the
// check ID for its first finding, ID--2, ID--3 for the next) and picks the
// highest-severity failures for the summary.
func findingSections(fs []check.Finding, meta map[string]check.Metadata) (*htmlFindings, []htmlFinding) {
	out := &htmlFindings{}
	seenID := map[string]int{}
	moreOf := map[string]*htmlMore{}
	var all []htmlFinding
	for _, g := range groupByLayer(fs) {
		hg := htmlFindingGroup{Key: string(g.Layer), Title: g.Layer.Title()}
		out.Layers = append(out.Layers, htmlOption{Value: string(g.Layer), Label: g.Layer.Title(), Checked: true})
		for _, f := range g.Findings {
			seenID[f.CheckID]++
			anchor := f.CheckID
			if n := seenID[f.CheckID]; n > 1 {
				anchor = fmt.Sprintf("%s--%d", f.CheckID, n)
			}
			m := meta[f.CheckID]
			if seenID[f.CheckID] > htmlFullPerCheck {
				more := moreOf[f.CheckID]
				if more == nil {
					more = &htmlMore{CheckID: f.CheckID, Title: clean(f.Title), Severity: f.Severity.String(), Layer: string(f.Layer)}
					moreOf[f.CheckID] = more
					hg.More = append(hg.More, more)
				}
				src := ""
				if len(f.Evidence) > 0 {
					src = clean(f.Evidence[0].Source)
				}
				// the resource is its own column: a message that starts with
				// it ("ServiceAccount ci/x holds ...") goes on after it
				msg := strings.TrimPrefix(f.Message, f.Resource+" ")
				more.Rows = append(more.Rows, htmlCompact{Status: string(f.Status), StatusLabel: statusLabel(f.Status), Resource: clean(f.Resource),
					Message: shorten(clean(msg), htmlCompactMessage), Source: src})
				continue
			}
			hf := htmlFinding{Anchor: anchor, CheckID: f.CheckID, Title: clean(f.Title), Status: string(f.Status), StatusLabel: statusLabel(f.Status),
				Severity: f.Severity.String(), Layer: string(f.Layer), Resource: clean(f.Resource), Message: clean(f.Message),
				Rationale: clean(m.Rationale), CIS: m.CIS()}
			if f.Actionable() || f.Status == check.NotAssessable {
				hf.Fix = clean(f.Remediation)
				if hf.Fix == "" {
					hf.Fix = clean(m.Remediation)
				}
			}
			for _, e := range f.Evidence {
				hf.Evidence = append(hf.Evidence, check.Evidence{Key: clean(e.Key), Value: clean(e.Value), Source: clean(e.Source)})
			}
			for _, st := range f.Path {
				hf.Path = append(hf.Path, check.Step{Action: clean(st.Action), Via: clean(st.Via)})
			}
			if f.Location != nil {
				hf.Location = clean(f.Location.File)
				if f.Location.Line > 0 {
					hf.Location += fmt.Sprintf(":%d", f.Location.Line)
				}
			}
			hg.Findings = append(hg.Findings, hf)
			all = append(all, hf)
		}
		out.Groups = append(out.Groups, hg)
	}
	for _, sev := range severitiesDesc {
		out.Severities = append(out.Severities, sev.String())
	}
	for _, st := range []check.Status{check.Fail, check.Warn, check.NotAssessable, check.Error, check.Pass, check.NotApplicable} {
		out.Statuses = append(out.Statuses, htmlOption{Value: string(st), Label: statusLabel(st), Checked: st != check.Pass && st != check.NotApplicable})
	}
	var top []htmlFinding
	for _, f := range all {
		if f.Status == string(check.Fail) {
			top = append(top, f)
		}
	}
	sevRank := map[string]int{}
	for i, s := range severitiesDesc {
		sevRank[s.String()] = i
	}
	sort.SliceStable(top, func(i, j int) bool { return sevRank[top[i].Severity] < sevRank[top[j].Severity] })
	if len(top) > htmlTopFindings {
		top = top[:htmlTopFindings]
	}
	return out, top
}
