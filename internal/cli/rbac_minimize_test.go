package cli

import "testing"

// TestRBACMinimizeCLI runs rbac minimize through the whole CLI and compares
// with testdata/rbac/minimize-*.golden. Refresh with go test ./internal/cli -run RBACMinimize -update.
func TestRBACMinimizeCLI(t *testing.T) {
	const in = "--no-builtin-roles --from ../rbacusage/testdata/cluster.yaml --audit testdata/rbac/usage-audit.jsonl"
	runGoldens(t, "rbac", []goldenCase{
		{"minimize-help", "rbac minimize --help", 0},
		{"minimize-user-yaml", "rbac minimize user:alice " + in, 0},
		{"minimize-group-json", "rbac minimize group:devs -o json " + in, 0},
		{"minimize-impersonator", "rbac minimize sa:ci/robot " + in, 0},
		{"minimize-blind", "rbac minimize sa:web/frontend --policy testdata/rbac/usage-policy.yaml " + in, 0},
		{"minimize-no-use", "rbac minimize user:dave " + in, 0},
		{"minimize-window", "rbac minimize user:alice --since 2026-11-01T12:15:00Z " + in, 0},
		{"minimize-bad-subject", "rbac minimize alice " + in, 2},
		{"minimize-no-audit", "rbac minimize user:alice --from ../rbacusage/testdata/cluster.yaml", 2},
		{"minimize-bad-output", "rbac minimize user:alice -o table " + in, 2},
	})
}
