package offline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

// A snapshot directory holds:
//
//	snapshot.json (or snapshot.yaml)  the Snapshot: cluster facts, instances, what was unavailable
//	manifests/<name>.yaml             each instance's pod or manifest as collected
//	files/<absolute path>             the files the flags point to, when they could be read
//
// Secrets never enter a snapshot: Secret data is never fetched, and the
// static token file is stored with its tokens redacted.
const (
	snapshotJSON = "snapshot.json"
	snapshotYAML = "snapshot.yaml"
	manifestsDir = "manifests"
	filesDir     = "files"
	rbacDir      = "rbac"
)

// IsSnapshotDir reports whether dir holds a snapshot file.
func IsSnapshotDir(dir string) bool {
	for _, n := range []string{snapshotJSON, snapshotYAML} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// LoadSnapshot reads a snapshot directory.
func LoadSnapshot(dir string) (*inputs.Snapshot, error) {
	return LoadSnapshotWith(dir, rbac.FileOptions{})
}

// LoadSnapshotWith reads a snapshot directory; o applies to its rbac/
// folder (the RBAC of a live snapshot is the server's own: nothing is
// assumed for it whatever o says).
func LoadSnapshotWith(dir string, o rbac.FileOptions) (*inputs.Snapshot, error) {
	return loadSnapshot(dir, &o)
}

// LoadSnapshotServers reads a snapshot directory without its rbac/ folder:
// the cluster facts and the kube-apiservers with their files (rbac usage
// reads the audit policy so, when the RBAC model is read apart).
func LoadSnapshotServers(dir string) (*inputs.Snapshot, error) {
	return loadSnapshot(dir, nil)
}

// loadSnapshot reads a snapshot directory, and its rbac/ folder with o
// unless o is nil.
func loadSnapshot(dir string, o *rbac.FileOptions) (*inputs.Snapshot, error) {
	st, err := fileinput.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a snapshot directory: a snapshot is the directory 'apiguard snapshot --out DIR' writes", dir)
	}
	// snapshot.yaml is read only when there is no snapshot.json: a
	// snapshot.json that cannot be read (too large, unreadable, not a
	// regular file) is the error, not a missing snapshot.yaml.
	var (
		data []byte
		name string
	)
	for _, n := range []string{snapshotJSON, snapshotYAML} {
		name = filepath.Join(dir, n)
		data, err = fileinput.ReadFile(name, fileinput.Snapshot)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: not a snapshot directory (no %s or %s)", dir, snapshotJSON, snapshotYAML)
	}
	if err != nil {
		return nil, err
	}
	if err := checkText(data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var s inputs.Snapshot
	if filepath.Base(name) == snapshotJSON {
		if err := decodeSnapshotJSON(name, data, &s); err != nil {
			return nil, err
		}
	} else if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: json: "))
	}
	if s.APIVersion != inputs.APIVersion || s.Kind != inputs.Kind {
		return nil, fmt.Errorf("%s: apiVersion/kind is %q/%q, want %q/%q", name, s.APIVersion, s.Kind, inputs.APIVersion, inputs.Kind)
	}
	s.Cluster.Scope = scopeOf(s.Cluster)
	if s.Target == "" {
		s.Target = dir
	}
	kept := s.APIServers[:0]
	for i, a := range s.APIServers {
		if a == nil {
			s.Problems = append(s.Problems, inputs.Problem{Source: name, Message: fmt.Sprintf("apiServers[%d]: empty entry", i)})
			continue
		}
		if a.Name == "" {
			s.Problems = append(s.Problems, inputs.Problem{Source: name, Message: fmt.Sprintf("apiServers[%d].name: required", i)})
			continue
		}
		if a.Manifest != "" {
			if err := loadSnapshotManifest(dir, a); err != nil {
				s.Problems = append(s.Problems, inputs.Problem{Source: name, Message: fmt.Sprintf("apiServers[%d].manifest: %v", i, err)})
				continue
			}
		}
		if len(a.Args) == 0 {
			s.Problems = append(s.Problems, inputs.Problem{Source: name, Message: fmt.Sprintf("apiServers[%d]: neither manifest nor args given", i)})
			continue
		}
		ResolveFiles(a, snapshotReader(dir))
		kept = append(kept, a)
	}
	s.APIServers = kept
	// RBAC: the rbac/ folder SaveSnapshot writes (or any kubectl dump put
	// there); without it the reason recorded at collection stands.
	if o == nil {
		s.RBACUnavailable = "not read"
	} else if st, err := os.Stat(filepath.Join(dir, rbacDir)); err == nil && st.IsDir() {
		if err := LoadRBAC(&s, []string{filepath.Join(dir, rbacDir)}, *o); err != nil {
			s.Problems = append(s.Problems, inputs.Problem{Source: filepath.Join(dir, rbacDir), Message: err.Error()})
			s.RBACUnavailable = "the snapshot's rbac/ folder could not be used: " + err.Error()
		}
	} else if s.RBACUnavailable == "" {
		s.RBACUnavailable = "the snapshot has no rbac/ folder (taken before RBAC collection, or the RBAC objects could not be listed)"
	}
	if len(s.APIServers) == 0 && s.Cluster.ControlPlaneHidden == "" && len(s.Problems) > 0 {
		return &s, usable(&s)
	}
	return &s, nil
}

// decodeSnapshotJSON decodes snapshot.json as strictly as snapshot.yaml is
// (unknown and duplicate fields are errors) but without going through YAML:
// a snapshot of a large cluster runs to tens of MiB, and the YAML route
// takes about 16 times the file's size in memory, JSON about 3.
func decodeSnapshotJSON(name string, data []byte, s *inputs.Snapshot) error {
	strict, err := sigsjson.UnmarshalStrict(data, s)
	if err != nil {
		// The syntax error again from encoding/json, whose error has the
		// offset, for the line.
		var se *json.SyntaxError
		if errors.As(json.Unmarshal(data, new(json.RawMessage)), &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return fmt.Errorf("%s:%d: not valid JSON: %s", name, line, strings.TrimPrefix(se.Error(), "json: "))
		}
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(strict) > 0 {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(strict[0].Error(), "json: "))
	}
	return nil
}

func loadSnapshotManifest(dir string, a *inputs.APIServer) error {
	rel := filepath.Clean(filepath.FromSlash(a.Manifest))
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("%q must be a path inside the snapshot directory", a.Manifest)
	}
	p := filepath.Join(dir, rel)
	data, err := readBounded(p, fileinput.Manifest)
	if err != nil {
		return fmt.Errorf("%s: %v", p, err)
	}
	servers, problems, err := ParseManifest(p, data)
	if err != nil {
		return err
	}
	if len(servers) == 0 {
		return fmt.Errorf("%s", problems[0].String())
	}
	m := servers[0]
	a.Args = m.Args
	if a.Image == "" {
		a.Image = m.Image
	}
	if a.Version == "" {
		a.Version = m.Version
	}
	if a.Origin == "" {
		a.Origin = "manifest"
	}
	return nil
}

// snapshotReader reads referenced files from the snapshot's files/ tree.
func snapshotReader(dir string) FileReader {
	return func(p string) ([]byte, string, error) {
		full := filepath.Join(dir, filesDir, filepath.FromSlash(p))
		data, err := readBounded(full, fileinput.ConfigFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, full, errors.New("not included in the snapshot")
			}
			return nil, full, err
		}
		return data, full, nil
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SaveSnapshot writes s to dir. manifests maps instance names to the YAML
// they were read from (a pod as the API returned it, a manifest file).
func SaveSnapshot(s *inputs.Snapshot, dir string, manifests map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out := *s
	out.APIServers = nil
	if s.RBAC != nil {
		// The RBAC model's own problems come back when rbac/ is loaded.
		own := map[inputs.Problem]bool{}
		for _, p := range s.RBAC.Problems {
			own[p] = true
		}
		out.Problems = nil
		for _, p := range s.Problems {
			if !own[p] {
				out.Problems = append(out.Problems, p)
			}
		}
	}
	for _, a := range s.APIServers {
		c := *a
		c.Files = map[string]*inputs.File{}
		if data, ok := manifests[a.Name]; ok {
			rel := filepath.ToSlash(filepath.Join(manifestsDir, strings.Trim(unsafeName.ReplaceAllString(a.Name, "_"), "_")+".yaml"))
			if err := writeFile(filepath.Join(dir, rel), data); err != nil {
				return err
			}
			c.Manifest, c.Args = rel, nil
		} else {
			// No raw manifest to copy (offline or re-saved input): keep the
			// argv inline, with the file and line it was first read from.
			c.Manifest = ""
		}
		for flag, f := range a.Files {
			fc := *f
			fc.ReadFrom = ""
			if f.Unavailable == "" && f.Data != nil {
				if err := writeFile(filepath.Join(dir, filesDir, filepath.FromSlash(filepath.Clean("/"+f.Path))), f.Data); err != nil {
					return err
				}
			}
			c.Files[flag] = &fc
		}
		out.APIServers = append(out.APIServers, &c)
	}
	if s.RBAC != nil {
		var buf bytes.Buffer
		if err := rbacdump.Write(&buf, s.RBAC); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, rbacDir, "rbac.json"), buf.Bytes()); err != nil {
			return err
		}
	}
	data, err := jsonIndent(&out)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, snapshotJSON), data)
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// scopeOf is the saved scope or, for a snapshot saved before scopes were,
// the one its reason names: these sentences are that format's, frozen
// here whatever inputs.SetScope writes today.
func scopeOf(c inputs.Cluster) inputs.Scope {
	if c.Scope != inputs.Full {
		return c.Scope
	}
	switch c.ControlPlaneHidden {
	case "only RBAC objects were given (--rbac): pass --manifest, --flags-file or --snapshot to assess the kube-apiserver configuration":
		return inputs.RBACOnly
	case "only managed-cluster files were given (--cloud): no kube-apiserver configuration was read":
		return inputs.CloudOnly
	}
	return inputs.Full
}
