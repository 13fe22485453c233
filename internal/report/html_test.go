package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacusage"
)

// htmlPolicy: alice may create pods in ci, where ServiceAccount deployer
// is a cluster admin; root is one directly; a subject with a hostile name
// holds it too.
func htmlPolicy() *rbac.Policy {
	cr := func(name string, rules ...rbacv1.PolicyRule) runtime.Object {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	}
	crb := func(name, role string, s rbacv1.Subject) runtime.Object {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: []rbacv1.Subject{s}}
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}
	}
	return rbac.Load(
		cr("cluster-admin", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}),
		cr("pods", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}}),
		crb("deployer-admin", "cluster-admin", rbacv1.Subject{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"}),
		crb("root-admin", "cluster-admin", user("root")),
		crb("hostile", "cluster-admin", user(`<img src=x onerror=alert(1)></script>`)),
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "alice-pods"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pods"},
			Subjects: []rbacv1.Subject{user("alice")}},
	)
}

func htmlAlerts() *AuditScan {
	r := NewAuditScan("apiguard", "0.4.0", []string{"audit.log"})
	r.ListAlerts = true
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i, a := range []struct {
		rule, id string
		sev      check.Severity
		at       time.Duration
	}{
		{"AG-DET-201", "erin", check.High, 0},
		{"AG-DET-201", "erin", check.High, 90 * time.Second},
		{"AG-DET-401", "mallory</script>", check.Critical, 5 * time.Minute},
	} {
		r.Add(detect.Alert{Rule: a.rule, Title: "title of " + a.rule, Severity: a.sev, Tactic: "Execution", Message: "message " + strconv.Itoa(i),
			AuditID: "id-" + strconv.Itoa(i), Timestamp: t0.Add(a.at), User: a.id, Identity: a.id, Verb: "create",
			ObjectRef: &auditv1.ObjectReference{Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "web-1"}, Source: "audit.log:" + strconv.Itoa(i+1)})
	}
	r.Summary.Events, r.Summary.Files = 40, 1
	r.Summary.Sort()
	return r
}

var (
	reStyle  = regexp.MustCompile(`(?s)<style>.*?</style>`)
	reScript = regexp.MustCompile(`(?s)<script>.*?</script>`)
)

// goldenHTML leaves the inline assets out of a golden: they are the same
// in every report, and their own diff says nothing about a renderer.
func goldenHTML(b []byte) []byte {
	b = reStyle.ReplaceAll(b, []byte("<style>/* report.css */</style>"))
	return reScript.ReplaceAll(b, []byte("<script>/* report.js */</script>"))
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = goldenHTML(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./internal/report -update and review the diff)", name, path)
	}
}

func TestHTMLGolden(t *testing.T) {
	p := htmlPolicy()
	withRBAC := fixture()
	withRBAC.RBAC = p
	for _, c := range []struct {
		name string
		fn   func(b *bytes.Buffer) error
	}{
		{"html_scan", func(b *bytes.Buffer) error { return Render(b, "html", fixture(), Options{}) }},
		{"html_scan_rbac", func(b *bytes.Buffer) error {
			return Render(b, "html", withRBAC, Options{FailNever: true})
		}},
		{"html_rbac_admins", func(b *bytes.Buffer) error { return RBACAdminsHTML(b, p, p.Analysis().Admins, "") }},
		{"html_rbac_paths", func(b *bytes.Buffer) error {
			s := rbac.SubjectRef{Kind: "User", Name: "alice"}
			return RBACPathsHTML(b, p, s, p.Analysis().Paths(s), "")
		}},
		{"html_rbac_paths_none", func(b *bytes.Buffer) error {
			s := rbac.SubjectRef{Kind: "User", Name: "bob"}
			return RBACPathsHTML(b, p, s, nil, "")
		}},
		{"html_audit_scan", func(b *bytes.Buffer) error { return AuditScanHTML(b, htmlAlerts(), check.High, false) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := c.fn(&a); err != nil {
				t.Fatal(err)
			}
			if err := c.fn(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("output is not deterministic")
			}
			checkHTML(t, a.Bytes())
			checkGolden(t, c.name, a.Bytes())
		})
	}
}

// checkHTML: self-contained (nothing loaded from anywhere), and no text
// of the inputs became markup.
func checkHTML(t *testing.T, b []byte) {
	t.Helper()
	s := string(b)
	for _, bad := range []string{`src="http`, `href="http`, "@import", "url(http", `<img src=x`, "mallory</script>", "<link "} {
		if strings.Contains(s, bad) {
			t.Errorf("the report contains %q", bad)
		}
	}
	if n := strings.Count(s, "</script>"); n != 2 {
		t.Errorf("%d </script>, want 2 (the data and the script)", n)
	}
	if !strings.HasPrefix(s, "<!DOCTYPE html>") || !strings.HasSuffix(s, "</html>\n") {
		t.Error("not a whole HTML document")
	}
}

var reSummary = regexp.MustCompile(`data-summary="([^"]+)">([0-9]+)<`)

func summaryOf(b []byte) map[string]int {
	m := map[string]int{}
	for _, x := range reSummary.FindAllSubmatch(b, -1) {
		n, _ := strconv.Atoi(string(x[2]))
		m[string(x[1])] = n
	}
	return m
}

// TestHTMLSummaryIsJSONs: the summary's numbers are -o json's.
func TestHTMLSummaryIsJSONs(t *testing.T) {
	r := fixture()
	var js struct {
		Summary  check.Summary `json:"summary"`
		Findings []struct {
			Layer, Status string
		} `json:"findings"`
	}
	if err := json.Unmarshal(render(t, "json", r, Options{}), &js); err != nil {
		t.Fatal(err)
	}
	got := summaryOf(render(t, "html", r, Options{}))
	s := js.Summary
	for k, v := range map[string]int{"fail": s.Fail, "warn": s.Warn, "notAssessable": s.NotAssessable, "notApplicable": s.NotApplicable,
		"error": s.Error, "pass": s.Pass, "total": s.Total} {
		if got[k] != v {
			t.Errorf("summary %s = %d, JSON says %d", k, got[k], v)
		}
	}
	for sev, n := range s.FailBySeverity {
		if got["failBySeverity:"+sev] != n {
			t.Errorf("failing %s = %d, JSON says %d", sev, got["failBySeverity:"+sev], n)
		}
	}
	perLayer := map[string]int{}
	for _, f := range js.Findings {
		perLayer["layer:"+f.Layer+":"+f.Status]++
		perLayer["layer:"+f.Layer+":total"]++
	}
	for k, v := range perLayer {
		k = strings.Replace(k, ":not-assessable", ":notAssessable", 1)
		k = strings.Replace(k, ":not-applicable", ":notApplicable", 1)
		if got[k] != v {
			t.Errorf("%s = %d, the JSON's findings count %d", k, got[k], v)
		}
	}
}

// TestHTMLAnchors: a check's first finding is reachable at #CHECKID, the
// next ones at #CHECKID--N, and ids are unique.
func TestHTMLAnchors(t *testing.T) {
	out := string(render(t, "html", fixture(), Options{}))
	ids := regexp.MustCompile(`<article [^>]*id="([^"]+)"`).FindAllStringSubmatch(out, -1)
	seen := map[string]bool{}
	for _, m := range ids {
		if seen[m[1]] {
			t.Errorf("id %s twice", m[1])
		}
		seen[m[1]] = true
	}
	for _, f := range fixtureFindings() {
		if !seen[f.CheckID] {
			t.Errorf("no anchor #%s", f.CheckID)
		}
	}
	if !seen[metaProfiling.ID+"--2"] {
		t.Errorf("the second %s finding has no anchor %s--2", metaProfiling.ID, metaProfiling.ID)
	}
}

// TestHTMLVerdict: the exit verdict follows --fail-on.
func TestHTMLVerdict(t *testing.T) {
	var mild []check.Finding
	for _, f := range fixtureFindings() {
		if f.Severity < check.High {
			mild = append(mild, f)
		}
	}
	for _, c := range []struct {
		r    *Report
		o    Options
		want string
	}{
		{fixture(), Options{}, "Exit 1: failing findings at or above high"},
		{fixture(), Options{FailOn: check.Critical, FailOnSet: true}, "Exit 1: failing findings at or above critical"},
		{New("apiguard", "dev", "t", nil, mild, nil), Options{}, "Exit 0: no failing finding at or above high"},
		{fixture(), Options{FailNever: true}, "Exit 0: --fail-on none"},
	} {
		if out := string(render(t, "html", c.r, c.o)); !strings.Contains(out, c.want) {
			t.Errorf("%+v: no %q", c.o, c.want)
		}
	}
}

// TestHTMLGraph: every admin is a clickable node with its paths in the
// script's data, and each path's edges run from the subject to the sink.
func TestHTMLGraph(t *testing.T) {
	p := htmlPolicy()
	g, data, err := attackGraph(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Edges []struct{ From, To int }
		Paths map[string][][]int
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatal(err)
	}
	admins := p.Analysis().Admins
	subjects := 0
	for _, n := range g.Nodes {
		if n.Paths > 0 {
			subjects++
		}
	}
	if subjects != len(admins) {
		t.Errorf("%d subject nodes, %d admins", subjects, len(admins))
	}
	sink := -1
	for _, n := range g.Nodes {
		if n.Sink {
			sink = n.ID
		}
	}
	for id, ps := range d.Paths {
		for _, path := range ps {
			at, _ := strconv.Atoi(id)
			for _, e := range path {
				if d.Edges[e].From != at {
					t.Errorf("node %s: path %v is not connected at edge %d", id, path, e)
				}
				at = d.Edges[e].To
			}
			if at != sink {
				t.Errorf("node %s: path %v ends at %d, not the sink", id, path, at)
			}
		}
	}
	// alice: two steps (create pods in ci → deployer → cluster-admin)
	var alice *htmlNode
	for i := range g.Nodes {
		if g.Nodes[i].Full == "User alice" {
			alice = &g.Nodes[i]
		}
	}
	if alice == nil || len(d.Paths[strconv.Itoa(alice.ID)][0]) != 2 {
		t.Fatalf("alice: %+v, paths %v", alice, d.Paths)
	}
	// the cut ranking names deployer-admin first: alice and deployer
	c := cutsOf(p)
	if len(c.Rows) == 0 || c.Rows[0].Binding != "ClusterRoleBinding deployer-admin" || c.Rows[0].Count != 2 {
		t.Errorf("cuts: %+v", c.Rows)
	}
}

// TestHTMLGraphBounded: beyond graphMaxSubjects subjects the graph draws
// the user-made ones first and says how many it left out; the table keeps
// them all.
func TestHTMLGraphBounded(t *testing.T) {
	var subjects []graphSubject
	for i := 0; i < graphMaxSubjects+7; i++ {
		s := graphSubject{Ref: rbac.SubjectRef{Kind: "User", Name: "u" + strconv.Itoa(i)}, Direct: true, Builtin: i%2 == 0,
			Paths: [][]rbac.Step{{{Action: "holds every verb", Via: "ClusterRoleBinding b" + strconv.Itoa(i) + " → ClusterRole cluster-admin"}}}}
		subjects = append(subjects, s)
	}
	g, _, err := attackGraph(nil, subjects)
	if err != nil {
		t.Fatal(err)
	}
	if g.Omitted != 7 || len(g.Rows) != len(subjects) {
		t.Fatalf("omitted %d, rows %d", g.Omitted, len(g.Rows))
	}
	for _, n := range g.Nodes {
		if n.Paths > 0 && n.Builtin && strings.HasSuffix(n.Full, "u1") {
			t.Error("a builtin drawn before a user-made subject")
		}
	}
	if g.Labels {
		t.Error("labels drawn on a graph of more than graphMaxLabels edges")
	}
}

func TestHTMLAuditCharts(t *testing.T) {
	charts := alertCharts(htmlAlerts().Alerts)
	if len(charts) != 2 {
		t.Fatalf("%d charts", len(charts))
	}
	var total int64
	for _, s := range charts[0].Series {
		total += s.Total
		var bars int64
		for _, b := range s.Bars {
			bars += b.Count
		}
		if bars != s.Total {
			t.Errorf("%s: bars sum to %d, total %d", s.Label, bars, s.Total)
		}
	}
	if total != 3 || charts[0].Bucket != "10s" && charts[0].Bucket != "second" {
		t.Logf("bucket %s", charts[0].Bucket)
	}
	if total != 3 {
		t.Errorf("per rule: %d alerts, want 3", total)
	}
	if charts[1].Series[0].Label != "erin" || charts[1].Series[0].Total != 2 {
		t.Errorf("per identity: %+v", charts[1].Series[0])
	}
}

// TestHTMLManyFindingsOfOneCheck: beyond htmlFullPerCheck findings of one
// check, the rest are compact rows (the resource not repeated in the
// message), and none is lost.
func TestHTMLManyFindingsOfOneCheck(t *testing.T) {
	var fs []check.Finding
	n := htmlFullPerCheck + 5
	for i := 0; i < n; i++ {
		res := "ServiceAccount ci/sa-" + strconv.Itoa(100+i)
		fs = append(fs, metaEscalate.Result(check.Fail, res, res+" holds escalate on clusterroles",
			check.Evidence{Key: "escalate", Value: "*", Source: "ClusterRoleBinding b" + strconv.Itoa(i)}))
	}
	out := string(render(t, "html", New("apiguard", "dev", "t", nil, fs, nil), Options{}))
	if got := strings.Count(out, `<article class="finding`); got != htmlFullPerCheck {
		t.Errorf("%d findings whole, want %d", got, htmlFullPerCheck)
	}
	if got := strings.Count(out, `<tr data-status="fail">`); got != 5 {
		t.Errorf("%d compact rows, want 5", got)
	}
	if !strings.Contains(out, `5 more findings of <a href="#`+metaEscalate.ID+`">`) {
		t.Error("the compact section does not say how many and of which check")
	}
	if !strings.Contains(out, "<td>holds escalate on clusterroles</td>") {
		t.Error("the compact row repeats the resource in the message")
	}
	if !strings.Contains(out, "ServiceAccount ci/sa-"+strconv.Itoa(100+n-1)) {
		t.Error("the last finding is lost")
	}
}

// TestHTMLAlertsBounded: beyond htmlMaxAlerts the alerts are counted and
// charted, not all listed, and the report says so.
func TestHTMLAlertsBounded(t *testing.T) {
	r := NewAuditScan("apiguard", "dev", []string{"a.log"})
	r.ListAlerts = true
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i := 0; i < htmlMaxAlerts+3; i++ {
		r.Add(detect.Alert{Rule: "AG-DET-201", Title: "exec", Severity: check.Medium, Identity: "erin", User: "erin", Verb: "get",
			Timestamp: t0.Add(time.Duration(i) * time.Second), AuditID: strconv.Itoa(i)})
	}
	var b bytes.Buffer
	if err := AuditScanHTML(&b, r, check.High, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, `<tr class="detail"`); n != htmlMaxAlerts {
		t.Errorf("%d alerts listed, want %d", n, htmlMaxAlerts)
	}
	if !strings.Contains(out, fmt.Sprintf("The first %d of the %d alerts", htmlMaxAlerts, htmlMaxAlerts+3)) {
		t.Error("the report does not say alerts were left out")
	}
	if got := summaryOf(b.Bytes())["alerts"]; got != htmlMaxAlerts+3 {
		t.Errorf("summary alerts = %d", got)
	}
}

// TestHTMLUsageBounded: rbac usage's HTML stops at htmlMaxUsageRows rows and
// says how many more the text formats have; the counts cover every rule.
func TestHTMLUsageBounded(t *testing.T) {
	r := &rbacusage.Report{}
	n := htmlMaxUsageRows + 5
	for i := 0; i < n; i++ {
		r.Subjects = append(r.Subjects, rbacusage.SubjectUsage{Subject: rbacusage.SubjectKey{Kind: "User", Name: "u" + strconv.Itoa(i)},
			Bindings: []rbacusage.BindingUsage{{Kind: "RoleBinding", Name: "b", Namespace: "ns", Rules: []rbacusage.RuleUsage{{Verbs: []string{"get"}, Resources: []string{"pods"}}}}}})
	}
	var b bytes.Buffer
	if err := RBACUsageHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if got := strings.Count(out, `<tr data-f1="User"`); got != htmlMaxUsageRows {
		t.Errorf("%d rows, want %d", got, htmlMaxUsageRows)
	}
	if !strings.Contains(out, "5 more are in -o table") {
		t.Error("the report does not say rows were left out")
	}
	if got := summaryOf(b.Bytes())["unusedRules"]; got != n {
		t.Errorf("unused rules = %d, want %d", got, n)
	}
}
