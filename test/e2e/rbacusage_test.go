package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestRBACUsage proves `apiguard rbac usage` on a real kube-apiserver's own
// audit log: identities with known grants (usageScenario) make real
// requests (TokenRequest tokens, a client certificate with a group, client-go
// impersonation), and the report must give each identity exactly the rules
// those requests used and how often, every other rule unused (the one the
// lab's policy does not log: blind), the impersonated requests to the
// impersonated user and `impersonate` to the ServiceAccount, the 403 as
// denied, the 404 as authorized, and a window inside the test's time span.
// RBAC comes from a kubectl-style dump (--from) and, the same, read live.
func TestRBACUsage(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := lab.Start(t, lab.Hardened)
	f := usageScenario(ctx, t, c)
	t.Logf("scenario done after %s", time.Since(begin).Round(time.Millisecond))

	args := []string{"rbac", "usage", "--audit", c.AuditLogPath, "--policy", f.policy, "-o", "json"}
	stdout, stderr, code := runAPIGuard(t, append(args, "--from", f.dump)...)
	if code != 0 {
		t.Fatalf("apiguard rbac usage --from: exit %d\nstderr:\n%s", code, stderr)
	}
	end := time.Now()
	var r usageReportJSON
	if err := json.Unmarshal(stdout, &r); err != nil {
		t.Fatalf("rbac usage -o json: %v\n%s", err, stdout)
	}
	if d := os.Getenv("APIGUARD_E2E_DUMP"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		_ = os.WriteFile(filepath.Join(d, "rbacusage.json"), stdout, 0o644)
		data, _ := os.ReadFile(c.AuditLogPath)
		_ = os.WriteFile(filepath.Join(d, "rbacusage-audit.log"), data, 0o644)
	}

	// The window: the events counted, all inside this test's span.
	if !r.Policy {
		t.Errorf("policy: false, want true (--policy %s)", f.policy)
	}
	if r.Window.From == nil || r.Window.To == nil {
		t.Fatalf("window %+v: want both ends (%d events)", r.Window, r.Events)
	}
	if r.Window.From.Before(begin) || r.Window.To.After(end) || r.Window.To.Before(f.driven) {
		t.Errorf("window %s .. %s: want inside the test's span %s .. %s, ending after the scenario's last request (%s)",
			r.Window.From.Format(time.RFC3339Nano), r.Window.To.Format(time.RFC3339Nano),
			begin.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), f.driven.Format(time.RFC3339Nano))
	}
	if r.Events < int64(len(f.rec.steps)) || r.Stats.Counted != r.Events || r.Stats.Denied < 1 {
		t.Errorf("events %d, stats %+v: want at least the scenario's %d requests, one of them denied", r.Events, r.Stats, len(f.rec.steps))
	}

	bySubject := map[string]usageSubjectJSON{}
	for _, s := range r.Subjects {
		bySubject[s.Subject.String()] = s
	}
	for _, id := range f.ids {
		s, ok := bySubject[id.subject.String()]
		if !ok {
			t.Errorf("%s: not in the report", id.subject)
			continue
		}
		checkUsage(t, s, id, begin, end)
	}
	// The blind rule (leases, at None in the lab's policy) is listed with
	// what is not logged; no other rule of the scenario is blind.
	var blind []string
	for _, b := range r.Blind {
		if !strings.Contains(b.Binding, f.ns+"/") && !strings.Contains(b.Binding, "usage-") {
			continue
		}
		blind = append(blind, fmt.Sprintf("%s rule %d of %s", b.Subject, b.Rule, b.Binding))
		if len(b.Unlogged) == 0 || !strings.Contains(strings.Join(b.Unlogged, " "), "leases") {
			t.Errorf("blind %s rule %d: unlogged %v, want the leases requests", b.Subject, b.Rule, b.Unlogged)
		}
	}
	if want := []string{"ServiceAccount usage/app rule 3 of RoleBinding usage/app"}; len(blind) != 1 || !strings.HasPrefix(blind[0], want[0]) {
		t.Errorf("blind entries of the scenario: %q, want one: %q", blind, want)
	}

	// Live RBAC (the admin's kubeconfig) gives the same report for the
	// scenario's subjects.
	stdout, stderr, code = runAPIGuard(t, append(args, "--kubeconfig", c.AdminKubeconfig)...)
	if code != 0 {
		t.Fatalf("apiguard rbac usage (live): exit %d\nstderr:\n%s", code, stderr)
	}
	var live usageReportJSON
	if err := json.Unmarshal(stdout, &live); err != nil {
		t.Fatalf("rbac usage (live) -o json: %v\n%s", err, stdout)
	}
	liveBy := map[string]usageSubjectJSON{}
	for _, s := range live.Subjects {
		liveBy[s.Subject.String()] = s
	}
	for _, id := range f.ids {
		k := id.subject.String()
		if !reflect.DeepEqual(liveBy[k], bySubject[k]) {
			a, _ := json.Marshal(bySubject[k])
			b, _ := json.Marshal(liveBy[k])
			t.Errorf("%s: live RBAC and the dump differ:\n--from: %s\nlive:   %s", k, a, b)
		}
	}
	scanAudit(t, c, f)
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}

// scanAudit proves AG-AUTHZ-030 (scan --audit) on the scenario: an offline
// scan of the lab's manifest (whose --audit-policy-file the scan reads, from
// the root), the RBAC dump and the server's audit log finds, for each
// identity of the scenario, exactly the rules it held and did not use, the
// blind one apart, and embeds the minimized roles as the fix.
func scanAudit(t *testing.T, c *lab.Cluster, f *usageFixture) {
	t.Helper()
	r := scanJSON(t, "scan", "--manifest", c.ManifestPath, "--root", "/", "--rbac", f.dump, "--audit", c.AuditLogPath)
	got := map[string]finding{}
	for _, fd := range r.Findings {
		if fd.CheckID == "AG-AUTHZ-030" {
			got[fd.Resource] = fd
		}
	}
	want := map[string]struct {
		unused, blind []string // evidence values
		fix           []string // in the remediation's minimized roles
	}{
		"ServiceAccount usage/app": {unused: []string{"get,list secrets", "create,delete pods"}, blind: []string{"get,update leases.coordination.k8s.io"},
			fix: []string{"kind: Role\n", "- configmaps\n", "- patch\n", "- deletecollection\n", "- settings\n"}},
		"Group usage:devs":                   {unused: []string{"get,list services"}, fix: []string{"- pods\n", "- list\n"}},
		"Group system:serviceaccounts:usage": {unused: []string{"get,list resourcequotas"}, fix: []string{"- limitranges\n", "- list\n"}},
		"ServiceAccount usage/impersonator":  {unused: []string{"impersonate serviceaccounts"}, fix: []string{"kind: ClusterRole\n", "- erin\n", "- impersonate\n"}},
		"User erin":                          {unused: []string{"delete deployments.apps"}, fix: []string{"- deployments\n", "- create\n"}},
	}
	for res, w := range want {
		fd, ok := got[res]
		if !ok {
			t.Errorf("scan --audit: no AG-AUTHZ-030 finding for %s; findings for %q", res, keys(got))
			continue
		}
		if fd.Status != "fail" {
			t.Errorf("scan --audit: %s: status %s, want fail (%s)", res, fd.Status, fd.Message)
		}
		var unused, blind []string
		for _, e := range fd.Evidence {
			switch e.Key {
			case "unused":
				unused = append(unused, e.Value)
			case "blind, not judged":
				blind = append(blind, e.Value)
			case "audit policy":
				if !strings.HasPrefix(e.Value, f.policy+" ") {
					t.Errorf("scan --audit: %s: audit policy %q, want the lab's %s read from the manifest's flag", res, e.Value, f.policy)
				}
			}
		}
		slices.Sort(unused)
		slices.Sort(w.unused)
		if !slices.Equal(unused, w.unused) {
			t.Errorf("scan --audit: %s: unused %q, want %q", res, unused, w.unused)
		}
		if !slices.Equal(blind, w.blind) {
			t.Errorf("scan --audit: %s: blind %q, want %q", res, blind, w.blind)
		}
		for _, s := range w.fix {
			if !strings.Contains(fd.Remediation, s) {
				t.Errorf("scan --audit: %s: the fix does not hold %q:\n%s", res, s, fd.Remediation)
			}
		}
		if strings.Contains(fd.Remediation, "nonResourceURLs") {
			t.Errorf("scan --audit: %s: the fix grants non-resource URLs (the discovery requests need none):\n%s", res, fd.Remediation)
		}
	}
}

// checkUsage compares one subject of the report with the identity's known
// grants and requests.
func checkUsage(t *testing.T, s usageSubjectJSON, id *usageIdentity, begin, end time.Time) {
	t.Helper()
	name := id.subject.String()
	if s.Requests != id.requests {
		t.Errorf("%s: requests %d, want %d", name, s.Requests, id.requests)
	}
	if s.Unattributed != 0 {
		t.Errorf("%s: %d unattributed requests, want 0 (its grants allow all it did)", name, s.Unattributed)
	}
	if s.LastSeen == nil || s.LastSeen.Before(begin) || s.LastSeen.After(end) {
		t.Errorf("%s: lastSeen %v, want within the test", name, s.LastSeen)
	}
	if !slices.Equal(s.Members, id.members) {
		t.Errorf("%s: members %q, want %q", name, s.Members, id.members)
	}
	var denied []string
	for _, d := range s.Denied {
		denied = append(denied, fmt.Sprintf("%s %s %s/%s x%d", d.Verb, d.Resource, d.Namespace, d.Name, d.Requests))
	}
	if !slices.Equal(denied, id.denied) {
		t.Errorf("%s: denied %q, want %q", name, denied, id.denied)
	}
	got := map[string]usageBindingJSON{}
	for _, b := range s.Bindings {
		got[b.key()] = b
	}
	for _, wb := range id.bindings {
		b, ok := got[wb.key]
		if !ok {
			t.Errorf("%s: binding %s missing; has %q", name, wb.key, keys(got))
			continue
		}
		if b.Via != wb.via {
			t.Errorf("%s: %s via %q, want %q", name, wb.key, b.Via, wb.via)
		}
		if len(b.Rules) != len(wb.rules) {
			t.Errorf("%s: %s has %d rules, want %d: %+v", name, wb.key, len(b.Rules), len(wb.rules), b.Rules)
			continue
		}
		anyUsed := false
		for i, wr := range wb.rules {
			r := b.Rules[i]
			what := fmt.Sprintf("%s: %s rule %d (%q %q %q %q)", name, wb.key, i, r.APIGroups, r.Resources, r.Verbs, r.ResourceNames)
			if !slices.Equal(r.APIGroups, wr.APIGroups) || !slices.Equal(r.Resources, wr.Resources) || !slices.Equal(r.Verbs, wr.Verbs) ||
				!slices.Equal(r.ResourceNames, wr.ResourceNames) || len(r.NonResourceURLs) != 0 {
				t.Errorf("%s: want the role's rule %q %q %q %q", what, wr.APIGroups, wr.Resources, wr.Verbs, wr.ResourceNames)
			}
			if r.Used != (wr.requests > 0) || r.Requests != wr.requests || r.Blind != wr.blind {
				t.Errorf("%s: used=%v requests=%d blind=%v, want used=%v requests=%d blind=%v",
					what, r.Used, r.Requests, r.Blind, wr.requests > 0, wr.requests, wr.blind)
			}
			anyUsed = anyUsed || wr.requests > 0
		}
		if b.Used != anyUsed {
			t.Errorf("%s: %s used=%v, want %v", name, wb.key, b.Used, anyUsed)
		}
	}
	// The discovery requests count against system:discovery alone.
	const discoveryKey = "ClusterRoleBinding system:discovery → ClusterRole system:discovery"
	var discovered int64
	if b, ok := got[discoveryKey]; ok {
		for _, r := range b.Rules {
			discovered += r.Requests
		}
		if b.Used != (discovered > 0) || (discovered > 0 && b.Via != "Group system:authenticated") {
			t.Errorf("%s: %s used=%v via %q with %d requests, want used via Group system:authenticated", name, discoveryKey, b.Used, b.Via, discovered)
		}
	}
	if discovered != id.discovery {
		t.Errorf("%s: %d requests counted against %s, want %d (its discovery requests)", name, discovered, discoveryKey, id.discovery)
	}
	for k, b := range got {
		if !slices.ContainsFunc(id.bindings, func(wb usageBindingWant) bool { return wb.key == k }) && b.Used && k != discoveryKey {
			t.Errorf("%s: binding %s (not the scenario's) marked used", name, k)
		}
	}
}

// usageFixture is the scenario of TestRBACUsage after its requests are in
// the server's audit log: what each identity holds, did, and did not do.
type usageFixture struct {
	start   time.Time // the scenario's first request
	driven  time.Time // after the scenario's last request
	ns      string
	ids     []*usageIdentity
	objects []any  // the scenario's objects, grants included, in creation order
	dump    string // the RBAC dump (kubectl get ... -o json), taken after the requests
	policy  string // the lab's audit policy file
	rec     *auditRecorder
}

// usageIdentity is one subject of the scenario.
type usageIdentity struct {
	subject  rbacSubjectJSON
	user     string   // for SubjectAccessReviews ("" for a Group)
	groups   []string // every group the server gives it
	requests int64    // authorized requests it made (an impersonation counts one)
	// discovery: requests only the default system:discovery binding allows
	// (through system:authenticated); they need no grant of their own
	discovery int64
	members   []string
	denied    []string // "verb resource ns/name xN"
	bindings  []usageBindingWant
	// made: requests it made and was allowed; unused: what it holds and
	// never asked; blind: what it holds, never asked, and the policy does
	// not log. Each as a SubjectAccessReview asks it.
	made, unused, blind []authorizationv1.ResourceAttributes
}

type usageBindingWant struct {
	key, via string // key: "Kind ns/name → RoleKind name"
	rules    []usageRuleWant
}

type usageRuleWant struct {
	rbacv1.PolicyRule
	requests int64
	blind    bool
}

// usageScenario creates, in namespace usage of c:
//
//   - ServiceAccount app, Role app-role: configmaps get/list/watch (used:
//     two gets, a get of a missing object (404), a list, a watch), secrets
//     and pods (unused), leases (unused, and at None in the lab's policy:
//     blind), configmaps patch/deletecollection (used: a patch, then a
//     deletecollection, which keep their verbs). It calls with a
//     TokenRequest token, and discovers the API groups (GET /api, /apis),
//     which only the default system:discovery binding allows.
//   - Group system:serviceaccounts:usage (every ServiceAccount of the
//     namespace), bound by RoleBinding sas-aggregated to ClusterRole
//     usage-aggregated, whose rules kube-controller-manager aggregates from
//     usage-agg-limits (limitranges get/list: app lists them once) and
//     usage-agg-quotas (resourcequotas get/list: unused).
//   - Group usage:devs, bound by RoleBinding devs-read to ClusterRole
//     usage-reader: pods get/list (used), services (unused). User dana, in
//     the group by her client certificate, lists pods twice and is refused
//     a list of Secrets (403).
//   - ServiceAccount impersonator, bound cluster-wide to ClusterRole
//     usage-impersonate: impersonate user erin (used) and ServiceAccounts
//     (unused). With its token, impersonating erin, it creates and gets a
//     Deployment, which erin's RoleBinding erin-deploy to Role deployer
//     allows (get/create used, delete unused).
//
// Every grant is checked with SubjectAccessReview first (held, and the 403
// is not). It returns once every request is in the audit log, with the
// RBAC dumped.
func usageScenario(ctx context.Context, t *testing.T, c *lab.Cluster) *usageFixture {
	t.Helper()
	const ns = "usage"
	f := &usageFixture{ns: ns, rec: &auditRecorder{steps: map[string]string{}}}
	for _, a := range c.APIServerArgs {
		if v, ok := strings.CutPrefix(a, "--audit-policy-file="); ok {
			f.policy = v
		}
	}
	if f.policy == "" || c.AuditLogPath == "" {
		t.Fatal("usageScenario needs a lab profile with an audit log and policy (Hardened)")
	}
	admin := c.AdminClient(t)

	rule := func(group string, resources, verbs []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	l := func(s ...string) []string { return s }
	ref := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	sa := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}
	}
	appRules := []rbacv1.PolicyRule{
		rule("", l("configmaps"), l("get", "list", "watch")),
		rule("", l("secrets"), l("get", "list")),
		rule("", l("pods"), l("create", "delete")),
		rule("coordination.k8s.io", l("leases"), l("get", "update")),
		rule("", l("configmaps"), l("patch", "deletecollection")),
	}
	readerRules := []rbacv1.PolicyRule{
		rule("", l("pods"), l("get", "list")),
		rule("", l("services"), l("get", "list")),
	}
	impRules := []rbacv1.PolicyRule{
		rule("", l("users"), l("impersonate"), "erin"),
		rule("", l("serviceaccounts"), l("impersonate")),
	}
	limitRules := []rbacv1.PolicyRule{rule("", l("limitranges"), l("get", "list"))}
	quotaRules := []rbacv1.PolicyRule{rule("", l("resourcequotas"), l("get", "list"))}
	aggLabel := map[string]string{"usage.apiguard.dev/aggregate": "true"}
	deployRules := []rbacv1.PolicyRule{
		rule("apps", l("deployments"), l("get", "create")),
		rule("apps", l("deployments"), l("delete")),
	}
	f.objects = []any{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "impersonator", Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "app-role", Namespace: ns}, Rules: appRules},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}, RoleRef: ref("Role", "app-role"), Subjects: []rbacv1.Subject{sa("app")}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "usage-reader"}, Rules: readerRules},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "devs-read", Namespace: ns}, RoleRef: ref("ClusterRole", "usage-reader"),
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "usage:devs"}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "usage-impersonate"}, Rules: impRules},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "usage-impersonator"}, RoleRef: ref("ClusterRole", "usage-impersonate"), Subjects: []rbacv1.Subject{sa("impersonator")}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "usage-agg-limits", Labels: aggLabel}, Rules: limitRules},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "usage-agg-quotas", Labels: aggLabel}, Rules: quotaRules},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "usage-aggregated"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: aggLabel}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "sas-aggregated", Namespace: ns}, RoleRef: ref("ClusterRole", "usage-aggregated"),
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:serviceaccounts:" + ns}}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns}, Rules: deployRules},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "erin-deploy", Namespace: ns}, RoleRef: ref("Role", "deployer"),
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "erin"}}},
	}
	for _, o := range f.objects {
		mustCreate(t, func() error { return createObject(ctx, admin, o) })
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"mode": "prod"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	attrs := func(verb, group, resource, name, namespace string) authorizationv1.ResourceAttributes {
		return authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Name: name, Namespace: namespace}
	}
	saGroups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	want := func(r rbacv1.PolicyRule, requests int64) usageRuleWant {
		return usageRuleWant{PolicyRule: r, requests: requests}
	}
	blindRule := want(appRules[3], 0)
	blindRule.blind = true
	// the aggregated role's rules as kube-controller-manager stores them:
	// its sources' rules in the order of their names
	aggBinding := usageBindingWant{key: "RoleBinding usage/sas-aggregated → ClusterRole usage-aggregated",
		rules: []usageRuleWant{want(limitRules[0], 1), want(quotaRules[0], 0)}}
	sas := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "Group", Name: "system:serviceaccounts:" + ns}, requests: 1, members: []string{"ServiceAccount usage/app"},
		bindings: []usageBindingWant{aggBinding},
	}
	app := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "ServiceAccount", Name: "app", Namespace: ns},
		user:    "system:serviceaccount:" + ns + ":app", groups: saGroups, requests: 10, discovery: 2,
		bindings: []usageBindingWant{{key: "RoleBinding usage/app → Role app-role",
			rules: []usageRuleWant{want(appRules[0], 5), want(appRules[1], 0), want(appRules[2], 0), blindRule, want(appRules[4], 2)}},
			{key: aggBinding.key, via: "Group system:serviceaccounts:" + ns, rules: aggBinding.rules}},
		made: []authorizationv1.ResourceAttributes{attrs("get", "", "configmaps", "settings", ns), attrs("get", "", "configmaps", "missing", ns),
			attrs("list", "", "configmaps", "", ns), attrs("watch", "", "configmaps", "", ns),
			attrs("patch", "", "configmaps", "settings", ns), attrs("deletecollection", "", "configmaps", "", ns),
			attrs("list", "", "limitranges", "", ns)},
		// get and patch of another ConfigMap: held by the rules it used, never asked
		unused: []authorizationv1.ResourceAttributes{attrs("get", "", "configmaps", "other", ns), attrs("patch", "", "configmaps", "other", ns),
			attrs("get", "", "resourcequotas", "q", ns), attrs("list", "", "resourcequotas", "", ns),
			attrs("get", "", "secrets", "db", ns), attrs("list", "", "secrets", "", ns),
			attrs("create", "", "pods", "", ns), attrs("delete", "", "pods", "web", ns)},
		blind: []authorizationv1.ResourceAttributes{attrs("get", "coordination.k8s.io", "leases", "lock", ns), attrs("update", "coordination.k8s.io", "leases", "lock", ns)},
	}
	devsBinding := usageBindingWant{key: "RoleBinding usage/devs-read → ClusterRole usage-reader",
		rules: []usageRuleWant{want(readerRules[0], 2), want(readerRules[1], 0)}}
	devs := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "Group", Name: "usage:devs"}, requests: 2, members: []string{"User dana"},
		bindings: []usageBindingWant{devsBinding},
	}
	danaBinding := devsBinding
	danaBinding.via = "Group usage:devs"
	dana := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "User", Name: "dana"}, user: "dana", groups: []string{"usage:devs", "system:authenticated"},
		requests: 2, denied: []string{"list secrets usage/ x1"}, bindings: []usageBindingWant{danaBinding},
		made:   []authorizationv1.ResourceAttributes{attrs("list", "", "pods", "", ns)},
		unused: []authorizationv1.ResourceAttributes{attrs("get", "", "services", "web", ns), attrs("list", "", "services", "", ns), attrs("get", "", "pods", "web", ns)},
	}
	imp := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "ServiceAccount", Name: "impersonator", Namespace: ns},
		user:    "system:serviceaccount:" + ns + ":impersonator", groups: saGroups, requests: 2,
		bindings: []usageBindingWant{{key: "ClusterRoleBinding usage-impersonator → ClusterRole usage-impersonate",
			rules: []usageRuleWant{want(impRules[0], 2), want(impRules[1], 0)}}},
		made:   []authorizationv1.ResourceAttributes{attrs("impersonate", "", "users", "erin", "")},
		unused: []authorizationv1.ResourceAttributes{attrs("impersonate", "", "serviceaccounts", "app", ns), attrs("impersonate", "", "serviceaccounts", "default", "kube-system")},
	}
	erin := &usageIdentity{
		subject: rbacSubjectJSON{Kind: "User", Name: "erin"}, user: "erin", groups: []string{"system:authenticated"}, requests: 2,
		bindings: []usageBindingWant{{key: "RoleBinding usage/erin-deploy → Role deployer",
			rules: []usageRuleWant{want(deployRules[0], 2), want(deployRules[1], 0)}}},
		made:   []authorizationv1.ResourceAttributes{attrs("create", "apps", "deployments", "", ns), attrs("get", "apps", "deployments", "web", ns)},
		unused: []authorizationv1.ResourceAttributes{attrs("delete", "apps", "deployments", "web", ns), attrs("get", "apps", "deployments", "other", ns)},
	}
	f.ids = []*usageIdentity{app, sas, devs, dana, imp, erin}

	// The grants are real before anything is asked (the authorizer follows
	// RBAC through informers): what each made or holds is allowed; what
	// dana will be refused is not.
	for _, id := range f.ids {
		if id.user == "" {
			continue
		}
		for _, a := range slices.Concat(id.made, id.unused, id.blind) {
			eventually(t, 30*time.Second, fmt.Sprintf("%s may %s", id.user, attrString(a)), func() (bool, string) {
				ok, why, err := subjectAllowed(ctx, admin, id.user, id.groups, a)
				return ok, fmt.Sprintf("allowed=%v reason=%q err=%v", ok, why, err)
			})
		}
	}
	if ok, why, err := subjectAllowed(ctx, admin, dana.user, dana.groups, attrs("list", "", "secrets", "", ns)); ok || err != nil {
		t.Fatalf("dana may list secrets in %s (%q, %v): the 403 of the scenario would not be one", ns, why, err)
	}

	// The identities' clients, each recording its requests' audit IDs.
	client := func(kubeconfig string, mod func(*rest.Config)) kubernetes.Interface {
		return f.rec.client(t, kubeconfig, "", mod)
	}
	token := func(name string) string {
		tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("TokenRequest for %s/%s: %v", ns, name, err)
		}
		return tr.Status.Token
	}
	appCS := client(c.TokenKubeconfig(t, "usage-app", token("app")), nil)
	impKC := c.TokenKubeconfig(t, "usage-impersonator", token("impersonator"))
	asErin := client(impKC, func(cfg *rest.Config) { cfg.Impersonate = rest.ImpersonationConfig{UserName: "erin"} })
	danaCS := client(c.UserKubeconfig(t, "dana", "usage:devs"), nil)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	f.start = time.Now()
	f.rec.set("app")
	for range 2 {
		_, err := appCS.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
		must("app: get configmap settings", err)
	}
	if _, err := appCS.CoreV1().ConfigMaps(ns).Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("app: get configmap missing: %v, want NotFound", err)
	}
	_, err := appCS.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	must("app: list configmaps", err)
	w, err := appCS.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{TimeoutSeconds: ptr(int64(1))})
	must("app: watch configmaps", err)
	for range w.ResultChan() { // the server ends the watch after 1s
	}
	_, err = appCS.CoreV1().ConfigMaps(ns).Patch(ctx, "settings", types.MergePatchType, []byte(`{"data":{"mode":"test"}}`), metav1.PatchOptions{})
	must("app: patch configmap settings", err)
	must("app: delete the collection of configmaps", appCS.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "usage=scratch"}))
	_, err = appCS.Discovery().ServerGroups() // GET /api, GET /apis
	must("app: discover the API groups", err)
	_, err = appCS.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
	must("app: list limitranges (through the aggregated ClusterRole bound to its namespace's group)", err)

	f.rec.set("dana")
	for range 2 {
		_, err := danaCS.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		must("dana: list pods", err)
	}
	if _, err := danaCS.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("dana: list secrets: %v, want Forbidden", err)
	}

	f.rec.set("impersonator as erin")
	labels := map[string]string{"app": "web"}
	_, err = asErin.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}}}},
	}}, metav1.CreateOptions{})
	must("erin (impersonated): create deployment", err)
	_, err = asErin.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	must("erin (impersonated): get deployment", err)
	f.rec.set("after")
	f.driven = time.Now()

	// Every request is in the log at its final stage before the log is read.
	f.rec.waitLogged(t, c.AuditLogPath)

	// The RBAC dump, as `kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts -A -o json` writes it.
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": listRBAC(ctx, t, admin).items()}
	data, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	f.dump = filepath.Join(t.TempDir(), "rbac-dump.json")
	if err := os.WriteFile(f.dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// subjectAllowed asks a SubjectAccessReview for user and groups.
func subjectAllowed(ctx context.Context, cs kubernetes.Interface, user string, groups []string, attrs authorizationv1.ResourceAttributes) (bool, string, error) {
	a := attrs
	r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &a},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason + r.Status.EvaluationError, nil
}

// The `rbac usage -o json` contract (docs/least-privilege.md).
type usageReportJSON struct {
	Window struct {
		From *time.Time `json:"from"`
		To   *time.Time `json:"to"`
	} `json:"window"`
	Events int64 `json:"events"`
	Stats  struct {
		Counted int64 `json:"counted"`
		Denied  int64 `json:"denied"`
	} `json:"stats"`
	Subjects []usageSubjectJSON `json:"subjects"`
	Blind    []struct {
		Subject  rbacSubjectJSON `json:"subject"`
		Binding  string          `json:"binding"`
		Rule     int             `json:"rule"`
		Unlogged []string        `json:"unlogged"`
	} `json:"blind"`
	Policy bool   `json:"policy"`
	Note   string `json:"note"`
}

type usageSubjectJSON struct {
	Subject      rbacSubjectJSON    `json:"subject"`
	Requests     int64              `json:"requests"`
	LastSeen     *time.Time         `json:"lastSeen"`
	Unattributed int64              `json:"unattributed"`
	Members      []string           `json:"members"`
	Bindings     []usageBindingJSON `json:"bindings"`
	Denied       []struct {
		Verb        string `json:"verb"`
		APIGroup    string `json:"apiGroup"`
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Path        string `json:"path"`
		Requests    int64  `json:"requests"`
	} `json:"denied"`
}

type usageBindingJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	RoleRef   struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Via   string `json:"via"`
	Used  bool   `json:"used"`
	Rules []struct {
		APIGroups       []string `json:"apiGroups"`
		Resources       []string `json:"resources"`
		Verbs           []string `json:"verbs"`
		ResourceNames   []string `json:"resourceNames"`
		NonResourceURLs []string `json:"nonResourceURLs"`
		Used            bool     `json:"used"`
		Requests        int64    `json:"requests"`
		Blind           bool     `json:"blind"`
	} `json:"rules"`
}

func (b usageBindingJSON) key() string {
	n := b.Name
	if b.Namespace != "" {
		n = b.Namespace + "/" + b.Name
	}
	return b.Kind + " " + n + " → " + b.RoleRef.Kind + " " + b.RoleRef.Name
}

func (s rbacSubjectJSON) String() string {
	if s.Namespace != "" {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// TestRBACMinimize proves `apiguard rbac minimize` on the real server: after
// the scenario of TestRBACUsage, each of its subjects is minimized from the
// RBAC dump and the server's audit log (with the lab's audit policy); the
// scenario's own grants are deleted (the server refuses every request the
// subjects made: nothing else grants them), the minimized Lists are applied
// as they are printed, and SubjectAccessReview must allow every request each
// subject made, and the blind rules it held (leases, at None in the lab's
// policy), and deny every permission it held and did not use. The
// discovery requests get no rule: the fresh server's defaults allow them.
func TestRBACMinimize(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := lab.Start(t, lab.Hardened)
	f := usageScenario(ctx, t, c)

	subjectArg := func(s rbacSubjectJSON) string {
		switch s.Kind {
		case "ServiceAccount":
			return "sa:" + s.Namespace + "/" + s.Name
		case "Group":
			return "group:" + s.Name
		}
		return "user:" + s.Name
	}
	var lists [][]any
	for _, id := range f.ids {
		arg := subjectArg(id.subject)
		stdout, stderr, code := runAPIGuard(t, "rbac", "minimize", arg, "--from", f.dump, "--audit", c.AuditLogPath, "--policy", f.policy)
		if code != 0 {
			t.Fatalf("apiguard rbac minimize %s: exit %d\nstderr:\n%s", arg, code, stderr)
		}
		if d := os.Getenv("APIGUARD_E2E_DUMP"); d != "" {
			_ = os.MkdirAll(d, 0o755)
			_ = os.WriteFile(filepath.Join(d, "rbacminimize-"+strings.NewReplacer(":", "-", "/", "-").Replace(arg)+".yaml"), stdout, 0o644)
		}
		objs := minimizedObjects(t, arg, stdout)
		var names []string
		for _, o := range objs {
			names = append(names, fmt.Sprintf("%T %s", o, o.(metav1.Object).GetName()))
		}
		t.Logf("rbac minimize %s: %q; stderr: %s", arg, names, bytes.TrimSpace(stderr))
		if len(objs) == 0 {
			t.Errorf("rbac minimize %s: an empty List; the subject made %d requests", arg, id.requests)
		}
		// The discovery requests (GET /api, /apis) need nothing generated:
		// no subject of the scenario made another non-resource request.
		for _, o := range objs {
			var rules []rbacv1.PolicyRule
			switch r := o.(type) {
			case *rbacv1.ClusterRole:
				rules = r.Rules
			case *rbacv1.Role:
				rules = r.Rules
			}
			for _, r := range rules {
				if len(r.NonResourceURLs) > 0 {
					t.Errorf("rbac minimize %s: a rule for %q, which the default discovery binding allows", arg, r.NonResourceURLs)
				}
			}
		}
		lists = append(lists, objs)
	}

	// A fresh server, which never held the scenario's grants: it refuses
	// what the subjects did until the minimized roles are applied.
	fresh := lab.Start(t, lab.Hardened)
	freshAdmin := fresh.AdminClient(t)
	mustCreate(t, func() error {
		return createObject(ctx, freshAdmin, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}})
	})
	for _, id := range f.ids {
		for _, a := range slices.Concat(id.made, id.blind) {
			if id.user == "" {
				continue
			}
			if ok, why, err := subjectAllowed(ctx, freshAdmin, id.user, id.groups, a); ok || err != nil {
				t.Fatalf("the fresh server already allows %s to %s (reason %q, err %v)", id.user, attrString(a), why, err)
			}
		}
	}

	// The minimized roles, applied as printed.
	for _, objs := range lists {
		for _, o := range objs {
			mustCreate(t, func() error { return createObject(ctx, freshAdmin, o) })
		}
	}
	for _, id := range f.ids {
		if id.user == "" {
			continue // a Group's grants are asked through its member (dana)
		}
		for _, a := range slices.Concat(id.made, id.blind) {
			eventually(t, 30*time.Second, fmt.Sprintf("minimized: %s may still %s", id.user, attrString(a)), func() (bool, string) {
				ok, why, err := subjectAllowed(ctx, freshAdmin, id.user, id.groups, a)
				return ok, fmt.Sprintf("allowed=%v reason=%q err=%v", ok, why, err)
			})
		}
	}
	// Every minimized grant is in the authorizer now (its informer takes
	// the objects in the order they were created, and the waits above saw
	// the grants of the last List): what was held and never used is refused.
	for _, id := range f.ids {
		for _, a := range id.unused {
			if ok, why, err := subjectAllowed(ctx, freshAdmin, id.user, id.groups, a); ok || err != nil {
				t.Errorf("minimized: %s may still %s, which it held and never used (reason %q, err %v)", id.user, attrString(a), why, err)
			}
		}
	}
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}

// minimizedObjects decodes the v1 List `rbac minimize` prints (YAML) into
// typed RBAC objects, strictly: a field the API does not know fails.
func minimizedObjects(t *testing.T, subject string, out []byte) []any {
	t.Helper()
	var list struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := yaml.Unmarshal(out, &list); err != nil {
		t.Fatalf("rbac minimize %s: %v\n%s", subject, err, out)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || list.Items == nil {
		t.Fatalf("rbac minimize %s: apiVersion %q kind %q items %v, want a v1 List", subject, list.APIVersion, list.Kind, list.Items)
	}
	var objs []any
	for _, raw := range list.Items {
		var tm metav1.TypeMeta
		if err := json.Unmarshal(raw, &tm); err != nil {
			t.Fatal(err)
		}
		var o any
		switch tm.Kind {
		case "ClusterRole":
			o = &rbacv1.ClusterRole{}
		case "ClusterRoleBinding":
			o = &rbacv1.ClusterRoleBinding{}
		case "Role":
			o = &rbacv1.Role{}
		case "RoleBinding":
			o = &rbacv1.RoleBinding{}
		default:
			t.Fatalf("rbac minimize %s: an item of kind %q", subject, tm.Kind)
		}
		if tm.APIVersion != rbacv1.SchemeGroupVersion.String() {
			t.Errorf("rbac minimize %s: %s of apiVersion %q", subject, tm.Kind, tm.APIVersion)
		}
		if err := yaml.UnmarshalStrict(raw, o); err != nil {
			t.Fatalf("rbac minimize %s: %s: %v\n%s", subject, tm.Kind, err, raw)
		}
		objs = append(objs, o)
	}
	return objs
}
