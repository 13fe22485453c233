package rbac

import (
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// A capability is one thing a rule may allow that forms an escalation
// risk, or one half of it, or an edge of the escalation graph. Each role's
// rules are classified into capabilities once (roleCaps), and the
// capabilities reach subjects through bindings: nothing is asked of the
// authorizer per subject, namespace and question.
type capKind uint8

const (
	capSecrets                    capKind = iota // get/list/watch secrets (names: Secret names)
	capWorkload                                  // create pods; create/update/patch a pod controller
	capPVCreate                                  // create persistentvolumes
	capNodesProxy                                // get/create nodes/proxy (names: nodes)
	capEscalateRoles                             // escalate roles (names: roles)
	capEscalateClusterRoles                      // escalate clusterroles
	capCreateRoles                               // create roles
	capUpdateRoles                               // update/patch roles (names: roles)
	capCreateClusterRoles                        // create clusterroles
	capUpdateClusterRoles                        // update/patch clusterroles
	capBindRoles                                 // bind roles (names: roles that may be bound)
	capBindClusterRoles                          // bind clusterroles
	capCreateRoleBindings                        // create rolebindings
	capUpdateRoleBindings                        // update/patch rolebindings (names: bindings)
	capCreateClusterRoleBindings                 // create clusterrolebindings
	capUpdateClusterRoleBindings                 // update/patch clusterrolebindings
	capImpersonateUsers                          // impersonate users (names: user names)
	capImpersonateGroups                         // impersonate groups (names: groups)
	capImpersonateServiceAccounts                // impersonate serviceaccounts (names: ServiceAccounts)
	capImpersonateExtras                         // impersonate userextras/KEY
	capImpersonateUIDs                           // impersonate uids
	capCSRCreate                                 // create certificatesigningrequests
	capCSRApprove                                // update/patch certificatesigningrequests/approval
	capSignerApprove                             // approve signers kubernetes.io/kube-apiserver-client
	capTokenRequest                              // create serviceaccounts/token (names: ServiceAccounts)
	capWebhookWrite                              // create/update/patch admission webhook configurations
	capNamespacePatch                            // patch/update namespaces (names: namespaces)
	capPodExec                                   // create pods/exec, pods/attach; patch/update pods/ephemeralcontainers (names: pods)
	capPodPatch                                  // update/patch pods: a new container image runs as the pod's ServiceAccount (names: pods)
	capAdmin                                     // a rule allowing every verb on every resource of every group
	numCaps
)

// capClusterOnly marks capabilities on cluster-scoped resources (or
// requests that carry no namespace): a RoleBinding never grants them,
// because the authorizer only consults RoleBindings of the request's
// namespace. bind on clusterroles is not one: BindingAuthorized asks it in
// the namespace of the binding being written (escalation_check.go).
// escalate on clusterroles is: RoleEscalationAuthorized asks it with the
// request's namespace, "" for a ClusterRole.
var capClusterOnly = [numCaps]bool{
	capPVCreate: true, capNodesProxy: true, capEscalateClusterRoles: true, capCreateClusterRoles: true,
	capUpdateClusterRoles: true, capCreateClusterRoleBindings: true, capUpdateClusterRoleBindings: true,
	capImpersonateUsers: true, capImpersonateGroups: true, capImpersonateExtras: true, capImpersonateUIDs: true,
	capCSRCreate: true, capCSRApprove: true, capSignerApprove: true, capWebhookWrite: true,
}

// capRisk is the risk a capability forms on its own ("" for the halves of
// the combined risks: escalate, bind, impersonate, csr-mint).
var capRisk = [numCaps]RiskKind{
	capSecrets: RiskSecretsRead, capWorkload: RiskWorkloadCreate, capPVCreate: RiskPVCreate,
	capNodesProxy: RiskNodesProxy, capTokenRequest: RiskTokenRequest, capWebhookWrite: RiskWebhookWrite,
	capNamespacePatch: RiskNamespacePatch, capPodExec: RiskPodExec, capAdmin: RiskNamespaceAdmin,
	// a write of a running pod is workload control over that pod: reported
	// with workload-create (one risk with capWorkload, see singleRisks)
	capPodPatch: RiskWorkloadCreate,
}

const (
	groupApps          = "apps"
	groupBatch         = "batch"
	groupRBAC          = rbacv1.GroupName // rbac.authorization.k8s.io
	groupCertificates  = "certificates.k8s.io"
	groupAuthn         = "authentication.k8s.io"
	groupAdmissionReg  = "admissionregistration.k8s.io"
	clientSigner       = "kubernetes.io/kube-apiserver-client"
	clientSignerDomain = "kubernetes.io/*"
)

// probe is one request shape a capability is made of. named: the request
// carries an object name (get, update, patch, a subresource of an object,
// and list/watch with a metadata.name field selector, as the request-info
// resolver in k8s.io/apiserver reads them), so resourceNames may allow it;
// create of a top-level object carries none and never matches a rule with
// resourceNames.
type probe struct {
	kind     capKind
	verbs    []string
	group    string
	resource string
	sub      string
	named    bool
}

var (
	vCreate      = []string{"create"}
	vUpdatePatch = []string{"update", "patch"}
	vRead        = []string{"get", "list", "watch"}
)

// podControllers are the built-in resources whose pod template runs pods:
// writing one runs pods as any ServiceAccount of the namespace.
var podControllers = []struct{ group, resource string }{
	{groupApps, "deployments"}, {groupApps, "replicasets"}, {groupApps, "statefulsets"}, {groupApps, "daemonsets"},
	{groupBatch, "jobs"}, {groupBatch, "cronjobs"}, {"", "replicationcontrollers"},
}

var probes = func() []probe {
	ps := []probe{
		{kind: capSecrets, verbs: vRead, resource: "secrets", named: true},
		{kind: capWorkload, verbs: vCreate, resource: "pods"},
	}
	for _, c := range podControllers {
		ps = append(ps,
			probe{kind: capWorkload, verbs: vCreate, group: c.group, resource: c.resource},
			probe{kind: capWorkload, verbs: vUpdatePatch, group: c.group, resource: c.resource, named: true})
	}
	ps = append(ps,
		probe{kind: capPVCreate, verbs: vCreate, resource: "persistentvolumes"},
		// get is enough: the kubelet's exec endpoints accept a websocket
		// upgrade of a GET, and the 1.35 compound create check does not
		// cover nodes/proxy.
		probe{kind: capNodesProxy, verbs: []string{"get", "create"}, resource: "nodes", sub: "proxy", named: true},
		probe{kind: capEscalateRoles, verbs: []string{"escalate"}, group: groupRBAC, resource: "roles", named: true},
		probe{kind: capEscalateClusterRoles, verbs: []string{"escalate"}, group: groupRBAC, resource: "clusterroles", named: true},
		probe{kind: capCreateRoles, verbs: vCreate, group: groupRBAC, resource: "roles"},
		probe{kind: capUpdateRoles, verbs: vUpdatePatch, group: groupRBAC, resource: "roles", named: true},
		probe{kind: capCreateClusterRoles, verbs: vCreate, group: groupRBAC, resource: "clusterroles"},
		probe{kind: capUpdateClusterRoles, verbs: vUpdatePatch, group: groupRBAC, resource: "clusterroles", named: true},
		probe{kind: capBindRoles, verbs: []string{"bind"}, group: groupRBAC, resource: "roles", named: true},
		probe{kind: capBindClusterRoles, verbs: []string{"bind"}, group: groupRBAC, resource: "clusterroles", named: true},
		probe{kind: capCreateRoleBindings, verbs: vCreate, group: groupRBAC, resource: "rolebindings"},
		probe{kind: capUpdateRoleBindings, verbs: vUpdatePatch, group: groupRBAC, resource: "rolebindings", named: true},
		probe{kind: capCreateClusterRoleBindings, verbs: vCreate, group: groupRBAC, resource: "clusterrolebindings"},
		probe{kind: capUpdateClusterRoleBindings, verbs: vUpdatePatch, group: groupRBAC, resource: "clusterrolebindings", named: true},
		// impersonation.go: users, groups and serviceaccounts in the core
		// group, uids and userextras/KEY in authentication.k8s.io.
		probe{kind: capImpersonateUsers, verbs: []string{"impersonate"}, resource: "users", named: true},
		probe{kind: capImpersonateGroups, verbs: []string{"impersonate"}, resource: "groups", named: true},
		probe{kind: capImpersonateServiceAccounts, verbs: []string{"impersonate"}, resource: "serviceaccounts", named: true},
		probe{kind: capImpersonateUIDs, verbs: []string{"impersonate"}, group: groupAuthn, resource: "uids", named: true},
		probe{kind: capCSRCreate, verbs: vCreate, group: groupCertificates, resource: "certificatesigningrequests"},
		// The approval subresource implements Get and Update, so PATCH is
		// served too and admission sees both as an update.
		probe{kind: capCSRApprove, verbs: vUpdatePatch, group: groupCertificates, resource: "certificatesigningrequests", sub: "approval", named: true},
		probe{kind: capSignerApprove, verbs: []string{"approve"}, group: groupCertificates, resource: "signers", named: true},
		probe{kind: capTokenRequest, verbs: vCreate, resource: "serviceaccounts", sub: "token", named: true},
	)
	for _, r := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"} {
		ps = append(ps,
			probe{kind: capWebhookWrite, verbs: vCreate, group: groupAdmissionReg, resource: r},
			probe{kind: capWebhookWrite, verbs: vUpdatePatch, group: groupAdmissionReg, resource: r, named: true})
	}
	ps = append(ps,
		probe{kind: capNamespacePatch, verbs: []string{"patch", "update"}, resource: "namespaces", named: true},
		// Since 1.35 (AuthorizePodWebsocketUpgradeCreatePermission) exec
		// and attach need create, also over websocket: get is not enough.
		probe{kind: capPodExec, verbs: vCreate, resource: "pods", sub: "exec", named: true},
		probe{kind: capPodExec, verbs: vCreate, resource: "pods", sub: "attach", named: true},
		probe{kind: capPodExec, verbs: []string{"patch", "update"}, resource: "pods", sub: "ephemeralcontainers", named: true},
		// A pod's spec.containers[*].image (and initContainers') is
		// mutable (ValidatePodUpdate): the kubelet restarts the container
		// with the new image, which runs with the pod's ServiceAccount
		// token. serviceAccountName is not mutable: only the ServiceAccounts
		// pods already run as are reached, unlike a pod controller's
		// template.
		probe{kind: capPodPatch, verbs: vUpdatePatch, resource: "pods", named: true},
	)
	return ps
}()

// probeResources are the rule resources that can match a probe: a rule
// naming none of them (and no wildcard) is skipped at once.
var probeResources = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range probes {
		if p.sub == "" {
			m[p.resource] = true
		} else {
			m[p.resource+"/"+p.sub] = true
		}
	}
	return m
}()

// fact is one capability one rule of a role allows.
type fact struct {
	kind  capKind
	rule  int32
	verbs []string // the probe verbs the rule allows
	res   string   // the resource as written: pods, deployments.apps, nodes/proxy
	all   bool     // any object name (the rule has no resourceNames)
	names []string // the rule's resourceNames when !all
	// admin: the role holds a */*/* rule, which stands for all of this
	// (namespace-admin or a direct cluster admin); the fact is used for
	// the graph, not reported as a risk of its own. Bound in a namespace,
	// the facts of a core-group wildcard rule (coreAll) are that too.
	admin bool
	// core: for a capAdmin fact, the rule is the core-group wildcard
	// (every verb on every resource of apiGroup ""), not */*/*.
	core bool
}

// roleCaps is what one role allows, classified once.
type roleCaps struct {
	admin int32 // index of a rule allowing every verb on every resource of every group, or -1
	// coreAll is the index of a rule allowing every verb on every resource
	// of the core group (apiGroups [""], resources and verbs "*", no
	// resourceNames), or -1 (and -1 when admin is set: it covers it).
	// Bound in a namespace, it is full control of that namespace: its
	// Secrets, pods (create, exec, ephemeral containers, patch) and
	// ServiceAccount tokens; cluster-wide it is no cluster-admin power
	// (no other group), and its facts count one by one.
	coreAll int32
	facts   []fact
	// takeover: bound in a namespace, the role lets one act as any
	// ServiceAccount of it (workload creation, token requests or
	// ServiceAccount impersonation for any name, or */*/*).
	takeover bool
}

var starRule = []rbacv1.PolicyRule{{Verbs: []string{rbacv1.VerbAll}, APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{rbacv1.ResourceAll}}}

// coreStarRule is every verb on every resource of the core group.
var coreStarRule = []rbacv1.PolicyRule{{Verbs: []string{rbacv1.VerbAll}, APIGroups: []string{""}, Resources: []string{rbacv1.ResourceAll}}}

// firstCovering is the index of the first rule that alone covers want (an
// atomic rule, so one rule does when the role does), or -1.
func firstCovering(rules, want []rbacv1.PolicyRule) int32 {
	for i := range rules {
		if ok, _ := validation.Covers(rules[i:i+1], want); ok {
			return int32(i)
		}
	}
	return -1
}

// classifyCaps reads a role's rules into capabilities.
func classifyCaps(r *Role) *roleCaps {
	rc := &roleCaps{admin: -1, coreAll: -1}
	// kube-apiserver's escalation check (validation.Covers) against the
	// one atomic rule */*/*: verbs, groups and resources must each list
	// "*", without resourceNames. The role as a whole first (one call per
	// role), then the rule that does it.
	if ok, _ := validation.Covers(r.Rules, starRule); ok {
		rc.admin = firstCovering(r.Rules, starRule)
	} else if ok, _ := validation.Covers(r.Rules, coreStarRule); ok {
		rc.coreAll = firstCovering(r.Rules, coreStarRule)
	}
	for i := range r.Rules {
		rule := &r.Rules[i]
		if len(rule.Resources) == 0 || !mayMatchProbe(rule) {
			continue
		}
		for pi := range probes {
			pr := &probes[pi]
			if !APIGroupMatches(rule, pr.group) || !ResourceMatches(rule, pr.resource, pr.sub) {
				continue
			}
			var verbs []string
			for _, v := range pr.verbs {
				if VerbMatches(rule, v) {
					verbs = append(verbs, v)
				}
			}
			if len(verbs) == 0 {
				continue
			}
			f := fact{kind: pr.kind, rule: int32(i), verbs: verbs, res: ResourceArg{Group: pr.group, Resource: pr.resource, Subresource: pr.sub}.String(),
				all: len(rule.ResourceNames) == 0, names: rule.ResourceNames, admin: rc.admin >= 0}
			if !f.all && !pr.named {
				continue // a request without a name never matches resourceNames
			}
			if pr.kind == capSignerApprove && !f.all {
				// plugin/pkg/admission/certificates/util.go
				// IsAuthorizedForSignerName: approve on the signer's
				// name, or on "<domain>/*".
				var ok []string
				for _, n := range f.names {
					if n == clientSigner || n == clientSignerDomain {
						ok = append(ok, n)
					}
				}
				if len(ok) == 0 {
					continue
				}
				f.names = ok
			}
			rc.facts = append(rc.facts, f)
		}
		// impersonation of user extras is the subresource userextras/KEY:
		// only "*", "*/KEY" or "userextras/KEY" match it.
		if VerbMatches(rule, "impersonate") && APIGroupMatches(rule, groupAuthn) {
			for _, res := range rule.Resources {
				if res == rbacv1.ResourceAll || strings.HasPrefix(res, "userextras/") || strings.HasPrefix(res, "*/") {
					rc.facts = append(rc.facts, fact{kind: capImpersonateExtras, rule: int32(i), verbs: []string{"impersonate"}, res: "userextras." + groupAuthn,
						all: len(rule.ResourceNames) == 0, names: rule.ResourceNames, admin: rc.admin >= 0})
					break
				}
			}
		}
	}
	if rc.admin >= 0 {
		rc.takeover = true
	}
	for i := range rc.facts {
		f := &rc.facts[i]
		switch f.kind {
		case capWorkload:
			rc.takeover = true
		case capTokenRequest, capImpersonateServiceAccounts:
			if f.all {
				rc.takeover = true
			}
		}
	}
	return rc
}

func mayMatchProbe(rule *rbacv1.PolicyRule) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || probeResources[r] || strings.HasPrefix(r, "*/") || strings.HasPrefix(r, "userextras/") {
			return true
		}
	}
	return false
}

// contrib is one grant of one capability to one subject: the binding, the
// subject entry that matched, the fact of the bound role.
type contrib struct {
	b    *Binding
	subj int32
	f    *fact
}

// contribs helpers.

func anyAll(cs []contrib) bool {
	for _, c := range cs {
		if c.f.all {
			return true
		}
	}
	return false
}

// allows reports whether a contribution allows the named object.
func allowsName(cs []contrib, name string) bool {
	for _, c := range cs {
		if c.f.all || slices.Contains(c.f.names, name) {
			return true
		}
	}
	return false
}

// namesOf is the union of the allowed names, nil when any name is allowed.
func namesOf(cs []contrib) []string {
	if anyAll(cs) {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		for _, n := range c.f.names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// overlap reports whether some name is allowed by both a and b.
func overlap(a, b []contrib) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if anyAll(a) || anyAll(b) {
		return true
	}
	for _, c := range a {
		for _, n := range c.f.names {
			if allowsName(b, n) {
				return true
			}
		}
	}
	return false
}

func nonAdmin(cs []contrib) []contrib {
	out := cs[:0:0]
	for _, c := range cs {
		if !c.f.admin {
			out = append(out, c)
		}
	}
	return out
}

func defaultsOnly(cs []contrib) []contrib {
	out := cs[:0:0]
	for _, c := range cs {
		if c.b.Default {
			out = append(out, c)
		}
	}
	return out
}

var verbOrder = map[string]int{"get": 0, "list": 1, "watch": 2, "create": 3, "update": 4, "patch": 5, "escalate": 6, "bind": 7, "impersonate": 8, "approve": 9}

// detailOf says what contributions allow, by resource in first-seen
// order: "create pods; create, update, patch deployments.apps",
// "get secrets (named app-token)".
func detailOf(cs []contrib) string {
	type item struct {
		res   string
		verbs []string
		all   bool
		names []string
	}
	var items []*item
	for _, c := range cs {
		var it *item
		for _, x := range items {
			if x.res == c.f.res {
				it = x
				break
			}
		}
		if it == nil {
			it = &item{res: c.f.res}
			items = append(items, it)
		}
		for _, v := range c.f.verbs {
			if !slices.Contains(it.verbs, v) {
				it.verbs = append(it.verbs, v)
			}
		}
		if c.f.all {
			it.all = true
		}
		for _, n := range c.f.names {
			if !slices.Contains(it.names, n) {
				it.names = append(it.names, n)
			}
		}
	}
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString("; ")
		}
		sort.Slice(it.verbs, func(i, j int) bool { return verbOrder[it.verbs[i]] < verbOrder[it.verbs[j]] })
		b.WriteString(strings.Join(it.verbs, ", "))
		b.WriteString(" ")
		b.WriteString(it.res)
		if !it.all && len(it.names) > 0 {
			sort.Strings(it.names)
			b.WriteString(" (named ")
			b.WriteString(strings.Join(it.names, ", "))
			b.WriteString(")")
		}
	}
	return b.String()
}
