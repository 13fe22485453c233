// Package check holds the vocabulary every apiguard check speaks: metadata,
// findings, statuses, severities and layers, and the runner that applies a list
// of checks to a Snapshot. Checks are values (not plugins) and pure functions of
// the Snapshot: no printing, no globals, no network.
package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Status is the outcome of one check on one resource.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
	// NotAssessable means the check could not see its input (managed control
	// plane, unreadable file, missing permission). It is never a silent pass.
	NotAssessable Status = "not-assessable"
	// NotApplicable means the setting the check judges has no effect in this
	// configuration (audit log rotation without an audit log file): nothing
	// to do here, and the reason names the check that owns the cause. It
	// never counts as a failure.
	NotApplicable Status = "not-applicable"
	Error         Status = "error"
)

// Statuses lists every status in report order (check.Sort).
var Statuses = []Status{Fail, Error, Warn, NotAssessable, NotApplicable, Pass}

// Severity orders how bad a failing finding is.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names used on the command line and in JSON.
func ParseSeverity(v string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(v, n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", v, strings.Join(severityNames, ", "))
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Layer is one of the six defenses of the API server.
type Layer string

const (
	Network        Layer = "network"
	Authentication Layer = "authentication"
	Authorization  Layer = "authorization"
	Auditing       Layer = "auditing"
	Patching       Layer = "patching"
	AdminPower     Layer = "admin-power"
)

// Layers lists the layers in the order reports present them.
var Layers = []Layer{Network, Authentication, Authorization, Auditing, Patching, AdminPower}

// Title is the human name of a layer.
func (l Layer) Title() string {
	switch l {
	case Network:
		return "Network exposure"
	case Authentication:
		return "Authentication"
	case Authorization:
		return "Authorization and admission"
	case Auditing:
		return "Audit logging"
	case Patching:
		return "Patching"
	case AdminPower:
		return "Admin power"
	}
	return string(l)
}

// Reference points to the benchmark or document a check implements.
type Reference struct {
	// CIS is the CIS Kubernetes Benchmark v1.12 recommendation ID, e.g. "1.2.1".
	CIS   string `json:"cis,omitempty"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Input names what a check needs to see. Every input is declared here:
// Select chooses checks by the inputs they read.
type Input string

const (
	// InputFlags: the kube-apiserver command line.
	InputFlags Input = "apiserver-flags"
	// InputFiles: files the flags point to (config files on the control plane).
	InputFiles Input = "referenced-files"
	// InputHostFile: mode and owner of the manifest on the control-plane host.
	InputHostFile Input = "host-file-metadata"
	// InputVersion: the Kubernetes version of each kube-apiserver (image
	// tag) or of the cluster (/version).
	InputVersion Input = "kubernetes-version"
	// InputEndpoint: what an anonymous network client sees (apiguard probe,
	// or a live scan).
	InputEndpoint Input = "endpoint-probe"
	// InputCloud: managed-cluster endpoint settings (--cloud FILE).
	InputCloud Input = "managed-cluster-config"
	// InputCredentials: the cluster's credential inventory (live scans and
	// their snapshots): Secret metadata and client-certificate CSRs.
	InputCredentials Input = "cluster-credentials"
	// InputRBAC: the cluster's RBAC objects (live scans, snapshots, --rbac
	// dumps).
	InputRBAC Input = "cluster-rbac"
	// InputAuditUsage: the use of the RBAC model's grants in audit logs
	// (scan --audit). Opt-in: a check that reads it runs only when it was
	// given (Select).
	InputAuditUsage Input = "audit-usage"
)

// Metadata describes a check. It is a Go literal next to the check, and the
// single source of docs/checks.md and `apiguard explain`.
type Metadata struct {
	// ID is stable and never renamed: baselines, suppressions and SARIF rules use it.
	ID string `json:"id"`
	// Title is written as the secure state ("Anonymous requests are disabled").
	Title       string      `json:"title"`
	Layer       Layer       `json:"layer"`
	Severity    Severity    `json:"severity"`
	Rationale   string      `json:"rationale"`
	Remediation string      `json:"remediation"`
	References  []Reference `json:"references,omitempty"`
	Inputs      []Input     `json:"inputs"`
	// MinVersion/MaxVersion bound the Kubernetes minors ("1.31") the check
	// applies to; empty means unbounded.
	MinVersion string `json:"minVersion,omitempty"`
	MaxVersion string `json:"maxVersion,omitempty"`
}

// CIS returns the CIS IDs among the references, comma separated.
func (m Metadata) CIS() string {
	var ids []string
	for _, r := range m.References {
		if r.CIS != "" {
			ids = append(ids, r.CIS)
		}
	}
	return strings.Join(ids, ", ")
}

// Evidence is one fact a finding rests on: for flags the key is the flag name
// with its dashes ("--anonymous-auth"), the value as the server sees it, and
// where it came from (file:line, a pod, or "default for v1.36").
type Evidence struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Step is one link of an explanation chain (a binding that grants a
// permission, a flag that enables a path).
type Step struct {
	Action string `json:"action"`
	Via    string `json:"via"`
}

// Location places a finding in a file, for SARIF and editors.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Finding is the result of one check on one resource.
type Finding struct {
	CheckID  string     `json:"checkID"`
	Title    string     `json:"title"`
	Status   Status     `json:"status"`
	Severity Severity   `json:"severity"`
	Layer    Layer      `json:"layer"`
	Message  string     `json:"message"`
	Resource string     `json:"resource"`
	Evidence []Evidence `json:"evidence"`
	Path     []Step     `json:"path"`
	// Remediation is copied from the metadata on findings that need action.
	Remediation string    `json:"remediation,omitempty"`
	Location    *Location `json:"location,omitempty"`
}

// MarshalJSON keeps evidence and path as arrays (never null) so consumers
// can iterate without a nil check.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	p := plain(f)
	if p.Evidence == nil {
		p.Evidence = []Evidence{}
	}
	if p.Path == nil {
		p.Path = []Step{}
	}
	return json.Marshal(p)
}

// Actionable reports whether the finding asks the user to do something.
func (f Finding) Actionable() bool { return f.Status == Fail || f.Status == Warn }

// Check is one assessment: metadata plus a pure function of the Snapshot.
type Check struct {
	Metadata
	Run func(ctx context.Context, s *inputs.Snapshot) []Finding
}

// Result builds a finding for this check with its metadata filled in.
func (m Metadata) Result(status Status, resource, message string, ev ...Evidence) Finding {
	return Finding{
		CheckID:  m.ID,
		Title:    m.Title,
		Status:   status,
		Severity: m.Severity,
		Layer:    m.Layer,
		Message:  message,
		Resource: resource,
		Evidence: ev,
	}
}
