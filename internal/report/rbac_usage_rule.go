package report

import "github.com/apiguard/apiguard/internal/rbacusage"

// UsageRuleText is a rule as rbac usage's table shows it ("get,list
// pods", "get /healthz"), for findings about it (scan --audit).
func UsageRuleText(r rbacusage.RuleUsage) string { return usageRule(r) }
