// Package checktest builds small snapshots for the table tests of checks.
package checktest

import (
	"context"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

// ManifestName is the file the test argv pretends to come from.
const ManifestName = "kube-apiserver.yaml"

// Snapshot returns a snapshot with one kube-apiserver whose argv is
// "kube-apiserver" followed by args; argument i sits on line i+1 of
// kube-apiserver.yaml. The version is v1.36.3 unless changed with Version.
func Snapshot(args ...string) *inputs.Snapshot {
	argv := []inputs.Arg{{Text: "kube-apiserver", File: ManifestName, Line: 1}}
	for i, a := range args {
		argv = append(argv, inputs.Arg{Text: a, File: ManifestName, Line: i + 2})
	}
	s := inputs.New("test", "offline")
	s.APIServers = []*inputs.APIServer{{
		Name: "kube-system/kube-apiserver-test", Origin: "manifest", Version: "v1.36.3", Args: argv,
	}}
	return s
}

// Version sets the Kubernetes version of the instance ("" = unknown).
func Version(s *inputs.Snapshot, v string) *inputs.Snapshot {
	for _, a := range s.APIServers {
		a.Version = v
	}
	return s
}

// Benchmark sets the CIS benchmark version the snapshot is judged by
// ("cis-1.10"), as --benchmark does.
func Benchmark(s *inputs.Snapshot, b check.Benchmark) *inputs.Snapshot {
	s.Benchmark = string(b)
	return s
}

// File attaches the content of the file a flag points to. The flag must be
// among the args for checks to look at it.
func File(s *inputs.Snapshot, flag, content string) *inputs.Snapshot {
	for _, a := range s.APIServers {
		if a.Files == nil {
			a.Files = map[string]*inputs.File{}
		}
		a.Files[flag] = &inputs.File{Path: "/etc/kubernetes/" + flag + ".yaml", ReadFrom: flag + ".yaml", Data: []byte(content)}
	}
	return s
}

// Unavailable records that the file a flag points to could not be read.
func Unavailable(s *inputs.Snapshot, flag, reason string) *inputs.Snapshot {
	for _, a := range s.APIServers {
		if a.Files == nil {
			a.Files = map[string]*inputs.File{}
		}
		a.Files[flag] = &inputs.File{Path: "/etc/kubernetes/" + flag, Unavailable: reason}
	}
	return s
}

// Hidden is a snapshot whose control plane cannot be seen (managed cluster).
func Hidden(reason string) *inputs.Snapshot {
	s := inputs.New("test", "live")
	s.Cluster.Platform = "eks"
	s.Cluster.ControlPlaneHidden = reason
	return s
}

// Run runs one check.
func Run(c check.Check, s *inputs.Snapshot) []check.Finding {
	return check.Run(context.Background(), []check.Check{c}, s)
}

// One runs one check and requires exactly one finding.
func One(t *testing.T, c check.Check, s *inputs.Snapshot) check.Finding {
	t.Helper()
	fs := Run(c, s)
	if len(fs) != 1 {
		t.Fatalf("%s: want 1 finding, got %d: %+v", c.ID, len(fs), fs)
	}
	return fs[0]
}

// Evidence returns the evidence with the given key, or fails the test.
func Evidence(t *testing.T, f check.Finding, key string) check.Evidence {
	t.Helper()
	for _, e := range f.Evidence {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("%s: no evidence %q in %+v", f.CheckID, key, f.Evidence)
	return check.Evidence{}
}

// Case is one row of a check's table test.
type Case struct {
	Name string
	Snap *inputs.Snapshot
	Want check.Status
	// Contains, when set, must appear in the message.
	Contains string
}

// Table runs the rows against a check; each must yield exactly one finding
// with the wanted status (and message fragment).
func Table(t *testing.T, c check.Check, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			f := One(t, c, tc.Snap)
			if f.Status != tc.Want {
				t.Fatalf("status = %s, want %s (message: %s; evidence: %+v)", f.Status, tc.Want, f.Message, f.Evidence)
			}
			if tc.Contains != "" && !contains(f.Message, tc.Contains) {
				t.Fatalf("message %q does not contain %q", f.Message, tc.Contains)
			}
			if f.Resource == "" {
				t.Fatalf("finding has no resource")
			}
		})
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}

// RBAC is a snapshot whose RBAC model is built from the YAML documents
// (no kube-apiserver). A roleRef to a missing role is allowed (it is a
// case of its own); any other input problem fails the test.
func RBAC(t *testing.T, docs ...string) *inputs.Snapshot {
	t.Helper()
	b := rbacBuilder(t, rbac.NewBuilder(), docs)
	p := b.Build()
	for _, pr := range p.Problems {
		if !strings.Contains(pr.Message, "roleRef") {
			t.Fatalf("fixture problem: %v", pr)
		}
	}
	return rbacSnapshot(p)
}

// AssumedRBAC is RBAC read as files are read: the built-in roles and
// bindings the documents lack are assumed.
func AssumedRBAC(t *testing.T, docs ...string) *inputs.Snapshot {
	t.Helper()
	b := rbac.NewBuilder()
	b.AssumeBuiltins()
	return rbacSnapshot(rbacBuilder(t, b, docs).Build())
}

// rbacBuilder adds the YAML documents to b as one fixture file.
func rbacBuilder(t *testing.T, b *rbac.Builder, docs []string) *rbac.Builder {
	t.Helper()
	if err := rbacdump.AddData(b, "fixture.yaml", []byte(strings.Join(docs, "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	return b
}

func rbacSnapshot(p *rbac.Policy) *inputs.Snapshot {
	s := inputs.New("test", "offline")
	s.RBAC = p
	return s
}

// NoRBAC is a snapshot without an RBAC model.
func NoRBAC() *inputs.Snapshot {
	s := inputs.New("test", "offline")
	s.RBACUnavailable = "no RBAC objects given"
	return s
}

// LayerMetadata checks a layer's list of checks (its All()): IDs unique and
// in order, every check in the layer with complete metadata and a title
// stating the secure state, and exactly the wanted checks with the wanted
// CIS IDs ("" for none).
func LayerMetadata(t *testing.T, checks []check.Check, layer check.Layer, wantCIS map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	prev := ""
	for _, c := range checks {
		if seen[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		seen[c.ID] = true
		if c.ID <= prev {
			t.Errorf("All() not in ID order at %s", c.ID)
		}
		prev = c.ID
		if c.Layer != layer {
			t.Errorf("%s: layer %s", c.ID, c.Layer)
		}
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || len(c.Inputs) == 0 || c.Run == nil {
			t.Errorf("%s: incomplete metadata", c.ID)
		}
		want, ok := wantCIS[c.ID]
		if !ok {
			t.Errorf("unexpected check %s", c.ID)
		}
		if got := c.CIS(); got != want {
			t.Errorf("%s: CIS %q, want %q", c.ID, got, want)
		}
		if strings.HasPrefix(strings.ToLower(c.Title), "ensure") {
			t.Errorf("%s: title should state the secure state", c.ID)
		}
	}
	if len(seen) != len(wantCIS) {
		t.Errorf("got %d checks, want %d", len(seen), len(wantCIS))
	}
}
