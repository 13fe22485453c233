package detect

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseRulesErrors: rule files fail with file, line, rule and what was
// expected.
func TestParseRulesErrors(t *testing.T) {
	head := "rules:\n- id: X-1\n  title: t\n  tactic: impact\n  technique: T1485\n  severity: low\n  level: Metadata\n  request: {verb: get, resource: pods}\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"typo in a field", head + "  condition: |\n    event.verb == \"get\" &&\n    event.objectRef.resoruce == \"pods\"\n", `f.yaml:11: rule X-1: condition: event.objectRef has no field "resoruce"`},
		{"syntax", head + "  condition: |\n    event.verb ==\n", "f.yaml:11: rule X-1: condition: Syntax error"},
		{"not a bool", head + "  condition: event.verb\n", ""},
		{"wrong type", head + "  condition: size(event.verb)\n", "the expression is of type int, want bool"},
		{"unknown key", head + "  conditon: x\n", `f.yaml:9: rule X-1: unknown field "conditon" in rule`},
		{"unknown param", head + "  condition: size(params.podCIDR) > 0\n", "unknown parameter params.podCIDR"},
		{"undeclared param", head + "  condition: size(params.podCIDRs) > 0\n", "params.podCIDRs is read but not declared"},
		{"bad technique", strings.Replace(head, "T1485", "1485", 1) + "  condition: event.verb == \"get\"\n", `technique "1485"`},
		{"unknown Threat Matrix technique", head + "  msTechnique: MS-TA9999\n  condition: event.verb == \"get\"\n", `f.yaml:2: rule X-1: msTechnique "MS-TA9999": want a technique ID of the Threat Matrix`},
		{"sequence and window", head + "  condition: event.verb == \"get\"\n  window: {count: 2, within: 1m}\n  sequence: {after: ['event.verb == \"list\"'], within: 1h}\n", "sequence and window: a rule has one or the other"},
		{"sequence without steps", head + "  condition: event.verb == \"get\"\n  sequence: {after: [], within: 1h}\n", "sequence.after: want 1 to 4 conditions"},
		{"sequence without within", head + "  condition: event.verb == \"get\"\n  sequence: {after: ['event.verb == \"list\"']}\n", "sequence.within: want a duration up to 24h"},
		{"sequence unknown key", head + "  condition: event.verb == \"get\"\n  sequence: {after: ['event.verb == \"list\"'], within: 1h, groupBy: x}\n", `f.yaml:10: rule X-1: unknown field "groupBy" in sequence`},
		{"sequence step not a bool", head + "  condition: event.verb == \"get\"\n  sequence:\n    within: 1h\n    after:\n    - event.verb == \"list\"\n    - size(event.verb)\n", `f.yaml:14: rule X-1: sequence.after[1]: the expression is of type int, want bool`},
		{"absent sequence of two steps", head + "  condition: event.verb == \"get\"\n  sequence: {absent: true, after: ['event.verb == \"list\"', 'event.verb == \"watch\"'], within: 1h}\n", "sequence.absent: want exactly one step in after"},
		{"firstSeen and window", head + "  condition: event.verb == \"get\"\n  window: {count: 2, within: 1m}\n  firstSeen: {learn: 1h}\n", "firstSeen: a rule has one of window, sequence and firstSeen"},
		{"firstSeen learn too short", head + "  condition: event.verb == \"get\"\n  firstSeen: {learn: 10s}\n", "firstSeen.learn: want a duration from 1m to 2160h"},
		{"firstSeen value not a string", head + "  condition: event.verb == \"get\"\n  firstSeen: {value: size(event.verb), learn: 1h}\n", "firstSeen.value: the expression is of type int, want string"},
		{"bad window", head + "  condition: event.verb == \"get\"\n  window: {count: 0, within: 1m}\n", "window.count (or threshold): want 1 to 10000"},
		{"flat window without threshold", head + "  condition: event.verb == \"get\"\n  window: 5m\n", "window.count (or threshold): want 1 to 10000"},
		{"flat window of no duration", head + "  condition: event.verb == \"get\"\n  window: often\n  threshold: 3\n", `duration "often"`},
		{"threshold without window", head + "  condition: event.verb == \"get\"\n  threshold: 3\n", "threshold: needs a window"},
		{"threshold and count disagree", head + "  condition: event.verb == \"get\"\n  window: {count: 2, within: 1m}\n  threshold: 3\n", "threshold 3 and window.count 2: give one"},
		{"groupBy alone", head + "  condition: event.verb == \"get\"\n  groupBy: peerIP(event)\n", "groupBy: needs a window, sequence or firstSeen"},
		{"groupBy and by", head + "  condition: event.verb == \"get\"\n  sequence: {after: ['event.verb == \"list\"'], within: 1h, by: peerIP(event)}\n  groupBy: identity(event)\n", "groupBy and sequence.by: give one"},
		{"groupBy not a string", head + "  condition: event.verb == \"get\"\n  window: 1m\n  threshold: 2\n  groupBy: size(event.verb)\n", "f.yaml:12: rule X-1: window.by: the expression is of type int, want string"},
		{"duplicate", head + "  condition: event.verb == \"get\"\n" + strings.TrimPrefix(head, "rules:\n") + "  condition: event.verb == \"get\"\n", "duplicate id (first at line 2)"},
		{"empty", "rules: []\n", "no rules"},
	} {
		_, err := ParseRules("f.yaml", []byte(c.yaml))
		if err == nil {
			if c.want != "" {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if c.want == "" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

// TestFlatMemorySpelling: `window: 5m` with threshold and groupBy beside
// it is the same rule as the window mapping; groupBy keys sequences and
// first-seen rules too.
func TestFlatMemorySpelling(t *testing.T) {
	head := "rules:\n- id: X-1\n  title: t\n  tactic: impact\n  technique: T1485\n  severity: low\n  level: Metadata\n  request: {verb: get, resource: pods}\n  condition: event.verb == \"get\"\n"
	for _, c := range []struct{ name, flat, canonical string }{
		{"window", "  window: 5m\n  threshold: 20\n  groupBy: peerIP(event)\n", "  window: {count: 20, within: 5m, by: peerIP(event)}\n"},
		{"window count in the mapping", "  window: {count: 3, within: 1m}\n  threshold: 3\n", "  window: {count: 3, within: 1m}\n"},
		{"sequence", "  sequence: {after: ['event.verb == \"list\"'], within: 1h}\n  groupBy: event.objectRef.name\n", "  sequence: {after: ['event.verb == \"list\"'], within: 1h, by: event.objectRef.name}\n"},
		{"firstSeen", "  firstSeen: {learn: 1h, value: clientName(event)}\n  groupBy: peerIP(event)\n", "  firstSeen: {learn: 1h, value: clientName(event), by: peerIP(event)}\n"},
	} {
		flat, err := ParseRules("f.yaml", []byte(head+c.flat))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		canon, err := ParseRules("f.yaml", []byte(head+c.canonical))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		a, b := flat[0], canon[0]
		a.compiled, b.compiled = nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: flat %+v\nwant %+v", c.name, a, b)
		}
	}
}

// TestUserRuleFeatures: a user rule with params, a window keyed by an
// expression and a message; engine.New rejects duplicates and uncompiled rules.
func TestUserRuleFeatures(t *testing.T) {
	rs, err := ParseRules("site.yaml", []byte(`rules:
- id: SITE-1
  title: Kube-system pod listing from outside the office
  tactic: discovery
  technique: T1613
  severity: medium
  level: Metadata
  params: [allowCIDRs]
  request: {user: alice, verb: list, resource: pods, namespace: kube-system}
  condition: |
    event.objectRef.resource == "pods" && event.verb == "list" && outsideCIDRs(event.sourceIPs, params.allowCIDRs)
  window: {count: 2, within: 1m, by: 'peerIP(event)'}
  message: '"listing from " + peerIP(event)'
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(append(rs, rs...), Options{}); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := New([]Rule{{ID: "raw"}}, Options{}); err == nil {
		t.Error("an uncompiled rule was accepted")
	}
	e, err := New(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Inactive()) != 1 || len(e.Rules()) != 0 {
		t.Fatalf("without --allow-cidrs the rule is inactive: %v", e.Inactive())
	}
	e, _ = New(rs, Options{AllowCIDRs: prefixes("10.0.0.0/8")})
	var got []Alert
	for i := 1; i <= 3; i++ {
		got = append(got, e.Process(ev("list", "pods").ips("192.0.2.1").build(t, i))...)
	}
	if len(got) != 1 || got[0].Count != 2 || got[0].Key != "192.0.2.1" || !strings.HasPrefix(got[0].Message, "listing from 192.0.2.1") {
		t.Fatalf("alerts: %+v", got)
	}
}

// TestDedupeAndWindows: the stages of one request alert once; a window
// fires once per key and period, and again after it.
func TestDedupeAndWindows(t *testing.T) {
	e, err := New(Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The stages of one request share its auditID and requestReceivedTimestamp.
	exec := ev("create", "pods/exec").ns("default").name("web").id("same")
	exec["requestReceivedTimestamp"] = "2026-11-27T10:00:01.000000Z"
	n := len(e.Process(exec.stage("ResponseStarted").build(t, 1))) + len(e.Process(exec.stage("ResponseComplete").build(t, 2)))
	if n != 1 {
		t.Errorf("exec stages: %d alerts, want 1", n)
	}
	e.Flush()
	count := 0
	for i := 1; i <= 60; i++ { // 60 denials in 60 s: fires at the 20th, then quiet for a minute
		for _, a := range e.Process(ev("list", "secrets").forbid().build(t, i)) {
			if a.Rule == "AG-DET-701" {
				count++
			}
		}
	}
	if count != 1 {
		t.Errorf("forbidden burst alerts = %d, want 1", count)
	}
	count = 0
	for i := 1; i <= 200; i++ { // 200 denials in 200 s: fires, quiet 60 s, fires again...
		for _, a := range e.Process(ev("list", "secrets").forbid().user("bob").build(t, 1000+i)) {
			if a.Rule == "AG-DET-701" {
				count++
			}
		}
	}
	if count < 2 || count > 3 {
		t.Errorf("sustained burst alerts = %d, want 2 or 3", count)
	}
	// Windows place a request when it was received: 20 denials received
	// within 20 s whose responses were logged over 20 minutes are a burst.
	count = 0
	for i := 1; i <= 20; i++ {
		d := ev("list", "secrets").forbid().user("carol")
		d["requestReceivedTimestamp"] = t0.Add(time.Duration(5000+i) * time.Second).Format(time.RFC3339Nano)
		d["stageTimestamp"] = t0.Add(time.Duration(5000+60*i) * time.Second).Format(time.RFC3339Nano)
		for _, a := range e.Process(d.build(t, 5000+i)) {
			if a.Rule == "AG-DET-701" {
				count++
			}
		}
	}
	if count != 1 {
		t.Errorf("burst by received time alerts = %d, want 1", count)
	}
}

// TestWindowMemoryBounded: a flood of distinct keys stays within MaxKeys.
func TestWindowMemoryBounded(t *testing.T) {
	e, _ := New(Builtin(), Options{MaxKeys: 100})
	for i := 0; i < 5000; i++ {
		e.Process(ev("list", "secrets").forbid().user("u"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoa(i)).build(t, 1))
	}
	for i, w := range e.windows {
		if w != nil && len(w.keys) > 100 {
			t.Errorf("rule %s holds %d keys", e.rules[i].ID, len(w.keys))
		}
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}

// TestIndexNonResource: a rule fixed on objectRef.resource == "" (the
// non-resource requests) is tried on events without an objectRef.
func TestIndexNonResource(t *testing.T) {
	rs, err := ParseRules("x.yaml", []byte(`rules:
- id: NR-1
  title: metrics scraped
  tactic: discovery
  technique: T1613
  severity: low
  level: Metadata
  request: {verb: get, path: /metrics}
  condition: event.objectRef.resource == "" && event.objectRef.subresource == "" && uriPath(event) == "/metrics"
`))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := New(rs, Options{})
	if got := e.Process(ev("get", "").uri("/metrics").build(t, 1)); len(got) != 1 {
		t.Fatalf("alerts %v", got)
	}
}
