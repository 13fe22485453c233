package auditpolicy

import (
	"testing"

	audit "k8s.io/apiserver/pkg/apis/audit"
)

// TestCoverageStatus: a row is a leak only when the level logs a body
// that carries the credential for the row's verb: a read has no request
// body (Request leaks nothing), a watch's events are never logged, a
// write's request body is; a CSR holds none.
func TestCoverageStatus(t *testing.T) {
	at := func(level, group, resources string) string {
		return head + "- level: " + level + "\n  resources: [{group: \"" + group + "\"" + resources + "}]\n" + catchAll
	}
	cases := []struct {
		name, doc string
		want      map[string]string // need ID -> status
	}{
		{"configmaps at Request (the upstream example, kube-system)", at("Request", "", ", resources: [configmaps]"),
			map[string]string{"configmaps-get": "ok", "configmaps-update": "leak"}},
		{"secrets at Request", at("Request", "", ", resources: [secrets]"),
			map[string]string{"secrets-get": "ok", "secrets-list": "ok", "secrets-watch": "ok", "secrets-create": "leak"}},
		{"secrets at RequestResponse", at("RequestResponse", "", ", resources: [secrets]"),
			map[string]string{"secrets-get": "leak", "secrets-list": "leak", "secrets-watch": "ok", "secrets-create": "leak"}},
		{"TokenRequests at Request", at("Request", "", ", resources: [serviceaccounts/token]"),
			map[string]string{"serviceaccounts-token-create": "ok"}},
		{"TokenRequests at RequestResponse", at("RequestResponse", "", ", resources: [serviceaccounts/token]"),
			map[string]string{"serviceaccounts-token-create": "leak"}},
		{"TokenReviews at Request", at("Request", "authentication.k8s.io", ""),
			map[string]string{"tokenreviews-create": "leak"}},
		{"CSRs at RequestResponse (kube-up)", at("RequestResponse", "certificates.k8s.io", ""),
			map[string]string{"csr-create": "ok", "csr-approval": "ok"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := Coverage(mustLoad(t, c.doc), HumanUser)
			got := map[string]Row{}
			for _, r := range rows {
				got[r.ID] = r
			}
			for id, want := range c.want {
				r, ok := got[id]
				if !ok {
					t.Fatalf("no row %s", id)
				}
				if r.Status != want {
					t.Errorf("%s at %s: %s, want %s", id, r.Level, r.Status, want)
				}
			}
		})
	}
}

// TestNeedsMaxIsCredentialLimit: the "at most" of every row is the limit
// lint's AP004 applies to the same request.
func TestNeedsMaxIsCredentialLimit(t *testing.T) {
	for _, n := range Needs {
		if n.Fixed != nil && n.Fixed.NoUser {
			continue // authentication failed: no handler runs, no body is logged
		}
		max, _, ok := CredentialLimit(n.Request)
		if !ok {
			max = ""
		}
		if n.Max != max {
			t.Errorf("%s: Max %q, CredentialLimit %q", n.ID, n.Max, max)
		}
	}
	for _, c := range []struct {
		r    Request
		want audit.Level
		ok   bool
	}{
		{res("get", "", "secrets", "", "default", "x"), audit.LevelRequest, true},
		{res("delete", "", "secrets", "", "default", "x"), audit.LevelRequest, true}, // the response is the deleted Secret
		{res("patch", "", "configmaps", "", "default", "x"), audit.LevelMetadata, true},
		{res("watch", "", "configmaps", "", "default", ""), "", false},
		{res("create", "authentication.k8s.io", "tokenreviews", "", "", ""), audit.LevelMetadata, true},
		{res("create", "", "serviceaccounts", "token", "default", "app"), audit.LevelRequest, true},
		{res("create", "certificates.k8s.io", "certificatesigningrequests", "", "", ""), "", false},
		{res("update", "certificates.k8s.io", "certificatesigningrequests", "status", "", "csr-1"), "", false},
	} {
		max, _, ok := CredentialLimit(c.r)
		if max != c.want || ok != c.ok {
			t.Errorf("%s %s: %q %v, want %q %v", c.r.Verb, c.r.Target(), max, ok, c.want, c.ok)
		}
	}
}
