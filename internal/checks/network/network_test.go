package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestAllMetadata(t *testing.T) {
	wantCIS := map[string]string{
		"AG-NET-001": "", "AG-NET-002": "", "AG-NET-003": "1.2.29", "AG-NET-004": "1.2.24",
		"AG-NET-005": "1.2.15", "AG-NET-006": "1.2.5", "AG-NET-007": "1.2.23", "AG-NET-008": "1.2.26",
		"AG-NET-009": "", "AG-NET-010": "1.2.20", "AG-NET-011": "1.2.3", "AG-NET-012": "",
		"AG-NET-013": "", "AG-NET-014": "", "AG-NET-015": "1.2.29", "AG-NET-016": "", "AG-NET-017": "",
		"AG-NET-018": "", "AG-NET-019": "", "AG-NET-020": "", "AG-NET-021": "",
	}
	ct.LayerMetadata(t, All(), check.Network, wantCIS)
}
