// Package apiguard_test holds the tests of the module as a whole.
package apiguard_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/apiguard/apiguard"

// layers are the module's packages from the top down (README, "Layout").
// A package imports packages of its own layer or of the layers below it,
// never one above. A pattern "dir/..." is dir and every package below it;
// the longest pattern that matches a package places it.
var layers = []struct {
	name     string
	patterns []string
}{
	{"programs", []string{"cmd/...", "bench/...", "test/..."}},
	{"test support (tests and bench only)", []string{"internal/testsupport/..."}},
	{"commands", []string{"internal/cli"}},
	{"use cases", []string{"internal/app"}},
	{"renderers", []string{"internal/report"}},
	{"checks and engines", []string{"internal/checks/...", "internal/detect", "internal/auditpolicy", "internal/auditserve",
		"internal/auditstream", "internal/alertsink", "internal/spool", "internal/probe", "internal/kubeconfigaudit", "internal/rbacusage",
		"internal/harden", "internal/guardrails"}},
	{"check vocabulary and runner", []string{"internal/check"}},
	{"collectors and the Snapshot", []string{"internal/inputs/...", "internal/cloud", "internal/rbacdump"}},
	{"RBAC model (part of the Snapshot)", []string{"internal/rbac"}},
	{"parsers, readers and data", []string{"internal/apiserverflags", "internal/configfile", "internal/fileinput", "internal/srctree", "internal/auditlog",
		"internal/versions", "internal/inputs/live/secretmeta"}},
}

// layerOf is the index in layers of a package of the module (its path
// relative to the module), or -1.
func layerOf(rel string) int {
	best, bestLen := -1, -1
	for i, l := range layers {
		for _, p := range l.patterns {
			dir, tree := strings.CutSuffix(p, "/...")
			if rel == dir || (tree && strings.HasPrefix(rel, dir+"/")) {
				if len(dir) > bestLen {
					best, bestLen = i, len(dir)
				}
			}
		}
	}
	return best
}

// TestImportsRunOneWay: no package of the module imports one of a higher
// layer (test files aside), and every package has its place in the table.
func TestImportsRunOneWay(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the packages: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	seen := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		if fields[0] == module {
			continue // this test's package
		}
		from := layerOf(pkg)
		if from < 0 {
			t.Errorf("%s has no layer: add it to the table in layers_test.go and to README's layout", pkg)
			continue
		}
		seen[from] = true
		for _, imp := range fields[1:] {
			rel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if to := layerOf(rel); to >= 0 && to < from {
				t.Errorf("%s (%s) imports %s (%s): imports run one way, down the layers", pkg, layers[from].name, rel, layers[to].name)
			}
		}
	}
	// The listing is real: every layer has a package.
	for i, l := range layers {
		if !seen[i] {
			t.Errorf("no package in layer %q (%s): is the table stale, or did go list see nothing?", l.name, strings.Join(l.patterns, ", "))
		}
	}
}

func TestLayerOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"cmd/apiguard":                    "programs",
		"internal/inputs/live":            "collectors and the Snapshot",
		"internal/inputs/live/secretmeta": "parsers, readers and data",
		"internal/checks/network":         "checks and engines",
		"internal/check":                  "check vocabulary and runner",
		"internal/checker":                "",
	} {
		got := ""
		if i := layerOf(pkg); i >= 0 {
			got = layers[i].name
		}
		if got != want {
			t.Errorf("layerOf(%q) = %q, want %q", pkg, got, want)
		}
	}
}
