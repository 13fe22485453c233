package auditpolicy

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/audit-policy.md")

const docPath = "../../docs/audit-policy.md"

// TestDoc: the generated sections of docs/audit-policy.md match the code
// (refresh with go test ./internal/auditpolicy -run TestDoc -update).
func TestDoc(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, s := range []struct{ name, body string }{
		{"lint-rules", RulesMarkdown()},
		{"needs", NeedsMarkdown()},
	} {
		begin, end := "<!-- "+s.name+":begin (generated: go test ./internal/auditpolicy -run TestDoc -update) -->\n", "<!-- "+s.name+":end -->"
		i, j := strings.Index(doc, begin), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s: no %q ... %q markers", docPath, begin, end)
		}
		if got := doc[i+len(begin) : j]; got != s.body {
			if !*update {
				t.Errorf("%s: the %s section drifted from the code (run go test ./internal/auditpolicy -run TestDoc -update)", docPath, s.name)
				continue
			}
			doc = doc[:i+len(begin)] + s.body + doc[j:]
		}
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
