package cli

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// -o html of every command that has it: the same exit code as -o json, one
// whole self-contained document of the command's kind, and the summary's
// numbers equal to the JSON document's. The rendering itself is golden-
// tested in internal/report; a browser opens these in test/e2e.

var htmlSummary = regexp.MustCompile(`data-summary="([^"]+)">([0-9]+)<`)

func htmlNumbers(out string) map[string]int {
	m := map[string]int{}
	for _, x := range htmlSummary.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(x[2])
		m[x[1]] = n
	}
	return m
}

func TestHTMLOutputs(t *testing.T) {
	for _, c := range []struct {
		name, kind, args string
		// numbers: the summary keys and their value in the JSON output
		numbers func(t *testing.T, js []byte) map[string]int
	}{
		{"scan", "scan", "scan --snapshot ../../examples/kubeadm-1.36", func(t *testing.T, js []byte) map[string]int {
			var d struct {
				Summary struct {
					Fail, Warn, Pass, Total int
					NotAssessable           int `json:"notAssessable"`
					NotApplicable           int `json:"notApplicable"`
					FailBySeverity          map[string]int
				}
			}
			decode(t, js, &d)
			m := map[string]int{"fail": d.Summary.Fail, "warn": d.Summary.Warn, "pass": d.Summary.Pass, "total": d.Summary.Total,
				"notAssessable": d.Summary.NotAssessable, "notApplicable": d.Summary.NotApplicable}
			for k, v := range d.Summary.FailBySeverity {
				m["failBySeverity:"+k] = v
			}
			return m
		}},
		{"rbac admins", "rbac-admins", "rbac admins --from ../../examples/kubeadm-1.36/rbac", func(t *testing.T, js []byte) map[string]int {
			var d []struct{ Direct, Builtin bool }
			decode(t, js, &d)
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
		}},
		{"rbac paths", "rbac-paths", "rbac paths sa:kube-system/daemon-set-controller --from ../../examples/kubeadm-1.36/rbac", func(t *testing.T, js []byte) map[string]int {
			var d struct{ Paths [][]any }
			decode(t, js, &d)
			return map[string]int{"paths": len(d.Paths), "steps": len(d.Paths[0])}
		}},
		{"audit scan", "audit-scan", "audit scan testdata/auditscan/lab.log", func(t *testing.T, js []byte) map[string]int {
			var d struct {
				Summary struct {
					Events, Files, Alerts int
					BySeverity            map[string]int
					ByRule                []any
				}
			}
			decode(t, js, &d)
			m := map[string]int{"events": d.Summary.Events, "files": d.Summary.Files, "alerts": d.Summary.Alerts, "rules": len(d.Summary.ByRule)}
			for k, v := range d.Summary.BySeverity {
				m["bySeverity:"+k] = v
			}
			return m
		}},
		{"audit policy coverage", "audit-policy-coverage", "audit policy coverage testdata/auditpolicy/kube-up.yaml", func(t *testing.T, js []byte) map[string]int {
			var d struct{ Rows []struct{ Status string } }
			decode(t, js, &d)
			m := map[string]int{"requests": len(d.Rows)}
			for _, r := range d.Rows {
				m["status:"+r.Status]++
			}
			return m
		}},
		{"rbac usage", "rbac-usage", "rbac usage --no-builtin-roles --from ../rbacusage/testdata/cluster.yaml --audit testdata/rbac/usage-audit.jsonl", func(t *testing.T, js []byte) map[string]int {
			var d struct {
				Events   int
				Subjects []any
			}
			decode(t, js, &d)
			return map[string]int{"events": d.Events, "subjects": len(d.Subjects)}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := strings.Fields(c.args)
			js, jsErr, jsCode := runCLI(append(args, "-o", "json")...)
			out, stderr, code := runCLI(append(args, "-o", "html")...)
			if code != jsCode {
				t.Fatalf("exit %d, -o json exits %d\n%s\n%s", code, jsCode, stderr, jsErr)
			}
			if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.HasSuffix(out, "</html>\n") {
				t.Fatalf("not one whole HTML document:\n%.300s", out)
			}
			if !strings.Contains(out, `data-apiguard-report="`+c.kind+`"`) {
				t.Errorf("not a %s report", c.kind)
			}
			got := htmlNumbers(out)
			for k, v := range c.numbers(t, []byte(js)) {
				if got[k] != v {
					t.Errorf("summary %s = %d in the HTML, %d in the JSON", k, got[k], v)
				}
			}
		})
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v\n%.300s", err, b)
	}
}
