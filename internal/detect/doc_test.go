package detect

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the generated section of docs/audit-detection.md")

const (
	docPath  = "../../docs/audit-detection.md"
	docBegin = "<!-- BEGIN GENERATED CATALOGUE: go test ./internal/detect -run TestDetectionDoc -update -->\n"
	docEnd   = "<!-- END GENERATED CATALOGUE -->\n"
)

// TestDetectionDoc fails when docs/audit-detection.md's catalogue differs
// from the rules' metadata; -update rewrites it.
func TestDetectionDoc(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", docPath, docBegin, docEnd)
	}
	want := doc[:i+len(docBegin)] + CatalogueMarkdown(Builtin()) + doc[j:]
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s is out of date with the rules: run go test ./internal/detect -run TestDetectionDoc -update", docPath)
	}
}

// TestFunctionsDocumented: every function apiguard adds to CEL is in
// Functions (and so in the docs), and nothing else is.
func TestFunctionsDocumented(t *testing.T) {
	env, err := environment()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, f := range Functions {
		name, _, _ := strings.Cut(f.Signature, "(")
		documented[name] = true
		if _, ok := env.Functions()[name]; !ok {
			t.Errorf("documented function %s is not declared", name)
		}
	}
	names := []string{"allowed", "forbidden", "execCommand", "queryParam", "writtenObject", "podSpecs", "containers", "hostPaths",
		"pathUnder", "ipInCIDRs", "ipNetwork", "requestMentions", "outsideCIDRs", "peerIP", "uriPath", "clientName", "target", "outcome", "identity", "isServiceAccount", "saNamespace", "isNode", "controlPlane"}
	for _, name := range names {
		if !documented[name] {
			t.Errorf("function %s is not documented in Functions", name)
		}
	}
	if len(documented) != len(names) {
		t.Errorf("%d documented functions; update the list above", len(documented))
	}
}

// TestCatalogueCoversTheIssue: the detections the catalogue must have, by
// rule, and at least 40 rules over the eight tactics.
func TestCatalogueCoversTheIssue(t *testing.T) {
	rules := Builtin()
	if len(rules) < 40 {
		t.Errorf("%d rules, want at least 40", len(rules))
	}
	tactics := map[string]int{}
	ids := map[string]bool{}
	for _, r := range rules {
		tactics[r.Tactic]++
		ids[r.ID] = true
		if strings.TrimSpace(r.Description) == "" || len(r.Sources) == 0 {
			t.Errorf("%s: description and sources are required in the catalogue", r.ID)
		}
		if _, ok := LookupMSTechnique(r.MSTechnique); !ok {
			t.Errorf("%s: msTechnique %q: every built-in rule names its Threat Matrix for Kubernetes technique", r.ID, r.MSTechnique)
		}
		if _, ok := InContainersMatrix(r.Technique); !ok {
			t.Errorf("%s: technique %s is not in ATT&CK's Containers matrix (a more precise Enterprise technique goes in enterpriseTechnique)", r.ID, r.Technique)
		}
		if _, ok := InContainersMatrix(r.EnterpriseTechnique); ok {
			t.Errorf("%s: enterpriseTechnique %s is in the Containers matrix: make it the technique", r.ID, r.EnterpriseTechnique)
		}
	}
	for _, tc := range []string{"initial-access", "discovery", "credential-access", "privilege-escalation", "persistence", "execution", "defense-evasion", "impact"} {
		if tactics[tc] == 0 {
			t.Errorf("no rule for tactic %s", tc)
		}
	}
	for what, id := range map[string]string{
		"anonymous beyond health endpoints": "AG-DET-101", "forbidden bursts per user": "AG-DET-701", "forbidden bursts per IP": "AG-DET-702",
		"cluster-admin bindings": "AG-DET-401", "bindings to anonymous/unauthenticated/authenticated": "AG-DET-402", "wildcard roles": "AG-DET-403",
		"impersonation of privileged users or groups": "AG-DET-408", "cluster-wide Secret list/watch": "AG-DET-601", "Secret reads by unusual identities": "AG-DET-602",
		"privileged pods and templates": "AG-DET-409", "hostPath": "AG-DET-411", "hostPID/hostNetwork/hostIPC": "AG-DET-410",
		"exec": "AG-DET-201", "attach": "AG-DET-202", "port-forward": "AG-DET-204", "ephemeral containers": "AG-DET-206", "nodes/proxy": "AG-DET-414",
		"token requests for kube-system SAs": "AG-DET-302", "long token expirations": "AG-DET-303", "CSR creation": "AG-DET-306", "CSR approval": "AG-DET-307",
		"admission webhook changes": "AG-DET-308", "SAs created in kube-system": "AG-DET-301", "kube-system ConfigMap changes": "AG-DET-312",
		"events deletion": "AG-DET-501", "requests from outside --allow-cidrs": "AG-DET-104", "SA tokens from outside pod/node ranges": "AG-DET-105",
		"legacy SA token use": "AG-DET-607",
	} {
		if !ids[id] {
			t.Errorf("%s: rule %s missing", what, id)
		}
	}
}

// TestDocFlatWindowExample runs the flat-spelling example of
// docs/audit-detection.md as written: thirty refusals from one address by
// three users within a minute alert once, keyed by the address.
func TestDocFlatWindowExample(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "  ```yaml\n  - id: SITE-DENIED-HOST\n")
	if !ok {
		t.Fatal("the SITE-DENIED-HOST example is not in the doc")
	}
	block, _, _ = strings.Cut(block, "  ```\n")
	rules, err := ParseRules("doc", []byte("rules:\n- id: SITE-DENIED-HOST\n"+strings.ReplaceAll("\n"+block, "\n  ", "\n")[1:]))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Alert
	for i := 1; i <= 60; i++ { // one refusal every 5/3 s: 30 within 50 s
		d := ev("list", "secrets").forbid().ips("203.0.113.9").user([]string{"ann", "bob", "cid"}[i%3]).at(time.Duration(i) * 5 * time.Second / 3)
		got = append(got, e.Process(d.build(t, i))...)
	}
	if len(got) != 1 || got[0].Count != 30 || got[0].Key != "203.0.113.9" || got[0].Window != "1m" {
		t.Fatalf("alerts: %+v", got)
	}
}
