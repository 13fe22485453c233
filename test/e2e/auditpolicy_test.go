package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// trickyPolicy exercises the semantics a policy author gets wrong. The
// comments say what kube-apiserver does; the test proves apiguard's
// `audit policy eval` predicts it for every event the server logs, and
// predicts None for every request it does not log.
const trickyPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
# 0: resourceNames never match a create (no name when the policy is
# evaluated), but do match a list with a metadata.name field selector.
- level: None
  resources:
  - group: ""
    resources: ["configmaps"]
    resourceNames: ["e2e-cm"]
# 1: "pods" does not match pods/exec, pods/attach or pods/ephemeralcontainers.
- level: RequestResponse
  resources:
  - group: ""
    resources: ["pods"]
# 2: omitStages are unioned with the policy's.
- level: Request
  resources:
  - group: ""
    resources: ["pods/exec", "pods/attach"]
  omitStages: ["ResponseStarted"]
# 3: the policy is evaluated before impersonation: never matches.
- level: None
  users: ["e2e-impersonated"]
# 4: group matching.
- level: Request
  userGroups: ["dev"]
# 5: non-resource URLs: prefix and exact.
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
# 6: a None rule that swallows a whole namespace.
- level: None
  namespaces: ["kube-system"]
# 7: anonymous clients (Request adds nothing for URLs).
- level: Request
  userGroups: ["system:unauthenticated"]
# 8: status writes of any group.
- level: None
  verbs: ["update", "patch"]
  resources:
  - group: "*"
    resources: ["*/status"]
# 9: misspelled: kube-apiserver drops "resource" and this becomes a catch-all.
- level: Metadata
  resource:
  - group: ""
    resources: ["secrets"]
# 10: never reached.
- level: RequestResponse
`

// auditProbe is one request the test makes and the attributes
// kube-apiserver's request-info resolver gives it (checked against the
// event whenever it is logged).
type auditProbe struct {
	id, who, method, path, body, ctype   string
	verb, group, resource, sub, ns, name string // resource "" = non-resource request
}

const (
	mergePatch     = "application/merge-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
)

var auditProbes = []auditProbe{
	{id: "secret-get", who: "admin", method: "GET", path: "/api/v1/namespaces/default/secrets/nope", verb: "get", resource: "secrets", ns: "default", name: "nope"},
	{id: "secret-get-kube-system", who: "admin", method: "GET", path: "/api/v1/namespaces/kube-system/secrets/nope", verb: "get", resource: "secrets", ns: "kube-system", name: "nope"},
	{id: "secrets-list", who: "admin", method: "GET", path: "/api/v1/secrets?limit=5", verb: "list", resource: "secrets"},
	{id: "secrets-watch", who: "admin", method: "GET", path: "/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=1", verb: "watch", resource: "secrets", ns: "default"},
	{id: "cm-create", who: "admin", method: "POST", path: "/api/v1/namespaces/default/configmaps", body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"e2e-cm"},"data":{"a":"b"}}`, verb: "create", resource: "configmaps", ns: "default"},
	{id: "cm-get", who: "admin", method: "GET", path: "/api/v1/namespaces/default/configmaps/e2e-cm", verb: "get", resource: "configmaps", ns: "default", name: "e2e-cm"},
	{id: "cm-list-by-name", who: "admin", method: "GET", path: "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3De2e-cm", verb: "list", resource: "configmaps", ns: "default", name: "e2e-cm"},
	{id: "cm-list", who: "admin", method: "GET", path: "/api/v1/namespaces/default/configmaps", verb: "list", resource: "configmaps", ns: "default"},
	{id: "cm-patch", who: "admin", method: "PATCH", path: "/api/v1/namespaces/default/configmaps/e2e-cm", body: `{"data":{"a":"c"}}`, ctype: mergePatch, verb: "patch", resource: "configmaps", ns: "default", name: "e2e-cm"},
	{id: "cm-delete", who: "admin", method: "DELETE", path: "/api/v1/namespaces/default/configmaps/e2e-cm", verb: "delete", resource: "configmaps", ns: "default", name: "e2e-cm"},
	{id: "pod-create", who: "admin", method: "POST", path: "/api/v1/namespaces/default/pods", body: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"e2e-pod"},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"registry.k8s.io/pause:3.10"}]}}`, verb: "create", resource: "pods", ns: "default"},
	{id: "pods-list", who: "admin", method: "GET", path: "/api/v1/namespaces/default/pods", verb: "list", resource: "pods", ns: "default"},
	{id: "pods-watch", who: "admin", method: "GET", path: "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1", verb: "watch", resource: "pods", ns: "default"},
	{id: "pod-status", who: "admin", method: "PATCH", path: "/api/v1/namespaces/default/pods/e2e-pod/status", body: `{"metadata":{"labels":{"e2e":"status"}}}`, ctype: mergePatch, verb: "patch", resource: "pods", sub: "status", ns: "default", name: "e2e-pod"},
	{id: "exec-create", who: "admin", method: "POST", path: "/api/v1/namespaces/default/pods/e2e-pod/exec?command=ls&stdout=true", verb: "create", resource: "pods", sub: "exec", ns: "default", name: "e2e-pod"},
	{id: "exec-get", who: "admin", method: "GET", path: "/api/v1/namespaces/default/pods/e2e-pod/exec?command=ls&stdout=true", verb: "get", resource: "pods", sub: "exec", ns: "default", name: "e2e-pod"},
	{id: "attach", who: "admin", method: "POST", path: "/api/v1/namespaces/default/pods/e2e-pod/attach?stdout=true", verb: "create", resource: "pods", sub: "attach", ns: "default", name: "e2e-pod"},
	{id: "portforward", who: "admin", method: "POST", path: "/api/v1/namespaces/default/pods/e2e-pod/portforward?ports=80", verb: "create", resource: "pods", sub: "portforward", ns: "default", name: "e2e-pod"},
	{id: "ephemeral", who: "admin", method: "PATCH", path: "/api/v1/namespaces/default/pods/e2e-pod/ephemeralcontainers", body: `{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox"}]}}`, ctype: strategicPatch, verb: "patch", resource: "pods", sub: "ephemeralcontainers", ns: "default", name: "e2e-pod"},
	{id: "pod-delete", who: "admin", method: "DELETE", path: "/api/v1/namespaces/default/pods/e2e-pod?gracePeriodSeconds=0", verb: "delete", resource: "pods", ns: "default", name: "e2e-pod"},
	{id: "node-proxy", who: "admin", method: "GET", path: "/api/v1/nodes/lab-control-plane/proxy/healthz", verb: "get", resource: "nodes", sub: "proxy", name: "lab-control-plane"},
	{id: "crb-create", who: "admin", method: "POST", path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body: `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"e2e-crb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"e2e-nobody","apiGroup":"rbac.authorization.k8s.io"}]}`, verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"},
	{id: "crb-delete", who: "admin", method: "DELETE", path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/e2e-crb", verb: "delete", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", name: "e2e-crb"},
	{id: "token-create", who: "admin", method: "POST", path: "/api/v1/namespaces/default/serviceaccounts/e2e-sa/token", body: `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}}`, verb: "create", resource: "serviceaccounts", sub: "token", ns: "default", name: "e2e-sa"},
	{id: "ns-patch", who: "admin", method: "PATCH", path: "/api/v1/namespaces/default", body: `{"metadata":{"labels":{"e2e":"x"}}}`, ctype: mergePatch, verb: "patch", resource: "namespaces", ns: "default", name: "default"},
	{id: "events-deletecollection", who: "admin", method: "DELETE", path: "/api/v1/namespaces/default/events", verb: "deletecollection", resource: "events", ns: "default"},
	{id: "ssrr", who: "admin", method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}}`, verb: "create", group: "authorization.k8s.io", resource: "selfsubjectrulesreviews"},
	{id: "unknown-resource", who: "admin", method: "GET", path: "/apis/example.com/v1/namespaces/default/widgets", verb: "list", group: "example.com", resource: "widgets", ns: "default"},
	{id: "metrics", who: "admin", method: "GET", path: "/metrics", verb: "get"},
	{id: "version", who: "admin", method: "GET", path: "/version", verb: "get"},
	{id: "healthz-etcd", who: "admin", method: "GET", path: "/healthz/etcd", verb: "get"},
	{id: "apis", who: "admin", method: "GET", path: "/apis/apps", verb: "get"},
	{id: "impersonated", who: "impersonating", method: "GET", path: "/api/v1/namespaces/default/pods", verb: "list", resource: "pods", ns: "default"},
	{id: "impersonation-denied", who: "alice-impersonating", method: "GET", path: "/api/v1/namespaces/default/secrets", verb: "list", resource: "secrets", ns: "default"},
	{id: "alice-secret", who: "alice", method: "GET", path: "/api/v1/namespaces/default/secrets/db", verb: "get", resource: "secrets", ns: "default", name: "db"},
	{id: "alice-deploy", who: "alice", method: "POST", path: "/apis/apps/v1/namespaces/default/deployments", body: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}`, verb: "create", group: "apps", resource: "deployments", ns: "default"},
	{id: "alice-kube-system", who: "alice", method: "GET", path: "/api/v1/namespaces/kube-system/configmaps/kubeadm-config", verb: "get", resource: "configmaps", ns: "kube-system", name: "kubeadm-config"},
	{id: "sa-pods", who: "sa", method: "GET", path: "/api/v1/namespaces/default/pods", verb: "list", resource: "pods", ns: "default"},
	{id: "sa-exec", who: "sa", method: "POST", path: "/api/v1/namespaces/default/pods/web/exec?command=id", verb: "create", resource: "pods", sub: "exec", ns: "default", name: "web"},
	{id: "anon-healthz", who: "anonymous", method: "GET", path: "/healthz", verb: "get"},
	{id: "anon-livez", who: "anonymous", method: "GET", path: "/livez", verb: "get"},
	{id: "anon-version", who: "anonymous", method: "GET", path: "/version", verb: "get"},
	{id: "anon-namespaces", who: "anonymous", method: "GET", path: "/api/v1/namespaces", verb: "list", resource: "namespaces"},
	{id: "anon-secrets", who: "anonymous", method: "GET", path: "/api/v1/namespaces/kube-system/secrets", verb: "list", resource: "secrets", ns: "kube-system"},
	{id: "anon-post", who: "anonymous", method: "POST", path: "/apis/authentication.k8s.io/v1/tokenreviews", body: `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"x"}}`, verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"},
}

// identity is who a probe is made as, as the audit filter sees it.
type identity struct {
	client *http.Client
	header http.Header
	user   string
	groups []string
	noUser func(path string) bool // authentication fails for this path
}

// TestAuditPolicy runs kube-apiserver with several audit policies (one
// server per policy, one after the other), makes the same varied requests
// against each, and proves that `apiguard audit policy eval --events`
// gives the level the server logged for every event of its audit log, and
// that `eval` predicts None for every request the server did not log.
func TestAuditPolicy(t *testing.T) {
	rec, stderr, code := runAPIGuard(t, "audit", "policy", "recommend", "--profile", "standard")
	if code != 0 {
		t.Fatalf("recommend: exit %d: %s", code, stderr)
	}
	kubeUp, err := os.ReadFile(filepath.Join("..", "..", "internal", "auditpolicy", "testdata", "kube-up.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name    string
		policy  string
		profile lab.Profile // hardened: anonymous only for health paths (401 otherwise); kubeadm-like: system:anonymous
	}{
		{"tricky", trickyPolicy, lab.KubeadmLike},
		{"recommended", string(rec), lab.Hardened},
		{"kube-up", string(kubeUp), lab.KubeadmLike},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			policyPath := filepath.Join(dir, "audit-policy.yaml")
			if err := os.WriteFile(policyPath, []byte(sc.policy), 0o644); err != nil {
				t.Fatal(err)
			}
			p := sc.profile.With("--audit-policy-file=" + policyPath)
			if sc.profile.Name != lab.Hardened.Name {
				p = p.With("--audit-log-path=" + filepath.Join(dir, "audit.log"))
			}
			c := lab.Start(t, p)
			if i == 0 {
				t.Run("discovery", func(t *testing.T) { builtinResourcesMatchDiscovery(t, c) })
			}
			auditPolicyScenario(t, c, sc.name, policyPath)
		})
	}
}

func auditPolicyScenario(t *testing.T, c *lab.Cluster, name, policyPath string) {
	ctx := context.Background()
	admin := c.AdminClient(t)
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "e2e-sa"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tokenTTL := int64(2 * 3600)
	tr, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "e2e-sa", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &tokenTTL}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hardened := c.Profile.Name == lab.Hardened.Name
	ids := map[string]identity{
		"admin":         {client: httpClient(t, lab.RESTConfig(t, c.AdminKubeconfig)), user: "kubernetes-admin", groups: []string{"kubeadm:cluster-admins", "system:authenticated"}},
		"impersonating": {client: httpClient(t, lab.RESTConfig(t, c.AdminKubeconfig)), user: "kubernetes-admin", groups: []string{"kubeadm:cluster-admins", "system:authenticated"}, header: http.Header{"Impersonate-User": {"e2e-impersonated"}, "Impersonate-Group": {"dev"}}},
		"alice":         {client: httpClient(t, lab.RESTConfig(t, c.UserKubeconfig(t, "alice", "dev"))), user: "alice", groups: []string{"dev", "system:authenticated"}},
		"sa":            {client: httpClient(t, lab.RESTConfig(t, c.TokenKubeconfig(t, "e2e-sa", tr.Status.Token))), user: "system:serviceaccount:default:e2e-sa", groups: []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}},
		"anonymous": {client: httpClient(t, &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath}}), user: "system:anonymous", groups: []string{"system:unauthenticated"},
			// The Hardened profile allows anonymous requests only to the
			// health endpoints; elsewhere authentication fails (401).
			noUser: func(path string) bool {
				return hardened && !slices.Contains([]string{"/livez", "/readyz", "/healthz"}, path)
			}},
	}
	ids["alice-impersonating"] = identity{client: ids["alice"].client, user: "alice", groups: ids["alice"].groups, header: http.Header{"Impersonate-User": {"system:admin"}}}

	prefix := "e2e-" + name + "-"
	statuses := map[string]int{}
	for _, pr := range auditProbes {
		statuses[pr.id] = doProbe(t, c, ids[pr.who], pr, prefix+pr.id)
	}
	// A last request every policy logs; once its event is written, all
	// earlier ones are (the log backend blocks).
	sentinel := auditProbe{id: "sentinel", who: "admin", method: "GET", path: "/api/v1/namespaces/default/configmaps/sentinel"}
	doProbe(t, c, ids["admin"], sentinel, prefix+"sentinel")
	logCopy := filepath.Join(t.TempDir(), "audit.log")
	events := waitForEvent(t, c.AuditLogPath, logCopy, prefix+"sentinel")

	// 1. Every logged event: eval --events predicts its level.
	start := time.Now()
	out, stderr, code := runAPIGuard(t, "audit", "policy", "eval", policyPath, "--events", logCopy)
	if code != 0 {
		t.Fatalf("eval --events: exit %d: %s", code, stderr)
	}
	var preds []struct {
		AuditID   string `json:"auditID"`
		Level     string `json:"level"`
		RuleIndex *int   `json:"ruleIndex"`
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var p struct {
			AuditID   string `json:"auditID"`
			Level     string `json:"level"`
			RuleIndex *int   `json:"ruleIndex"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("eval --events line %q: %v", sc.Text(), err)
		}
		preds = append(preds, p)
	}
	if len(preds) != len(events) {
		t.Fatalf("eval --events printed %d lines for %d events", len(preds), len(events))
	}
	var wrong []string
	for i, e := range events {
		if preds[i].AuditID != e.AuditID || preds[i].Level != e.Level || preds[i].Level == "None" {
			wrong = append(wrong, fmt.Sprintf("event %s (%s %s as %s, stage %s): logged at %s, predicted %s (rule %v)", e.AuditID, e.Verb, e.RequestURI, e.User.Username, e.Stage, e.Level, preds[i].Level, preds[i].RuleIndex))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d events predicted wrong:\n  %s", len(wrong), len(events), strings.Join(wrong[:min(len(wrong), 20)], "\n  "))
	}
	t.Logf("%s: %d events in the server's audit log, every level predicted (eval --events in %s)", name, len(events), time.Since(start).Round(time.Millisecond))

	// 2. Every probe: logged ones carry the attributes the test expects and
	// no stage the policy omits; unlogged ones are predicted None.
	byID := map[string][]auditEvent{}
	for _, e := range events {
		byID[e.AuditID] = append(byID[e.AuditID], e)
	}
	var logged, dropped []string
	for _, pr := range auditProbes {
		id := ids[pr.who]
		evs := byID[prefix+pr.id]
		d := evalProbe(t, policyPath, id, pr)
		if len(evs) == 0 {
			dropped = append(dropped, pr.id)
			if d.Level != "None" {
				t.Errorf("%s (%s %s as %s, HTTP %d): not logged by the server, but eval predicts %s (rule %v)", pr.id, pr.method, pr.path, pr.who, statuses[pr.id], d.Level, d.RuleIndex)
			}
			continue
		}
		logged = append(logged, pr.id)
		for _, e := range evs {
			if msg := e.differs(pr, id); msg != "" {
				t.Errorf("%s: the event's attributes differ from the test's: %s", pr.id, msg)
			}
			if e.Level != d.Level {
				t.Errorf("%s: logged at %s, eval predicts %s (rule %v)", pr.id, e.Level, d.Level, d.RuleIndex)
			}
			if slices.Contains(d.OmitStages, e.Stage) {
				t.Errorf("%s: stage %s logged, eval says it is omitted (%v)", pr.id, e.Stage, d.OmitStages)
			}
		}
	}
	t.Logf("%s: %d probes logged (%s), %d not logged and predicted None (%s)", name, len(logged), strings.Join(logged, " "), len(dropped), strings.Join(dropped, " "))
	if len(logged) == 0 {
		t.Errorf("no probe was logged")
	}

	loggedBodies(t, name, events)
	if name == "tricky" {
		trickyExpectations(t, byID, prefix)
	}
	if name == "recommended" {
		recommendedTokenRequest(t, logCopy, tr.Status.Token, tokenTTL)
	}
}

// recommendedTokenRequest: the recommended policy logs every TokenRequest
// at Request: its body (spec.expirationSeconds, which AG-DET-303 reads) is
// in the log, the issued token (in the response) is not.
func recommendedTokenRequest(t *testing.T, logPath, token string, ttl int64) {
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if token == "" || bytes.Contains(data, []byte(token)) {
		t.Errorf("recommended: the issued token is in the audit log (or empty: %q)", token)
	}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e struct {
			Level     string `json:"level"`
			Verb      string `json:"verb"`
			ObjectRef *struct {
				Resource, Subresource, Name string
			} `json:"objectRef"`
			RequestObject *struct {
				Spec struct {
					ExpirationSeconds int64 `json:"expirationSeconds"`
				} `json:"spec"`
			} `json:"requestObject"`
			ResponseObject json.RawMessage `json:"responseObject"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Verb != "create" || e.ObjectRef == nil || e.ObjectRef.Resource != "serviceaccounts" || e.ObjectRef.Subresource != "token" || e.ObjectRef.Name != "e2e-sa" {
			continue
		}
		if e.Level != "Request" || e.RequestObject == nil || len(e.ResponseObject) > 0 {
			t.Errorf("recommended: TokenRequest logged at %s, requestObject %+v, responseObject %s; want Request with the request body and no response", e.Level, e.RequestObject, e.ResponseObject)
		} else if e.RequestObject.Spec.ExpirationSeconds == ttl {
			found = true
		}
	}
	if !found {
		t.Errorf("recommended: no TokenRequest for e2e-sa with expirationSeconds %d in the audit log", ttl)
	}
}

// loggedBodies: which bodies kube-apiserver writes, as lint's AP004 and
// coverage's "at most" assume (auditpolicy.CredentialLimit): a read (get,
// list, watch) never has a requestObject, whatever the level, and a
// watch never has a responseObject (its events are streamed), so a Secret
// read at Request or watched at RequestResponse leaks nothing.
func loggedBodies(t *testing.T, name string, events []auditEvent) {
	reads := 0
	for _, e := range events {
		switch e.Verb {
		case "get", "list", "watch":
		default:
			continue
		}
		if e.ObjectRef == nil {
			continue
		}
		if e.Level == "Request" || e.Level == "RequestResponse" {
			reads++
		}
		if len(e.RequestObject) > 0 {
			t.Errorf("%s: %s %s at %s has a requestObject", name, e.Verb, e.RequestURI, e.Level)
		}
		if e.Verb == "watch" && len(e.ResponseObject) > 0 {
			t.Errorf("%s: watch %s at %s has a responseObject", name, e.RequestURI, e.Level)
		}
	}
	t.Logf("%s: %d reads logged at Request or RequestResponse, none with a request body, no watch with a response", name, reads)
}

// trickyExpectations pins the semantics the tricky policy is about, so a
// change in kube-apiserver (or in the lab) shows up by name.
func trickyExpectations(t *testing.T, byID map[string][]auditEvent, prefix string) {
	level := func(id string) string {
		if evs := byID[prefix+id]; len(evs) > 0 {
			return evs[0].Level
		}
		return "None"
	}
	stages := func(id string) []string {
		var s []string
		for _, e := range byID[prefix+id] {
			s = append(s, e.Stage)
		}
		return s
	}
	for id, want := range map[string]string{
		"cm-create":              "Metadata",        // resourceNames do not match a create: rule 9, not rule 0
		"cm-get":                 "None",            // rule 0
		"cm-list-by-name":        "None",            // rule 0: the field selector gives the list a name
		"cm-list":                "Metadata",        // no name: rule 9
		"pod-create":             "RequestResponse", // rule 1
		"pods-list":              "RequestResponse", // rule 1
		"pods-watch":             "RequestResponse", // rule 1
		"exec-create":            "Request",         // rule 2: pods does not match pods/exec
		"ephemeral":              "Metadata",        // neither rule 1 nor rule 2
		"impersonated":           "RequestResponse", // rule 1, as kubernetes-admin: rule 3 names the impersonated user
		"alice-secret":           "Request",         // rule 4 (group dev)
		"alice-kube-system":      "Request",         // rule 4 before rule 6
		"secret-get-kube-system": "None",            // rule 6
		"healthz-etcd":           "None",            // rule 5, prefix
		"version":                "None",            // rule 5, exact
		"apis":                   "Metadata",        // rule 9 (the misspelled catch-all)
		"anon-version":           "None",            // rule 5 before rule 7
		"anon-livez":             "Request",         // rule 7 (group system:unauthenticated)
		"pod-status":             "None",            // rule 8: */status
	} {
		if got := level(id); got != want {
			t.Errorf("tricky: %s logged at %s, want %s", id, got, want)
		}
	}
	// The controls of loggedBodies: at RequestResponse a list's response
	// (every pod) is logged, a watch's (the pod it streamed) is not.
	for id, want := range map[string]bool{"pods-list": true, "pods-watch": false} {
		for _, e := range byID[prefix+id] {
			if e.Stage == "ResponseComplete" && (len(e.ResponseObject) > 0) != want {
				t.Errorf("tricky: %s at %s: responseObject %q, want one: %v", id, e.Level, e.ResponseObject, want)
			}
		}
	}
	for _, s := range stages("exec-create") {
		if s == "ResponseStarted" || s == "RequestReceived" {
			t.Errorf("tricky: exec-create logged stage %s, which rule 2 and the policy omit", s)
		}
	}
}

func httpClient(t *testing.T, cfg *rest.Config) *http.Client {
	t.Helper()
	cfg.Timeout = 15 * time.Second
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// doProbe makes the request with its Audit-ID and returns the HTTP status.
func doProbe(t *testing.T, c *lab.Cluster, id identity, pr auditProbe, auditID string) int {
	t.Helper()
	var body io.Reader
	if pr.body != "" {
		body = strings.NewReader(pr.body)
	}
	req, err := http.NewRequest(pr.method, c.URL+pr.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Audit-ID", auditID)
	if pr.body != "" {
		ct := pr.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range id.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := id.client.Do(req)
	if err != nil {
		t.Logf("%s: %v (the request may still be logged)", pr.id, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// differs compares an event with the probe's expected attributes.
func (e auditEvent) differs(pr auditProbe, id identity) string {
	var d []string
	wantUser, wantGroups := id.user, id.groups
	if id.noUser != nil && id.noUser(strings.SplitN(pr.path, "?", 2)[0]) {
		wantUser, wantGroups = "", nil
	}
	if e.User.Username != wantUser || strings.Join(e.User.Groups, ",") != strings.Join(wantGroups, ",") {
		d = append(d, fmt.Sprintf("user %q %v, want %q %v", e.User.Username, e.User.Groups, wantUser, wantGroups))
	}
	if e.Verb != pr.verb {
		d = append(d, fmt.Sprintf("verb %q, want %q", e.Verb, pr.verb))
	}
	switch {
	case pr.resource == "" && e.ObjectRef != nil:
		d = append(d, "a resource request, want a non-resource one")
	case pr.resource != "" && e.ObjectRef == nil:
		d = append(d, "a non-resource request, want a resource one")
	case pr.resource != "":
		o := e.ObjectRef
		name := o.Name
		if pr.verb == "create" && pr.sub == "" {
			name = "" // filled from the body after evaluation
		}
		if o.APIGroup != pr.group || o.Resource != pr.resource || o.Subresource != pr.sub || o.Namespace != pr.ns || name != pr.name {
			d = append(d, fmt.Sprintf("objectRef %+v, want group %q resource %q sub %q ns %q name %q", *o, pr.group, pr.resource, pr.sub, pr.ns, pr.name))
		}
	}
	return strings.Join(d, "; ")
}

// waitForEvent waits until the log holds an event with auditID, then copies
// the log up to its last complete line to dst and returns its events.
func waitForEvent(t *testing.T, src, dst, auditID string) []auditEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
		if bytes.Contains(data, []byte(`"auditID":"`+auditID+`","stage":"ResponseComplete"`)) {
			time.Sleep(300 * time.Millisecond) // let the other stages of slower requests land
			data, _ = os.ReadFile(src)
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				data = data[:i+1]
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var out []auditEvent
			eachLine(t, dst, func(line []byte) {
				var e auditEvent
				if err := json.Unmarshal(line, &e); err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				out = append(out, e)
			})
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no ResponseComplete event for %s after 20s", src, auditID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type evalResult struct {
	Level      string   `json:"level"`
	OmitStages []string `json:"omitStages"`
	RuleIndex  *int     `json:"ruleIndex"`
}

// evalProbe asks `apiguard audit policy eval` about a probe's request.
func evalProbe(t *testing.T, policyPath string, id identity, pr auditProbe) evalResult {
	t.Helper()
	args := []string{"audit", "policy", "eval", policyPath, "-o", "json", "--verb", pr.verb}
	if id.noUser == nil || !id.noUser(strings.SplitN(pr.path, "?", 2)[0]) {
		args = append(args, "--user", id.user)
		for _, g := range id.groups {
			args = append(args, "--group", g)
		}
	}
	if pr.resource == "" {
		args = append(args, "--path", strings.SplitN(pr.path, "?", 2)[0])
	} else {
		args = append(args, "--resource", pr.resource, "--api-group", pr.group)
		if pr.sub != "" {
			args = append(args, "--subresource", pr.sub)
		}
		if pr.ns != "" {
			args = append(args, "-n", pr.ns)
		}
		if pr.name != "" {
			args = append(args, "--name", pr.name)
		}
	}
	out, stderr, code := runAPIGuard(t, args...)
	if code != 0 {
		t.Fatalf("apiguard %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	var r evalResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	return r
}

// builtinResourcesMatchDiscovery: internal/auditpolicy/resources.go lists
// exactly what the real server serves (its wrong-group lint relies on it),
// and none of its off-by-default resources is served by default.
func builtinResourcesMatchDiscovery(t *testing.T, c *lab.Cluster) {
	table := parseResourceTables(t, filepath.Join("..", "..", "internal", "auditpolicy", "resources.go"))
	_, lists, err := c.AdminClient(t).Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, l := range lists {
		group := ""
		if g, _, ok := strings.Cut(l.GroupVersion, "/"); ok {
			group = g
		}
		for _, r := range l.APIResources {
			served[group+" "+r.Name] = true
		}
	}
	var missing, extra, offServed []string
	for k := range served {
		if !table["builtinResources"][k] {
			missing = append(missing, strconv.Quote(k))
		}
		if table["offByDefaultResources"][k] {
			offServed = append(offServed, k)
		}
	}
	for k := range table["builtinResources"] {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra)+len(offServed) > 0 {
		t.Errorf("builtinResources differs from the server's discovery:\n  served but not listed (group resource): %v\n  listed but not served: %v\n  off-by-default but served: %v", missing, extra, offServed)
	}
	t.Logf("builtinResources matches discovery: %d resources", len(served))
}

// parseResourceTables reads the map literals of resources.go with go/ast
// (the product is a separate module).
func parseResourceTables(t *testing.T, path string) map[string]map[string]bool {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				continue
			}
			set := map[string]bool{}
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				k, ok := kv.Key.(*ast.BasicLit)
				if !ok || k.Kind != token.STRING {
					continue
				}
				group, _ := strconv.Unquote(k.Value)
				list, ok := kv.Value.(*ast.CompositeLit)
				if !ok {
					continue
				}
				for _, r := range list.Elts {
					if b, ok := r.(*ast.BasicLit); ok && b.Kind == token.STRING {
						res, _ := strconv.Unquote(b.Value)
						set[group+" "+res] = true
					}
				}
			}
			out[vs.Names[0].Name] = set
		}
	}
	if len(out["builtinResources"]) == 0 {
		t.Fatalf("%s: no builtinResources map literal", path)
	}
	return out
}
