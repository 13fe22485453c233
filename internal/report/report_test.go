package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture metadata: one or more checks per layer, with and without references.
var (
	metaAnon = check.Metadata{
		ID: "AG-NET-001", Title: "Anonymous requests are disabled", Layer: check.Network, Severity: check.Critical,
		Rationale:   "Anonymous requests reach every handler that RBAC grants to system:anonymous or system:unauthenticated.",
		Remediation: "Set --anonymous-auth=false, or restrict anonymous access to health endpoints with an AuthenticationConfiguration.",
		References: []check.Reference{
			{CIS: "1.2.1", Title: "Ensure that the --anonymous-auth argument is set to false"},
			{Title: "Anonymous requests", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
		},
		Inputs: []check.Input{check.InputFlags},
	}
	metaProfiling = check.Metadata{
		ID: "AG-NET-005", Title: "Profiling endpoints are disabled", Layer: check.Network, Severity: check.Medium,
		Rationale:   "/debug/pprof reveals internal state and lets callers load the server.",
		Remediation: "Set --profiling=false in the kube-apiserver manifest.",
		References:  []check.Reference{{CIS: "1.2.15", Title: "Ensure that the --profiling argument is set to false"}},
		Inputs:      []check.Input{check.InputFlags},
	}
	metaToken = check.Metadata{
		ID: "AG-AUTHN-003", Title: "Static token authentication is not used", Layer: check.Authentication, Severity: check.High,
		Rationale:   "Static tokens never expire and cannot be revoked without restarting the server.",
		Remediation: "Remove --token-auth-file and use OIDC or client certificates.",
		References:  []check.Reference{{CIS: "1.2.2"}},
	}
	metaAlwaysAllow = check.Metadata{
		ID: "AG-AUTHZ-002", Title: "Authorization mode does not include AlwaysAllow", Layer: check.Authorization, Severity: check.Critical,
		Rationale:   "AlwaysAllow authorizes every authenticated request.",
		Remediation: "Set --authorization-mode=Node,RBAC.",
	}
	metaAudit = check.Metadata{
		ID: "AG-AUD-001", Title: "Audit logging is enabled", Layer: check.Auditing, Severity: check.High,
		Rationale:   "Without an audit log, abuse of the API leaves no trace.",
		Remediation: "Set --audit-log-path and --audit-policy-file.",
	}
	metaAuditAge = check.Metadata{
		ID: "AG-AUD-002", Title: "Audit logs are kept for at least 30 days", Layer: check.Auditing, Severity: check.Medium,
		Rationale:   "Rotated logs deleted early take the evidence with them.",
		Remediation: "Set --audit-log-maxage=30.",
	}
	// No rationale, remediation or references; it produces no finding.
	metaAuditSecrets = check.Metadata{
		ID: "AG-AUD-004", Title: "Secret access is audited at Metadata level", Layer: check.Auditing, Severity: check.Low,
	}
	metaSupported = check.Metadata{
		ID: "AG-PATCH-001", Title: "The server runs a supported Kubernetes minor", Layer: check.Patching, Severity: check.Info,
		Rationale:   "Unsupported minors get no security fixes.",
		Remediation: "Upgrade to a supported minor before its end of life.",
		References:  []check.Reference{{Title: "Version skew policy", URL: "https://kubernetes.io/releases/version-skew-policy/"}},
	}
	metaClusterAdmin = check.Metadata{
		ID: "AG-ADMIN-001", Title: "Only break-glass identities hold cluster-admin", Layer: check.AdminPower, Severity: check.Critical,
		Rationale:   "cluster-admin can do anything, including erasing the audit trail.",
		Remediation: "Bind cluster-admin only to a break-glass group; give CI a namespaced Role.",
	}
	metaEscalate = check.Metadata{
		ID: "AG-ADMIN-004", Title: "No identity can escalate through bind or escalate verbs", Layer: check.AdminPower, Severity: check.High,
	}
)

func fixtureChecks() []check.Metadata {
	return []check.Metadata{metaAnon, metaProfiling, metaToken, metaAlwaysAllow, metaAudit, metaAuditAge, metaAuditSecrets, metaSupported, metaClusterAdmin, metaEscalate}
}

const (
	cp1    = "kube-system/kube-apiserver-cp1"
	cp2    = "kube-system/kube-apiserver-cp2"
	target = "prod-eks"
)

func fixtureFindings() []check.Finding {
	withRem := func(f check.Finding, m check.Metadata) check.Finding {
		f.Remediation = m.Remediation
		return f
	}
	anon := withRem(metaAnon.Result(check.Fail, cp1,
		"anonymous requests are accepted on every endpoint: any network peer that reaches the secure port is "+
			"authenticated as system:anonymous and gets whatever RBAC grants to system:unauthenticated",
		check.Evidence{Key: "--anonymous-auth", Value: "true", Source: "manifests/kube-apiserver.yaml:14"}), metaAnon)
	anon.Location = &check.Location{File: "manifests/kube-apiserver.yaml", Line: 14}

	prof := withRem(metaProfiling.Result(check.Fail, "/etc/kubernetes/manifests/kube-apiserver.yaml",
		"profiling is enabled: /debug/pprof | /debug/flags are served to <any> caller & more",
		check.Evidence{Key: "--profiling", Value: "", Source: "default for v1.33"}), metaProfiling)
	prof.Location = &check.Location{File: "/etc/kubernetes/manifests/kube-apiserver.yaml", Line: 23}

	profPass := metaProfiling.Result(check.Pass, cp2, "profiling is disabled",
		check.Evidence{Key: "--profiling", Value: "false", Source: "pod " + cp2})

	// Live cluster: no file location. The value carries a terminal escape
	// that the human formats must neutralise.
	token := withRem(metaToken.Result(check.Fail, cp1, "a static token file is configured",
		check.Evidence{Key: "--token-auth-file", Value: "/etc/kubernetes/tokens.csv\x1b[2J", Source: "pod " + cp1}), metaToken)

	authz := metaAlwaysAllow.Result(check.Pass, cp1, "AlwaysAllow is not among the authorization modes",
		check.Evidence{Key: "--authorization-mode", Value: "Node,RBAC", Source: "pod " + cp1})

	audit := metaAudit.Result(check.NotAssessable, target, "EKS control plane is managed: kube-apiserver flags cannot be read")

	// Not applicable: the setting acts on nothing; the cause is another check's.
	age := metaAuditAge.Result(check.NotApplicable, cp2, "no audit log file (--audit-log-path is not set), so --audit-log-maxage has no effect; see AG-AUD-001",
		check.Evidence{Key: "--audit-log-path", Value: "(not set)", Source: "pod " + cp2})

	supported := withRem(metaSupported.Result(check.Warn, cp1, "v1.33.4 leaves standard support on 2026-06-28",
		check.Evidence{Key: "version", Value: "v1.33.4", Source: "/version"}), metaSupported)

	admin := withRem(metaClusterAdmin.Result(check.Fail, "ServiceAccount ci/deployer",
		"ServiceAccount ci/deployer holds cluster-admin",
		check.Evidence{Key: "roleRef", Value: "ClusterRole/cluster-admin", Source: "ClusterRoleBinding/ci-deployer-admin"}), metaClusterAdmin)
	admin.Path = []check.Step{
		{Action: "ServiceAccount ci/deployer is a subject", Via: "ClusterRoleBinding/ci-deployer-admin"},
		{Action: "which grants ClusterRole/cluster-admin (* on *)", Via: "roleRef"},
	}

	escalate := metaEscalate.Result(check.Error, target,
		"internal error in check: runtime error: index out of range [3] with length 3\ngoroutine 7 [running]:\nruntime/debug.Stack()")

	fs := []check.Finding{anon, prof, profPass, token, authz, audit, age, supported, admin, escalate}
	check.Sort(fs)
	return fs
}

func fixtureProblems() []inputs.Problem {
	return []inputs.Problem{
		{Source: "manifests/kube-apiserver.yaml:40", Message: "unknown flag --enable-bootstrap-token-aut (a typo of --enable-bootstrap-token-auth?)"},
		{Message: "cannot list ClusterRoleBindings: forbidden"},
	}
}

func fixture() *Report {
	r := New("apiguard", "0.4.0", target, fixtureChecks(), fixtureFindings(), fixtureProblems())
	r.Benchmark = check.CIS112
	return r
}

func render(t *testing.T, format string, r *Report, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, r, o); err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		format string
		opts   Options
	}{
		{"table", "table", Options{}},
		{"table_color", "table", Options{Color: true}},
		{"table_passed", "table", Options{ShowPassed: true}},
		{"json", "json", Options{}},
		{"sarif", "sarif", Options{}},
		{"junit", "junit", Options{}},
		{"markdown", "markdown", Options{}},
		{"markdown_passed", "markdown", Options{ShowPassed: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.format, fixture(), c.opts)
			if again := render(t, c.format, fixture(), c.opts); !bytes.Equal(got, again) {
				t.Fatalf("output is not deterministic")
			}
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
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
				t.Errorf("%s differs from %s (run go test ./internal/report -update and review the diff)\n--- got\n%s", c.name, path, got)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	want := []string{"table", "json", "sarif", "junit", "markdown", "html"}
	if got := Formats(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Formats() = %v, want %v", got, want)
	}
	err := Render(&bytes.Buffer{}, "yaml", fixture(), Options{})
	if err == nil {
		t.Fatal("unknown format: no error")
	}
	for _, f := range append(want, "yaml") {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %q", err, f)
		}
	}
	// Empty means the default, and names are case-insensitive.
	if !bytes.Equal(render(t, "", fixture(), Options{}), render(t, "TABLE", fixture(), Options{})) {
		t.Error(`"" and "TABLE" do not render the table`)
	}
	if err := Render(&bytes.Buffer{}, "json", nil, Options{}); err == nil {
		t.Error("nil report: no error")
	}
}

// contractReport mirrors the documented -o json contract.
type contractReport struct {
	Tool      string `json:"tool"`
	Version   string `json:"version"`
	Target    string `json:"target"`
	Benchmark string `json:"benchmark"`
	Findings  []struct {
		CheckID     string `json:"checkID"`
		Title       string `json:"title"`
		Status      string `json:"status"`
		Severity    string `json:"severity"`
		Layer       string `json:"layer"`
		Message     string `json:"message"`
		Resource    string `json:"resource"`
		Remediation string `json:"remediation"`
		Evidence    []struct {
			Key, Value, Source string
		} `json:"evidence"`
		Path []struct {
			Action string `json:"action"`
			Via    string `json:"via"`
		} `json:"path"`
		Location *struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
	} `json:"findings"`
	Summary  check.Summary `json:"summary"`
	Problems []struct {
		Source  string `json:"source"`
		Message string `json:"message"`
	} `json:"problems"`
}

func TestJSONContract(t *testing.T) {
	r := fixture()
	out := render(t, "json", r, Options{})
	if !bytes.HasSuffix(out, []byte("}\n")) || !bytes.HasPrefix(out, []byte("{\n  \"tool\"")) {
		t.Fatalf("want two-space indented object with trailing newline, got %q...", out[:20])
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var got contractReport
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.Tool != "apiguard" || got.Version != "0.4.0" || got.Target != target || got.Benchmark != "cis-1.12" {
		t.Errorf("header = %q %q %q %q", got.Tool, got.Version, got.Target, got.Benchmark)
	}
	if len(got.Findings) != len(r.Findings) || len(got.Problems) != len(r.Problems) {
		t.Fatalf("findings %d problems %d, want %d %d", len(got.Findings), len(got.Problems), len(r.Findings), len(r.Problems))
	}
	for i, f := range got.Findings {
		w := r.Findings[i]
		if f.CheckID != w.CheckID || f.Status != string(w.Status) || f.Severity != w.Severity.String() ||
			f.Layer != string(w.Layer) || f.Resource != w.Resource || f.Title != w.Title || f.Message != w.Message {
			t.Errorf("finding %d = %+v, want %+v", i, f, w)
		}
		if (f.Location == nil) != (w.Location == nil) {
			t.Errorf("finding %d location = %v, want %v", i, f.Location, w.Location)
		}
	}
	if got.Summary.Total != r.Summary.Total || got.Summary.Fail != 4 || got.Summary.FailBySeverity["critical"] != 2 || got.Summary.NotApplicable != 1 {
		t.Errorf("summary = %+v", got.Summary)
	}

	// Arrays are arrays even when empty.
	var raw struct {
		Findings []map[string]json.RawMessage `json:"findings"`
		Problems json.RawMessage              `json:"problems"`
	}
	empty := New("apiguard", "0.4.0", "x", nil, []check.Finding{metaAudit.Result(check.NotAssessable, "x", "hidden")}, nil)
	if err := json.Unmarshal(render(t, "json", empty, Options{}), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw.Problems) != "[]" {
		t.Errorf("problems = %s, want []", raw.Problems)
	}
	for _, k := range []string{"evidence", "path"} {
		if v := string(raw.Findings[0][k]); v != "[]" {
			t.Errorf("%s = %s, want []", k, v)
		}
	}
	if _, ok := raw.Findings[0]["location"]; ok {
		t.Error("location present on a finding without one")
	}
	none := render(t, "json", &Report{Tool: "apiguard"}, Options{})
	for _, want := range []string{`"findings": []`, `"problems": []`, `"failBySeverity": {}`} {
		if !bytes.Contains(none, []byte(want)) {
			t.Errorf("empty report lacks %s:\n%s", want, none)
		}
	}
}

// sarifDoc decodes the parts of SARIF 2.1.0 the tests look at.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties struct {
						Tags             []string `json:"tags"`
						SecuritySeverity string   `json:"security-severity"`
					} `json:"properties"`
				} `json:"rules"`
				Notifications []struct {
					ID string `json:"id"`
				} `json:"notifications"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level      string `json:"level"`
				Descriptor struct {
					ID    string `json:"id"`
					Index int    `json:"index"`
				} `json:"descriptor"`
				AssociatedRule *struct {
					ID    string `json:"id"`
					Index int    `json:"index"`
				} `json:"associatedRule"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, r *Report) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(render(t, "sarif", r, Options{}), &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != "2.1.0" || d.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || len(d.Runs) != 1 {
		t.Fatalf("version %q schema %q runs %d", d.Version, d.Schema, len(d.Runs))
	}
	return d
}

func TestSARIF(t *testing.T) {
	r := fixture()
	run := decodeSARIF(t, r).Runs[0]
	drv := run.Tool.Driver
	if drv.Name != "apiguard" || drv.Version != "0.4.0" || drv.InformationURI != "https://github.com/apiguard/apiguard" {
		t.Errorf("driver = %q %q %q", drv.Name, drv.Version, drv.InformationURI)
	}

	// One rule per check, in order, including checks without findings.
	if len(drv.Rules) != len(r.Checks) {
		t.Fatalf("%d rules for %d checks", len(drv.Rules), len(r.Checks))
	}
	for i, m := range r.Checks {
		rule := drv.Rules[i]
		if rule.ID != m.ID || rule.ShortDescription.Text != m.Title || rule.Name == "" {
			t.Errorf("rule %d = %+v, want check %s", i, rule, m.ID)
		}
		if rule.Properties.SecuritySeverity == "" || len(rule.Properties.Tags) == 0 || rule.Properties.Tags[0] != string(m.Layer) {
			t.Errorf("rule %s properties = %+v", m.ID, rule.Properties)
		}
	}
	anon := drv.Rules[0]
	if anon.Name != "AnonymousRequestsAreDisabled" || anon.HelpURI == "" || anon.DefaultConfiguration.Level != "error" ||
		anon.Properties.SecuritySeverity != "9.0" || !contains(anon.Properties.Tags, "CIS-1.2.1") {
		t.Errorf("AG-NET-001 rule = %+v", anon)
	}

	// Results: fail and warn only, each pointing at its rule, located and fingerprinted.
	var want []check.Finding
	for _, f := range r.Findings {
		if f.Status == check.Fail || f.Status == check.Warn {
			want = append(want, f)
		}
	}
	if len(run.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(run.Results), len(want))
	}
	prints := map[string]bool{}
	for i, res := range run.Results {
		f := want[i]
		if res.RuleID != f.CheckID || drv.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleId %s ruleIndex %d -> %s, want %s", i, res.RuleID, res.RuleIndex, drv.Rules[res.RuleIndex].ID, f.CheckID)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("result %d (%s) has no physical location", i, f.CheckID)
		} else if len(res.Locations[0].LogicalLocations) != 1 || res.Locations[0].LogicalLocations[0].FullyQualifiedName != f.Resource {
			t.Errorf("result %d logical location = %+v", i, res.Locations[0].LogicalLocations)
		}
		fp := res.PartialFingerprints["apiguard/v1"]
		if len(fp) != 64 || prints[fp] {
			t.Errorf("result %d fingerprint %q (empty, malformed or duplicated)", i, fp)
		}
		prints[fp] = true
		if !strings.Contains(res.Message.Text, f.Message) || !strings.Contains(res.Message.Text, f.Resource) {
			t.Errorf("result %d message = %q", i, res.Message.Text)
		}
	}
	levels := map[string]string{}
	for _, res := range run.Results {
		levels[res.RuleID] = res.Level
	}
	for id, lvl := range map[string]string{"AG-NET-001": "error", "AG-NET-005": "warning", "AG-AUTHN-003": "error", "AG-PATCH-001": "note"} {
		if levels[id] != lvl {
			t.Errorf("%s level = %q, want %q", id, levels[id], lvl)
		}
	}

	// Locations: relative file under %SRCROOT%, absolute as file://, live at the resource.
	byRule := map[string]int{}
	for i, res := range run.Results {
		byRule[res.RuleID] = i
	}
	loc := func(id string) (string, string, int) {
		pl := run.Results[byRule[id]].Locations[0].PhysicalLocation
		line := 0
		if pl.Region != nil {
			line = pl.Region.StartLine
		}
		return pl.ArtifactLocation.URI, pl.ArtifactLocation.URIBaseID, line
	}
	if u, base, line := loc("AG-NET-001"); u != "manifests/kube-apiserver.yaml" || base != "%SRCROOT%" || line != 14 {
		t.Errorf("relative location = %q %q %d", u, base, line)
	}
	if u, base, line := loc("AG-NET-005"); u != "file:///etc/kubernetes/manifests/kube-apiserver.yaml" || base != "" || line != 23 {
		t.Errorf("absolute location = %q %q %d", u, base, line)
	}
	if u, base, line := loc("AG-AUTHN-003"); u != cp1 || base != "" || line != 0 {
		t.Errorf("live location = %q %q %d", u, base, line)
	}

	// Not-assessable, error and problems are notifications tied to their rule.
	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful {
		t.Fatalf("invocations = %+v", run.Invocations)
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 3+len(r.Problems) {
		t.Fatalf("%d notifications, want %d", len(notes), 3+len(r.Problems))
	}
	ids := map[string]string{}
	for _, n := range notes {
		if drv.Notifications[n.Descriptor.Index].ID != n.Descriptor.ID {
			t.Errorf("notification descriptor %+v does not match driver.notifications", n.Descriptor)
		}
		if n.AssociatedRule != nil {
			if drv.Rules[n.AssociatedRule.Index].ID != n.AssociatedRule.ID {
				t.Errorf("associatedRule %+v points at %s", n.AssociatedRule, drv.Rules[n.AssociatedRule.Index].ID)
			}
			ids[n.AssociatedRule.ID] = n.Level
		}
	}
	if ids["AG-AUD-001"] != "warning" || ids["AG-ADMIN-004"] != "error" || ids["AG-AUD-002"] != "note" {
		t.Errorf("notification levels by rule = %v", ids)
	}
}

func TestSARIFRuleForUnknownCheck(t *testing.T) {
	f := check.Finding{CheckID: "AG-X-999", Title: "Something is safe", Status: check.Fail, Severity: check.Low, Layer: check.Patching, Message: "it is not", Resource: "r"}
	r := New("apiguard", "dev", "t", []check.Metadata{metaAnon}, []check.Finding{f}, nil)
	run := decodeSARIF(t, r).Runs[0]
	rules := run.Tool.Driver.Rules
	if len(rules) != 2 || rules[1].ID != "AG-X-999" || rules[1].Name != "SomethingIsSafe" {
		t.Fatalf("rules = %+v", rules)
	}
	if run.Results[0].RuleIndex != 1 || run.Results[0].Level != "warning" {
		t.Errorf("result = %+v", run.Results[0])
	}
}

func TestSARIFPaths(t *testing.T) {
	for in, want := range map[string]string{
		"manifests/kube-apiserver.yaml":   "manifests/kube-apiserver.yaml",
		"./a b/c.yaml":                    "a%20b/c.yaml",
		`dir\sub\f.yaml`:                  "dir/sub/f.yaml",
		"/etc/kubernetes/x.yaml":          "file:///etc/kubernetes/x.yaml",
		`C:\k8s\x.yaml`:                   "file:///C:/k8s/x.yaml",
		"weird:name.yaml":                 "weird%3Aname.yaml",
		"kube-system/kube-apiserver-cp1#": "kube-system/kube-apiserver-cp1%23",
	} {
		if got := fileArtifact(in).URI; got != want {
			t.Errorf("fileArtifact(%q) = %q, want %q", in, got, want)
		}
	}
}

// junitDoc decodes JUnit XML back.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
		SystemErr string `xml:"system-err"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	r := fixture()
	out := render(t, "junit", r, Options{})
	var d junitDoc
	if err := xml.Unmarshal(out, &d); err != nil {
		t.Fatalf("parse: %v", err)
	}
	var tests, failures, errors, skipped int
	for _, s := range d.Suites {
		var st, sf, se, ss int
		for _, c := range s.Cases {
			st++
			if c.ClassName != s.Name {
				t.Errorf("case %q classname %q in suite %q", c.Name, c.ClassName, s.Name)
			}
			switch {
			case c.Failure != nil:
				sf++
			case c.Error != nil:
				se++
			case c.Skipped != nil:
				ss++
			}
		}
		if st != s.Tests || sf != s.Failures || se != s.Errors || ss != s.Skipped {
			t.Errorf("suite %s attrs %d/%d/%d/%d, counted %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, st, sf, se, ss)
		}
		tests, failures, errors, skipped = tests+st, failures+sf, errors+se, skipped+ss
	}
	if tests != d.Tests || failures != d.Failures || errors != d.Errors || skipped != d.Skipped {
		t.Errorf("totals %d/%d/%d/%d, counted %d/%d/%d/%d", d.Tests, d.Failures, d.Errors, d.Skipped, tests, failures, errors, skipped)
	}
	// Every finding plus AG-AUD-004, which ran without findings.
	s := r.Summary
	if d.Tests != s.Total+1 || d.Failures != s.Fail || d.Errors != s.Error || d.Skipped != s.NotAssessable+s.NotApplicable {
		t.Errorf("totals %d/%d/%d/%d vs summary %+v", d.Tests, d.Failures, d.Errors, d.Skipped, s)
	}
	var names []string
	for _, s := range d.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "network,authentication,authorization,auditing,patching,admin-power,inputs" {
		t.Errorf("suites = %s", got)
	}
	if last := d.Suites[len(d.Suites)-1]; last.Tests != 0 || !strings.Contains(last.SystemErr, "forbidden") {
		t.Errorf("inputs suite = %+v", last)
	}
	found := map[string]bool{}
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			switch {
			case strings.HasPrefix(c.Name, "AG-NET-001 "):
				found["fail"] = c.Failure != nil && c.Failure.Type == "critical" &&
					c.Name == "AG-NET-001 Anonymous requests are disabled ["+cp1+"]" &&
					strings.Contains(c.Failure.Body, "--anonymous-auth = true") && strings.Contains(c.Failure.Body, "remediation: Set --anonymous-auth=false")
			case strings.HasPrefix(c.Name, "AG-PATCH-001 "):
				found["warn"] = c.Failure == nil && c.Error == nil && strings.HasPrefix(c.SystemOut, "WARNING")
			case strings.HasPrefix(c.Name, "AG-AUD-001 "):
				found["skip"] = c.Skipped != nil && strings.Contains(c.Skipped.Message, "EKS")
			case strings.HasPrefix(c.Name, "AG-AUD-002 "):
				found["notApplicable"] = c.Skipped != nil && strings.HasPrefix(c.Skipped.Message, "not applicable: no audit log file")
			case strings.HasPrefix(c.Name, "AG-AUD-004 "):
				found["noFindings"] = c.Failure == nil && c.Error == nil && c.Skipped == nil
			}
		}
	}
	for _, k := range []string{"fail", "warn", "skip", "notApplicable", "noFindings"} {
		if !found[k] {
			t.Errorf("%s case missing or wrong", k)
		}
	}
}

func TestNoEscapesWithoutColor(t *testing.T) {
	r := fixture()
	for _, c := range []struct {
		format string
		opts   Options
	}{
		{"table", Options{}}, {"table", Options{ShowPassed: true}}, {"markdown", Options{ShowPassed: true}}, {"junit", Options{}},
	} {
		if out := render(t, c.format, r, c.opts); bytes.Contains(out, []byte("\x1b")) {
			t.Errorf("%s %+v contains an escape character", c.format, c.opts)
		}
	}
	color := render(t, "table", r, Options{Color: true})
	if !bytes.Contains(color, []byte("\x1b[31m")) || !bytes.Contains(color, []byte("\x1b[1m")) {
		t.Error("Color=true has no colour")
	}
	// The escape that came from the input is shown, not executed, even in colour.
	if bytes.Contains(color, []byte("\x1b[2J")) || !bytes.Contains(color, []byte(`tokens.csv\x1b[2J`)) {
		t.Error("input escape sequence not neutralised")
	}
}

func TestTableLayout(t *testing.T) {
	out := string(render(t, "table", fixture(), Options{}))
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, detailIndent) && utf8.RuneCountInString(line) > tableWidth && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("detail line longer than %d: %q", tableWidth, line)
		}
	}
	// Headings in layer order, passes hidden but counted.
	last := -1
	for _, l := range check.Layers {
		i := strings.Index(out, "\n"+l.Title()+"\n")
		if i < 0 {
			t.Errorf("no heading %q", l.Title())
			continue
		}
		if i < last {
			t.Errorf("heading %q out of order", l.Title())
		}
		last = i
	}
	if strings.Contains(out, "PASS") || !strings.Contains(out, "1 passed (not shown)") {
		t.Error("passes should be hidden and counted by default")
	}
	// Not-applicable results ask nothing of the reader: hidden and counted like passes.
	if strings.Contains(out, "N/A ") || strings.Contains(out, "AG-AUD-002") || !strings.Contains(out, "\n  1 not applicable (not shown)\n") {
		t.Error("not-applicable results should be hidden and counted by default")
	}
	if !strings.Contains(out, "UNKN  high      AG-AUD-001") {
		t.Error("not-assessable is not labelled UNKN")
	}
	if !strings.Contains(out, "Summary: 10 results: 4 fail (2 critical, 1 high, 1 medium), 1 warn, 1 not assessable, 1 not applicable, 1 error, 2 pass") {
		t.Error("summary line missing or wrong")
	}
	if !strings.Contains(out, "Input problems:\n  manifests/kube-apiserver.yaml:40: unknown flag") {
		t.Error("input problems missing")
	}
	if passed := string(render(t, "table", fixture(), Options{ShowPassed: true})); !strings.Contains(passed, "PASS  medium    AG-NET-005") ||
		!strings.Contains(passed, "N/A   medium    AG-AUD-002") || strings.Contains(passed, "not shown") {
		t.Error("ShowPassed does not show passes and not-applicable results")
	}
}

func TestMarkdownEscaping(t *testing.T) {
	out := string(render(t, "markdown", fixture(), Options{}))
	if !strings.Contains(out, `/debug/pprof \| /debug/flags are served to \<any\> caller \& more`) {
		t.Error("pipe, angle brackets and ampersand not escaped in a cell")
	}
	for _, line := range strings.Split(out, "\n") {
		// 5-column finding tables have 6 separators, the 2-column summary 3.
		if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); strings.HasPrefix(line, "|") && n != 6 && n != 3 {
			t.Errorf("table row with a stray cell separator: %q", line)
		}
	}
	if !strings.Contains(out, "internal error in check: runtime error: index out of range \\[3\\] with length 3<br>goroutine") {
		t.Error("newlines in a cell are not <br>")
	}
	if strings.Contains(out, "<details>") {
		t.Error("passes listed without ShowPassed")
	}
	if strings.Contains(out, "AG-AUD-002") || !strings.Contains(out, "| Not applicable | 1 |") {
		t.Error("not-applicable results are listed without ShowPassed, or not counted")
	}
	if !strings.Contains(out, "Scanned by apiguard 0.4.0, following CIS 1.12 where CIS versions differ.") {
		t.Error("the benchmark is not named")
	}
	passed := string(render(t, "markdown", fixture(), Options{ShowPassed: true}))
	if !strings.Contains(passed, "<summary>Passed (1)</summary>") || !strings.Contains(passed, "<summary>Not applicable (1)</summary>\n\n- **AG-AUD-002**") {
		t.Error("ShowPassed lists no passes or no not-applicable results")
	}
}

func TestEmptyReport(t *testing.T) {
	r := New("apiguard", "dev", "empty", nil, nil, nil)
	for _, f := range Formats() {
		if out := render(t, f, r, Options{}); len(out) == 0 || out[len(out)-1] != '\n' {
			t.Errorf("%s: empty output or no trailing newline", f)
		}
	}
	var d junitDoc
	if err := xml.Unmarshal(render(t, "junit", r, Options{}), &d); err != nil || d.Tests != 0 {
		t.Errorf("junit of empty report: %v %+v", err, d)
	}
	run := decodeSARIF(t, r).Runs[0]
	if run.Results == nil || run.Tool.Driver.Rules == nil {
		t.Error("empty SARIF must still have results and rules arrays")
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three\nfour averyveryverylongword five", "> ", "  ", 10)
	want := []string{"> one two", "  three", "  four", "  averyveryverylongword", "  five"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext\nnext": "plain\ttext\nnext",
		"a\x1b[31mb":        `a\x1b[31mb`,
		"cr\rlf":            `cr\x0dlf`,
		"bidi\u202eevil":    `bidi\u202eevil`,
		"bad\xffutf8":       "bad\uFFFDutf8",
		"c1\u009bx":         `c1\u009bx`,
		"nonchar\uffff":     `nonchar\uffff`,
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestJUnitHostileText(t *testing.T) {
	f := metaAnon.Result(check.Fail, "r]]>x", "ends ]]> here\x00 and \x1b[2J <b>&amp;</b>")
	out := render(t, "junit", New("apiguard", "dev", "t", nil, []check.Finding{f}, nil), Options{})
	var d junitDoc
	if err := xml.Unmarshal(out, &d); err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	c := d.Suites[0].Cases[0]
	if c.Failure == nil || !strings.Contains(c.Failure.Body, `ends ]]> here\x00 and \x1b[2J <b>&amp;</b>`) || c.Name != "AG-NET-001 Anonymous requests are disabled [r]]>x]" {
		t.Errorf("case = %+v", c)
	}
}

func TestGroupByLayerUnknown(t *testing.T) {
	fs := []check.Finding{
		{CheckID: "X-1", Layer: "custom"},
		{CheckID: "A-1", Layer: check.AdminPower},
		{CheckID: "N-1", Layer: check.Network},
		{CheckID: "X-2", Layer: "custom"},
	}
	var got []string
	for _, g := range groupByLayer(fs) {
		got = append(got, string(g.Layer)+":"+strings.Repeat("*", len(g.Findings)))
	}
	if strings.Join(got, " ") != "network:* admin-power:* custom:**" {
		t.Errorf("groups = %v", got)
	}
}
