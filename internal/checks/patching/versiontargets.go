package patching

import (
	"context"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

// target is one version to judge: an instance, or the cluster's /version
// when no instance is visible (managed control planes).
type target struct {
	resource string
	version  versions.Version
	source   string
	flags    *apiserverflags.Flags // nil when the flags are not visible
}

// versionTargets lists what to judge, or the not-assessable finding.
func versionTargets(m check.Metadata, s *inputs.Snapshot) ([]target, []check.Finding) {
	if len(s.APIServers) == 0 {
		v, err := versions.Parse(s.Cluster.ServerVersion)
		if s.Cluster.ServerVersion == "" || err != nil {
			return nil, []check.Finding{m.Result(check.NotAssessable, s.Target,
				"the Kubernetes version is unknown: no kube-apiserver instance and no /version answer ("+check.HiddenReason(s)+")")}
		}
		return []target{{resource: s.Target, version: v, source: "/version (gitVersion)"}}, nil
	}
	var out []target
	var na []check.Finding
	for _, a := range s.APIServers {
		t := target{resource: a.Name, flags: a.Flags(s.Cluster)}
		switch v, err := versions.Parse(a.Version); {
		case a.Version != "" && err == nil:
			t.version = v
			t.source = "version of " + a.Name
			if a.Image != "" && inputs.VersionFromImage(a.Image) == a.Version {
				t.source = "image " + a.Image
			}
		default:
			v, err := versions.Parse(s.Cluster.ServerVersion)
			if s.Cluster.ServerVersion == "" || err != nil {
				na = append(na, m.Result(check.NotAssessable, a.Name,
					"the Kubernetes version of this kube-apiserver is unknown (no image tag, no /version): give --k8s-version to judge it"))
				continue
			}
			t.version, t.source = v, "/version (gitVersion)"
		}
		out = append(out, t)
	}
	return out, na
}

// clock is the evaluation date: the snapshot's collection time, else the
// data's release date (tables and snapshots without a time stay deterministic).
func clock(s *inputs.Snapshot, d *versions.Data) (time.Time, string) {
	if !s.CollectedAt.IsZero() {
		return s.CollectedAt, "the collection date"
	}
	return d.Releases.AsOf.Time, "the data's date: the snapshot has no collection time"
}

func versionEvidence(t target, a versions.Assessment) check.Evidence {
	val := t.version.Raw
	if val == "" {
		val = t.version.String()
	}
	if a.Vendor != "" || (t.version.Suffix != "" && a.Version != val) {
		val += " (upstream " + a.Version + ")"
	}
	return check.Evidence{Key: "version", Value: val, Source: t.source}
}

func dataEvidence(d *versions.Data, now time.Time, nowSource string) check.Evidence {
	return check.Evidence{Key: "versions data", Value: d.Describe(),
		Source: "evaluated on " + versions.DateOf(now).String() + ", " + nowSource + "; data " + d.Age(now)}
}

// versionCheck is the check with metadata m that judges each version
// target with judge, given its assessment against the versions data and
// the evidence of both.
func versionCheck(m check.Metadata, judge func(m check.Metadata, t target, a versions.Assessment, d *versions.Data, base []check.Evidence) check.Finding) check.Check {
	return check.Check{Metadata: m, Run: func(ctx context.Context, s *inputs.Snapshot) []check.Finding {
		d := versions.FromContext(ctx)
		now, nowSource := clock(s, d)
		ts, out := versionTargets(m, s)
		for _, t := range ts {
			a := d.Assess(t.version, s.Cluster.Platform, now)
			f := judge(m, t, a, d, []check.Evidence{versionEvidence(t, a), dataEvidence(d, now, nowSource)})
			if f.Resource == "" {
				f.Resource = t.resource
			}
			out = append(out, f)
		}
		return out
	}}
}
