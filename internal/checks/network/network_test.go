package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

func TestAllMetadata(t *testing.T) {
	wantCIS := map[string]string{
		"AG-NET-001": "", "AG-NET-002": "", "AG-NET-003": "1.2.29", "AG-NET-004": "1.2.24",
		"AG-NET-005": "1.2.15", "AG-NET-006": "1.2.5", "AG-NET-007": "1.2.23", "AG-NET-008": "1.2.26",
		"AG-NET-009": "", "AG-NET-010": "1.2.20", "AG-NET-011": "1.2.3", "AG-NET-012": "",
		"AG-NET-013": "", "AG-NET-014": "", "AG-NET-015": "1.2.29", "AG-NET-016": "", "AG-NET-017": "",
		"AG-NET-018": "", "AG-NET-019": "", "AG-NET-020": "", "AG-NET-021": "",
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
		if c.Layer != check.Network {
			t.Errorf("%s: layer %s", c.ID, c.Layer)
		}
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || len(c.Inputs) == 0 || c.Run == nil {
			t.Errorf("%s: incomplete metadata", c.ID)
		}
		want, ok := wantCIS[c.ID]
		if !ok {
			t.Errorf("unexpected check %s", c.ID)
		}
		if got := c.CIS(); got != want {
			t.Errorf("%s: CIS %q, want %q", c.ID, got, want)
		}
	}
	if len(seen) != len(wantCIS) {
		t.Errorf("got %d checks, want %d", len(seen), len(wantCIS))
	}
}
