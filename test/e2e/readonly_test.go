package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// The read-only collector, proven on the hardened cluster of
// TestScanProfiles (hardened/read-only):
//
//  1. deploy/rbac-readonly.yaml alone: the credential cannot read a Secret
//     (get, list, watch forbidden, even a metadata-only list; the server's
//     own SubjectAccessReview agrees), and every live command works with
//     it: scan, snapshot (and scan of the snapshot), probe, rbac can-i,
//     who-can, policy, admins and paths. The scan equals an admin's but
//     for the token-Secret inventory (AG-AUTHN-012/013 not-assessable,
//     naming the opt-in role) and the escalation path through a legacy
//     token Secret (AG-ADMIN-006: not assessed, naming who may read
//     Secrets); the rbac admins/paths output says the same.
//  2. With deploy/rbac-secret-inventory.yaml added: the scan equals the
//     admin's, the inventory is assessed (the legacy token Secret and the
//     bootstrap token are reported) and the path through the token Secret
//     is found by scan, rbac admins and rbac paths.
//  3. The audit log: the reader only ever read, never got a Secret, listed
//     Secrets only by type (answered 403 before the opt-in, 200 after).

const (
	roUser           = "apiguard-reader"
	roNamespace      = "e2e-ro"
	roSecretReader   = "e2e-secret-reader" // may get Secrets in e2e-ro
	roAdminSA        = "deployer"          // e2e-ro/deployer holds cluster-admin
	roToken          = "deployer-token"    // its legacy token Secret
	roBootstrapID    = "e2ero1"
	tokenPathsRes    = "paths through legacy ServiceAccount token Secrets"
	optInReference   = "ClusterRole apiguard-secret-inventory (deploy/rbac-secret-inventory.yaml)"
	secretsForbidMsg = `cannot list resource "secrets"` // the server's own message: never the reason shown
)

func readOnlyCollection(t *testing.T, c *lab.Cluster, _ *report) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := c.AdminClient(t)
	readOnlyFixtures(t, ctx, admin)
	c.ApplyFile(t, rbacReadonlyPath)
	kc := c.UserKubeconfig(t, roUser, "apiguard:readers")

	// 1. The default role: no Secret can be read with it.
	defaultCannotReadSecrets(t, ctx, c, admin, kc)
	defaultScan := readOnlyScans(t, c, kc, false)
	readOnlyRBACCommands(t, kc, false)
	readOnlyProbe(t, kc)

	// 2. The opt-in added (the same group is bound).
	optInAt := time.Now()
	c.ApplyFile(t, rbacSecretInventoryPath)
	waitSAR(t, ctx, admin, "the opt-in role takes effect", authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}, true)
	for _, verb := range []string{"get", "watch"} {
		if sar(t, ctx, admin, authorizationv1.ResourceAttributes{Verb: verb, Resource: "secrets", Namespace: roNamespace}) {
			t.Errorf("the opt-in role allows %s on secrets: it must grant list only", verb)
		}
	}
	optInScan := readOnlyScans(t, c, kc, true)
	readOnlyRBACCommands(t, kc, true)
	t.Logf("default role: %d findings; with the opt-in: %d", len(defaultScan.Findings), len(optInScan.Findings))

	// 3. The audit log.
	readOnlyAudit(t, c, optInAt)
}

// readOnlyFixtures creates what the inventory and the token-Secret path
// are about: a ServiceAccount holding cluster-admin with a legacy token
// Secret, a user who may get Secrets in its namespace, a bootstrap token.
func readOnlyFixtures(t *testing.T, ctx context.Context, admin kubernetes.Interface) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: roNamespace}}, metav1.CreateOptions{})
	must("namespace", err)
	_, err = admin.CoreV1().ServiceAccounts(roNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: roAdminSA}}, metav1.CreateOptions{})
	must("serviceaccount", err)
	_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-ro-deployer-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: roAdminSA, Namespace: roNamespace}},
	}, metav1.CreateOptions{})
	must("cluster-admin binding", err)
	_, err = admin.CoreV1().Secrets(roNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: roToken, Annotations: map[string]string{corev1.ServiceAccountNameKey: roAdminSA}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	must("legacy token Secret", err)
	_, err = admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-secret-getter"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	must("secret-getter role", err)
	_, err = admin.RbacV1().RoleBindings(roNamespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: roSecretReader, Namespace: roNamespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "e2e-secret-getter"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: roSecretReader}},
	}, metav1.CreateOptions{})
	must("secret-reader binding", err)
	_, err = admin.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + roBootstrapID},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: map[string]string{"token-id": roBootstrapID, "token-secret": "0123456789abcdef",
			"expiration": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339), "usage-bootstrap-authentication": "true"},
	}, metav1.CreateOptions{})
	must("bootstrap token", err)
	poll(t, ctx, "the token controller fills "+roNamespace+"/"+roToken, func() bool {
		s, err := admin.CoreV1().Secrets(roNamespace).Get(ctx, roToken, metav1.GetOptions{})
		return err == nil && len(s.Data[corev1.ServiceAccountTokenKey]) > 0
	})
}

// sar asks the server's own authorizer whether the read-only user may do
// something.
func sar(t *testing.T, ctx context.Context, admin kubernetes.Interface, ra authorizationv1.ResourceAttributes) bool {
	t.Helper()
	r, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: roUser, Groups: []string{"apiguard:readers", "system:authenticated"}, ResourceAttributes: &ra,
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}

func waitSAR(t *testing.T, ctx context.Context, admin kubernetes.Interface, what string, ra authorizationv1.ResourceAttributes, want bool) {
	t.Helper()
	poll(t, ctx, what, func() bool { return sar(t, ctx, admin, ra) == want })
}

// defaultCannotReadSecrets: with deploy/rbac-readonly.yaml alone, no
// Secret read of any kind is allowed, by the server's own answer.
func defaultCannotReadSecrets(t *testing.T, ctx context.Context, c *lab.Cluster, admin kubernetes.Interface, kc string) {
	t.Helper()
	for _, ns := range []string{"", metav1.NamespaceSystem, roNamespace} {
		for _, verb := range []string{"get", "list", "watch"} {
			if sar(t, ctx, admin, authorizationv1.ResourceAttributes{Verb: verb, Resource: "secrets", Namespace: ns}) {
				t.Errorf("SubjectAccessReview: %s may %s secrets in %q with the default role", roUser, verb, ns)
			}
		}
	}
	// The denials are not vacuous: the same review allows what the role grants.
	if !sar(t, ctx, admin, authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: metav1.NamespaceSystem}) {
		t.Fatalf("SubjectAccessReview: %s may not list pods in kube-system: the role was not applied", roUser)
	}
	reader := lab.Client(t, kc)
	_, err := reader.CoreV1().Secrets(roNamespace).Get(ctx, roToken, metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("get secret %s/%s as %s: want Forbidden, got %v", roNamespace, roToken, roUser, err)
	}
	for _, ns := range []string{"", metav1.NamespaceSystem} {
		if _, err := reader.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list secrets in %q as %s: want Forbidden, got %v", ns, roUser, err)
		}
	}
	if w, err := reader.CoreV1().Secrets("").Watch(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		if w != nil {
			w.Stop()
		}
		t.Errorf("watch secrets as %s: want Forbidden, got %v", roUser, err)
	}
	// Not even the metadata apiguard asks for.
	l, err := secretmeta.New(lab.RESTConfig(t, kc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.List(ctx, "", secretmeta.TypeServiceAccountToken, nil); !apierrors.IsForbidden(err) {
		t.Errorf("metadata-only Secret list as %s: want Forbidden, got %v", roUser, err)
	}
}

// readOnlyScans runs scan and snapshot as the reader and compares them
// with an admin's scan taken now.
func readOnlyScans(t *testing.T, c *lab.Cluster, kc string, optIn bool) *report {
	t.Helper()
	phase := map[bool]string{false: "default role", true: "with the opt-in"}[optIn]
	adminR := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	r := scanJSON(t, "scan", "--kubeconfig", kc)
	if len(r.Problems) > 0 {
		t.Errorf("%s: scan problems %+v", phase, r.Problems)
	}
	byCheck := func(rep *report) map[string][]finding {
		out := map[string][]finding{}
		for _, f := range rep.Findings {
			out[f.CheckID] = append(out[f.CheckID], f)
		}
		return out
	}
	got, want := byCheck(r), byCheck(adminR)
	one := func(id string) finding {
		t.Helper()
		if len(got[id]) != 1 {
			t.Errorf("%s: %s: %d findings, want 1: %+v", phase, id, len(got[id]), got[id])
			return finding{}
		}
		return got[id][0]
	}
	keys := func(fs []finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, findingKey(f))
		}
		sort.Strings(out)
		return out
	}

	// What the admin sees (the fixtures), in both phases.
	if f := want["AG-AUTHN-012"]; len(f) != 1 || f[0].Status != fail || !strings.Contains(f[0].Message, roNamespace+"/"+roToken) {
		t.Errorf("%s: admin AG-AUTHN-012 %+v, want fail naming %s/%s", phase, f, roNamespace, roToken)
	}
	adminPath := slices.IndexFunc(want["AG-ADMIN-006"], func(f finding) bool {
		return f.Status == fail && f.Resource == "User "+roSecretReader && strings.Contains(f.Message, roNamespace+"/"+roToken)
	})
	if adminPath < 0 {
		t.Errorf("%s: admin AG-ADMIN-006 %+v: want a fail for User %s through the token Secret %s/%s", phase, want["AG-ADMIN-006"], roSecretReader, roNamespace, roToken)
	}
	readersSecrets := slices.ContainsFunc(r.Findings, func(f finding) bool {
		return f.CheckID == "AG-AUTHZ-012" && f.Resource == "Group apiguard:readers"
	})

	if !optIn {
		// The scan equals the admin's but for what needs the token Secrets.
		tokenScoped := map[string]bool{"AG-AUTHN-012": true, "AG-AUTHN-013": true, "AG-ADMIN-006": true}
		for id, fs := range want {
			if !tokenScoped[id] && !slices.Equal(keys(got[id]), keys(fs)) {
				t.Errorf("%s: %s differs from the admin scan:\n got %s\nwant %s", phase, id, strings.Join(keys(got[id]), "\n     "), strings.Join(keys(fs), "\n     "))
			}
		}
		for _, id := range []string{"AG-AUTHN-012", "AG-AUTHN-013"} {
			f := one(id)
			if f.Status != na || !strings.Contains(f.Message, optInReference) || strings.Contains(f.Message, secretsForbidMsg) {
				t.Errorf("%s: %s %s %q: want not-assessable naming the %s, without the server's forbidden noise", phase, id, f.Status, f.Message, optInReference)
			}
		}
		var gap *finding
		for i, f := range got["AG-ADMIN-006"] {
			switch {
			case f.Resource == tokenPathsRes:
				gap = &got["AG-ADMIN-006"][i]
			case f.Resource == "User "+roSecretReader:
				t.Errorf("%s: AG-ADMIN-006 reports %s without the token Secrets: %q", phase, f.Resource, f.Message)
			case f.Status == pass && !strings.Contains(f.Message, "not assessed"):
				t.Errorf("%s: AG-ADMIN-006 passes without saying what was not assessed: %q", phase, f.Message)
			}
		}
		for _, id := range []string{"AG-AUTHN-012", "AG-AUTHN-013", "AG-ADMIN-006"} {
			for _, f := range got[id] {
				t.Logf("%s: %s %s %s: %s", phase, id, f.Status, f.Resource, f.Message)
			}
		}
		if gap == nil || gap.Status != na || !strings.Contains(gap.Message, "User "+roSecretReader) || !strings.Contains(gap.Message, optInReference) {
			t.Errorf("%s: AG-ADMIN-006 %+v: want not-assessable %q naming User %s and the %s", phase, got["AG-ADMIN-006"], tokenPathsRes, roSecretReader, optInReference)
		}
		// The other AG-ADMIN-006 findings are the admin's.
		var others, adminOthers []string
		for _, f := range got["AG-ADMIN-006"] {
			if f.Status != pass && f.Status != na {
				others = append(others, findingKey(f))
			}
		}
		for i, f := range want["AG-ADMIN-006"] {
			if f.Status != pass && i != adminPath {
				adminOthers = append(adminOthers, findingKey(f))
			}
		}
		sort.Strings(others)
		sort.Strings(adminOthers)
		if !slices.Equal(others, adminOthers) {
			t.Errorf("%s: AG-ADMIN-006 beyond the token paths:\n got %q\nwant %q", phase, others, adminOthers)
		}
		if readersSecrets {
			t.Errorf("%s: AG-AUTHZ-012 reports Group apiguard:readers: the default role must not read Secrets", phase)
		}
	} else {
		// Everything is assessed: the reader's scan is the admin's.
		if g, w := keys(r.Findings), keys(adminR.Findings); !slices.Equal(g, w) {
			t.Errorf("%s: the scan differs from the admin scan:\n got %s\nwant %s", phase, strings.Join(g, "\n     "), strings.Join(w, "\n     "))
		}
		if f := one("AG-AUTHN-012"); f.Status != fail || !strings.Contains(f.Message, roNamespace+"/"+roToken) {
			t.Errorf("%s: AG-AUTHN-012 %s %q: want fail naming %s/%s", phase, f.Status, f.Message, roNamespace, roToken)
		}
		if f := one("AG-AUTHN-013"); f.Status != pass || !strings.Contains(f.Message, roBootstrapID) {
			t.Errorf("%s: AG-AUTHN-013 %s %q: want pass naming the fresh token %s", phase, f.Status, f.Message, roBootstrapID)
		}
		// The opt-in reads Secrets as far as RBAC can tell, and is reported.
		if !readersSecrets {
			t.Errorf("%s: AG-AUTHZ-012 does not report Group apiguard:readers (list secrets, the opt-in)", phase)
		}
	}

	// snapshot, and the scan of it: the same findings, the gap included.
	dir := filepath.Join(t.TempDir(), "snap")
	if _, stderr, code := runAPIGuard(t, "snapshot", "--kubeconfig", kc, "--out", dir); code != 0 {
		t.Fatalf("%s: snapshot: exit %d: %s", phase, code, stderr)
	}
	s := scanJSON(t, "scan", "--snapshot", dir)
	if g, w := keys(s.Findings), keys(r.Findings); !slices.Equal(g, w) {
		t.Errorf("%s: the scan of the snapshot differs from the live scan:\n got %s\nwant %s", phase, strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
	if len(s.Problems) > 0 {
		t.Errorf("%s: snapshot scan problems %+v", phase, s.Problems)
	}
	return r
}

// readOnlyRBACCommands runs every rbac command live as the reader.
func readOnlyRBACCommands(t *testing.T, kc string, optIn bool) {
	t.Helper()
	phase := map[bool]string{false: "default role", true: "with the opt-in"}[optIn]
	run := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		args = append(args, "--kubeconfig", kc)
		stdout, stderr, code := runAPIGuard(t, args...)
		if code != wantCode {
			t.Errorf("%s: apiguard %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", phase, strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		if strings.Contains(strings.ToLower(string(stderr)), "forbidden") || strings.Contains(string(stderr), "warning") {
			t.Errorf("%s: apiguard %s: stderr:\n%s", phase, strings.Join(args, " "), stderr)
		}
		return string(stdout), string(stderr)
	}
	yesNo := map[bool]int{true: 0, false: 1}

	// can-i: the opt-in, and nothing more, on secrets.
	if out, _ := run(yesNo[optIn], "rbac", "can-i", "list", "secrets", "--as", roUser, "--as-group", "apiguard:readers"); out != map[bool]string{true: "yes\n", false: "no\n"}[optIn] {
		t.Errorf("%s: rbac can-i list secrets: %q", phase, out)
	}
	if out, _ := run(1, "rbac", "can-i", "get", "secrets", "-n", roNamespace, "--as", roUser, "--as-group", "apiguard:readers"); out != "no\n" {
		t.Errorf("%s: rbac can-i get secrets: %q", phase, out)
	}
	run(0, "rbac", "can-i", "get", "secrets", roToken, "-n", roNamespace, "--as", roSecretReader)

	// who-can and policy.
	out, _ := run(0, "rbac", "who-can", "list", "secrets", "-n", roNamespace)
	if strings.Contains(out, "apiguard:readers") != optIn {
		t.Errorf("%s: rbac who-can list secrets: apiguard:readers listed %v, want %v:\n%s", phase, !optIn, optIn, out)
	}
	out, _ = run(0, "rbac", "policy", "user:"+roUser, "--as-group", "apiguard:readers")
	if !strings.Contains(out, "pods") || strings.Contains(out, "secrets") != optIn {
		t.Errorf("%s: rbac policy: secrets listed %v, want %v:\n%s", phase, !optIn, optIn, out)
	}

	// admins and paths: the token-Secret path, or the gap.
	reader := "User " + roSecretReader
	out, _ = run(0, "rbac", "admins")
	gapLine := "# not assessed: paths through legacy ServiceAccount token Secrets, which "
	if optIn {
		if !strings.Contains(out, reader+" (") || strings.Contains(out, gapLine) {
			t.Errorf("%s: rbac admins: want %s with its path and no gap:\n%s", phase, reader, out)
		}
	} else if strings.Contains(out, reader+" (") || !strings.Contains(out, gapLine) || !strings.Contains(out, reader) || !strings.Contains(out, optInReference) {
		t.Errorf("%s: rbac admins: want the gap naming %s and the %s, and no path for it:\n%s", phase, reader, optInReference, out)
	}
	out, stderr := run(0, "rbac", "admins", "-o", "json")
	var admins []struct {
		Subject struct{ Kind, Name string } `json:"subject"`
	}
	if err := json.Unmarshal([]byte(out), &admins); err != nil {
		t.Fatalf("%s: rbac admins -o json: %v\n%s", phase, err, out)
	}
	listed := slices.ContainsFunc(admins, func(a struct {
		Subject struct{ Kind, Name string } `json:"subject"`
	}) bool {
		return a.Subject.Kind == "User" && a.Subject.Name == roSecretReader
	})
	if listed != optIn || strings.Contains(stderr, "not assessed") == optIn {
		t.Errorf("%s: rbac admins -o json: %s listed %v (want %v), stderr %q", phase, reader, listed, optIn, stderr)
	}
	out, _ = run(0, "rbac", "paths", "user:"+roSecretReader)
	if optIn {
		if !strings.Contains(out, "reaches cluster-admin power") || !strings.Contains(out, roNamespace+"/"+roToken) {
			t.Errorf("%s: rbac paths: want the path through %s/%s:\n%s", phase, roNamespace, roToken, out)
		}
	} else if !strings.Contains(out, "has no path") || !strings.Contains(out, gapLine) {
		t.Errorf("%s: rbac paths: want no path, and the gap said:\n%s", phase, out)
	}
}

// readOnlyProbe: the probe needs no rights; it runs with the reader's
// kubeconfig (server and CA only) like the others.
func readOnlyProbe(t *testing.T, kc string) {
	t.Helper()
	stdout, stderr, code := runAPIGuard(t, "probe", "--kubeconfig", kc, "-o", "json")
	if code != 0 && code != 1 {
		t.Fatalf("probe: exit %d: %s", code, stderr)
	}
	var r report
	if err := json.Unmarshal(stdout, &r); err != nil || len(r.Findings) == 0 {
		t.Fatalf("probe: %v, %d findings\n%s", err, len(r.Findings), stdout)
	}
}

// readOnlyAudit proves from the audit log what the reader did: reads only,
// no Secret get, Secret lists only by type; before the opt-in they were
// refused (403: no Secret left the server), after it they were answered.
func readOnlyAudit(t *testing.T, c *lab.Cluster, optInAt time.Time) {
	t.Helper()
	if c.AuditLogPath == "" {
		t.Fatal("the hardened profile has no audit log")
	}
	var events []auditEvent
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	poll(t, ctx, "the audit log records the reader's Secret lists of both phases", func() bool {
		events = readAudit(t, c.AuditLogPath, roUser)
		var before, after bool
		for _, e := range events {
			if e.isSecretList() && e.ResponseStatus != nil && strings.HasPrefix(e.UserAgent, "apiguard/") {
				before = before || e.RequestReceived.Before(optInAt)
				after = after || !e.RequestReceived.Before(optInAt)
			}
		}
		return before && after
	})
	// apiguard's requests, and this test's own client-go tries
	// (defaultCannotReadSecrets), told apart by user agent.
	var tool, tries []auditEvent
	for _, e := range events {
		if strings.HasPrefix(e.UserAgent, "apiguard/") {
			tool = append(tool, e)
		} else {
			tries = append(tries, e)
		}
	}
	violations, requests := auditViolations(tool)
	for _, v := range violations {
		t.Errorf("apiguard as %s: %s", roUser, v)
	}
	var refused, answered int
	for _, e := range tool {
		if e.ObjectRef == nil || e.ObjectRef.Resource != "secrets" || e.ResponseStatus == nil {
			continue
		}
		u, err := url.Parse(e.RequestURI)
		if err != nil {
			t.Fatal(err)
		}
		code := e.ResponseStatus.Code
		switch {
		case !e.isSecretList() || !strings.HasPrefix(u.Query().Get("fieldSelector"), "type="):
			t.Errorf("apiguard made a Secret request that is not a list by type: %s %s", e.Verb, e.RequestURI)
		case e.RequestReceived.Before(optInAt) && code != 403:
			t.Errorf("before the opt-in, apiguard's Secret list was answered %d: %s", code, e.RequestURI)
		case e.RequestReceived.Before(optInAt):
			refused++
		case code != 200:
			t.Errorf("with the opt-in, apiguard's Secret list was answered %d: %s", code, e.RequestURI)
		default:
			answered++
		}
	}
	if refused == 0 || answered == 0 {
		t.Errorf("apiguard's Secret lists: %d refused before the opt-in, %d answered after: want both", refused, answered)
	}
	tried := 0
	for _, e := range tries {
		if e.ObjectRef != nil && e.ObjectRef.Resource == "secrets" && e.ResponseStatus != nil {
			tried++
			if e.ResponseStatus.Code != 403 {
				t.Errorf("the default credential's %s %s was answered %d, want 403", e.Verb, e.RequestURI, e.ResponseStatus.Code)
			}
		}
	}
	if tried < 5 {
		t.Errorf("the audit log holds %d of the test's own Secret reads as %s, want at least 5 (get, list, list, watch, metadata list)", tried, roUser)
	}
	t.Logf("%d audit events by apiguard as %s: %d Secret lists by type refused before the opt-in, %d answered after; the test's own %d Secret reads all refused",
		len(requests), roUser, refused, answered, tried)

	// Control: the same policy does record what the proof looks for. Another
	// member of apiguard:readers tries a write and a Secret get (both
	// forbidden), and both must show up as violations.
	const control = "apiguard-e2e-control"
	cc := c.UserClient(t, control, "apiguard:readers")
	_, err := cc.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "apiguard-e2e-control"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("control: create configmap as %s: want Forbidden, got %v", control, err)
	}
	_, err = cc.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, "anything", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("control: get secret as %s: want Forbidden, got %v", control, err)
	}
	var cv []string
	for deadline := time.Now().Add(10 * time.Second); len(cv) < 2 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		cv, _ = auditViolations(readAudit(t, c.AuditLogPath, control))
	}
	if len(cv) != 2 {
		t.Errorf("control: the audit log shows %d violation(s) by %s, want 2 (create configmaps, get secrets): %q", len(cv), control, cv)
	}
}
