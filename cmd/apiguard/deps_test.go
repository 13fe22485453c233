package main

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/apiguard/apiguard"

// TestBinaryHasNoTestSupport fails when the apiguard binary links a package
// that exists for tests and benchmarks: generators and load tools belong in
// internal/testsupport and are imported by _test.go files and bench only.
func TestBinaryHasNoTestSupport(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the binary's packages: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	var deps, bad []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, std, _ := strings.Cut(line, " ")
		deps = append(deps, pkg)
		if why := testSupport(pkg, std == "true"); why != "" {
			bad = append(bad, pkg+" ("+why+")")
		}
	}
	// The listing is real: it reaches the CLI and the checks.
	for _, want := range []string{module + "/internal/cli", module + "/internal/checks"} {
		if !slices.Contains(deps, want) {
			t.Fatalf("go list -deps ./cmd/apiguard lacks %s; got %d packages", want, len(deps))
		}
	}
	if len(bad) > 0 {
		t.Errorf("the apiguard binary links test support; import it from _test.go files or bench only:\n  %s",
			strings.Join(bad, "\n  "))
	}
}

// testSupport says why a package the binary links is test tooling, or "".
// Only apiguard's own packages are judged by name: other modules name product
// code "generators" (kustomize) or "gen" (cel-go's generated parser), and
// client-go's typed clients import k8s.io/client-go/testing themselves.
func testSupport(pkg string, std bool) string {
	if std {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") || pkg == "net/http/httptest" {
			return "the standard library's test tooling"
		}
		return ""
	}
	if pkg != module && !strings.HasPrefix(pkg, module+"/") {
		return ""
	}
	for _, elem := range strings.Split(strings.TrimPrefix(pkg, module+"/"), "/") {
		if elem == "testsupport" {
			return "under internal/testsupport"
		}
	}
	name := path.Base(pkg)
	for _, mark := range []string{"synth", "loadgen", "generator", "fake", "mock"} {
		if strings.Contains(name, mark) {
			return "its name marks a generator or test double (" + mark + ")"
		}
	}
	if strings.HasSuffix(name, "test") || strings.HasSuffix(name, "testutil") {
		return "its name marks test helpers"
	}
	return ""
}

func TestTestSupportNames(t *testing.T) {
	for pkg, want := range map[string]bool{
		module + "/internal/testsupport/rbacsynth":      true,
		module + "/internal/testsupport/loadgen":        true,
		module + "/internal/testsupport/auditload":      true,
		module + "/internal/testsupport":                true,
		module + "/internal/auditlog/synth":             true, // where the generator used to live
		module + "/internal/rbac/rbacsynth":             true,
		module + "/bench/loadgen":                       true,
		module + "/internal/checks/checktest":           true,
		module + "/internal/report/fakeclock":           true,
		module + "/internal/auditlog":                   false,
		module + "/internal/rbac":                       false,
		module + "/internal/cli":                        false,
		module + "/internal/inputs/live/secretmeta":     false,
		module + "/internal/kubeconfigaudit":            false,
		"sigs.k8s.io/kustomize/api/internal/generators": false,
		"github.com/google/cel-go/parser/gen":           false,
		"k8s.io/client-go/testing":                      false,
	} {
		if got := testSupport(pkg, false) != ""; got != want {
			t.Errorf("testSupport(%s) = %v, want %v", pkg, got, want)
		}
	}
	for pkg, want := range map[string]bool{
		"testing": true, "testing/fstest": true, "net/http/httptest": true,
		"net/http": false, "internal/testlog": false, "internal/synctest": false,
	} {
		if got := testSupport(pkg, true) != ""; got != want {
			t.Errorf("testSupport(%s, std) = %v, want %v", pkg, got, want)
		}
	}
}
