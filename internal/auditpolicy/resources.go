package auditpolicy

import (
	"slices"
	"strings"
)

// builtinResources are the resources and subresources kube-apiserver v1.36.3
// serves with its default API set, by API group ("" is the core group).
// test/e2e (TestAuditPolicyDiscovery) compares this table with the lab
// server's discovery and parses this file with go/ast: keep it one map
// literal of string slices.
var builtinResources = map[string][]string{
	"":                             {"bindings", "componentstatuses", "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/finalize", "namespaces/status", "nodes", "nodes/proxy", "nodes/status", "persistentvolumeclaims", "persistentvolumeclaims/status", "persistentvolumes", "persistentvolumes/status", "pods", "pods/attach", "pods/binding", "pods/ephemeralcontainers", "pods/eviction", "pods/exec", "pods/log", "pods/portforward", "pods/proxy", "pods/resize", "pods/status", "podtemplates", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status", "secrets", "serviceaccounts", "serviceaccounts/token", "services", "services/proxy", "services/status"},
	"admissionregistration.k8s.io": {"mutatingadmissionpolicies", "mutatingadmissionpolicybindings", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicies/status", "validatingadmissionpolicybindings", "validatingwebhookconfigurations"},
	"apiextensions.k8s.io":         {"customresourcedefinitions", "customresourcedefinitions/status"},
	"apiregistration.k8s.io":       {"apiservices", "apiservices/status"},
	"apps":                         {"controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"},
	"authentication.k8s.io":        {"selfsubjectreviews", "tokenreviews"},
	"authorization.k8s.io":         {"localsubjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews"},
	"autoscaling":                  {"horizontalpodautoscalers", "horizontalpodautoscalers/status"},
	"batch":                        {"cronjobs", "cronjobs/status", "jobs", "jobs/status"},
	"certificates.k8s.io":          {"certificatesigningrequests", "certificatesigningrequests/approval", "certificatesigningrequests/status"},
	"coordination.k8s.io":          {"leases"},
	"discovery.k8s.io":             {"endpointslices"},
	"events.k8s.io":                {"events"},
	"flowcontrol.apiserver.k8s.io": {"flowschemas", "flowschemas/status", "prioritylevelconfigurations", "prioritylevelconfigurations/status"},
	"networking.k8s.io":            {"ingressclasses", "ingresses", "ingresses/status", "ipaddresses", "networkpolicies", "servicecidrs", "servicecidrs/status"},
	"node.k8s.io":                  {"runtimeclasses"},
	"policy":                       {"poddisruptionbudgets", "poddisruptionbudgets/status"},
	"rbac.authorization.k8s.io":    {"clusterrolebindings", "clusterroles", "rolebindings", "roles"},
	"resource.k8s.io":              {"deviceclasses", "resourceclaims", "resourceclaims/status", "resourceclaimtemplates", "resourceslices"},
	"scheduling.k8s.io":            {"priorityclasses"},
	"storage.k8s.io":               {"csidrivers", "csinodes", "csistoragecapacities", "storageclasses", "volumeattachments", "volumeattachments/status", "volumeattributesclasses"},
}

// offByDefaultResources are built-in alpha and beta resources of v1.36 that
// kube-apiserver serves only when their API is enabled (--runtime-config).
// A policy naming them is not flagged; test/e2e checks that the lab server
// (default APIs) serves none of them.
var offByDefaultResources = map[string][]string{
	"certificates.k8s.io":       {"clustertrustbundles", "podcertificaterequests", "podcertificaterequests/status"},
	"coordination.k8s.io":       {"leasecandidates"},
	"internal.apiserver.k8s.io": {"storageversions", "storageversions/status"},
	"resource.k8s.io":           {"devicetaintrules", "devicetaintrules/status"},
	"scheduling.k8s.io":         {"workloads"},
	"storagemigration.k8s.io":   {"storageversionmigrations", "storageversionmigrations/status"},
}

// removedGroups are groups older releases served and v1.36 no longer does.
var removedGroups = map[string]string{
	"extensions": "removed in 1.22; its resources moved to apps, networking.k8s.io and policy",
}

// clusterScoped are the built-in resources that live outside namespaces.
var clusterScoped = map[string]bool{
	"componentstatuses": true, "namespaces": true, "nodes": true, "persistentvolumes": true,
	"mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true, "mutatingwebhookconfigurations": true,
	"validatingadmissionpolicies": true, "validatingadmissionpolicybindings": true, "validatingwebhookconfigurations": true,
	"customresourcedefinitions": true, "apiservices": true, "selfsubjectreviews": true, "tokenreviews": true,
	"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "subjectaccessreviews": true,
	"certificatesigningrequests": true, "flowschemas": true, "prioritylevelconfigurations": true,
	"ingressclasses": true, "ipaddresses": true, "servicecidrs": true, "runtimeclasses": true,
	"clusterrolebindings": true, "clusterroles": true, "deviceclasses": true, "resourceslices": true,
	"priorityclasses": true, "csidrivers": true, "csinodes": true, "storageclasses": true,
	"volumeattachments": true, "volumeattributesclasses": true,
}

// resourceIndex is builtinResources and offByDefaultResources as sets.
type resourceIndex struct {
	byGroup map[string]map[string]bool // group -> resource[/sub] -> served by default
	groups  map[string][]string        // resource (no subresource) -> groups serving it by default
}

var builtin = func() resourceIndex {
	ix := resourceIndex{byGroup: map[string]map[string]bool{}, groups: map[string][]string{}}
	add := func(t map[string][]string, served bool) {
		for g, rs := range t {
			if ix.byGroup[g] == nil {
				ix.byGroup[g] = map[string]bool{}
			}
			for _, r := range rs {
				ix.byGroup[g][r] = served
				if served && !strings.Contains(r, "/") {
					ix.groups[r] = append(ix.groups[r], g)
				}
			}
		}
	}
	add(builtinResources, true)
	add(offByDefaultResources, false)
	return ix
}()

// isBuiltinGroup reports whether kube-apiserver itself serves the group.
func isBuiltinGroup(g string) bool { _, ok := builtin.byGroup[g]; return ok }

// knownResource reports whether resource (possibly "res/sub") is a built-in
// resource of group, served by default or behind an alpha/beta API.
func knownResource(group, resource string) bool { _, ok := builtin.byGroup[group][resource]; return ok }

// groupsOf returns the groups serving a built-in resource (no subresource).
func groupsOf(resource string) []string { return builtin.groups[resource] }

// BuiltinGroup returns the API group of a built-in resource when exactly one
// group serves it ("deployments" -> "apps"), for commands that let the group
// be omitted.
func BuiltinGroup(resource string) (string, bool) {
	gs := builtin.groups[resource]
	if len(gs) != 1 {
		return "", false
	}
	return gs[0], true
}

// BuiltinGroups lists the API groups kube-apiserver v1.36 serves by
// default ("" is the core group), sorted.
func BuiltinGroups() []string {
	out := make([]string, 0, len(builtinResources))
	for g := range builtinResources {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// BuiltinResources lists the resources and subresources ("pods/exec") of
// a built-in API group served by default, or nil for another group.
func BuiltinResources(group string) []string {
	return slices.Clone(builtinResources[group])
}
