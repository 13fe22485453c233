package offline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

// MaxFileSize bounds manifests and the config files flags point to: real
// ones are kilobytes; anything larger is not what the flag should point to.
const MaxFileSize = fileinput.ManifestLimit

// Options says what to read.
type Options struct {
	// Manifests are files or directories of YAML/JSON manifests.
	Manifests []string
	// FlagsFiles hold a kube-apiserver argv (ps output, /proc/PID/cmdline, one flag a line).
	FlagsFiles []string
	// Root is where absolute paths named by flags are resolved ("/" on a host).
	Root string
	// Version overrides the Kubernetes version used for defaults.
	Version string
	// RBAC are `kubectl get ... -o json|yaml` dumps of the cluster's RBAC
	// objects (files or directories); see rbacdump.Load.
	RBAC []string
	// RBACOptions: whether kube-apiserver's built-in roles the dumps lack
	// are assumed (by default they are).
	RBACOptions rbac.FileOptions
}

// NoRBAC is why an offline scan has no RBAC model when no dump was given.
const NoRBAC = "no RBAC objects given: pass --rbac with the output of `kubectl get clusterroles,clusterrolebindings," +
	"roles,rolebindings,serviceaccounts,namespaces,pods,nodes -A -o json`, or scan the cluster live"

// LoadRBAC fills s.RBAC from dumps; their problems join s.Problems. An
// error is returned when a path cannot be read or holds no RBAC object.
// kube-apiserver's built-in roles and bindings the dumps lack are assumed
// unless o says not to (rbacdump.LoadWith).
func LoadRBAC(s *inputs.Snapshot, paths []string, o rbac.FileOptions) error {
	if len(paths) == 0 {
		s.RBAC, s.RBACUnavailable = nil, NoRBAC
		return nil
	}
	p, err := rbacdump.LoadWith(o, paths...)
	if err != nil {
		return err
	}
	s.Problems = append(s.Problems, p.Problems...)
	s.RBAC, s.RBACUnavailable = p, ""
	return nil
}

// Load reads every input. Unusable inputs become Problems; the error is
// returned only when nothing usable remains.
func Load(o Options) (*inputs.Snapshot, error) {
	target := strings.Join(append(append([]string{}, o.Manifests...), o.FlagsFiles...), ", ")
	if target == "" {
		target = strings.Join(o.RBAC, ", ")
	}
	s := inputs.New(target, "offline")
	if err := LoadRBAC(s, o.RBAC, o.RBACOptions); err != nil {
		return nil, err
	}
	root := o.Root
	if root == "" {
		root = "/"
	}
	for _, m := range o.Manifests {
		servers, problems := loadManifestPath(m)
		s.Problems = append(s.Problems, problems...)
		for _, a := range servers {
			if a.Origin == "manifest" { // a kubeadm config is not the pod spec file of CIS 1.1.1
				a.ManifestFile = statFile(a.Args, m)
			}
		}
		s.APIServers = append(s.APIServers, servers...)
	}
	for _, f := range o.FlagsFiles {
		a, problems, err := loadFlagsFile(f)
		s.Problems = append(s.Problems, problems...)
		if err != nil {
			s.Problems = append(s.Problems, problemOf(f, err))
			continue
		}
		s.APIServers = append(s.APIServers, a)
	}
	for _, a := range s.APIServers {
		if o.Version != "" {
			a.Version = o.Version
		}
		ResolveFiles(a, RootReader(root))
	}
	if len(o.Manifests) == 0 && len(o.FlagsFiles) == 0 && s.RBAC != nil {
		s.SetScope(inputs.RBACOnly)
		return s, nil
	}
	return s, usable(s)
}

// usable fails when no kube-apiserver configuration could be read.
func usable(s *inputs.Snapshot) error {
	if len(s.APIServers) > 0 {
		return nil
	}
	if len(s.Problems) == 0 {
		return fmt.Errorf("%s: %w", s.Target, ErrNoAPIServer)
	}
	msgs := make([]string, len(s.Problems))
	for i, p := range s.Problems {
		msgs[i] = p.String()
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// loadManifestPath reads a file, or every .yaml/.yml/.json file below a directory.
func loadManifestPath(p string) ([]*inputs.APIServer, []inputs.Problem) {
	st, err := fileinput.Stat(p)
	if err != nil {
		return nil, []inputs.Problem{{Source: p, Message: fileinput.Reason(err)}}
	}
	if !st.IsDir() {
		data, err := readBounded(p, fileinput.Manifest)
		if err != nil {
			return nil, []inputs.Problem{{Source: p, Message: err.Error()}}
		}
		servers, problems, err := ParseManifest(p, data)
		if err != nil {
			problems = append(problems, inputs.Problem{Message: err.Error()})
		}
		return servers, problems
	}
	var (
		servers  []*inputs.APIServer
		problems []inputs.Problem
	)
	_ = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, inputs.Problem{Source: fp, Message: cleanErr(err)})
			return nil
		}
		if d.IsDir() || !isManifestName(fp) {
			return nil
		}
		data, err := readBounded(fp, fileinput.Manifest)
		if err != nil {
			problems = append(problems, inputs.Problem{Source: fp, Message: err.Error()})
			return nil
		}
		sv, pr, err := ParseManifest(fp, data)
		if err != nil && !errors.Is(err, ErrNoAPIServer) {
			pr = append(pr, inputs.Problem{Message: err.Error()})
		}
		servers = append(servers, sv...)
		problems = append(problems, pr...)
		return nil
	})
	if len(servers) == 0 && len(problems) == 0 {
		problems = append(problems, inputs.Problem{Source: p, Message: ErrNoAPIServer.Error() + " in any .yaml, .yml or .json file of this directory"})
	}
	return servers, problems
}

func isManifestName(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// readBounded reads a regular file of kind k. Its errors do not name the
// file (the caller's Problem does) but keep their cause: errors.Is(err,
// fs.ErrNotExist) still holds.
func readBounded(p string, k fileinput.Kind) ([]byte, error) {
	data, err := fileinput.ReadFile(p, k)
	if err != nil {
		return nil, fileinput.Cause(err)
	}
	return data, nil
}

// cleanErr drops the operation and path Go puts in *PathError, since the
// caller's message already names the file.
func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// loadFlagsFile reads a kube-apiserver argv (see ParseFlagsFile).
func loadFlagsFile(p string) (*inputs.APIServer, []inputs.Problem, error) {
	data, err := readBounded(p, fileinput.FlagsFile)
	if err != nil {
		return nil, nil, err
	}
	return ParseFlagsFile(p, data)
}

// FileReader reads a file a flag points to; origin says where it was read.
type FileReader func(p string) (data []byte, origin string, err error)

// RootReader resolves absolute paths under root.
func RootReader(root string) FileReader {
	return func(p string) ([]byte, string, error) {
		full := filepath.Join(root, filepath.FromSlash(p))
		data, err := readBounded(full, fileinput.ConfigFile)
		return data, full, err
	}
}

// ResolveFiles reads the files the instance's flags point to. A file that
// cannot be read is recorded with the reason; the scan goes on.
func ResolveFiles(a *inputs.APIServer, read FileReader) {
	flags := a.Flags(inputs.Cluster{})
	for _, name := range inputs.FileFlags {
		v := flags.Get(name)
		if !v.Set || v.Value == "" {
			continue
		}
		if a.Files == nil {
			a.Files = map[string]*inputs.File{}
		}
		if existing := a.Files[name]; existing != nil && (existing.Unavailable != "" || existing.Data != nil) {
			continue // the snapshot already says what happened
		}
		f := &inputs.File{Path: v.Value}
		data, origin, err := read(v.Value)
		f.ReadFrom = origin
		if err != nil {
			f.Unavailable = err.Error()
		} else {
			f.Data = data
			if name == "token-auth-file" {
				f.Data, f.Redacted = RedactTokenFile(data), true
			}
		}
		a.Files[name] = f
	}
}

// RedactTokenFile replaces the token column of a static token CSV
// (token,user,uid,"groups") so no secret is held in memory past collection.
func RedactTokenFile(data []byte) []byte {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Unparseable rows keep their shape but lose their content.
			_ = w.Write([]string{"REDACTED", "(unparseable row)"})
			continue
		}
		if len(rec) > 0 && rec[0] != "" {
			rec[0] = "REDACTED"
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return out.Bytes()
}

// statFile records the manifest's mode and owner for CIS 1.1.1/1.1.2. Only
// real files on disk have one; kubeadm-derived or stdin inputs do not.
func statFile(args []inputs.Arg, manifestPath string) *inputs.FileMeta {
	file := ""
	for _, a := range args {
		if a.Line > 0 && a.File != "" {
			file = a.File
			break
		}
	}
	if file == "" {
		return nil
	}
	return StatMeta(file)
}
