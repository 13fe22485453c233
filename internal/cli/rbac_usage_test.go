package cli

import "testing"

// TestRBACUsageCLI runs rbac usage through the whole CLI and compares with
// testdata/rbac/usage-*.golden. Refresh with go test ./internal/cli -run RBACUsage -update.
func TestRBACUsageCLI(t *testing.T) {
	const in = "--no-builtin-roles --from ../rbacusage/testdata/cluster.yaml --audit testdata/rbac/usage-audit.jsonl"
	runGoldens(t, "rbac", []goldenCase{
		{"usage-help", "rbac usage --help", 0},
		{"usage-table", "rbac usage " + in, 0},
		{"usage-json", "rbac usage -o json " + in, 0},
		{"usage-markdown", "rbac usage -o markdown " + in, 0},
		{"usage-policy", "rbac usage --policy testdata/rbac/usage-policy.yaml " + in, 0},
		{"usage-snapshot-policy", "rbac usage --no-builtin-roles --from testdata/rbac/usage-snapshot --from ../rbacusage/testdata/cluster.yaml --audit testdata/rbac/usage-audit.jsonl", 0},
		{"usage-window", "rbac usage --since 2026-11-01T12:04:00Z --until 2026-11-01T12:15:00Z " + in, 0},
		{"usage-bad-since", "rbac usage --since 30x " + in, 2},
		{"usage-no-audit", "rbac usage --from ../rbacusage/testdata/cluster.yaml", 2},
		{"usage-bad-output", "rbac usage -o yaml " + in, 2},
	})
}
