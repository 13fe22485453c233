package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// The HTML reports (-o html) opened as a person would: in headless Chromium
// with the network cut off (browser_test.go). Each report must load
// nothing, log no error, show the numbers -o json gives, and answer a
// click; screenshots and a PDF print are kept in artifacts/.

// repoPath is a path of the repository from this package.
func repoPath(p string) string { return filepath.Join("..", "..", p) }

// writeReport runs apiguard with -o html into dir/name.html and the same
// command with -o json, and returns the file and the JSON.
func writeReport(t *testing.T, dir, name string, args ...string) (string, []byte) {
	t.Helper()
	html, stderr, code := runAPIGuard(t, append(args, "-o", "html")...)
	js, _, jsCode := runAPIGuard(t, append(args, "-o", "json")...)
	if code != jsCode || code > 1 {
		t.Fatalf("apiguard %s -o html: exit %d (-o json: %d)\n%s", strings.Join(args, " "), code, jsCode, stderr)
	}
	path := filepath.Join(dir, name+".html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, js
}

// summaryNumbers reads every data-summary number of the page.
func summaryNumbers(t *testing.T, p *page) map[string]int {
	t.Helper()
	var raw map[string]string
	p.eval(t, `Object.fromEntries(Array.from(document.querySelectorAll("[data-summary]")).map(e => [e.dataset.summary, e.textContent.trim()]))`, &raw)
	out := map[string]int{}
	for k, v := range raw {
		if n, err := strconv.Atoi(v); err == nil {
			out[k] = n
		}
	}
	return out
}

func sameNumbers(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: the page shows %s = %d (shown: %t), -o json says %d", what, k, g, ok, v)
		}
	}
}

func noPageErrors(t *testing.T, p *page) {
	t.Helper()
	if errs := p.errs(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

func scanNumbers(t *testing.T, js []byte) map[string]int {
	var d struct {
		Findings []struct{ Layer, Status string }
		Summary  struct {
			Fail, Warn, Pass, Total, Error int
			NotAssessable                  int `json:"notAssessable"`
			NotApplicable                  int `json:"notApplicable"`
			FailBySeverity                 map[string]int
		}
	}
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	s := d.Summary
	m := map[string]int{"fail": s.Fail, "warn": s.Warn, "pass": s.Pass, "total": s.Total, "error": s.Error,
		"notAssessable": s.NotAssessable, "notApplicable": s.NotApplicable}
	for k, v := range s.FailBySeverity {
		m["failBySeverity:"+k] = v
	}
	status := map[string]string{"not-assessable": "notAssessable", "not-applicable": "notApplicable"}
	for _, f := range d.Findings {
		st := f.Status
		if x, ok := status[st]; ok {
			st = x
		}
		m["layer:"+f.Layer+":"+st]++
		m["layer:"+f.Layer+":total"]++
	}
	return m
}

func adminNumbers(t *testing.T, js []byte) map[string]int {
	var d []struct{ Direct, Builtin bool }
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{"admins": len(d)}
	for _, a := range d {
		if a.Direct {
			m["direct"]++
		}
		if a.Builtin {
			m["builtin"]++
		}
	}
	m["indirect"] = m["admins"] - m["direct"]
	return m
}

// clickSubject clicks the subject whose paths are longest (the most
// telling) and checks that exactly its paths' steps light up, and that the
// selection panel names it. It returns the subject.
func clickSubject(t *testing.T, p *page) string {
	t.Helper()
	var pick struct {
		ID    string
		Edges int
		Name  string
	}
	p.eval(t, `(() => {
		const d = JSON.parse(document.getElementById("graph-data").textContent);
		let best = null;
		for (const [id, ps] of Object.entries(d.paths)) {
			const edges = new Set(ps.flat());
			if (!best || ps[0].length > best.len || (ps[0].length === best.len && edges.size > best.edges)) {
				best = {id, len: ps[0].length, edges: edges.size};
			}
		}
		const name = document.getElementById("node-" + best.id).dataset.subject;
		return {ID: best.id, Edges: best.edges, Name: name};
	})()`, &pick)
	if pick.Edges == 0 {
		t.Fatal("no subject with a path in the graph")
	}
	if n := p.count(t, "#attack-graph .edge.hl"); n != 0 {
		t.Fatalf("%d edges highlighted before any click", n)
	}
	p.click(t, "#node-"+pick.ID)
	if n := p.count(t, "#attack-graph .edge.hl"); n != pick.Edges {
		t.Errorf("click on %s: %d edges highlighted, its paths have %d", pick.Name, n, pick.Edges)
	}
	if n := p.count(t, "#attack-graph.focus"); n != 1 {
		t.Error("the graph is not in focus mode after the click")
	}
	if sel := p.text(t, "#selection"); !strings.Contains(sel, pick.Name) {
		t.Errorf("the selection panel does not name %s: %q", pick.Name, sel)
	}
	return pick.Name
}

// TestHTMLReports: every command's report from files (the bundled example,
// the unit tests' audit fixtures), in the browser.
func TestHTMLReports(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	rbacDir := repoPath("examples/kubeadm-1.36/rbac")

	t.Run("scan", func(t *testing.T) {
		path, js := writeReport(t, dir, "scan", "scan", "--snapshot", repoPath("examples/kubeadm-1.36"))
		p := b.open(t, path)
		noPageErrors(t, p)
		want := scanNumbers(t, js)
		sameNumbers(t, "scan", summaryNumbers(t, p), want)
		// the filters: failing findings shown by default, then hidden
		before := p.text(t, "#findings-shown")
		p.click(t, `input[name=status][value=fail]`)
		after := p.text(t, "#findings-shown")
		if want["fail"] > 0 && before == after {
			t.Errorf("unchecking FAIL changed nothing: %q", after)
		}
		if n := p.count(t, `article.finding[data-status=fail]:not(.hidden)`); n != 0 {
			t.Errorf("%d failing findings still shown with FAIL unchecked", n)
		}
		p.click(t, `input[name=status][value=fail]`)
		// a ticket links to a check: its anchor exists
		if n := p.count(t, "#AG-NET-006"); n != 1 {
			t.Errorf("#AG-NET-006: %d elements", n)
		}
		clickSubject(t, p)
		p.screenshot(t, "scan")
		if n := p.pdf(t, "scan"); n < 10_000 {
			t.Errorf("the printed PDF is %d bytes", n)
		}
	})

	t.Run("rbac admins", func(t *testing.T) {
		path, js := writeReport(t, dir, "admins", "rbac", "admins", "--from", rbacDir)
		p := b.open(t, path)
		noPageErrors(t, p)
		sameNumbers(t, "rbac admins", summaryNumbers(t, p), adminNumbers(t, js))
		name := clickSubject(t, p)
		t.Logf("clicked %s", name)
		// the cut ranking's first row highlights the steps its binding allows
		if p.count(t, "button.cut-hl") > 0 {
			p.click(t, "button.cut-hl")
			if n := p.count(t, "#attack-graph .edge.hl"); n == 0 {
				t.Error("the first cut's button highlights no step")
			}
		}
		p.screenshot(t, "rbac-admins")
	})

	t.Run("rbac paths", func(t *testing.T) {
		path, js := writeReport(t, dir, "paths", "rbac", "paths", "sa:kube-system/daemon-set-controller", "--from", rbacDir)
		var d struct{ Paths [][]json.RawMessage }
		if err := json.Unmarshal(js, &d); err != nil || len(d.Paths) == 0 {
			t.Fatalf("%v %s", err, js)
		}
		p := b.open(t, path)
		noPageErrors(t, p)
		sameNumbers(t, "rbac paths", summaryNumbers(t, p), map[string]int{"paths": len(d.Paths), "steps": len(d.Paths[0])})
		if name := clickSubject(t, p); name != "ServiceAccount kube-system/daemon-set-controller" {
			t.Errorf("clicked %s", name)
		}
		p.screenshot(t, "rbac-paths")
	})

	t.Run("audit scan", func(t *testing.T) {
		path, js := writeReport(t, dir, "audit", "audit", "scan", repoPath("internal/cli/testdata/auditscan/lab.log"))
		var d struct {
			Alerts  []struct{ Rule string }
			Summary struct {
				Events, Files, Alerts int
				BySeverity            map[string]int
				ByRule                []json.RawMessage
			}
		}
		if err := json.Unmarshal(js, &d); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"events": d.Summary.Events, "files": d.Summary.Files, "alerts": d.Summary.Alerts, "rules": len(d.Summary.ByRule)}
		for k, v := range d.Summary.BySeverity {
			want["bySeverity:"+k] = v
		}
		p := b.open(t, path)
		noPageErrors(t, p)
		sameNumbers(t, "audit scan", summaryNumbers(t, p), want)
		if n := p.count(t, "#alerts-t tbody tr:not(.detail)"); n != len(d.Alerts) {
			t.Errorf("%d alert rows, -o json lists %d alerts", n, len(d.Alerts))
		}
		if n := p.count(t, "#by-rule tbody tr"); n != len(d.Summary.ByRule) {
			t.Errorf("%d rules charted, %d alerted", n, len(d.Summary.ByRule))
		}
		// filter the alerts by one rule
		rule := d.Alerts[0].Rule
		want1 := 0
		for _, a := range d.Alerts {
			if a.Rule == rule {
				want1++
			}
		}
		p.eval(t, fmt.Sprintf(`(() => { const s = document.querySelector('form[data-table="alerts-t"] select[data-slot="1"]'); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, rule), nil)
		if n := p.count(t, "#alerts-t tbody tr:not(.detail):not(.hidden)"); n != want1 {
			t.Errorf("filtered on %s: %d rows shown, want %d", rule, n, want1)
		}
		p.screenshot(t, "audit-scan")
	})

	t.Run("audit policy coverage", func(t *testing.T) {
		path, js := writeReport(t, dir, "coverage", "audit", "policy", "coverage", repoPath("internal/cli/testdata/auditpolicy/kube-up.yaml"))
		var d struct{ Rows []struct{ Status string } }
		if err := json.Unmarshal(js, &d); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"requests": len(d.Rows)}
		for _, r := range d.Rows {
			want["status:"+r.Status]++
		}
		p := b.open(t, path)
		noPageErrors(t, p)
		sameNumbers(t, "coverage", summaryNumbers(t, p), want)
		p.screenshot(t, "audit-policy-coverage")
	})

	t.Run("rbac usage", func(t *testing.T) {
		path, js := writeReport(t, dir, "usage", "rbac", "usage", "--no-builtin-roles", "--from", repoPath("internal/rbacusage/testdata/cluster.yaml"),
			"--audit", repoPath("internal/cli/testdata/rbac/usage-audit.jsonl"))
		var d struct {
			Events   int
			Subjects []json.RawMessage
		}
		if err := json.Unmarshal(js, &d); err != nil {
			t.Fatal(err)
		}
		p := b.open(t, path)
		noPageErrors(t, p)
		sameNumbers(t, "rbac usage", summaryNumbers(t, p), map[string]int{"events": d.Events, "subjects": len(d.Subjects)})
		p.screenshot(t, "rbac-usage")
	})
}

// htmlLive: scan and rbac admins of a running cluster, as HTML (called by
// TestScanProfiles on a profile's shared server).
func htmlLive(t *testing.T, c *lab.Cluster) {
	b := newBrowser(t)
	dir := t.TempDir()
	path, js := writeReport(t, dir, "scan", "scan", "--kubeconfig", c.AdminKubeconfig)
	p := b.open(t, path)
	noPageErrors(t, p)
	sameNumbers(t, "live scan", summaryNumbers(t, p), scanNumbers(t, js))
	clickSubject(t, p)
	p.screenshot(t, "live-scan-"+c.Profile.Name)

	path, js = writeReport(t, dir, "admins", "rbac", "admins", "--kubeconfig", c.AdminKubeconfig)
	p = b.open(t, path)
	noPageErrors(t, p)
	sameNumbers(t, "live rbac admins", summaryNumbers(t, p), adminNumbers(t, js))
	clickSubject(t, p)
	p.screenshot(t, "live-rbac-admins-"+c.Profile.Name)
}

// TestHTMLReportScale: the 75,840-object synthetic cluster (bench rbac's):
// its scan and rbac admins reports stay under 10 MB, open in the browser
// and answer a click. The time from navigation to ready is logged, not
// asserted (shared machines are noisy); the budget is 3 s.
func TestHTMLReportScale(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "cluster.json")
	f, err := os.Create(dump)
	if err != nil {
		t.Fatal(err)
	}
	if err := rbacsynth.Generate(f, rbacsynth.Default(), 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, c := range []struct {
		name string
		args []string
		want func(t *testing.T, js []byte) map[string]int
	}{
		{"scan", []string{"scan", "--rbac", dump}, scanNumbers},
		{"rbac-admins", []string{"rbac", "admins", "--from", dump}, adminNumbers},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			path, js := writeReport(t, dir, c.name, c.args...)
			written := time.Since(start)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() >= 10<<20 {
				t.Errorf("%s: %.1f MiB, the budget is 10 MB", c.name, float64(st.Size())/(1<<20))
			}
			p := b.open(t, path)
			noPageErrors(t, p)
			clickStart := time.Now()
			clickSubject(t, p)
			clicked := time.Since(clickStart)
			sameNumbers(t, c.name, summaryNumbers(t, p), c.want(t, js))
			p.viewShot(t, "scale-"+c.name) // the scan's page is taller than a full-page screenshot may be
			t.Logf("75k objects, %s -o html: %.2f MiB; open to ready in Chromium %s; a click highlighted its paths in %s (-o html and -o json together written in %s)",
				c.name, float64(st.Size())/(1<<20), p.readyIn.Round(time.Millisecond), clicked.Round(time.Millisecond), written.Round(time.Millisecond))
		})
	}
}
