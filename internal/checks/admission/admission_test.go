package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestAllMetadata(t *testing.T) {
	wantCIS := map[string]string{
		"AG-AUTHZ-005": "1.2.10", "AG-AUTHZ-006": "1.2.14", "AG-AUTHZ-007": "1.2.12",
		"AG-AUTHZ-008": "1.2.13", "AG-AUTHZ-009": "1.2.9", "AG-AUTHZ-010": "1.2.11",
	}
	ct.LayerMetadata(t, All(), check.Authorization, wantCIS)
}
