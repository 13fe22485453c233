package check

import (
	"context"
	"slices"
	"testing"

	"github.com/apiguard/apiguard/internal/inputs"
)

func TestSelect(t *testing.T) {
	check := func(id, minVersion string, in ...Input) Check {
		return Check{Metadata: Metadata{ID: id, Inputs: in, MinVersion: minVersion},
			Run: func(context.Context, *inputs.Snapshot) []Finding { return nil }}
	}
	all := []Check{
		check("flags", "", InputFlags),
		check("flags-new", "1.40", InputFlags, InputFiles),
		check("rbac", "", InputRBAC),
		check("rbac-new", "1.40", InputRBAC),
		check("endpoint", "", InputEndpoint),
		check("cloud", "", InputCloud),
		check("version", "", InputVersion, InputFlags),
		check("usage", "", InputRBAC, InputAuditUsage),
	}
	snap := func(scope inputs.Scope, endpoint, cloud bool) *inputs.Snapshot {
		s := inputs.New("t", "offline")
		s.Cluster.ServerVersion = "v1.36.3" // the 1.40 checks do not apply
		s.SetScope(scope)
		if endpoint {
			s.Endpoint = &inputs.Endpoint{URL: "https://127.0.0.1:6443"}
		}
		if cloud {
			s.Cloud = []inputs.CloudCluster{{Provider: "eks"}}
		}
		return s
	}
	withUsage := func(s *inputs.Snapshot) *inputs.Snapshot {
		s.AuditUsage = &inputs.AuditUsage{}
		return s
	}
	for _, c := range []struct {
		name string
		s    *inputs.Snapshot
		want []string
	}{
		{"full", snap(inputs.Full, false, false), []string{"flags", "rbac", "endpoint", "cloud", "version"}},
		{"full with cloud files", snap(inputs.Full, true, true), []string{"flags", "rbac", "endpoint", "cloud", "version"}},
		{"rbac dumps alone", snap(inputs.RBACOnly, false, false), []string{"rbac"}},
		{"rbac dumps and cloud files", snap(inputs.RBACOnly, false, true), []string{"rbac"}},
		{"cloud files alone", snap(inputs.CloudOnly, false, true), []string{"cloud"}},
		{"probe", snap(inputs.Exposure, true, false), []string{"endpoint"}},
		{"probe and cloud files", snap(inputs.Exposure, true, true), []string{"endpoint", "cloud"}},
		{"cloud files through probe", snap(inputs.Exposure, false, true), []string{"cloud"}},
		{"full with audit usage", withUsage(snap(inputs.Full, false, false)), []string{"flags", "rbac", "endpoint", "cloud", "version", "usage"}},
		{"rbac dumps and audit usage", withUsage(snap(inputs.RBACOnly, false, false)), []string{"rbac", "usage"}},
		{"probe and audit usage", withUsage(snap(inputs.Exposure, true, false)), []string{"endpoint"}},
	} {
		var got []string
		for _, x := range Select(all, c.s) {
			got = append(got, x.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: Select = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSetScopeReason(t *testing.T) {
	for sc, hidden := range map[inputs.Scope]bool{inputs.Full: false, inputs.Exposure: false, inputs.RBACOnly: true, inputs.CloudOnly: true} {
		s := inputs.New("t", "offline")
		s.SetScope(sc)
		if s.Cluster.Scope != sc || (s.Cluster.ControlPlaneHidden != "") != hidden {
			t.Errorf("SetScope(%q): scope %q, reason %q", sc, s.Cluster.Scope, s.Cluster.ControlPlaneHidden)
		}
	}
}
