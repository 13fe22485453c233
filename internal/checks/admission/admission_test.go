package admission

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

func TestAllMetadata(t *testing.T) {
	wantCIS := map[string]string{
		"AG-AUTHZ-005": "1.2.10", "AG-AUTHZ-006": "1.2.14", "AG-AUTHZ-007": "1.2.12",
		"AG-AUTHZ-008": "1.2.13", "AG-AUTHZ-009": "1.2.9", "AG-AUTHZ-010": "1.2.11",
	}
	seen := map[string]bool{}
	prev := ""
	for _, c := range All() {
		if seen[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		seen[c.ID] = true
		if c.ID <= prev {
			t.Errorf("All() not in ID order at %s", c.ID)
		}
		prev = c.ID
		if c.Layer != check.Authorization {
			t.Errorf("%s: layer %s", c.ID, c.Layer)
		}
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || len(c.Inputs) == 0 || c.Run == nil {
			t.Errorf("%s: incomplete metadata", c.ID)
		}
		if got := c.CIS(); got != wantCIS[c.ID] {
			t.Errorf("%s: CIS %q, want %q", c.ID, got, wantCIS[c.ID])
		}
		if strings.HasPrefix(strings.ToLower(c.Title), "ensure") {
			t.Errorf("%s: title should state the secure state", c.ID)
		}
	}
	if len(seen) != len(wantCIS) {
		t.Errorf("got %d checks, want %d", len(seen), len(wantCIS))
	}
}
