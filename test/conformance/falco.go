package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Falco's k8s audit tests (falco/falco_k8s_audit_tests.yaml): each test
// feeds a trace of audit events (trace_files/k8s_audit/*.json) to Falco with
// some rules files and says whether Falco alerts (detect) and which rules
// fire (detect_counts). Every trace of a comparable test is scanned with
// `apiguard audit scan TRACE -o jsonl --fail-on none`. A case agrees when
// Falco alerts and apiguard raises one of the rules mapped to Falco's
// (falcoRules), or when neither alerts at all.
//
// The derived traces (falco/derived/<trace>.<user>.json, MANIFEST.md) are the
// same events made by another user. Falco's rules do not look at the user,
// so Falco's answer for each is that of the comparable test on the original
// trace: they probe apiguard's controller suppression against it.

var falcoPeer = peer{
	name: "falco",
	what: "Falco k8s audit rule tests (audit traces, expected rule alerts) vs `apiguard audit scan`",
	doc: "Each test of `falco/falco_k8s_audit_tests.yaml` is a trace of audit events with Falco's expected alerts. " +
		"Falco's rule names are mapped to the apiguard rules that answer the same question (`test/conformance/falco.go`; " +
		"a rule without a mapping stops the run, and Falco's informational activity rules, `K8s <Kind> Created/Deleted`, " +
		"map to the apiguard rules about that kind of object); the trace is scanned with `apiguard audit scan TRACE -o jsonl " +
		"--fail-on none`. A case agrees when Falco alerts and apiguard raises a mapped rule, or neither alerts. Tests on " +
		"Falco's default rules are compared, also with `disallow_kactivity.yaml` (it only switches the activity rules off) " +
		"and `create_namespace` (its `allow_*` files only silence the allowlist rules). Not comparable, and left out: the " +
		"`compat_engine_v4_*` tests (Falco rule-engine compatibility on an old, test-only rules file; their traces and " +
		"expectations are those of the tests on the default rules); tests whose answer is a site allowlist apiguard has no " +
		"equivalent of (`create_disallowed_pod`, `create_allowed_pod`, `user_outside_allowed_set`, `user_in_allowed_set`, " +
		"`namespace_outside_allowed_set`, `namespace_in_allowed_set`: allowed images, users, namespaces; the `*_trusted_pod` " +
		"tests: images exempted from the privileged, hostNetwork and sensitive-mount rules); and `json_pointer_correct_parse` " +
		"(a test-only rule checking Falco's field extraction). The `derived/<trace>.<user>.json` cases are the same events " +
		"made by another user (a person, Argo CD, kube-system's default ServiceAccount, control-plane controllers): Falco's " +
		"rules ignore the user, so its answer is the original test's; they show where apiguard suppresses the control " +
		"plane and where it does not.",
	run: runFalco,
}

// falcoRules maps each Falco rule of the comparable tests to the apiguard
// rules that answer the same question.
var falcoRules = map[string][]string{
	"Create Privileged Pod":                            {"AG-DET-409", "AG-DET-418"},
	"Create Sensitive Mount Pod":                       {"AG-DET-411", "AG-DET-418"},
	"Create HostNetwork Pod":                           {"AG-DET-410", "AG-DET-418"},
	"Create NodePort Service":                          {"AG-DET-107"},
	"Create/Modify Configmap With Private Credentials": {"AG-DET-609"},
	"Anonymous Request Allowed":                        {"AG-DET-101", "AG-DET-102"},
	"Attach/Exec Pod":                                  {"AG-DET-201", "AG-DET-202"},
	"Pod Created in Kube Namespace":                    {"AG-DET-207"},
	"Service Account Created in Kube Namespace":        {"AG-DET-301"},
	"System ClusterRole Modified/Deleted":              {"AG-DET-407"},
	"Attach to cluster-admin Role":                     {"AG-DET-401"},
	"ClusterRole With Wildcard Created":                {"AG-DET-403"},
	"ClusterRole With Write Privileges Created":        {"AG-DET-403", "AG-DET-404", "AG-DET-405"},
	"ClusterRole With Pod Exec Created":                {"AG-DET-405"},
	// Falco's activity rules (priority INFO): every create or delete of a
	// kind. apiguard alerts on such objects when they are risky.
	"K8s Deployment Created":              {"AG-DET-207", "AG-DET-409", "AG-DET-410", "AG-DET-411", "AG-DET-412", "AG-DET-413", "AG-DET-415", "AG-DET-905"},
	"K8s Deployment Deleted":              {"AG-DET-901", "AG-DET-902"},
	"K8s Service Created":                 {"AG-DET-107"},
	"K8s Service Deleted":                 {"AG-DET-901", "AG-DET-902"},
	"K8s ConfigMap Created":               {"AG-DET-312", "AG-DET-313", "AG-DET-609", "AG-DET-904"},
	"K8s ConfigMap Deleted":               {"AG-DET-312", "AG-DET-313", "AG-DET-901", "AG-DET-902", "AG-DET-904"},
	"K8s Namespace Created":               {"AG-DET-503"},
	"K8s Namespace Deleted":               {"AG-DET-505", "AG-DET-903"},
	"K8s Serviceaccount Created":          {"AG-DET-301"},
	"K8s Serviceaccount Deleted":          {"AG-DET-901", "AG-DET-902"},
	"K8s Role/Clusterrole Created":        {"AG-DET-403", "AG-DET-404", "AG-DET-405", "AG-DET-406", "AG-DET-407"},
	"K8s Role/Clusterrole Deleted":        {"AG-DET-406", "AG-DET-407", "AG-DET-902"},
	"K8s Role/Clusterrolebinding Created": {"AG-DET-401", "AG-DET-402", "AG-DET-406"},
	"K8s Role/Clusterrolebinding Deleted": {"AG-DET-406", "AG-DET-407", "AG-DET-902"},
	"K8s Secret Created":                  {"AG-DET-305"},
	"K8s Secret Deleted":                  {"AG-DET-901", "AG-DET-902"},
}

// Tests left out, and why (the doc paragraph says the same; a test
// classified otherwise than listed here stops the run).
var falcoLeftOut = map[string]string{
	"json_pointer_correct_parse":    "a test-only rule (field extraction)",
	"create_disallowed_pod":         "an image allowlist",
	"create_allowed_pod":            "an image allowlist",
	"user_outside_allowed_set":      "a user allowlist",
	"user_in_allowed_set":           "a user allowlist",
	"namespace_outside_allowed_set": "a namespace allowlist",
	"namespace_in_allowed_set":      "a namespace allowlist",
}

// falcoTest is one test of the suite.
type falcoTest struct {
	Detect         bool             `json:"detect"`
	DetectCounts   []map[string]int `json:"detect_counts"`
	RulesFile      []string         `json:"rules_file"`
	Addl           string           `json:"addl_cmdline_opts"`
	StderrContains string           `json:"stderr_contains"`
}

// trace is the trace file a test opens.
func (t falcoTest) trace() string {
	_, p, ok := strings.Cut(t.Addl, "open_params=")
	if !ok {
		return ""
	}
	return filepath.Base(strings.Fields(p)[0])
}

// rules are the Falco rules the test expects to fire.
func (t falcoTest) rules() []string {
	var out []string
	for _, m := range t.DetectCounts {
		for r := range m {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// extraFiles are the rules files besides Falco's default ones.
func (t falcoTest) extraFiles() []string {
	var out []string
	for _, f := range t.RulesFile {
		switch b := filepath.Base(f); b {
		case "falco_rules.yaml", "k8s_audit_rules.yaml":
		default:
			out = append(out, b)
		}
	}
	return out
}

// comparable says whether apiguard can answer the test's question, and if
// not why.
func (t falcoTest) comparable(name string) (bool, string) {
	extra := t.extraFiles()
	has := func(f string) bool { return falcoHas(extra, f) }
	switch {
	case has("engine_v4_k8s_audit_rules.yaml"):
		return false, "rule-engine compatibility"
	case has("single_rule_with_json_pointer.yaml"):
		return false, "a test-only rule (field extraction)"
	case has("trust_nginx_container.yaml"):
		return false, "trusted images"
	case has("allow_only_apache_container.yaml"), has("allow_nginx_container.yaml"):
		return false, "an image allowlist"
	}
	for _, r := range t.rules() {
		switch r {
		case "Disallowed K8s User":
			return false, "a user allowlist"
		case "Create Disallowed Namespace":
			return false, "a namespace allowlist"
		}
	}
	if !t.Detect && (has("allow_user_some-user.yaml") || has("allow_namespace_foo.yaml")) {
		// The test expects silence because the user or namespace is allowed.
		if has("allow_user_some-user.yaml") {
			return false, "a user allowlist"
		}
		return false, "a namespace allowlist"
	}
	for _, f := range extra {
		switch f {
		case "disallow_kactivity.yaml", "allow_user_some-user.yaml", "allow_namespace_foo.yaml":
		default:
			return false, "rules file " + f + " is not classified (test/conformance/falco.go)"
		}
	}
	return true, ""
}

func falcoHas(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func runFalco(e *env) ([]Case, error) {
	data, err := os.ReadFile(e.path("falco", "falco_k8s_audit_tests.yaml"))
	if err != nil {
		return nil, err
	}
	// The suite is one mapping tagged !mux (Avocado's multiplexer), which
	// is no YAML a plain decoder knows: drop the tag.
	data = bytes.Replace(data, []byte("trace_files: !mux"), []byte("trace_files:"), 1)
	var suite struct {
		Tests map[string]falcoTest `json:"trace_files"`
	}
	if err := yaml.Unmarshal(data, &suite); err != nil {
		return nil, fmt.Errorf("falco_k8s_audit_tests.yaml: %w", err)
	}
	if len(suite.Tests) == 0 {
		return nil, fmt.Errorf("falco_k8s_audit_tests.yaml: no tests")
	}
	names := make([]string, 0, len(suite.Tests))
	for n := range suite.Tests {
		names = append(names, n)
	}
	sort.Strings(names)

	var cases []Case
	byTrace := map[string][]string{} // trace → comparable tests on it
	for _, n := range names {
		t := suite.Tests[n]
		ok, why := t.comparable(n)
		want, listed := falcoLeftOut[n]
		switch {
		case strings.HasPrefix(n, "compat_engine_v4_") || strings.HasSuffix(n, "_trusted_pod"):
			if ok {
				return nil, fmt.Errorf("falco: %s is classified comparable; the doc leaves it out", n)
			}
			continue
		case listed:
			if ok || why != want {
				return nil, fmt.Errorf("falco: %s: classified %q, listed as left out for %q", n, why, want)
			}
			continue
		case !ok:
			return nil, fmt.Errorf("falco: %s is not comparable (%s) but not listed in falcoLeftOut", n, why)
		}
		tr := t.trace()
		if tr == "" {
			return nil, fmt.Errorf("falco: %s: no trace file in %q", n, t.Addl)
		}
		byTrace[tr] = append(byTrace[tr], n)
		c, err := falcoCase(e, n, t, e.path("falco", "trace_files", "k8s_audit", tr))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}

	// The derived traces: Falco's answer is that of the comparable test on
	// the original trace.
	derived, err := filepath.Glob(e.path("falco", "derived", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, path := range derived {
		base := filepath.Base(path)
		stem := strings.TrimSuffix(base, ".json")
		i := strings.LastIndexByte(stem, '.')
		if i < 0 {
			continue // not <trace>.<user>.json (falco_rows.json: a table)
		}
		orig := stem[:i] + ".json"
		tests := byTrace[orig]
		if len(tests) != 1 {
			return nil, fmt.Errorf("falco: derived/%s: %d comparable tests on %s, want one", base, len(tests), orig)
		}
		c, err := falcoCase(e, "derived/"+base, suite.Tests[tests[0]], path)
		if err != nil {
			return nil, err
		}
		c.Peer += " (as " + tests[0] + ")"
		cases = append(cases, c)
	}
	return cases, nil
}

// falcoCase scans one trace and compares.
func falcoCase(e *env, id string, t falcoTest, trace string) (Case, error) {
	var mapped []string
	for _, r := range t.rules() {
		m, ok := falcoRules[r]
		if !ok {
			return Case{}, fmt.Errorf("falco: %s: Falco rule %q has no mapping to apiguard rules (falcoRules)", id, r)
		}
		mapped = append(mapped, m...)
	}
	if t.Detect && len(t.rules()) == 0 {
		return Case{}, fmt.Errorf("falco: %s: detect without detect_counts", id)
	}
	alerts, refused, err := falcoScan(e, trace)
	if err != nil {
		return Case{}, fmt.Errorf("falco: %s: %w", id, err)
	}
	c := Case{ID: id}
	var hits []string
	for _, r := range alerts {
		if falcoHas(mapped, r) {
			hits = append(hits, r)
		}
	}
	if t.Detect {
		c.Peer = "alert " + strings.Join(t.rules(), ", ")
		c.Agree = len(hits) > 0
	} else {
		c.Peer = "no alert"
		if t.StderrContains != "" {
			c.Peer += " (" + t.StderrContains + ")"
		}
		c.Agree = len(alerts) == 0
	}
	switch {
	case len(hits) > 0:
		c.Apiguard = "alert " + strings.Join(hits, ", ")
	case len(alerts) > 0:
		c.Apiguard = "no mapped alert (raised " + strings.Join(alerts, ", ") + ")"
	case refused != "":
		c.Apiguard = "no alert (" + refused + ")"
	default:
		c.Apiguard = "no alert"
	}
	return c, nil
}

// falcoScan runs `apiguard audit scan` on a trace and returns the rules of
// its alerts, sorted and distinct. An input apiguard refuses (exit 2: no
// audit event in it) is no alert, and refused says why.
func falcoScan(e *env, trace string) (rules []string, refused string, err error) {
	out, errb, code, err := e.apiguard("audit", "scan", trace, "-o", "jsonl", "--fail-on", "none")
	if err != nil {
		return nil, "", err
	}
	switch code {
	case 0:
	case 2:
		if len(bytes.TrimSpace(out)) > 0 {
			return nil, "", fmt.Errorf("apiguard audit scan %s: exit 2 with alerts", trace)
		}
		lines := strings.Split(strings.TrimSpace(string(errb)), "\n")
		return nil, strings.TrimPrefix(lines[len(lines)-1], "apiguard: "), nil
	default:
		return nil, "", fmt.Errorf("apiguard audit scan %s: exit %d: %s", trace, code, bytes.TrimSpace(errb))
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a struct {
			Rule string `json:"rule"`
		}
		if err := json.Unmarshal(line, &a); err != nil || a.Rule == "" {
			return nil, "", fmt.Errorf("apiguard audit scan %s: alert line %q: %v", trace, line, err)
		}
		if !seen[a.Rule] {
			seen[a.Rule] = true
			rules = append(rules, a.Rule)
		}
	}
	sort.Strings(rules)
	return rules, "", nil
}
