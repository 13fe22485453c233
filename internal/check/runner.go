package check

import (
	"context"
	"fmt"
	"sort"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

// Run applies every check to the snapshot. A check that panics yields one
// error finding instead of losing the other checks' results.
func Run(ctx context.Context, checks []Check, s *inputs.Snapshot) []Finding {
	var out []Finding
	for _, c := range Applicable(checks, s) {
		if ctx.Err() != nil {
			break
		}
		out = append(out, runOne(ctx, c, s)...)
	}
	Sort(out)
	return out
}

// Applicable returns the checks that apply to the snapshot's Kubernetes
// version (MinVersion/MaxVersion). Run runs exactly these; reports list them.
func Applicable(checks []Check, s *inputs.Snapshot) []Check {
	var out []Check
	for _, c := range checks {
		if c.appliesTo(s) {
			out = append(out, c)
		}
	}
	return out
}

func runOne(ctx context.Context, c Check, s *inputs.Snapshot) (fs []Finding) {
	defer func() {
		if r := recover(); r != nil {
			// One line: the message reaches PR comments and SARIF. Reproduce
			// with the check's table test to get the stack.
			fs = []Finding{c.Result(Error, s.Target, fmt.Sprintf("internal error in check (please report it): %v", r))}
		}
	}()
	fs = c.Run(ctx, s)
	for i := range fs {
		if fs[i].Actionable() && fs[i].Remediation == "" {
			fs[i].Remediation = c.Remediation
		}
	}
	return fs
}

// appliesTo honours MinVersion/MaxVersion when the cluster version is known.
func (c Check) appliesTo(s *inputs.Snapshot) bool {
	if c.MinVersion == "" && c.MaxVersion == "" {
		return true
	}
	v, err := versions.Parse(s.Cluster.ServerVersion)
	if err != nil {
		for _, a := range s.APIServers {
			if v = a.KubernetesVersion(s.Cluster); !v.IsZero() {
				break
			}
		}
	}
	if v.IsZero() {
		return true
	}
	if c.MinVersion != "" && v.Compare(versions.MustParse(c.MinVersion)) < 0 && !sameMinor(v, c.MinVersion) {
		return false
	}
	if c.MaxVersion != "" && v.Compare(versions.MustParse(c.MaxVersion)) > 0 && !sameMinor(v, c.MaxVersion) {
		return false
	}
	return true
}

func sameMinor(v versions.Version, minor string) bool {
	m := versions.MustParse(minor)
	return v.Major == m.Major && v.Minor == m.Minor
}

var statusOrder = map[Status]int{Fail: 0, Error: 1, Warn: 2, NotAssessable: 3, NotApplicable: 4, Pass: 5}

// Sort orders findings by layer, then status (failures first), severity
// (highest first), check ID and resource, so every report is stable.
func Sort(fs []Finding) {
	layerIdx := map[Layer]int{}
	for i, l := range Layers {
		layerIdx[l] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Layer != b.Layer {
			return layerIdx[a.Layer] < layerIdx[b.Layer]
		}
		if a.Status != b.Status {
			return statusOrder[a.Status] < statusOrder[b.Status]
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return a.Resource < b.Resource
	})
}

// Summary counts findings by status.
type Summary struct {
	Total         int `json:"total"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Warn          int `json:"warn"`
	NotAssessable int `json:"notAssessable"`
	NotApplicable int `json:"notApplicable"`
	Error         int `json:"error"`
	// FailBySeverity counts failing findings per severity name.
	FailBySeverity map[string]int `json:"failBySeverity"`
}

// Summarize counts findings.
func Summarize(fs []Finding) Summary {
	s := Summary{Total: len(fs), FailBySeverity: map[string]int{}}
	for _, f := range fs {
		switch f.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
			s.FailBySeverity[f.Severity.String()]++
		case Warn:
			s.Warn++
		case NotAssessable:
			s.NotAssessable++
		case NotApplicable:
			s.NotApplicable++
		case Error:
			s.Error++
		}
	}
	return s
}

// FailsAt reports whether any failing finding is at or above the threshold.
func FailsAt(fs []Finding, threshold Severity) bool {
	for _, f := range fs {
		if f.Status == Fail && f.Severity >= threshold {
			return true
		}
	}
	return false
}
