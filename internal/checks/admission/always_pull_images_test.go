package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestAlwaysPullImagesEnabled(t *testing.T) {
	ct.Table(t, AlwaysPullImagesEnabled, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Fail, Contains: "without the credentials"},
		{Name: "enabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction,AlwaysPullImages"), Want: check.Pass},
		{Name: "repeated flags accumulate", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysPullImages", "--enable-admission-plugins=NodeRestriction"), Want: check.Pass},
		{Name: "enabled then disabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=AlwaysPullImages"), Want: check.Fail},
		{Name: "look-alike", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysPullImage"), Want: check.Fail},
		{Name: "legacy list", Snap: ct.Snapshot("--admission-control=AlwaysPullImages"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
}
