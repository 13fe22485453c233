package admission

import "github.com/apiguard/apiguard/internal/check"

var namespaceLifecycleMeta = check.Metadata{
	ID:       "AG-AUTHZ-008",
	Title:    "The NamespaceLifecycle admission plugin is enabled",
	Layer:    check.Authorization,
	Severity: check.Medium,
	Rationale: "NamespaceLifecycle (on by default) rejects new objects in namespaces that do not exist or are " +
		"being deleted, and prevents deletion of default, kube-system and kube-public. Without it objects can be " +
		"created in a terminating namespace (surviving its cleanup, and re-appearing if a namespace of the same " +
		"name is created later, possibly by another tenant) and the system namespaces can be deleted.",
	Remediation: "Remove NamespaceLifecycle from --disable-admission-plugins (or add it to the deprecated " +
		"--admission-control list) in the kube-apiserver manifest.",
	References: []check.Reference{
		{CIS: "1.2.13", Title: "Ensure that the admission control plugin NamespaceLifecycle is set"},
		{Title: "Admission controllers reference: NamespaceLifecycle", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#namespacelifecycle"},
	},
	Inputs: []check.Input{check.InputFlags},
}

var namespaceLifecycleRule = Rule{
	Plugin:  "NamespaceLifecycle",
	Enabled: true,
	Risk:    "objects can be created in terminating or missing namespaces and system namespaces can be deleted",
}

// NamespaceLifecycleEnabled is CIS 1.2.13.
var NamespaceLifecycleEnabled = namespaceLifecycleRule.Check(namespaceLifecycleMeta)
