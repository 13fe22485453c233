// Package loadgen produces audit.k8s.io/v1 EventList bodies shaped like the
// ones kube-apiserver's webhook backend sends (batches of up to 400 events, a
// realistic mix of Metadata and RequestResponse events), and posts them to a
// receiver as the server does. It drives the receiver's load test
// (bench/auditserve.go and internal/auditserve's TestLoad).
package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// AuditID returns the auditID of event number n: a UUID-shaped string whose
// last 12 hex digits carry n, so that batches can be renumbered in place.
func AuditID(n uint64) string {
	return fmt.Sprintf("6f1c2a3e-0000-4000-8000-%012x", n)
}

const idPrefix = "6f1c2a3e-0000-4000-8000-"

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// podJSON is a realistic pod body (what a RequestResponse create records).
const podJSON = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7d4b9c6f5-x2x7q","generateName":"web-7d4b9c6f5-","namespace":"shop","uid":"0b1f7c1e-59a4-4a51-9a55-5b7c4d9a1e20","resourceVersion":"184467","creationTimestamp":"2026-03-01T12:00:00Z","labels":{"app":"web","pod-template-hash":"7d4b9c6f5","tier":"frontend"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-02-28T09:12:44Z"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c6f5","uid":"8c0a1a53-3f7e-4f0e-9a0a-1c1f0b6c9d11","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"kube-api-access-8q2lx","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"containers":[{"name":"web","image":"registry.example.com/shop/web:1.24.3","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"kube-api-access-8q2lx","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"web","serviceAccount":"web","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"Burstable"}}`

// Event returns event number n of the realistic mix: about three in four are
// Metadata-level reads, writes and watches by controllers, nodes and users;
// the rest are RequestResponse pod creations with bodies (about 5 KiB); one
// in 400 (n%400 == 399) is an attack, an exec into a pod reading its
// ServiceAccount token, which the built-in rules alert on.
func Event(n uint64) auditv1.Event {
	ts := metav1.NewMicroTime(base.Add(time.Duration(n) * time.Millisecond))
	e := auditv1.Event{
		Level:                    auditv1.LevelMetadata,
		AuditID:                  types.UID(AuditID(n)),
		Stage:                    auditv1.StageResponseComplete,
		SourceIPs:                []string{"10.0.3.17"},
		RequestReceivedTimestamp: ts,
		StageTimestamp:           metav1.NewMicroTime(ts.Add(3 * time.Millisecond)),
		ResponseStatus:           &metav1.Status{Code: 200},
		Annotations: map[string]string{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"`,
		},
	}
	switch {
	case n%400 == 399: // exec reading the ServiceAccount token
		e.Verb = "create"
		e.RequestURI = "/api/v1/namespaces/shop/pods/web-7d4b9c6f5-x2x7q/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=web&stderr=true&stdout=true"
		e.User = authnv1.UserInfo{Username: "alice@example.com", Groups: []string{"developers", "system:authenticated"}}
		e.UserAgent = "kubectl/v1.36.3 (linux/amd64) kubernetes/abcdef0"
		e.SourceIPs = []string{"192.168.7.21"}
		e.ObjectRef = &auditv1.ObjectReference{Resource: "pods", Namespace: "shop", Name: "web-7d4b9c6f5-x2x7q", APIVersion: "v1", Subresource: "exec"}
		e.Annotations = map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": `RBAC: allowed by RoleBinding "dev-edit/shop" of ClusterRole "edit" to Group "developers"`}
		e.Stage = auditv1.StageResponseStarted
		e.ResponseStatus = &metav1.Status{Code: 101}
	case n%8 <= 2: // controller reads
		e.Verb = "get"
		e.RequestURI = "/api/v1/namespaces/shop/pods/web-7d4b9c6f5-x2x7q"
		e.User = authnv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller", UID: "5b0e2a2c-8a1f-4d8b-9c61-2f7b1c3d4e5f", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
		e.UserAgent = "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:replicaset-controller"
		e.ObjectRef = &auditv1.ObjectReference{Resource: "pods", Namespace: "shop", Name: "web-7d4b9c6f5-x2x7q", APIVersion: "v1"}
	case n%8 == 3: // node status update
		e.Verb = "patch"
		e.RequestURI = "/api/v1/nodes/worker-3/status?timeout=10s"
		e.User = authnv1.UserInfo{Username: "system:node:worker-3", Groups: []string{"system:nodes", "system:authenticated"}}
		e.UserAgent = "kubelet/v1.36.3 (linux/amd64) kubernetes/abcdef0"
		e.SourceIPs = []string{"10.0.1.23"}
		e.ObjectRef = &auditv1.ObjectReference{Resource: "nodes", Name: "worker-3", APIVersion: "v1", Subresource: "status"}
		e.Annotations = map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
	case n%8 == 4: // a watch
		e.Verb = "watch"
		e.RequestURI = "/api/v1/namespaces/shop/configmaps?allowWatchBookmarks=true&resourceVersion=184001&timeout=7m39s&timeoutSeconds=459&watch=true"
		e.User = authnv1.UserInfo{Username: "system:serviceaccount:shop:web", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"},
			Extra: map[string]authnv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"web-7d4b9c6f5-x2x7q"}, "authentication.kubernetes.io/pod-uid": {"0b1f7c1e-59a4-4a51-9a55-5b7c4d9a1e20"}}}
		e.UserAgent = "web/1.24.3"
		e.SourceIPs = []string{"10.244.2.9"}
		e.ObjectRef = &auditv1.ObjectReference{Resource: "configmaps", Namespace: "shop", APIVersion: "v1"}
		e.Stage = auditv1.StageResponseStarted
	case n%8 == 5: // a human listing secrets
		e.Verb = "list"
		e.RequestURI = "/api/v1/namespaces/shop/secrets?limit=500"
		e.User = authnv1.UserInfo{Username: "alice@example.com", Groups: []string{"developers", "system:authenticated"}}
		e.UserAgent = "kubectl/v1.36.3 (linux/amd64) kubernetes/abcdef0"
		e.SourceIPs = []string{"192.168.7.21"}
		e.ObjectRef = &auditv1.ObjectReference{Resource: "secrets", Namespace: "shop", APIVersion: "v1"}
		e.Annotations = map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": `RBAC: allowed by RoleBinding "dev-edit/shop" of ClusterRole "edit" to Group "developers"`}
	default: // RequestResponse pod creation by the replicaset controller
		e.Level = auditv1.LevelRequestResponse
		e.Verb = "create"
		e.RequestURI = "/api/v1/namespaces/shop/pods"
		e.User = authnv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller", UID: "5b0e2a2c-8a1f-4d8b-9c61-2f7b1c3d4e5f", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
		e.UserAgent = "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:replicaset-controller"
		e.ObjectRef = &auditv1.ObjectReference{Resource: "pods", Namespace: "shop", Name: "web-7d4b9c6f5-x2x7q", APIVersion: "v1"}
		e.ResponseStatus = &metav1.Status{Code: 201}
		e.RequestObject = &runtime.Unknown{Raw: []byte(podJSON), ContentType: runtime.ContentTypeJSON}
		e.ResponseObject = &runtime.Unknown{Raw: []byte(podJSON), ContentType: runtime.ContentTypeJSON}
		e.Annotations["pod-security.kubernetes.io/enforce-policy"] = "baseline:latest"
	}
	return e
}

// List returns events first .. first+n-1 as an EventList.
func List(first uint64, n int) *auditv1.EventList {
	l := &auditv1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "audit.k8s.io/v1"}}
	for i := range n {
		l.Items = append(l.Items, Event(first+uint64(i)))
	}
	return l
}

// Body returns the JSON body of List(first, n), as the webhook backend sends it.
func Body(first uint64, n int) []byte {
	b, err := json.Marshal(List(first, n))
	if err != nil {
		panic(err)
	}
	return b
}

// Batch is a pre-encoded EventList body that can be renumbered in place:
// Renumber(first) makes its events first .. first+N-1 without re-encoding,
// so a sender spends its CPU on the wire, not on JSON.
type Batch struct {
	Body []byte
	N    int
	offs []int // offset of each auditID's 12 counter digits, in item order
}

// NewBatch pre-encodes a batch of n events of the mix.
func NewBatch(n int) *Batch {
	body := Body(0, n)
	b := &Batch{Body: body, N: n}
	from := 0
	for range n {
		i := bytes.Index(body[from:], []byte(`"auditID":"`+idPrefix))
		if i < 0 {
			panic("loadgen: auditID not found")
		}
		off := from + i + len(`"auditID":"`+idPrefix)
		b.offs = append(b.offs, off)
		from = off + 12
	}
	return b
}

// Renumber rewrites the auditIDs to first .. first+N-1. Event shapes keep
// the mix of the numbers they were encoded with (0 .. N-1), which is what
// the load cares about.
func (b *Batch) Renumber(first uint64) {
	var buf [12]byte
	for i, off := range b.offs {
		s := strconv.AppendUint(buf[:0], first+uint64(i), 16)
		pad := 12 - len(s)
		for j := range pad {
			b.Body[off+j] = '0'
		}
		copy(b.Body[off+pad:off+12], s)
	}
}
