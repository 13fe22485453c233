package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacusage"
)

// The HTML documents of the commands other than scan: rbac admins, rbac
// paths, rbac usage, audit scan and audit policy coverage.

// rbacNotes are the assumptions and gaps the text output prints as "#"
// lines.
func rbacNotes(p *rbac.Policy, gap string) []string {
	var out []string
	for _, l := range rbacAssumptionLines(p) {
		out = append(out, clean(l))
	}
	if gap != "" {
		out = append(out, "Not assessed: "+clean(gap))
	}
	for _, w := range RBACWarnings(p) {
		out = append(out, "Input problem: "+clean(w))
	}
	return out
}

// RBACAdminsHTML is rbac admins -o html: the summary, the attack-path
// graph, the cut ranking and every admin's path.
func RBACAdminsHTML(w io.Writer, p *rbac.Policy, admins []rbac.Admin, gap string) error {
	direct, builtin := adminCounts(admins)
	d := &htmlDoc{Kind: "rbac-admins", Title: "Who holds cluster-admin power",
		Subtitle: "apiguard rbac admins: every subject that holds cluster-admin power or can reach it, with its shortest paths",
		Stats: []htmlStat{
			{"Subjects", fmt.Sprint(len(admins)), "admins"},
			{"Directly", fmt.Sprint(direct), "direct"},
			{"Through other identities", fmt.Sprint(len(admins) - direct), "indirect"},
			{"Kubernetes' own (builtin)", fmt.Sprint(builtin), "builtin"},
		},
		Notes: rbacNotes(p, gap)}
	g, data, err := attackGraph(p, nil)
	if err != nil {
		return err
	}
	d.Graph, d.Data, d.Cuts = g, data, cutsOf(p)
	if len(d.Cuts.Rows) > 0 {
		top := d.Cuts.Rows[0]
		d.Verdict = &htmlVerdict{Class: "bad", Text: fmt.Sprintf("Deleting %s alone cuts %d subject(s) off cluster-admin power.", top.Binding, top.Count)}
	}
	return renderHTMLDoc(w, d)
}

// RBACPathsHTML is rbac paths -o html: one subject's shortest paths.
func RBACPathsHTML(w io.Writer, p *rbac.Policy, subject rbac.SubjectRef, paths [][]rbac.Step, gap string) error {
	d := &htmlDoc{Kind: "rbac-paths", Title: "Paths of " + clean(subject.String()) + " to cluster-admin power",
		Subtitle: "apiguard rbac paths: every shortest path (at most 10)",
		Stats:    []htmlStat{{"Paths", fmt.Sprint(len(paths)), "paths"}},
		Notes:    rbacNotes(p, gap)}
	if len(paths) == 0 {
		d.Verdict = &htmlVerdict{Class: "ok", Text: clean(subject.String()) + " has no path to cluster-admin power: nothing it or its groups hold leads there."}
		return renderHTMLDoc(w, d)
	}
	d.Stats = append(d.Stats, htmlStat{"Steps", fmt.Sprint(len(paths[0])), "steps"})
	d.Verdict = &htmlVerdict{Class: "bad", Text: fmt.Sprintf("%s reaches cluster-admin power in %s.", clean(subject.String()), rbacStepsWord(len(paths[0])))}
	direct := len(paths[0]) == 1
	g, data, err := attackGraph(p, []graphSubject{{Ref: subject, Paths: paths, Direct: direct}})
	if err != nil {
		return err
	}
	d.Graph, d.Data = g, data
	return renderHTMLDoc(w, d)
}

// RBACUsageHTML is rbac usage -o html: each subject's bindings and rules
// with their use, filterable by subject kind and use.
func RBACUsageHTML(w io.Writer, r rbacusage.Subjects) error {
	h := r.Header()
	d := &htmlDoc{Kind: "rbac-usage", Title: "RBAC usage", Subtitle: "apiguard rbac usage: what each subject's grants allowed, against what the audit logs show it did"}
	for _, l := range usageHeader(h) {
		d.Notes = append(d.Notes, clean(l))
	}
	t := htmlTable{ID: "usage", Title: "Subjects, bindings and rules", Head: []string{"Subject", "Requests", "Last seen", "Binding / rule", "Use"},
		Filters: []htmlFilter{{Slot: 1, Label: "Kind"}, {Slot: 2, Label: "Use"}}, Empty: "No subject in the model or the logs."}
	kinds, uses := map[string]bool{}, map[string]bool{}
	subjects, unused, omitted := 0, 0, 0
	err := r.Each(func(s *rbacusage.SubjectUsage) error {
		subjects++
		kind := s.Subject.Kind
		kinds[kind] = true
		first := true
		add := func(binding, rule, use, cls string) {
			if len(t.Rows) >= htmlMaxUsageRows {
				omitted++
				first = false
				return
			}
			row := htmlRow{F1: kind, F2: use, Class: cls}
			if first {
				row.Cells = []string{clean(s.Subject.String()), strconv.FormatInt(s.Requests, 10), usageTime(s.LastSeen), binding, rule}
				first = false
			} else {
				row.Cells = []string{"", "", "", binding, rule}
			}
			if use != "" {
				uses[use] = true
			}
			t.Rows = append(t.Rows, row)
		}
		for _, b := range s.Bindings {
			for _, ru := range b.Rules {
				use := usageUse(ru)
				if !ru.Used && !ru.Blind {
					unused++
				}
				add(clean(usageBinding(b)), clean(usageRule(ru))+" — "+use, useWord(use), "")
			}
			if len(b.Rules) == 0 {
				add(clean(usageBinding(b)), "(no rules)", "", "")
			}
		}
		for _, dn := range s.Denied {
			add("denied", clean(usageDenied(dn))+fmt.Sprintf(" — %d requests", dn.Requests), "denied", "")
		}
		if first {
			add("", "", "", "")
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k := range kinds {
		t.Filters[0].Options = append(t.Filters[0].Options, k)
	}
	for u := range uses {
		t.Filters[1].Options = append(t.Filters[1].Options, u)
	}
	sort.Strings(t.Filters[0].Options)
	sort.Strings(t.Filters[1].Options)
	d.Stats = []htmlStat{{"Subjects", fmt.Sprint(subjects), "subjects"}, {"Requests counted", fmt.Sprint(h.Events), "events"}, {"Unused rules", fmt.Sprint(unused), "unusedRules"}}
	if omitted > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("The first %d rows are shown; %d more are in -o table, -o markdown and -o json.", htmlMaxUsageRows, omitted))
	}
	d.Tables = []htmlTable{t}
	return renderHTMLDoc(w, d)
}

// useWord is the first word of a rule's use ("used", "unused", "blind"),
// the filter's value.
func useWord(use string) string {
	w, _, _ := strings.Cut(use, " ")
	return strings.ToLower(w)
}

// AuditPolicyCoverageHTML is audit policy coverage -o html.
func AuditPolicyCoverageHTML(w io.Writer, p *auditpolicy.Policy, who auditpolicy.Identity, rows []auditpolicy.Row) error {
	d := &htmlDoc{Kind: "audit-policy-coverage", Title: "Audit policy coverage",
		Subtitle: fmt.Sprintf("Requests as %s (groups %s), evaluated with kube-apiserver's audit policy evaluator", clean(who.User), clean(strings.Join(who.Groups, ", ")))}
	counts := map[string]int{}
	t := htmlTable{ID: "coverage", Title: "Security-relevant requests", Head: []string{"Request", "User", "Level", "Rule", "Needs", "Status"},
		Filters: []htmlFilter{{Slot: 1, Label: "Status"}, {Slot: 2, Label: "Category"}}, Empty: "No request evaluated."}
	cats := map[string]bool{}
	for _, r := range rows {
		rule := "none matches"
		if r.RuleIndex != nil {
			rule = strconv.Itoa(*r.RuleIndex)
			if l := p.RuleLine(*r.RuleIndex); l > 0 {
				rule += fmt.Sprintf(" (line %d)", l)
			}
		}
		req := clean(r.Request)
		if r.Note != "" {
			req += " — " + clean(r.Note)
		}
		t.Rows = append(t.Rows, htmlRow{ID: "req-" + r.ID, F1: r.Status, F2: r.Category, Class: "cov-" + r.Status,
			Cells: []string{req, clean(r.User), string(r.Level), rule, Dash(string(r.Min)), strings.ToUpper(r.Status)}})
		counts[r.Status]++
		cats[r.Category] = true
	}
	d.Stats = []htmlStat{{"Requests", fmt.Sprint(len(rows)), "requests"}}
	for _, s := range []string{"ok", "degraded", "blind", "leak", "info"} {
		d.Stats = append(d.Stats, htmlStat{s, fmt.Sprint(counts[s]), "status:" + s})
		t.Filters[0].Options = append(t.Filters[0].Options, s)
	}
	for c := range cats {
		t.Filters[1].Options = append(t.Filters[1].Options, c)
	}
	sort.Strings(t.Filters[1].Options)
	switch {
	case counts["leak"] > 0 || counts["blind"] > 0:
		d.Verdict = &htmlVerdict{Class: "bad", Text: fmt.Sprintf("%d request(s) blind, %d leaking credentials into the log, %d degraded.", counts["blind"], counts["leak"], counts["degraded"])}
	case counts["degraded"] > 0:
		d.Verdict = &htmlVerdict{Class: "bad", Text: fmt.Sprintf("%d request(s) logged below what detections need.", counts["degraded"])}
	default:
		d.Verdict = &htmlVerdict{Class: "ok", Text: "Every security-relevant request is logged at the level detections need, and no credential leaks."}
	}
	d.Tables = []htmlTable{t}
	return renderHTMLDoc(w, d)
}

// AuditScanHTML is audit scan -o html: the summary, alerts over time per
// rule and per identity, and each alert with its event. failOn and never
// are --fail-on, for the exit verdict.
func AuditScanHTML(w io.Writer, rep *AuditScan, failOn check.Severity, never bool) error {
	s := rep.Summary
	d := &htmlDoc{Kind: "audit-scan", Title: "Audit log scan", Subtitle: "apiguard audit scan of " + clean(strings.Join(rep.Inputs, ", "))}
	d.Stats = []htmlStat{
		{"Events", fmt.Sprint(s.Events), "events"},
		{"Files", fmt.Sprint(s.Files), "files"},
		{"Alerts", fmt.Sprint(s.Alerts), "alerts"},
		{"Rules alerting", fmt.Sprint(len(s.ByRule)), "rules"},
	}
	for _, sv := range severitiesDesc {
		sev := sv.String()
		if n := s.BySeverity[sev]; n > 0 {
			d.Stats = append(d.Stats, htmlStat{sev, fmt.Sprint(n), "bySeverity:" + sev})
		}
	}
	switch {
	case never:
		d.Verdict = &htmlVerdict{Class: "ok", Text: "Exit 0: --fail-on none"}
	case s.AtOrAbove(failOn):
		d.Verdict = &htmlVerdict{Class: "bad", Text: "Exit 1: alerts at or above " + failOn.String()}
	default:
		d.Verdict = &htmlVerdict{Class: "ok", Text: "Exit 0: no alert at or above " + failOn.String()}
	}
	if s.BadLines > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d undecodable line(s) (see the warnings).", s.BadLines))
	}
	if s.AlertsOmitted > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d alert(s) beyond the first %d are counted, not listed.", s.AlertsOmitted, AuditScanMaxAlerts))
	}
	for _, p := range rep.Problems {
		d.Notes = append(d.Notes, "Input problem: "+clean(p))
	}

	rules := htmlTable{ID: "rules", Title: "Alerts by rule", Head: []string{"Rule", "Severity", "Tactic", "Alerts", "First", "Last", "Title"},
		Empty: "No rule alerted."}
	for _, r := range s.ByRule {
		rules.Rows = append(rules.Rows, htmlRow{ID: "rule-" + r.Rule, Cells: []string{r.Rule, r.Severity.String(), r.Tactic, fmt.Sprint(r.Count),
			r.First.UTC().Format(time.RFC3339), r.Last.UTC().Format(time.RFC3339), clean(r.Title)}})
	}
	d.Charts = alertCharts(rep.Alerts)

	alerts := htmlTable{ID: "alerts", Title: "Alerts", Intro: "Each alert with the audit event it was raised on (open \"Event\").",
		Head:    []string{"Time", "Severity", "Rule", "Identity", "Request", "Message", "Source"},
		Filters: []htmlFilter{{Slot: 1, Label: "Rule"}, {Slot: 2, Label: "Severity"}, {Slot: 3, Label: "Identity"}}, Empty: "No alert."}
	rs, sevs, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	listed := rep.Alerts
	if len(listed) > htmlMaxAlerts {
		listed = listed[:htmlMaxAlerts]
		d.Notes = append(d.Notes, fmt.Sprintf("The first %d of the %d alerts listed are shown with their events; the charts and counts have them all, and -o json lists up to %d.",
			htmlMaxAlerts, len(rep.Alerts), AuditScanMaxAlerts))
	}
	for i, al := range listed {
		req := al.Verb
		if al.ObjectRef != nil {
			o := al.ObjectRef
			res := o.Resource
			if o.Subresource != "" {
				res += "/" + o.Subresource
			}
			req += " " + res
			if o.Namespace != "" {
				req += " " + o.Namespace + "/" + o.Name
			} else if o.Name != "" {
				req += " " + o.Name
			}
		} else if al.RequestURI != "" {
			req += " " + al.RequestURI
		}
		ev, err := json.MarshalIndent(al, "", "  ")
		if err != nil {
			return err
		}
		alerts.Rows = append(alerts.Rows, htmlRow{ID: fmt.Sprintf("alert-%d", i+1), F1: al.Rule, F2: al.Severity.String(), F3: clean(al.Identity),
			Cells:  []string{al.Timestamp.UTC().Format(time.RFC3339), al.Severity.String(), al.Rule, clean(al.Identity), clean(req), clean(al.Message), clean(al.Source)},
			Detail: clean(string(ev))})
		rs[al.Rule], sevs[al.Severity.String()], ids[clean(al.Identity)] = true, true, true
	}
	for i, m := range []map[string]bool{rs, sevs, ids} {
		for k := range m {
			alerts.Filters[i].Options = append(alerts.Filters[i].Options, k)
		}
		sort.Strings(alerts.Filters[i].Options)
	}
	blind := htmlTable{ID: "blind", Title: "Rules blind or inactive", Head: []string{"Rule", "State", "Why"}, Empty: "Every rule could see what it needs."}
	for _, c := range rep.Coverage {
		blind.Rows = append(blind.Rows, htmlRow{Cells: []string{c.Rule, "blind under " + clean(rep.Policy), clean(c.Reason)}})
	}
	for _, in := range rep.Inactive {
		blind.Rows = append(blind.Rows, htmlRow{Cells: []string{in.Rule, "inactive", clean(in.Reason)}})
	}
	d.Tables = []htmlTable{rules, alerts, blind}
	return renderHTMLDoc(w, d)
}

// htmlMaxUsageRows bounds the rows of rbac usage's table (about 250 bytes
// each); the text formats stream every row.
const htmlMaxUsageRows = 20000

// htmlMaxAlerts bounds the alerts listed with their events (about 1.5 KB
// each), so a report of a noisy log stays a file a browser opens at once.
const htmlMaxAlerts = 2000

// chartSeriesMax bounds the identities charted (the most alerted first).
const chartSeriesMax = 25

// alertCharts buckets the alerts' times: one series per rule and one per
// identity (the 25 most alerted), the same buckets for all.
func alertCharts(alerts []detect.Alert) []htmlChart {
	if len(alerts) == 0 {
		return nil
	}
	from, to := alerts[0].Timestamp, alerts[0].Timestamp
	for _, al := range alerts {
		if al.Timestamp.Before(from) {
			from = al.Timestamp
		}
		if al.Timestamp.After(to) {
			to = al.Timestamp
		}
	}
	span := to.Sub(from)
	bucket := time.Second
	for _, b := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		bucket = b
		if span/b < 60 {
			break
		}
	}
	from = from.Truncate(bucket)
	n := int(to.Sub(from)/bucket) + 1
	series := func(key func(detect.Alert) string, limit int) []htmlSeries {
		counts := map[string][]int64{}
		totals := map[string]int64{}
		for _, al := range alerts {
			k := key(al)
			if counts[k] == nil {
				counts[k] = make([]int64, n)
			}
			counts[k][int(al.Timestamp.Sub(from)/bucket)]++
			totals[k]++
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if totals[keys[i]] != totals[keys[j]] {
				return totals[keys[i]] > totals[keys[j]]
			}
			return keys[i] < keys[j]
		})
		if limit > 0 && len(keys) > limit {
			keys = keys[:limit]
		}
		var out []htmlSeries
		for _, k := range keys {
			c := counts[k]
			var peak int64
			for _, v := range c {
				peak = max(peak, v)
			}
			se := htmlSeries{Label: clean(k), Total: totals[k]}
			w := 300.0 / float64(n)
			for i, v := range c {
				if v == 0 {
					continue
				}
				h := 2 + 20*float64(v)/float64(peak)
				t := from.Add(time.Duration(i) * bucket).UTC().Format(time.RFC3339)
				se.Bars = append(se.Bars, htmlBar{X: float64(i) * w, Y: 24 - h, W: max(w-0.5, 0.8), H: h, Count: v, Title: fmt.Sprintf("%d alert(s) from %s", v, t)})
			}
			se.Alt = fmt.Sprintf("%s: %d alert(s), at most %d in one %s", clean(k), totals[k], peak, bucketWord(bucket))
			out = append(out, se)
		}
		return out
	}
	f, t := from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)
	return []htmlChart{
		{ID: "by-rule", Title: "Per rule.", From: f, To: t, Bucket: bucketWord(bucket), Series: series(func(a detect.Alert) string { return a.Rule + " " + a.Title }, 0)},
		{ID: "by-identity", Title: "Per identity.", Intro: fmt.Sprintf("The %d most alerted.", chartSeriesMax), From: f, To: t, Bucket: bucketWord(bucket),
			Series: series(func(a detect.Alert) string { return a.Identity }, chartSeriesMax)},
	}
}

func bucketWord(d time.Duration) string {
	switch d {
	case time.Second:
		return "second"
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	case 7 * 24 * time.Hour:
		return "week"
	}
	return d.String()
}
