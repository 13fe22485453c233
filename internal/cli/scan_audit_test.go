package cli

import "testing"

// TestScanAuditCLI runs scan --audit (AG-AUTHZ-030) through the whole CLI
// and compares with testdata/scanaudit/*.golden. Refresh with
// go test ./internal/cli -run ScanAudit -update.
func TestScanAuditCLI(t *testing.T) {
	const in = "--no-builtin-roles --rbac ../rbacusage/testdata/cluster.yaml --audit testdata/rbac/usage-audit.jsonl"
	runGoldens(t, "scanaudit", []goldenCase{
		{"scan-audit-table", "scan --fail-on none " + in, 0},
		{"scan-audit-json", "scan -o json " + in, 1},
		{"scan-audit-window", "scan --since 2026-11-01T12:01:00Z --until 2026-11-01T12:10:00Z --fail-on medium " + in, 1},
		{"scan-audit-bad-since", "scan --since 30x " + in, 2},
		{"scan-audit-missing-log", "scan --no-builtin-roles --rbac ../rbacusage/testdata/cluster.yaml --audit testdata/scanaudit/missing.log", 2},
	})
}
