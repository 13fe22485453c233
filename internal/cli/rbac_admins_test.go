package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRBACAdminsCLI runs rbac admins and rbac paths through the whole CLI
// and compares stdout, stderr and the exit code with
// testdata/rbac/<name>.golden. Refresh with go test ./internal/cli -run RBAC -update.
func TestRBACAdminsCLI(t *testing.T) {
	const (
		cluster = "--from testdata/rbac/cluster.yaml"
		chain   = "--from ../rbac/testdata/analysis/chain.yaml"
	)
	runGoldens(t, "rbac", []goldenCase{
		{"admins-help", "rbac admins --help", 0},
		{"admins-text", "rbac admins " + chain, 0},
		{"admins-json", "rbac admins -o json " + chain, 0},
		{"admins-cluster", "rbac admins " + cluster, 0},
		{"admins-bad-output", "rbac admins -o yaml " + chain, 2},
		{"admins-rejects-as", "rbac admins --as alice " + chain, 2},
		{"admins-no-args", "rbac admins extra " + chain, 2},
		{"paths-help", "rbac paths --help", 0},
		{"paths-three-steps", "rbac paths user:bob " + chain, 0},
		{"paths-serviceaccount-username", "rbac paths system:serviceaccount:web:frontend " + chain, 0},
		{"paths-json", "rbac paths user:alice -o json " + chain, 0},
		{"paths-none", "rbac paths user:nobody " + chain, 0},
		{"paths-none-json", "rbac paths sa:web/default -o json " + chain, 0},
		{"paths-direct", "rbac paths group:system:masters " + cluster, 0},
		{"admins-partial", "rbac admins --from testdata/rbac/partial.yaml", 0},
		{"admins-partial-json", "rbac admins -o json --from testdata/rbac/partial.yaml", 0},
		{"paths-partial", "rbac paths sa:ops/operator --from testdata/rbac/partial.yaml", 0},
		{"paths-partial-json", "rbac paths sa:ops/operator -o json --from testdata/rbac/partial.yaml", 0},
		{"paths-partial-alone", "rbac paths sa:ops/operator --no-builtin-roles --from testdata/rbac/partial.yaml", 0},
		{"paths-bad-subject", "rbac paths bob " + chain, 2},
		{"paths-needs-subject", "rbac paths " + chain, 2},
	})
}

// TestRBACAdminsJSONShape: exactly the documented keys.
func TestRBACAdminsJSONShape(t *testing.T) {
	for _, c := range []struct {
		args    []string
		admins  int
		assumed bool // some step goes through an assumed built-in
	}{
		{[]string{"--no-builtin-roles", "--from", "../rbac/testdata/analysis/chain.yaml"}, 5, false},
		{[]string{"--from", "testdata/rbac/partial.yaml"}, 13, true},
	} {
		stdout, stderr, code := runCLI(append([]string{"rbac", "admins", "-o", "json"}, c.args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var admins []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(stdout), &admins); err != nil {
			t.Fatal(err)
		}
		if len(admins) != c.admins {
			t.Fatalf("%v: %d admins, want %d", c.args, len(admins), c.admins)
		}
		assumed := false
		for _, ad := range admins {
			for k := range ad {
				if k != "subject" && k != "direct" && k != "path" && k != "builtin" {
					t.Errorf("unexpected key %q", k)
				}
			}
			if b, ok := ad["builtin"]; ok && string(b) != "true" {
				t.Errorf("builtin is only written when true: %s", b)
			}
			var subject map[string]string
			if err := json.Unmarshal(ad["subject"], &subject); err != nil || subject["kind"] == "" || subject["name"] == "" {
				t.Errorf("subject %s", ad["subject"])
			}
			var path []map[string]any
			if err := json.Unmarshal(ad["path"], &path); err != nil || len(path) == 0 {
				t.Errorf("path %s", ad["path"])
			}
			for _, st := range path {
				action, _ := st["action"].(string)
				via, _ := st["via"].(string)
				keys := 2
				if a, ok := st["assumed"]; ok {
					keys = 3
					assumed = true
					if a != true {
						t.Errorf("assumed is only written when true: %v", a)
					}
				}
				if len(st) != keys || action == "" || via == "" {
					t.Errorf("step %v", st)
				}
			}
		}
		if assumed != c.assumed {
			t.Errorf("%v: a step through an assumed built-in: %v, want %v", c.args, assumed, c.assumed)
		}
		if note := strings.Contains(stderr, "apiguard: note: built-in roles assumed, v1.36"); note != c.assumed {
			t.Errorf("%v: stderr note %v: %s", c.args, note, stderr)
		}
	}
}
