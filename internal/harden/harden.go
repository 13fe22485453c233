// Package harden writes the fixed kube-apiserver configuration: given the
// flags of one kube-apiserver and the checks that failed on them, it plans
// the flag changes and the files the fixed flags point to (an audit policy,
// an AuthenticationConfiguration, an AdmissionConfiguration, an
// EncryptionConfiguration), and renders the plan in the form the
// configuration came in (an argv file, a static pod manifest, a kubeadm
// ClusterConfiguration).
//
// It fixes only what configuration alone can fix. What needs key material,
// certificates or an upgrade is left to the operator: the caller re-runs the
// checks on the fixed configuration (internal/app) and lists what still
// fails under "needs you", with the commands from Needs.
package harden

import (
	"crypto/rand"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/apiguard/apiguard/internal/versions"
)

// DefaultFilesDir is where the fixed flags expect the files the fix writes
// (--files-dir): next to kubeadm's own configuration.
const DefaultFilesDir = "/etc/kubernetes/apiguard"

// DefaultAuditLogDir holds the audit log the fix turns on (kubeadm's
// documented location).
const DefaultAuditLogDir = "/var/log/kubernetes/audit"

// Options say where the fixed configuration will live and what it targets.
type Options struct {
	// Version is the Kubernetes version the fixed flags are for: flags it
	// removed are dropped, and file formats follow it.
	Version versions.Version
	// FilesDir is the directory the written files will be at on the
	// control-plane host (DefaultFilesDir when empty).
	FilesDir string
	// AuditLogDir is the directory of the audit log (DefaultAuditLogDir).
	AuditLogDir string
	// AuditPolicy is the audit policy to write when the server has none or
	// a weak one (apiguard audit policy recommend).
	AuditPolicy []byte
	// Existing are the contents of the files the current flags point to,
	// by flag name (inputs.FileFlags), when they could be read: a fix merges
	// into them rather than replacing what the operator configured.
	Existing map[string][]byte
	// Random is the source of generated keys (crypto/rand when nil).
	Random io.Reader
}

func (o Options) filesDir() string {
	if o.FilesDir == "" {
		return DefaultFilesDir
	}
	return o.FilesDir
}

func (o Options) auditLogDir() string {
	if o.AuditLogDir == "" {
		return DefaultAuditLogDir
	}
	return o.AuditLogDir
}

func (o Options) random() io.Reader {
	if o.Random == nil {
		return rand.Reader
	}
	return o.Random
}

// filePath is where a written file will be on the host.
func (o Options) filePath(name string) string { return path.Join(o.filesDir(), name) }

// Flag is one kube-apiserver flag as the fix writes it: --Name=Value.
type Flag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (f Flag) String() string { return "--" + f.Name + "=" + f.Value }

// Change is one flag the fix changed, and why.
type Change struct {
	// Check is the ID of the failing check the change fixes.
	Check string `json:"check"`
	Flag  string `json:"flag"`
	// Old and New are the flag's value before and after; Action says
	// what happened: "set" (written or replaced), "removed".
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	Action string `json:"action"`
	Why    string `json:"why"`
}

// File is a file the fixed flags point to; it goes under FilesDir.
type File struct {
	// Name is the file name under FilesDir; Path is where the flags expect it.
	Name string `json:"name"`
	Path string `json:"path"`
	// Checks are the IDs of the checks it fixes.
	Checks []string `json:"checks"`
	Why    string   `json:"why"`
	// Secret marks a file holding key material (mode 0600, and said so).
	Secret bool   `json:"secret,omitempty"`
	Data   []byte `json:"-"`
}

// Need is something configuration alone cannot fix: the operator acts.
type Need struct {
	Check    string   `json:"check"`
	What     string   `json:"what"`
	Commands []string `json:"commands,omitempty"`
}

// Plan is the fixed configuration of one kube-apiserver.
type Plan struct {
	// Flags are the fixed flags in order; Changes what differs and why.
	Flags   []Flag   `json:"flags"`
	Changes []Change `json:"changes"`
	Files   []File   `json:"files"`
	// Needs are the fixers' own notes on what they could not do (key
	// rotation after a new encryption key, users of a removed token
	// file); the caller adds the checks that still fail.
	Needs []Need `json:"needs,omitempty"`
	// Volumes are the host directories the fixed flags read or write,
	// for a static pod manifest's hostPath volumes.
	Volumes []Volume `json:"volumes,omitempty"`
}

// Volume is a host directory the fixed kube-apiserver needs mounted.
type Volume struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"readOnly"`
}

// Fix plans the fixed configuration of flags (argv without the binary,
// each "--name=value" or "--name value" already split into Flag) for the
// failing check IDs. Checks without a fixer are left for the caller's
// "needs you" list.
func Fix(flags []Flag, failing []string, o Options) (*Plan, error) {
	e := &editor{flags: append([]Flag(nil), flags...), opts: o, files: map[string]*File{}}
	fail := map[string]bool{}
	for _, id := range failing {
		fail[id] = true
	}
	for _, fx := range fixers {
		if !fail[fx.check] {
			continue
		}
		e.check = fx.check
		if err := fx.fix(e); err != nil {
			return nil, fmt.Errorf("%s: %v", fx.check, err)
		}
	}
	e.check = "AG-PATCH-001"
	e.dropRemoved()
	p := &Plan{Flags: e.flags, Changes: e.changes, Needs: e.needs}
	for _, f := range e.files {
		p.Files = append(p.Files, *f)
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Name < p.Files[j].Name })
	if len(p.Files) > 0 {
		p.Volumes = append(p.Volumes, Volume{Name: "apiguard-config", Path: o.filesDir(), ReadOnly: true})
	}
	if v, ok := e.get("audit-log-path"); ok && e.wrote["audit-log-path"] {
		p.Volumes = append(p.Volumes, Volume{Name: "apiguard-audit-log", Path: path.Dir(v), ReadOnly: false})
	}
	return p, nil
}

// ParseArgv splits an argv (without the binary) into flags as
// kube-apiserver's pflag reads them: "--name=value", or "--name value"
// for a flag that is not boolean. Elems[i] are the indices in argv of
// flag i's elements. Anything else is an error naming the element.
func ParseArgv(argv []string, isBool func(string) bool) (flags []Flag, elems [][]int, err error) {
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			return nil, nil, fmt.Errorf("argument %d %q is not a flag", i+1, a)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		idx := []int{i}
		if !hasValue {
			if isBool(name) {
				value = "true"
			} else if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "--") {
				i++
				value = argv[i]
				idx = append(idx, i)
			}
		}
		flags = append(flags, Flag{Name: name, Value: value})
		elems = append(elems, idx)
	}
	return flags, elems, nil
}
