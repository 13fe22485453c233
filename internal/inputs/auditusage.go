package inputs

import "time"

// AuditUsage is what each subject's RBAC grants were used for in audit
// logs (apiguard scan --audit; computed by internal/rbacusage over the
// Snapshot's RBAC model). It is an evaluation input given with the scan,
// never saved with a snapshot.
type AuditUsage struct {
	// Logs are the --audit arguments.
	Logs []string
	// From and To are the window the counted events cover (nil without
	// events); Events the requests counted.
	From, To *time.Time
	Events   int64
	// Policy names the audit policy the judgement used ("" without one:
	// Note then says the judgement assumes every request is logged).
	Policy string
	Note   string
	// Unavailable says why there is no usage (no RBAC model); Subjects is
	// then empty.
	Unavailable string
	Subjects    []UsageSubject
}

// UsageSubject is one subject's grants and their use.
type UsageSubject struct {
	Kind, Name, Namespace string // Namespace for ServiceAccounts
	Requests              int64
	LastSeen              *time.Time
	// Bindings are the bindings the subject holds itself (not through a
	// group: a group's are reported on the group).
	Bindings []UsageBinding
	// Minimized is the YAML of `apiguard rbac minimize` for the subject
	// when it was computed and is small; MinimizedNote says why not, or
	// what it leaves out.
	Minimized     string
	MinimizedNote string
}

// UsageBinding is one binding and the use of its role's rules.
type UsageBinding struct {
	// Binding is "RoleBinding NS/NAME" or "ClusterRoleBinding NAME"; Role
	// "ClusterRole NAME" or "Role NAME".
	Binding, Role string
	// Default: the binding is a kube-apiserver default (bootstrap) binding.
	Default bool
	Rules   []UsageRule
}

// UsageRule is one rule ("get,list pods", "get /healthz") and its use.
type UsageRule struct {
	Rule     string
	Requests int64
	// Blind: unused, and the audit policy logs some of its requests at
	// None, so it cannot be judged unused.
	Blind bool
}
