package detect

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/auditpolicy"
)

// labPolicy is the e2e lab's Hardened audit policy: Metadata for Secrets,
// ConfigMaps and TokenRequests, leases dropped, RequestResponse otherwise.
const labPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
- level: RequestResponse
`

func TestCoverage(t *testing.T) {
	p, err := auditpolicy.Load("policy.yaml", []byte(labPolicy))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]RuleCoverage{}
	for _, c := range Coverage(Builtin(), p) {
		got[c.Rule] = c
	}
	// Bodies of Secrets and TokenRequests are not recorded: the rules that
	// read them are blind; the others see what they need.
	for id, want := range map[string]string{"AG-DET-303": "blind", "AG-DET-305": "blind", "AG-DET-409": "ok", "AG-DET-201": "ok", "AG-DET-103": "ok", "AG-DET-603": "ok"} {
		if got[id].Status != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Status, got[id].Reason, want)
		}
	}
	if !strings.Contains(got["AG-DET-303"].Reason, "at Metadata") {
		t.Errorf("reason: %s", got["AG-DET-303"].Reason)
	}
	// A TokenRequest's request body is safe to record (the token is in the
	// response); a Secret's is not: AG-DET-305 is blind under any policy
	// that keeps credentials out of the log, and says so.
	if r := got["AG-DET-303"].Reason; !strings.Contains(r, "safe to record") || !strings.Contains(r, "only above Request") {
		t.Errorf("AG-DET-303 reason: %s", r)
	}
	if r := got["AG-DET-305"].Reason; !strings.Contains(r, "blind by design") || !strings.Contains(r, "Secrets (their data) are kept at Metadata at most") {
		t.Errorf("AG-DET-305 reason: %s", r)
	}
	// ConfigMap bodies are kept out of the log (CIS 3.2.2): AG-DET-609 reads
	// them, blind by design.
	if r := got["AG-DET-609"]; r.Status != "blind" || !strings.Contains(r.Reason, "blind by design") || !strings.Contains(r.Reason, "ConfigMaps") {
		t.Errorf("AG-DET-609: %+v", r)
	}
	// AG-DET-314 sees legacy token Secrets at Metadata, where AG-DET-305 cannot.
	if got["AG-DET-314"].Status != "ok" {
		t.Errorf("AG-DET-314: %+v", got["AG-DET-314"])
	}

	none, err := auditpolicy.Load("none.yaml", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [\"system:anonymous\"]\n- level: Metadata\n  omitStages: [ResponseComplete, ResponseStarted]\n  resources: [{group: \"\", resources: [\"pods/exec\"]}]\n- level: Metadata\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Coverage(Builtin(), none) {
		switch c.Rule {
		case "AG-DET-101":
			if c.Status != "blind" || !strings.Contains(c.Reason, "does not record") {
				t.Errorf("anonymous: %+v", c)
			}
		case "AG-DET-201":
			if c.Status != "blind" || !strings.Contains(c.Reason, "omits") {
				t.Errorf("exec: %+v", c)
			}
		case "AG-DET-409":
			if c.Status != "blind" {
				t.Errorf("privileged at Metadata: %+v", c)
			}
		case "AG-DET-103":
			if c.Status != "ok" {
				t.Errorf("401 burst: %+v", c)
			}
		}
	}
}
