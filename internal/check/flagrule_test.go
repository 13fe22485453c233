package check_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

var ruleMeta = check.Metadata{ID: "AG-TEST-001", Title: "Test rule", Layer: check.Network, Severity: check.Medium}

func TestFlagRuleEvaluate(t *testing.T) {
	boolRule := check.FlagRule{
		Tests: []check.FlagTest{{Flag: "profiling", Op: check.Eq, Value: "false"}},
		Pass:  "off", Fail: "on",
	}
	refusing := boolRule
	refusing.Invalid = "kube-apiserver refuses to start"
	warning := boolRule
	warning.Else = check.Warn
	set := check.FlagRule{
		Tests: []check.FlagTest{{Flag: "etcd-cafile", Op: check.Set}},
		Pass:  "verified against {value}", Fail: "no CA",
	}
	valued := check.FlagRule{
		Tests: []check.FlagTest{{Flag: "client-ca-file", Op: check.NotEq, Value: ""}},
		Pass:  "verified against [{value}]", Fail: "no CA",
	}
	text := check.FlagRule{
		Tests: []check.FlagTest{{Flag: "audit-log-format", Op: check.Eq, Value: "json"}},
		Pass:  "json", Fail: "{value} is not json",
	}
	pair := check.FlagRule{
		Tests: []check.FlagTest{{Flag: "tls-cert-file", Op: check.Set}, {Flag: "tls-private-key-file", Op: check.Set}},
		Pass:  "both", Fail: "neither",
		Partial: "{set} is set without {unset}",
	}
	noPartial := pair
	noPartial.Partial = ""
	badOp := check.FlagRule{Tests: []check.FlagTest{{Flag: "profiling", Op: "gt", Value: "1"}}}
	badValue := check.FlagRule{Tests: []check.FlagTest{{Flag: "profiling", Op: check.Eq, Value: "no"}}}

	for _, c := range []struct {
		name string
		rule check.FlagRule
		argv []string
		want check.Status
		msg  string
		line int // line of the location; 0: none
		ev   []string
	}{
		{"bool default, not met", boolRule, nil, check.Fail, "on", 0, []string{"--profiling=true"}},
		{"bool written, not met", boolRule, []string{"--profiling=true"}, check.Fail, "on", 2, []string{"--profiling=true"}},
		{"bool bare flag is true", boolRule, []string{"--profiling"}, check.Fail, "on", 2, nil},
		{"bool met", boolRule, []string{"--profiling=false"}, check.Pass, "off", 0, []string{"--profiling=false"}},
		{"bool read as kube-apiserver does", boolRule, []string{"--profiling=0"}, check.Pass, "off", 0, nil},
		{"bool last one wins", boolRule, []string{"--secure-port=6443", "--profiling=false", "--profiling=T"}, check.Fail, "on", 4, nil},
		{"bool unparsable", boolRule, []string{"--profiling=off"}, check.Fail,
			`kube-apiserver.yaml:2: --profiling="off" is not a boolean`, 2, []string{"--profiling=off"}},
		{"bool unparsable, consequence said", refusing, []string{"--profiling=off"}, check.Fail,
			`kube-apiserver.yaml:2: --profiling="off" is not a boolean: kube-apiserver refuses to start`, 2, nil},
		{"else warn", warning, []string{"--profiling"}, check.Warn, "on", 2, nil},
		{"else warn, met", warning, []string{"--profiling=false"}, check.Pass, "off", 0, nil},
		{"set, absent", set, nil, check.Fail, "no CA", 0, []string{"--etcd-cafile=(not set)"}},
		{"set, written blank", set, []string{"--etcd-cafile="}, check.Fail, "no CA", 2, []string{"--etcd-cafile="}},
		{"set, written spaces", set, []string{"--etcd-cafile= "}, check.Fail, "no CA", 2, nil},
		{"set, written", set, []string{"--etcd-cafile=/pki/ca.crt"}, check.Pass, "verified against /pki/ca.crt", 0, nil},
		{"noteq empty, spaces count", valued, []string{"--client-ca-file= "}, check.Pass, "verified against [ ]", 0, nil},
		{"noteq empty, blank", valued, []string{"--client-ca-file="}, check.Fail, "no CA", 2, nil},
		{"eq text, default", text, nil, check.Pass, "json", 0, []string{"--audit-log-format=json"}},
		{"eq text, case matters", text, []string{"--audit-log-format=JSON"}, check.Fail, "JSON is not json", 2, nil},
		{"pair, both", pair, []string{"--tls-cert-file=/a.crt", "--tls-private-key-file=/a.key"}, check.Pass, "both", 0,
			[]string{"--tls-cert-file=/a.crt", "--tls-private-key-file=/a.key"}},
		{"pair, neither", pair, nil, check.Fail, "neither", 0,
			[]string{"--tls-cert-file=(not set)", "--tls-private-key-file=(not set)"}},
		{"pair, neither, one written blank", pair, []string{"--tls-private-key-file="}, check.Fail, "neither", 2, nil},
		{"pair, first only", pair, []string{"--secure-port=6443", "--tls-cert-file=/a.crt"}, check.Fail,
			"--tls-cert-file is set without --tls-private-key-file", 3, nil},
		{"pair, second only", pair, []string{"--tls-private-key-file=/a.key"}, check.Fail,
			"--tls-private-key-file is set without --tls-cert-file", 2, nil},
		{"pair without a partial message", noPartial, []string{"--tls-cert-file=/a.crt"}, check.Fail, "neither", 2, nil},
		{"unknown op is the rule's error", badOp, nil, check.Error, `flag rule: --profiling: unknown op "gt"`, 0, nil},
		{"bad operand is the rule's error", badValue, nil, check.Error,
			`flag rule: --profiling is a boolean flag, but the test compares it with "no"`, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := ct.Snapshot(c.argv...)
			f := c.rule.Evaluate(ruleMeta, s.APIServers[0], s.APIServers[0].Flags(s.Cluster))
			if f.Status != c.want || f.Message != c.msg {
				t.Fatalf("got %s %q, want %s %q", f.Status, f.Message, c.want, c.msg)
			}
			if f.CheckID != ruleMeta.ID || f.Resource != "kube-system/kube-apiserver-test" || f.Severity != check.Medium {
				t.Errorf("finding = %+v, want the rule's metadata and the instance", f)
			}
			switch {
			case c.line == 0 && f.Location != nil:
				t.Errorf("location = %+v, want none", f.Location)
			case c.line != 0 && (f.Location == nil || f.Location.Line != c.line || f.Location.File != ct.ManifestName):
				t.Errorf("location = %+v, want %s:%d", f.Location, ct.ManifestName, c.line)
			}
			if c.ev != nil {
				var got []string
				for _, e := range f.Evidence {
					got = append(got, e.Key+"="+e.Value)
				}
				if strings.Join(got, " ") != strings.Join(c.ev, " ") {
					t.Errorf("evidence = %v, want %v", got, c.ev)
				}
			}
		})
	}
}

func TestFlagRuleRun(t *testing.T) {
	rule := check.FlagRule{Tests: []check.FlagTest{{Flag: "profiling", Op: check.Eq, Value: "false"}}, Pass: "off", Fail: "on"}
	run := rule.Check(ruleMeta).Run

	hidden := run(context.Background(), ct.Hidden("EKS control plane is managed"))
	if len(hidden) != 1 || hidden[0].Status != check.NotAssessable || hidden[0].Message != "EKS control plane is managed" {
		t.Fatalf("hidden control plane: %+v, want one not-assessable finding with the reason", hidden)
	}

	s := ct.Snapshot("--profiling=false")
	s.APIServers = append(s.APIServers, ct.Snapshot().APIServers[0])
	s.APIServers[1].Name = "kube-system/kube-apiserver-other"
	got := run(context.Background(), s)
	if len(got) != 2 || got[0].Status != check.Pass || got[1].Status != check.Fail || got[1].Resource != "kube-system/kube-apiserver-other" {
		t.Fatalf("two instances: %+v, want one finding each", got)
	}
}
