package check

import (
	"context"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/inputs"
)

// FlagEvidence is the evidence for one flag: key "--name", its effective
// value and where that value came from.
func FlagEvidence(v apiserverflags.Value) Evidence {
	val := v.Value
	if !v.Set && val == "" {
		val = "(not set)"
	}
	return Evidence{Key: v.Key(), Value: val, Source: v.Source}
}

// FlagLocation places a finding at the flag's line when it came from a file.
func FlagLocation(v apiserverflags.Value) *Location {
	if v.File == "" {
		return nil
	}
	return &Location{File: v.File, Line: v.Line}
}

// FeatureGateOn reports whether --feature-gates (accumulated, last wins)
// sets the gate to true.
func FeatureGateOn(f *apiserverflags.Flags, gate string) bool {
	on := false
	for _, kv := range f.Get("feature-gates").List() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) == gate {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			on = err == nil && b
		}
	}
	return on
}

// HiddenReason says why no kube-apiserver configuration can be assessed, or "".
func HiddenReason(s *inputs.Snapshot) string {
	if len(s.APIServers) > 0 {
		return ""
	}
	if s.Cluster.ControlPlaneHidden != "" {
		return s.Cluster.ControlPlaneHidden
	}
	return "no kube-apiserver configuration was found in the input"
}

// PerAPIServer runs fn on each kube-apiserver instance of the snapshot. When
// none is visible (managed control plane, missing permission, no manifest) it
// returns one not-assessable finding with the reason, never a pass.
func PerAPIServer(m Metadata, s *inputs.Snapshot, fn func(a *inputs.APIServer, f *apiserverflags.Flags) Finding) []Finding {
	if reason := HiddenReason(s); reason != "" {
		return []Finding{m.Result(NotAssessable, s.Target, reason)}
	}
	out := make([]Finding, 0, len(s.APIServers))
	for _, a := range s.APIServers {
		f := fn(a, a.Flags(s.Cluster))
		if f.CheckID == "" {
			continue // fn had nothing to say for this instance
		}
		if f.Resource == "" {
			f.Resource = a.Name
		}
		out = append(out, f)
	}
	return out
}

// ServerFunc judges one kube-apiserver instance for the check with metadata
// m. A zero Finding means it has nothing to say about this instance.
type ServerFunc func(m Metadata, a *inputs.APIServer, f *apiserverflags.Flags) Finding

// PerServer is the check with metadata m that judges each kube-apiserver
// instance with fn, through PerAPIServer. Most checks of the kube-apiserver
// configuration are such a check: they differ only in fn.
func PerServer(m Metadata, fn ServerFunc) Check {
	return Check{Metadata: m, Run: func(_ context.Context, s *inputs.Snapshot) []Finding {
		return PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) Finding {
			return fn(m, a, f)
		})
	}}
}

// FileOf returns the file a flag points to on this instance: the flag value,
// the file (nil when the flag is unset) and, when its content is unavailable,
// a not-assessable finding the caller should return.
func FileOf(m Metadata, a *inputs.APIServer, f *apiserverflags.Flags, flag string) (apiserverflags.Value, *inputs.File, *Finding) {
	v := f.Get(flag)
	if !v.Set || v.Value == "" {
		return v, nil, nil
	}
	file := a.Files[flag]
	if file == nil {
		r := m.Result(NotAssessable, a.Name, "the file named by "+v.Key()+" was not collected", FlagEvidence(v))
		return v, nil, &r
	}
	if file.Unavailable != "" {
		r := m.Result(NotAssessable, a.Name, "cannot read "+v.Value+" ("+v.Key()+"): "+file.Unavailable, FlagEvidence(v))
		return v, nil, &r
	}
	return v, file, nil
}
