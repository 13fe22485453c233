package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// productDefaultsGo is the product's model of kube-apiserver's flag parsing.
var productDefaultsGo = filepath.Join("..", "..", "internal", "apiserverflags", "defaults.go")

// realFlag is one flag of testdata/flagdump's output.
type realFlag struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	DefValue    string `json:"defValue"`
	NoOptDefVal string `json:"noOptDefVal"`
	Deprecated  bool   `json:"deprecated"`
	Hidden      bool   `json:"hidden"`
	Accumulates *bool  `json:"accumulates"`
	Probe       string `json:"probe"`
}

type realFlags struct {
	Flags                     []realFlag `json:"flags"`
	UnderscoreNormalized      bool       `json:"underscoreNormalized"`
	DefaultOnAdmissionPlugins []string   `json:"defaultOnAdmissionPlugins"`
}

// dumpRealFlags builds testdata/flagdump with the flags build-binaries.sh
// builds kube-apiserver with (-trimpath, CGO_ENABLED=0), so the compiled
// k8s.io/kubernetes packages come from the build cache, and runs it.
func dumpRealFlags(t *testing.T) (*realFlags, []byte) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flagdump")
	start := time.Now()
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/flagdump")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/flagdump: %v\n%s", err, out)
	}
	t.Logf("built the kube-apiserver flag dumper in %s", time.Since(start).Round(time.Millisecond))
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("flagdump: %v", err)
	}
	var rf realFlags
	if err := json.Unmarshal(out, &rf); err != nil || len(rf.Flags) < 100 {
		t.Fatalf("flagdump output: %v (%d flags)", err, len(rf.Flags))
	}
	return &rf, out
}

// productTables is what the test reads out of defaults.go.
type productTables struct {
	boolFlags, accumulating map[string]bool
	// defaults maps a flag to its newest default (the last entry).
	defaults         map[string]string
	defaultOnPlugins []string
	// removed maps a removed flag to the first minor without it.
	removed map[string]string
}

// varLiterals parses the Go file at path and returns the composite
// literals that initialise its package-level vars, by var name (the
// product's tables are unexported in an internal package of another
// module, so the tests read their source).
func varLiterals(t *testing.T, path string) (*token.FileSet, map[string]*ast.CompositeLit) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	lits := map[string]*ast.CompositeLit{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if cl, ok := vs.Values[i].(*ast.CompositeLit); ok {
						lits[n.Name] = cl
					}
				}
			}
		}
	}
	return fset, lits
}

// parseProductTables reads the map and slice literals of defaults.go with
// go/ast (they are unexported in an internal package of another module).
func parseProductTables(t *testing.T) *productTables {
	t.Helper()
	fset, lits := varLiterals(t, productDefaultsGo)
	str := func(e ast.Expr) string {
		t.Helper()
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			e = kv.Value
		}
		bl, ok := e.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			t.Fatalf("%s: %s is not a string literal", productDefaultsGo, fset.Position(e.Pos()))
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	need := func(name string) *ast.CompositeLit {
		t.Helper()
		cl := lits[name]
		if cl == nil {
			t.Fatalf("%s: no composite literal var %s (the product's tables moved; update this test)", productDefaultsGo, name)
		}
		return cl
	}
	keys := func(name string) map[string]bool {
		out := map[string]bool{}
		for _, e := range need(name).Elts {
			out[str(e.(*ast.KeyValueExpr).Key)] = true
		}
		return out
	}
	pt := &productTables{
		boolFlags:    keys("boolFlags"),
		accumulating: keys("accumulatingFlags"),
		defaults:     map[string]string{},
		removed:      map[string]string{},
	}
	for _, e := range need("defaults").Elts {
		kv := e.(*ast.KeyValueExpr)
		entries := kv.Value.(*ast.CompositeLit).Elts
		last := entries[len(entries)-1].(*ast.CompositeLit) // {since, value}, newest last
		pt.defaults[str(kv.Key)] = str(last.Elts[1])
	}
	for _, e := range need("DefaultOnAdmissionPlugins").Elts {
		pt.defaultOnPlugins = append(pt.defaultOnPlugins, str(e))
	}
	for _, e := range need("RemovedFlags").Elts {
		r := e.(*ast.CompositeLit).Elts // {Flag, In, Note}
		pt.removed[str(r[0])] = str(r[1])
	}
	return pt
}

// normDefault makes a DefValue and the product's default comparable: empty
// lists ("[]") are "", "[a,b]" is "a,b", durations compare by value.
func normDefault(s string) string {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if d, err := time.ParseDuration(s); err == nil && s != "0" {
		return d.String()
	}
	return s
}

// effectiveDefaults are defaults.go entries that deliberately hold the value
// kube-apiserver applies when the flag is unset, not the flag's DefValue,
// each with the source that proves the applied value (and, where the lab can
// show it, the ground-truth probe that does).
var effectiveDefaults = map[string]string{
	// DefValue "" (unset): k8s.io/apiserver pkg/server/secure_serving.go
	// sets MinVersion: tls.VersionTLS12 itself; groundTruth shows the
	// kubeadm-like server (no --tls-min-version) refusing TLS 1.0/1.1.
	"tls-min-version": "VersionTLS12",
}

// TestFlagTables compares the product's model of kube-apiserver's flags
// (internal/apiserverflags/defaults.go) with the real v1.36.3 FlagSet.
func TestFlagTables(t *testing.T) {
	rf, raw := dumpRealFlags(t)
	out := filepath.Join(t.TempDir(), "kube-apiserver-flags.json")
	if dir := os.Getenv("APIGUARD_E2E_DUMP"); dir != "" {
		out = filepath.Join(dir, "kube-apiserver-"+lab.KubernetesVersion+"-flags.json")
	}
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("real flag set (%d flags) written to %s", len(rf.Flags), out)

	pt := parseProductTables(t)
	real := map[string]realFlag{}
	for _, f := range rf.Flags {
		real[f.Name] = f
	}

	var diff []string
	add := func(format string, args ...any) { diff = append(diff, fmt.Sprintf(format, args...)) }
	var notReal []string

	// boolFlags: the flags that may be written bare (pflag NoOptDefVal set:
	// "bool", and kube-apiserver's --version, whose bare form means true).
	for _, f := range rf.Flags {
		if f.NoOptDefVal != "" && !pt.boolFlags[f.Name] {
			add("boolFlags: add %q (type %s; a bare --%s means %s and does not consume the next argument)", f.Name, f.Type, f.Name, f.NoOptDefVal)
		}
	}
	for _, name := range sortedKeys(pt.boolFlags) {
		f, ok := real[name]
		switch {
		case !ok:
			notReal = append(notReal, "boolFlags "+name)
		case f.NoOptDefVal == "":
			add("boolFlags: remove %q (type %s, needs a value: a bare --%s is refused and --%s X takes X)", name, f.Type, name, name)
		}
	}

	// accumulatingFlags: found by setting the real flag.Value twice.
	for _, f := range rf.Flags {
		switch {
		case f.Accumulates == nil:
			t.Logf("could not probe whether --%s (type %s) accumulates", f.Name, f.Type)
		case *f.Accumulates && !pt.accumulating[f.Name]:
			add("accumulatingFlags: add %q (type %s: %s)", f.Name, f.Type, f.Probe)
		}
	}
	for _, name := range sortedKeys(pt.accumulating) {
		f, ok := real[name]
		switch {
		case !ok:
			notReal = append(notReal, "accumulatingFlags "+name)
		case f.Accumulates != nil && !*f.Accumulates:
			add("accumulatingFlags: remove %q (type %s, the last occurrence wins: %s)", name, f.Type, f.Probe)
		}
	}

	// defaults: the newest entry of each flag.
	for _, name := range sortedKeys(pt.defaults) {
		want := pt.defaults[name]
		f, ok := real[name]
		switch {
		case !ok:
			notReal = append(notReal, "defaults "+name)
		case effectiveDefaults[name] != "":
			if want != effectiveDefaults[name] {
				add("defaults: %q is %q; kube-apiserver applies %q when it is unset", name, want, effectiveDefaults[name])
			} else {
				t.Logf("defaults: %q holds the applied value %q (the flag's own DefValue is %q)", name, want, f.DefValue)
			}
		case normDefault(f.DefValue) != normDefault(want):
			add("defaults: %q newest value is %q, kube-apiserver %s has %q (type %s)", name, want, lab.KubernetesVersion, f.DefValue, f.Type)
		}
	}

	// DefaultOnAdmissionPlugins: AllOrderedPlugins minus DefaultOffAdmissionPlugins().
	for _, p := range rf.DefaultOnAdmissionPlugins {
		if !slices.Contains(pt.defaultOnPlugins, p) {
			add("DefaultOnAdmissionPlugins: add %q (on by default in %s)", p, lab.KubernetesVersion)
		}
	}
	for _, p := range pt.defaultOnPlugins {
		if !slices.Contains(rf.DefaultOnAdmissionPlugins, p) {
			add("DefaultOnAdmissionPlugins: remove %q (not on by default in %s)", p, lab.KubernetesVersion)
		}
	}

	// RemovedFlags: gone by this release means absent from the real set.
	for _, name := range sortedKeys(pt.removed) {
		if _, ok := real[name]; ok && minorAtMost(pt.removed[name], lab.KubernetesVersion) {
			add("RemovedFlags: %q is listed as removed in %s, but %s still has it", name, pt.removed[name], lab.KubernetesVersion)
		}
	}

	// Flag names: cli.Run installs cliflag.WordSepNormalizeFunc, so
	// --anonymous_auth is --anonymous-auth (TestFlagNameNormalization shows
	// what that does to a scan).
	if rf.UnderscoreNormalized {
		t.Logf("kube-apiserver %s reads '_' in flag names as '-' (--anonymous_auth is --anonymous-auth)", lab.KubernetesVersion)
	}

	// known.go: flagNames is exactly the real set (an argv naming anything
	// else gets a warning); olderFlagNames holds none of it.
	names, older := knownFlagNames(t)
	for _, f := range rf.Flags {
		if !names[f.Name] {
			add("known.go flagNames: add %q", f.Name)
		}
	}
	for _, n := range sortedKeys(names) {
		if _, ok := real[n]; !ok {
			add("known.go flagNames: move %q to olderFlagNames (not a %s flag)", n, lab.KubernetesVersion)
		}
	}
	for _, n := range sortedKeys(older) {
		if _, ok := real[n]; ok {
			add("known.go olderFlagNames: %q is still a %s flag", n, lab.KubernetesVersion)
		}
	}

	if len(notReal) > 0 {
		t.Logf("entries of defaults.go that are not %s flags (kept for old manifests; harmless): %s", lab.KubernetesVersion, strings.Join(notReal, ", "))
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		t.Errorf("internal/apiserverflags/defaults.go and known.go disagree with kube-apiserver %s's real FlagSet; change:\n  %s", lab.KubernetesVersion, strings.Join(diff, "\n  "))
	}
}

// knownFlagNames reads the string slices flagNames and olderFlagNames of
// internal/apiserverflags/known.go.
func knownFlagNames(t *testing.T) (names, older map[string]bool) {
	t.Helper()
	path := filepath.Join("..", "..", "internal", "apiserverflags", "known.go")
	_, lits := varLiterals(t, path)
	names, older = map[string]bool{}, map[string]bool{}
	for name, dst := range map[string]map[string]bool{"flagNames": names, "olderFlagNames": older} {
		cl := lits[name]
		if cl == nil {
			continue
		}
		for _, e := range cl.Elts {
			if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
				v, _ := strconv.Unquote(bl.Value)
				dst[v] = true
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s: no flagNames (the product's table moved; update this test)", path)
	}
	return names, older
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// minorAtMost reports whether minor ("1.24") is at most version's minor ("v1.36.3").
func minorAtMost(minor, version string) bool {
	parse := func(s string) (int, int) {
		parts := strings.SplitN(strings.TrimPrefix(s, "v"), ".", 3)
		if len(parts) < 2 {
			return 0, 0
		}
		a, _ := strconv.Atoi(parts[0])
		b, _ := strconv.Atoi(parts[1])
		return a, b
	}
	ma, mi := parse(minor)
	va, vi := parse(version)
	return ma < va || (ma == va && mi <= vi)
}

// TestFlagNameNormalization proves on the real server that kube-apiserver
// reads "_" in a flag name as "-" (cli.Run installs
// cliflag.WordSepNormalizeFunc), and that the scanner must do the same: an
// --authorization_mode=AlwaysAllow appended to kubeadm's
// --authorization-mode=Node,RBAC makes the chain Node,RBAC,AlwaysAllow (list
// flags accumulate), so every authenticated request is allowed.
func TestFlagNameNormalization(t *testing.T) {
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	c := lab.Start(t, lab.KubeadmLike.With("--authorization_mode=AlwaysAllow"))
	ctx := context.Background()

	// Ground truth: a user with no RBAC binding at all reads Secrets.
	nobody := c.UserClient(t, "apiguard-e2e-nobody")
	_, err := nobody.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsForbidden(err) {
			t.Fatalf("an unbound user is forbidden: the server did not read --authorization_mode as --authorization-mode: %v", err)
		}
		t.Fatal(err)
	}

	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	f := r.byID(t, "normalization")["AG-AUTHZ-001"]
	if f.Status != fail {
		// Product bug: internal/apiserverflags.Parse does not normalise "_"
		// to "-" in flag names as kube-apiserver does.
		t.Errorf("AG-AUTHZ-001 (no AlwaysAllow, critical): got %s %q; want fail: the server runs with "+
			"--authorization-mode=Node,RBAC plus --authorization_mode=AlwaysAllow, i.e. the chain Node,RBAC,AlwaysAllow, "+
			"and an unbound user just listed Secrets in kube-system", f.Status, f.Message)
	}
}
