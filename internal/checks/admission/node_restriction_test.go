package admission

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestNodeRestrictionEnabled(t *testing.T) {
	ct.Table(t, NodeRestrictionEnabled, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Fail, Contains: "off by default"},
		{Name: "enabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction"), Want: check.Pass, Contains: "enabled by --enable-admission-plugins"},
		{Name: "enabled in a list", Snap: ct.Snapshot("--enable-admission-plugins=PodNodeSelector,NodeRestriction,EventRateLimit"), Want: check.Pass},
		// Slice flag: the second occurrence adds to the first, it does not replace it.
		{Name: "repeated flags accumulate", Snap: ct.Snapshot("--enable-admission-plugins=A", "--enable-admission-plugins=NodeRestriction"), Want: check.Pass},
		{Name: "repeated flags accumulate, first", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins=AlwaysPullImages"), Want: check.Pass},
		{Name: "space-separated value", Snap: ct.Snapshot("--enable-admission-plugins", "NodeRestriction"), Want: check.Pass},
		// pflag does not trim list items and kube-apiserver rejects " NodeRestriction" as unknown.
		{Name: "spaces around items", Snap: ct.Snapshot("--enable-admission-plugins=PodNodeSelector, NodeRestriction"), Want: check.Fail, Contains: "is not NodeRestriction"},
		{Name: "look-alike is not NodeRestriction", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestrictionX"), Want: check.Fail, Contains: "\"NodeRestrictionX\", which is not NodeRestriction"},
		{Name: "prefix is not NodeRestriction", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestrict"), Want: check.Fail},
		{Name: "case matters", Snap: ct.Snapshot("--enable-admission-plugins=noderestriction"), Want: check.Fail, Contains: "matched exactly"},
		{Name: "authorization mode Node is not the plugin", Snap: ct.Snapshot("--authorization-mode=Node,RBAC"), Want: check.Fail},
		{Name: "disabled", Snap: ct.Snapshot("--disable-admission-plugins=NodeRestriction"), Want: check.Fail, Contains: "disabled by --disable-admission-plugins"},
		{Name: "in both lists", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=NodeRestriction"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "legacy list with it", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle,NodeRestriction"), Want: check.Pass},
		{Name: "legacy list replaces the defaults", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle"), Want: check.Fail, Contains: "replaces the default list"},
		{Name: "legacy list combined with enable", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle", "--enable-admission-plugins=NodeRestriction"), Want: check.Fail, Contains: "cannot be combined"},
		{Name: "older version", Snap: ct.Version(ct.Snapshot("--enable-admission-plugins=NodeRestriction"), "v1.29.4"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable, Contains: "GKE"},
	})
}

func TestNodeRestrictionEvidence(t *testing.T) {
	f := ct.One(t, NodeRestrictionEnabled, ct.Snapshot(
		"--enable-admission-plugins=PodNodeSelector",
		"--profiling=false",
		"--enable-admission-plugins=NodeRestriction",
	))
	e := ct.Evidence(t, f, "--enable-admission-plugins")
	if e.Value != "PodNodeSelector,NodeRestriction" || !strings.Contains(e.Source, "accumulated") {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--disable-admission-plugins")
	eff := ct.Evidence(t, f, EffectiveKey)
	if !strings.Contains(","+eff.Value+",", ",NodeRestriction,") || !strings.Contains(eff.Value, "PodNodeSelector") {
		t.Fatalf("effective = %+v", eff)
	}
	if eff.Source != "computed: defaults for v1.36 + enable − disable" {
		t.Fatalf("effective source = %q", eff.Source)
	}
	// Sorted.
	items := strings.Split(eff.Value, ",")
	for i := 1; i < len(items); i++ {
		if items[i-1] > items[i] {
			t.Fatalf("not sorted: %s", eff.Value)
		}
	}

	old := ct.Evidence(t, ct.One(t, NodeRestrictionEnabled, ct.Version(ct.Snapshot(), "v1.29.4")), EffectiveKey)
	if old.Source != "computed: defaults for v1.29 + enable − disable" {
		t.Fatalf("old version source = %q", old.Source)
	}
	unknown := ct.Evidence(t, ct.One(t, NodeRestrictionEnabled, ct.Version(ct.Snapshot(), "")), EffectiveKey)
	if !strings.Contains(unknown.Source, "newest assumed") {
		t.Fatalf("unknown version source = %q", unknown.Source)
	}
	legacy := ct.One(t, NodeRestrictionEnabled, ct.Snapshot("--admission-control=NamespaceLifecycle"))
	ct.Evidence(t, legacy, "--admission-control")
	if l := ct.Evidence(t, legacy, EffectiveKey); l.Value != "NamespaceLifecycle" || !strings.Contains(l.Source, "--admission-control") {
		t.Fatalf("legacy effective = %+v", l)
	}
}

func TestNodeRestrictionLocation(t *testing.T) {
	// Disabled: point at the --disable-admission-plugins occurrence that names it.
	f := ct.One(t, NodeRestrictionEnabled, ct.Snapshot(
		"--enable-admission-plugins=NodeRestriction",
		"--disable-admission-plugins=NodeRestriction",
	))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	// Missing: point at the list where it belongs.
	g := ct.One(t, NodeRestrictionEnabled, ct.Snapshot("--profiling=false", "--enable-admission-plugins=PodNodeSelector"))
	if g.Location == nil || g.Location.Line != 3 {
		t.Fatalf("location = %+v", g.Location)
	}
	if g.Remediation == "" {
		t.Fatalf("failing finding has no remediation")
	}
}
