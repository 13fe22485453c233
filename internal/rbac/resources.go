package rbac

import (
	"fmt"
	"regexp"
	"strings"
)

// builtin is a built-in resource of Kubernetes v1.36: its API group,
// whether it is cluster-scoped, and kubectl's short names. It lets
// `can-i create deployments` mean deployments.apps, as kubectl's REST
// mapper resolves it, without asking a server.
type builtin struct {
	group   string
	cluster bool
	short   []string
}

var builtins = map[string]builtin{
	// core
	"bindings": {}, "componentstatuses": {cluster: true, short: []string{"cs"}}, "configmaps": {short: []string{"cm"}},
	"endpoints": {short: []string{"ep"}}, "events": {short: []string{"ev"}}, "limitranges": {short: []string{"limits"}},
	"namespaces": {cluster: true, short: []string{"ns"}}, "nodes": {cluster: true, short: []string{"no"}},
	"persistentvolumeclaims": {short: []string{"pvc"}}, "persistentvolumes": {cluster: true, short: []string{"pv"}},
	"pods": {short: []string{"po"}}, "podtemplates": {}, "replicationcontrollers": {short: []string{"rc"}},
	"resourcequotas": {short: []string{"quota"}}, "secrets": {}, "serviceaccounts": {short: []string{"sa"}},
	"services": {short: []string{"svc"}},
	// impersonation targets (verb impersonate)
	"users": {cluster: true}, "groups": {cluster: true},
	"userextras": {group: "authentication.k8s.io", cluster: true}, "uids": {group: "authentication.k8s.io", cluster: true},
	// admissionregistration.k8s.io
	"mutatingwebhookconfigurations":     {group: "admissionregistration.k8s.io", cluster: true},
	"validatingwebhookconfigurations":   {group: "admissionregistration.k8s.io", cluster: true},
	"validatingadmissionpolicies":       {group: "admissionregistration.k8s.io", cluster: true},
	"validatingadmissionpolicybindings": {group: "admissionregistration.k8s.io", cluster: true},
	"mutatingadmissionpolicies":         {group: "admissionregistration.k8s.io", cluster: true},
	"mutatingadmissionpolicybindings":   {group: "admissionregistration.k8s.io", cluster: true},
	"customresourcedefinitions":         {group: "apiextensions.k8s.io", cluster: true, short: []string{"crd", "crds"}},
	"apiservices":                       {group: "apiregistration.k8s.io", cluster: true},
	"controllerrevisions":               {group: "apps"},
	"daemonsets":                        {group: "apps", short: []string{"ds"}},
	"deployments":                       {group: "apps", short: []string{"deploy"}},
	"replicasets":                       {group: "apps", short: []string{"rs"}},
	"statefulsets":                      {group: "apps", short: []string{"sts"}},
	"selfsubjectreviews":                {group: "authentication.k8s.io", cluster: true},
	"tokenreviews":                      {group: "authentication.k8s.io", cluster: true},
	"localsubjectaccessreviews":         {group: "authorization.k8s.io"},
	"selfsubjectaccessreviews":          {group: "authorization.k8s.io", cluster: true},
	"selfsubjectrulesreviews":           {group: "authorization.k8s.io", cluster: true},
	"subjectaccessreviews":              {group: "authorization.k8s.io", cluster: true},
	"horizontalpodautoscalers":          {group: "autoscaling", short: []string{"hpa"}},
	"cronjobs":                          {group: "batch", short: []string{"cj"}},
	"jobs":                              {group: "batch"},
	"certificatesigningrequests":        {group: "certificates.k8s.io", cluster: true, short: []string{"csr"}},
	"clustertrustbundles":               {group: "certificates.k8s.io", cluster: true},
	"signers":                           {group: "certificates.k8s.io", cluster: true},
	"leases":                            {group: "coordination.k8s.io"},
	"leasecandidates":                   {group: "coordination.k8s.io"},
	"endpointslices":                    {group: "discovery.k8s.io"},
	"flowschemas":                       {group: "flowcontrol.apiserver.k8s.io", cluster: true},
	"prioritylevelconfigurations":       {group: "flowcontrol.apiserver.k8s.io", cluster: true},
	"ingressclasses":                    {group: "networking.k8s.io", cluster: true},
	"ingresses":                         {group: "networking.k8s.io", short: []string{"ing"}},
	"networkpolicies":                   {group: "networking.k8s.io", short: []string{"netpol"}},
	"ipaddresses":                       {group: "networking.k8s.io", cluster: true},
	"servicecidrs":                      {group: "networking.k8s.io", cluster: true},
	"runtimeclasses":                    {group: "node.k8s.io", cluster: true},
	"poddisruptionbudgets":              {group: "policy", short: []string{"pdb"}},
	"clusterrolebindings":               {group: "rbac.authorization.k8s.io", cluster: true},
	"clusterroles":                      {group: "rbac.authorization.k8s.io", cluster: true},
	"rolebindings":                      {group: "rbac.authorization.k8s.io"},
	"roles":                             {group: "rbac.authorization.k8s.io"},
	"deviceclasses":                     {group: "resource.k8s.io", cluster: true},
	"resourceclaims":                    {group: "resource.k8s.io"},
	"resourceclaimtemplates":            {group: "resource.k8s.io"},
	"resourceslices":                    {group: "resource.k8s.io", cluster: true},
	"priorityclasses":                   {group: "scheduling.k8s.io", cluster: true, short: []string{"pc"}},
	"csidrivers":                        {group: "storage.k8s.io", cluster: true},
	"csinodes":                          {group: "storage.k8s.io", cluster: true},
	"csistoragecapacities":              {group: "storage.k8s.io"},
	"storageclasses":                    {group: "storage.k8s.io", cluster: true, short: []string{"sc"}},
	"volumeattachments":                 {group: "storage.k8s.io", cluster: true},
	"volumeattributesclasses":           {group: "storage.k8s.io", cluster: true},
}

var shortNames = func() map[string]string {
	m := map[string]string{}
	for name, b := range builtins {
		for _, s := range b.short {
			m[s] = name
		}
	}
	return m
}()

// ResourceArg is a parsed RESOURCE argument.
type ResourceArg struct {
	Group       string
	Resource    string
	Subresource string
	// Inferred is set when the group was not written and came from the
	// built-in resources (deployments → apps), as kubectl's REST mapper
	// would resolve it.
	Inferred bool
	// Builtin is set for a built-in resource; ClusterScoped then says
	// whether it lives outside namespaces.
	Builtin       bool
	ClusterScoped bool
}

// String is RESOURCE[/SUBRESOURCE][.GROUP] as the argument is written.
func (r ResourceArg) String() string {
	s := r.Resource
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.Group != "" {
		s += "." + r.Group
	}
	return s
}

var versionRE = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// ParseResource reads RESOURCE[/SUBRESOURCE][.GROUP] the way kubectl reads
// resource arguments (lower-cased; resource.group or
// resource.version.group; kubectl short names), extended with a
// subresource: pods/exec, deployments.apps/scale (or deployments/scale.apps),
// certificatesigningrequests.certificates.k8s.io/approval. Without a group
// the core group is meant, unless the resource is a built-in of another
// group (deployments → apps; Inferred is set then).
func ParseResource(arg string) (ResourceArg, error) {
	arg = strings.ToLower(strings.TrimSpace(arg))
	if arg == "" {
		return ResourceArg{}, fmt.Errorf("empty resource")
	}
	left, sub, hasSub := strings.Cut(arg, "/")
	if hasSub {
		if sub == "" || strings.Contains(sub, "/") {
			return ResourceArg{}, fmt.Errorf("%q: want RESOURCE[/SUBRESOURCE][.GROUP]", arg)
		}
	}
	res, group, hasGroup := strings.Cut(left, ".")
	if s, g, ok := strings.Cut(sub, "."); ok {
		if hasGroup {
			return ResourceArg{}, fmt.Errorf("%q: the group is written twice", arg)
		}
		sub, group, hasGroup = s, g, true
	}
	if res == "" || (hasGroup && group == "") || (hasSub && sub == "") {
		return ResourceArg{}, fmt.Errorf("%q: want RESOURCE[/SUBRESOURCE][.GROUP]", arg)
	}
	// resource.version.group, as schema.ParseResourceArg reads it
	if v, g, ok := strings.Cut(group, "."); ok && versionRE.MatchString(v) {
		group = g
	}
	if full, ok := shortNames[res]; ok && !hasGroup {
		res = full
	}
	out := ResourceArg{Group: group, Resource: res, Subresource: sub}
	if b, ok := builtins[res]; ok && (!hasGroup || b.group == group) {
		out.Builtin, out.ClusterScoped = true, b.cluster
		if !hasGroup && res != "*" {
			out.Group = b.group
			out.Inferred = b.group != ""
		}
	}
	return out, nil
}
