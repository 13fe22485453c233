package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

const (
	labLog    = "../cli/testdata/auditscan/lab.log"
	mixedLog  = "../cli/testdata/auditscan/mixed.log"
	labPolicy = "../cli/testdata/auditscan/policy.yaml"
	kubeUp    = "../cli/testdata/auditpolicy/kube-up.yaml"
	eventsLog = "../cli/testdata/auditpolicy/events.log"
)

// TestAuditScan: the report of a scan counts every alert, by rule and
// severity, lists them only when asked (bounded), sends each to the sinks,
// and says what the input was worth.
func TestAuditScan(t *testing.T) {
	ctx := context.Background()
	var jsonl, warnings bytes.Buffer
	res, err := AuditScan(ctx, AuditScanOptions{Inputs: []string{labLog}, Sinks: AlertSinks{Stdout: &jsonl}, Warnings: &warnings, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Report.Summary
	if s.Events < 100 || s.Alerts < 40 || len(s.ByRule) < 20 || s.Files != 1 {
		t.Fatalf("summary %+v: want the lab's attacks", s)
	}
	if n := int64(strings.Count(jsonl.String(), "\n")); n != s.Alerts {
		t.Errorf("%d JSON lines on the sink, %d alerts counted", n, s.Alerts)
	}
	if len(res.Report.Alerts) != 0 || res.Unusable != nil || res.InputFailed || warnings.Len() != 0 {
		t.Errorf("alerts listed %d, unusable %v, input failed %v, warnings %q", len(res.Report.Alerts), res.Unusable, res.InputFailed, warnings.String())
	}
	for i := 1; i < len(s.ByRule); i++ {
		if a, b := s.ByRule[i-1], s.ByRule[i]; a.Severity < b.Severity || (a.Severity == b.Severity && a.Count < b.Count) {
			t.Errorf("rules not by severity then count: %s (%s, %d) before %s (%s, %d)", a.Rule, a.Severity, a.Count, b.Rule, b.Severity, b.Count)
		}
	}
	if !s.AtOrAbove(check.Critical) || s.AtOrAbove(check.Severity(check.Critical+1)) {
		t.Error("AtOrAbove: the lab has critical alerts and nothing above")
	}

	// -o json lists them; one worker or several, the same alerts.
	for _, workers := range []int{1, 3} {
		res2, err := AuditScan(ctx, AuditScanOptions{Inputs: []string{labLog}, ListAlerts: true, Workers: workers, Warnings: &warnings})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(res2.Report.Alerts)) != s.Alerts || res2.Report.Summary.AlertsOmitted != 0 {
			t.Errorf("%d workers: %d alerts listed (%d omitted), want %d", workers, len(res2.Report.Alerts), res2.Report.Summary.AlertsOmitted, s.Alerts)
		}
	}
}

// TestAuditScanInput: what the input was worth decides the exit, after the
// report: nothing decodable or nothing at all is unusable; a missing file
// among readable ones fails the input but the rest is scanned.
func TestAuditScanInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	garbage := filepath.Join(dir, "garbage.log")
	os.WriteFile(empty, []byte("\n\n"), 0o600)
	os.WriteFile(garbage, []byte("not json\n{\"kind\":\n"), 0o600)
	for _, c := range []struct {
		name     string
		inputs   []string
		unusable string
		failed   bool
		warn     string
	}{
		{"empty", []string{empty}, "no usable input: no audit event in " + empty, false, ""},
		{"garbage", []string{garbage}, "no audit event could be read", false, garbage + ":1"},
		{"missing and readable", []string{mixedLog, filepath.Join(dir, "nope.log")}, "", true, "nope.log"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var warnings bytes.Buffer
			res, err := AuditScan(ctx, AuditScanOptions{Inputs: c.inputs, Warnings: &warnings})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.Unusable != nil {
				got = res.Unusable.Error()
			}
			if got != c.unusable || res.InputFailed != c.failed || !strings.Contains(warnings.String(), c.warn) {
				t.Errorf("unusable %q, input failed %v, warnings %q; want %q, %v, naming %q", got, res.InputFailed, warnings.String(), c.unusable, c.failed, c.warn)
			}
			if len(res.Report.Problems) != strings.Count(warnings.String(), "\n") {
				t.Errorf("problems %q, warnings %q: every warning is a problem of the report", res.Report.Problems, warnings.String())
			}
		})
	}
}

// TestAuditScanPolicy: under a policy, the rules it blinds are in the
// report, and warned about when asked (no table to list them).
func TestAuditScanPolicy(t *testing.T) {
	var warnings bytes.Buffer
	res, err := AuditScan(context.Background(), AuditScanOptions{Inputs: []string{labLog}, Policy: PolicyFile{Path: labPolicy}, WarnBlind: true, Warnings: &warnings})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Coverage) == 0 || strings.Count(warnings.String(), "is blind under "+labPolicy) != len(res.Report.Coverage) {
		t.Fatalf("blind %v; warnings %q", res.Report.Coverage, warnings.String())
	}
}

// TestAuditInputErrors: what the user gave wrong is an input error (exit
// 2), named, before anything is read.
func TestAuditInputErrors(t *testing.T) {
	ctx := context.Background()
	var w bytes.Buffer
	scan := func(o AuditScanOptions) error {
		o.Warnings = &w
		if o.Inputs == nil && o.From == "" {
			o.Inputs = []string{labLog}
		}
		_, err := AuditScan(ctx, o)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"bad CIDR", scan(AuditScanOptions{Detection: DetectionOptions{PodCIDRs: []string{"10.0.0.0/33"}}}), `--pod-cidrs "10.0.0.0/33": want a CIDR`},
		{"rules file", scan(AuditScanOptions{Detection: DetectionOptions{RuleFiles: []string{"nope.yaml"}}}), "nope.yaml"},
		{"header", scan(AuditScanOptions{Sinks: AlertSinks{Headers: []string{"no colon"}}}), `--webhook-header "no colon"`},
		{"webhook", scan(AuditScanOptions{Sinks: AlertSinks{Webhooks: []string{"ftp://x"}}}), `--webhook "ftp://x": want an http(s) URL`},
		{"policy", scan(AuditScanOptions{Policy: PolicyFile{Path: "nope.yaml"}}), "nope.yaml"},
		{"no input", scan(AuditScanOptions{Inputs: []string{"nope.log"}}), "no input could be read"},
		{"stream URL", scan(AuditScanOptions{From: "/var/spool", Consumer: "x"}), `--from "/var/spool": want nats://`},
		{"stream consumer", scan(AuditScanOptions{From: "nats://127.0.0.1:1/AUDIT"}), "--from needs --consumer"},
		{"rule ID", func() error { _, err := AuditRules(ctx, AuditRulesOptions{IDs: []string{"AG-DET-000"}}); return err }(), `no rule "AG-DET-000"`},
		{"coverage group", func() error {
			_, err := AuditPolicyCoverage(ctx, AuditPolicyCoverageOptions{Policy: PolicyFile{Path: kubeUp}, Groups: []string{"dev"}, Warnings: &w})
			return err
		}(), "--group needs --user"},
		{"profile", func() error { _, err := AuditPolicyRecommend("paranoid"); return err }(), "--profile: "},
		{"serve spool", AuditServe(ctx, AuditServeOptions{TLSCertFile: "c", TLSKeyFile: "k", ClientCAFile: "ca"}), "--spool is required"},
		{"serve TLS", AuditServe(ctx, AuditServeOptions{Spool: t.TempDir(), ClientCAFile: "ca"}), "--tls-cert and --tls-key are required"},
		{"serve auth", AuditServe(ctx, AuditServeOptions{Spool: t.TempDir(), TLSCertFile: "c", TLSKeyFile: "k"}), "no authentication"},
	} {
		if c.err == nil || !IsInput(c.err) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want an input error naming %q", c.name, c.err, c.want)
		}
	}
}

// TestAuditRules: IDs select rules whatever their case, in the order
// given; a policy marks each rule's coverage.
func TestAuditRules(t *testing.T) {
	ctx := context.Background()
	res, err := AuditRules(ctx, AuditRulesOptions{IDs: []string{"ag-det-409", "AG-DET-201"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 2 || res.Rules[0].ID != "AG-DET-409" || res.Rules[1].ID != "AG-DET-201" || len(res.Coverage) != 0 {
		t.Fatalf("rules %v, coverage %v", res.Rules, res.Coverage)
	}
	all, err := AuditRules(ctx, AuditRulesOptions{Policy: PolicyFile{Path: labPolicy}})
	if err != nil {
		t.Fatal(err)
	}
	blind := 0
	for _, r := range all.Rules {
		c := all.Coverage[r.ID]
		if c == nil {
			t.Fatalf("%s: no coverage under the policy", r.ID)
		}
		if c.Status == "blind" {
			blind++
		}
	}
	if len(all.Rules) < 60 || blind == 0 {
		t.Errorf("%d rules, %d blind", len(all.Rules), blind)
	}
}

// TestAuditPolicyEvalRequest: how the flags become the request the audit
// filter evaluates, and the notes that say so.
func TestAuditPolicyEvalRequest(t *testing.T) {
	for _, c := range []struct {
		name       string
		o          AuditPolicyEvalOptions
		want, note string
		err        string
	}{
		{"group inferred", AuditPolicyEvalOptions{User: "alice", Verb: "patch", Resource: "deployments", Namespace: "prod", Name: "web"},
			"patch deployments.apps web in prod as alice", "deployments is in group apps", ""},
		{"core group explicit", AuditPolicyEvalOptions{User: "alice", Verb: "patch", Resource: "deployments", APIGroupSet: true, Namespace: "prod", Name: "web"},
			"patch deployments web in prod as alice", "", ""},
		{"create without its name", AuditPolicyEvalOptions{User: "alice", Verb: "create", Resource: "configmaps", Namespace: "ns", Name: "x"},
			"create configmaps in ns as alice", "--name is ignored", ""},
		{"subresource in the resource", AuditPolicyEvalOptions{User: "alice", Verb: "create", Resource: "pods/exec", Namespace: "ns", Name: "web-0"},
			"create pods/exec web-0 in ns as alice", "", ""},
		{"a namespace is in itself", AuditPolicyEvalOptions{User: "alice", Verb: "get", Resource: "namespaces", Name: "dev"},
			"get namespaces dev in dev as alice", "", ""},
		{"no user", AuditPolicyEvalOptions{Verb: "get", Path: "/healthz"}, "get /healthz without credentials (failed authentication)", "", ""},
		{"no verb", AuditPolicyEvalOptions{Resource: "pods"}, "", "", "--verb is required"},
		{"group without user", AuditPolicyEvalOptions{Verb: "get", Path: "/x", Groups: []string{"dev"}}, "", "", "--group needs --user"},
		{"resource and path", AuditPolicyEvalOptions{Verb: "get", Resource: "pods", Path: "/x"}, "", "", "give --resource or --path, not both"},
		{"path with a namespace", AuditPolicyEvalOptions{Verb: "get", Path: "/x", Namespace: "n"}, "", "", "--path is a non-resource URL"},
		{"relative path", AuditPolicyEvalOptions{Verb: "get", Path: "x"}, "", "", "a URL path starts with /"},
		{"subresource twice", AuditPolicyEvalOptions{Verb: "get", Resource: "pods/log", Subresource: "exec"}, "", "", "subresource given twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var notes bytes.Buffer
			c.o.Notes = &notes
			req, err := c.o.request()
			if c.err != "" {
				if err == nil || !IsInput(err) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want an input error naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.String() != c.want || !strings.Contains(notes.String(), c.note) || (c.note == "" && notes.Len() > 0) {
				t.Errorf("request %q, notes %q; want %q, a note naming %q", req, notes.String(), c.want, c.note)
			}
		})
	}
}

// TestAuditPolicyReplay: one JSON line per event, the count of events the
// log recorded at another level, and a log of no event is an input error.
func TestAuditPolicyReplay(t *testing.T) {
	ctx := context.Background()
	var out, warnings bytes.Buffer
	res, err := AuditPolicyReplay(ctx, AuditPolicyReplayOptions{Policy: PolicyFile{Path: kubeUp}, Events: eventsLog, Out: &out, Warnings: &warnings})
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); res.Events == 0 || lines != res.Events || !strings.HasPrefix(out.String(), `{"auditID":"`) {
		t.Fatalf("%d events, %d lines:\n%s", res.Events, lines, out.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.log")
	os.WriteFile(bad, []byte("nope\nnope\n"), 0o600)
	out.Reset()
	warnings.Reset()
	_, err = AuditPolicyReplay(ctx, AuditPolicyReplayOptions{Policy: PolicyFile{Path: kubeUp}, Events: bad, Out: &out, Warnings: &warnings})
	if err == nil || !IsInput(err) || !strings.Contains(err.Error(), "no audit event could be read") || strings.Count(warnings.String(), "warning") != 2 {
		t.Fatalf("error %v, warnings %q", err, warnings.String())
	}
}
