// Package inputs holds the Snapshot: the one model every check reads. Live
// collection (inputs/live) and offline files (inputs/offline) are two
// constructors of it, so every check works on both, and a live scan can be
// saved and analysed later. Each field carries its source, or why it is missing.
package inputs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/versions"
)

// Snapshot format identifiers.
const (
	APIVersion = "apiguard.dev/v1alpha1"
	Kind       = "Snapshot"
)

// Snapshot is what collection saw.
type Snapshot struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Target names what was scanned: a kubeconfig context, a file, a directory.
	Target string `json:"target"`
	// Collector is "live" or "offline".
	Collector   string       `json:"collector"`
	CollectedAt time.Time    `json:"collectedAt,omitzero"`
	Cluster     Cluster      `json:"cluster"`
	APIServers  []*APIServer `json:"apiServers"`
	// Problems are input errors that did not stop the scan (file:line: message).
	Problems []Problem `json:"problems,omitempty"`

	// Data of later capabilities, each type in its own file of this package
	// (one field per capability; add yours below this line).
	Endpoint    *Endpoint      `json:"endpoint,omitempty"`    // network exposure: what an anonymous client sees (internal/probe)
	Cloud       []CloudCluster `json:"cloud,omitempty"`       // network exposure: managed-cluster endpoint settings (internal/cloud)
	Credentials *Credentials   `json:"credentials,omitempty"` // authentication posture: credential inventory, metadata only (inputs/live)
	// RBAC is the cluster's RBAC model (authorization, admin power). It is
	// not part of snapshot.yaml: a snapshot directory keeps it as a kubectl
	// style JSON dump in rbac/, read back by LoadSnapshot.
	RBAC *rbac.Policy `json:"-"`
	// RBACUnavailable says why RBAC is nil (no dump given, list forbidden).
	RBACUnavailable string `json:"rbacUnavailable,omitempty"`
	// AuditUsage is the use of the RBAC model's grants in the audit logs
	// given to scan --audit (authorization: unused permissions); nil when
	// none was asked for. Not saved with a snapshot.
	AuditUsage *AuditUsage `json:"-"`

	// Benchmark is the CIS Kubernetes Benchmark version ("cis-1.10") checks
	// follow where versions differ; empty means the newest (check.BenchmarkOf).
	// An evaluation setting chosen with --benchmark, not collected data: it is
	// never saved with the snapshot.
	Benchmark string `json:"-"`
}

// Cluster is what is known about the cluster as a whole.
type Cluster struct {
	// ServerVersion is /version's gitVersion, when a server was asked.
	ServerVersion string `json:"serverVersion,omitempty"`
	// Platform is "eks", "gke" or "aks" for managed control planes, "" otherwise.
	Platform         string `json:"platform,omitempty"`
	PlatformEvidence string `json:"platformEvidence,omitempty"`
	// ControlPlaneHidden, when set, says why no kube-apiserver configuration
	// could be seen. Checks that need it report not-assessable with this text.
	ControlPlaneHidden string `json:"controlPlaneHidden,omitempty"`
	// Scope says what the snapshot was built from when that is less than a
	// cluster (Snapshot.SetScope sets it with its reason above).
	Scope Scope `json:"scope,omitempty"`
}

// Problem is an input that could not be used, fully or in part. It is the
// RBAC model's type (rbac.Problem), which sits below the Snapshot, so that
// the problems of both are one type.
type Problem = rbac.Problem

// Arg is one argv element of kube-apiserver and where it was written.
type Arg struct {
	Text string `json:"text"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// APIServer is one kube-apiserver instance (a static pod, a container in a
// workload, an argv file) and the files its flags point to.
type APIServer struct {
	// Name identifies the instance: "kube-system/kube-apiserver-cp1" for a pod,
	// the file path otherwise. Findings use it as their resource.
	Name string `json:"name"`
	// Origin says how it was found: "pod", "manifest", "flags-file", "kubeadm".
	Origin string `json:"origin"`
	// Manifest is the snapshot-relative YAML it was read from, when saved.
	Manifest string `json:"manifest,omitempty"`
	// Image is the container image, when known.
	Image string `json:"image,omitempty"`
	// Version is the Kubernetes version of this instance (image tag), if known.
	Version string `json:"version,omitempty"`
	Args    []Arg  `json:"args,omitempty"`
	// Files are the files the flags point to, by flag name ("authentication-config").
	Files map[string]*File `json:"files,omitempty"`
	// ManifestFile is the mode and owner of the manifest on the host (CIS 1.1.1/1.1.2).
	ManifestFile *FileMeta `json:"manifestFile,omitempty"`

	flags *apiserverflags.Flags
}

// File is a file a flag points to.
type File struct {
	// Path as written in the flag.
	Path string `json:"path"`
	// ReadFrom is where apiguard read it (root-relative path on disk, or the
	// snapshot's copy).
	ReadFrom string `json:"readFrom,omitempty"`
	// Data is the content. Secrets in it (static token file) are redacted at
	// collection time, so no check or report can leak them.
	Data []byte `json:"-"`
	// Unavailable says why the content could not be read. Checks needing it
	// report not-assessable with this reason.
	Unavailable string `json:"unavailable,omitempty"`
	// Redacted is true when secrets were removed from Data.
	Redacted bool `json:"redacted,omitempty"`
}

// FileMeta is the mode and ownership of a file on a host.
type FileMeta struct {
	Path        string   `json:"path"`
	Mode        FileMode `json:"mode"`
	UID         int      `json:"uid"`
	GID         int      `json:"gid"`
	Owner       string   `json:"owner,omitempty"`
	Group       string   `json:"group,omitempty"`
	Unavailable string   `json:"unavailable,omitempty"`
}

// ArgSource describes where an argument was written, for evidence.
func (a *APIServer) ArgSource(arg Arg) string {
	switch {
	case arg.File != "" && arg.Line > 0:
		loc := fmt.Sprintf("%s:%d", arg.File, arg.Line)
		if a.Origin == "pod" {
			return "pod " + a.Name + " (" + loc + ")"
		}
		return loc
	case arg.File != "":
		return arg.File
	case a.Origin == "pod":
		return "pod " + a.Name
	default:
		return a.Name
	}
}

// Flags parses the argv once, with the defaults of this instance's version.
func (a *APIServer) Flags(cluster Cluster) *apiserverflags.Flags {
	if a.flags != nil {
		// The cluster's version may be known only now (ResolveFiles parses
		// before the snapshot is complete): defaults must follow it.
		a.flags.SetVersion(a.KubernetesVersion(cluster))
		return a.flags
	}
	args := make([]apiserverflags.Arg, len(a.Args))
	for i, x := range a.Args {
		args[i] = apiserverflags.Arg{Text: x.Text, Source: a.ArgSource(x), File: x.File, Line: x.Line}
	}
	a.flags = apiserverflags.Parse(args, a.KubernetesVersion(cluster))
	return a.flags
}

// KubernetesVersion is the instance's version: its image tag, else the
// cluster's /version, else zero (unknown).
func (a *APIServer) KubernetesVersion(cluster Cluster) versions.Version {
	for _, s := range []string{a.Version, cluster.ServerVersion} {
		if v, err := versions.Parse(s); err == nil && s != "" {
			return v
		}
	}
	return versions.Version{}
}

// VersionFromImage extracts the tag of an image reference when it looks like
// a Kubernetes version ("registry.k8s.io/kube-apiserver:v1.36.3").
func VersionFromImage(image string) string {
	if at := strings.Index(image, "@"); at >= 0 {
		image = image[:at]
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash {
		return ""
	}
	tag := image[colon+1:]
	if _, err := versions.Parse(tag); err != nil {
		return ""
	}
	return tag
}

// FileFlags are the flags whose files apiguard reads, in a stable order.
var FileFlags = []string{
	"authentication-config",
	"authorization-config",
	"encryption-provider-config",
	"audit-policy-file",
	"admission-control-config-file",
	"token-auth-file",
}

// SortProblems orders problems by source for stable output.
func (s *Snapshot) SortProblems() {
	sort.SliceStable(s.Problems, func(i, j int) bool { return s.Problems[i].Source < s.Problems[j].Source })
}

// New returns an empty snapshot with its type fields set.
func New(target, collector string) *Snapshot {
	return &Snapshot{APIVersion: APIVersion, Kind: Kind, Target: target, Collector: collector}
}

// FileMode is permission bits, written in JSON and YAML as an octal string
// ("0600") so snapshots stay readable; a plain number is accepted too.
type FileMode uint32

func (m FileMode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// MarshalJSON writes "0600".
func (m FileMode) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// UnmarshalJSON reads "0600" (octal) or 384 (decimal).
func (m *FileMode) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	base := 10
	if len(b) > 0 && b[0] == '"' {
		base = 8
	}
	n, err := strconv.ParseUint(s, base, 32)
	if err != nil || n > 0o7777 {
		return fmt.Errorf("mode %s: want an octal string such as \"0600\"", string(b))
	}
	*m = FileMode(n)
	return nil
}
