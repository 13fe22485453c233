package authentication

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const tokenFlag = "--token-auth-file=/etc/kubernetes/tokens.csv"

func tokens(csv string, args ...string) *inputs.Snapshot {
	return ct.File(ct.Snapshot(append([]string{tokenFlag}, args...)...), "token-auth-file", csv)
}

const redacted = `REDACTED,alice,1001,"dev,ops"
REDACTED,ci,1002
`

func TestNoTokenAuthFile(t *testing.T) {
	ct.Table(t, NoTokenAuthFile, []ct.Case{
		{Name: "not set", Snap: ct.Snapshot(), Want: check.Pass},
		{Name: "set, content not collected", Snap: ct.Snapshot(tokenFlag), Want: check.Fail, Contains: "not collected"},
		{Name: "set, unreadable", Snap: ct.Unavailable(ct.Snapshot(tokenFlag), "token-auth-file", "permission denied"), Want: check.Fail, Contains: "could not be read"},
		{Name: "redacted content counted", Snap: tokens(redacted), Want: check.Fail, Contains: "2 tokens that never expire: users alice, ci; groups dev, ops"},
		{Name: "system:masters", Snap: tokens("REDACTED,root,0,\"system:masters\"\n"), Want: check.Fail, Contains: "root in group system:masters"},
		{Name: "short row refuses to start", Snap: tokens("REDACTED,alice\n"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "empty token rows are skipped", Snap: tokens(",ghost,9\nREDACTED,alice,1\n"), Want: check.Fail, Contains: "1 token that"},
		{Name: "last occurrence wins", Snap: ct.File(ct.Snapshot(tokenFlag, "--token-auth-file="), "token-auth-file", redacted), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
}

func TestTokenFileSeverityAndLines(t *testing.T) {
	f := ct.One(t, NoTokenAuthFile, tokens("REDACTED,alice,1,dev\nREDACTED,root,0,\"system:masters,ops\"\n"))
	if f.Severity != check.Critical {
		t.Fatalf("severity = %s", f.Severity)
	}
	if e := ct.Evidence(t, f, "token[1]"); e.Source != "/etc/kubernetes/tokens.csv:2" || !strings.Contains(e.Value, "system:masters") {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 2 {
		t.Fatalf("location = %+v", f.Location)
	}
	g := ct.One(t, NoTokenAuthFile, tokens(redacted))
	if g.Severity != check.High {
		t.Fatalf("severity = %s", g.Severity)
	}
}

// A file that escaped redaction must still never leak a token.
func TestTokenNeverInFinding(t *testing.T) {
	const secret = "s3cr3t-t0ken-31337"
	for _, content := range []string{
		secret + ",alice,1001,\"system:masters\"\n",
		secret + ",bob\n",
		"\"" + secret + ",carol,1\n",  // unterminated quote: a CSV error
		"x" + secret + "\"y,dave,2\n", // bare quote
	} {
		f := ct.One(t, NoTokenAuthFile, tokens(content))
		if strings.Contains(f.Message, secret) {
			t.Fatalf("token in message: %s", f.Message)
		}
		for _, e := range f.Evidence {
			if strings.Contains(e.Key+e.Value+e.Source, secret) {
				t.Fatalf("token in evidence: %+v", e)
			}
		}
		if f.Status != check.Fail {
			t.Fatalf("status = %s", f.Status)
		}
	}
}
