package auditserve

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

// attackEvents: a cluster-admin binding, a burst of forbidden requests by
// one user (a windowed rule) and a Secret listed cluster-wide.
func attackEvents(t0 time.Time) []auditv1.Event {
	ev := func(i int, verb, uri string, ref *auditv1.ObjectReference, code int32, decision string) auditv1.Event {
		ts := metav1.NewMicroTime(t0.Add(time.Duration(i) * time.Millisecond))
		return auditv1.Event{Level: auditv1.LevelRequestResponse, AuditID: types.UID(fmt.Sprintf("a77ac000-0000-4000-8000-%012d", i)),
			Stage: auditv1.StageResponseComplete, Verb: verb, RequestURI: uri, ObjectRef: ref,
			User:      authnv1.UserInfo{Username: "mallory", Groups: []string{"system:authenticated"}},
			SourceIPs: []string{"192.0.2.10"}, UserAgent: "kubectl/v1.36.3", ResponseStatus: &metav1.Status{Code: code},
			RequestReceivedTimestamp: ts, StageTimestamp: ts,
			Annotations: map[string]string{"authorization.k8s.io/decision": decision, "authorization.k8s.io/reason": ""}}
	}
	crb := `{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"pwn"},"subjects":[{"kind":"User","name":"mallory"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}}`
	bind := ev(0, "create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
		&auditv1.ObjectReference{Resource: "clusterrolebindings", APIGroup: "rbac.authorization.k8s.io", APIVersion: "v1"}, 201, "allow")
	bind.RequestObject, bind.ResponseObject = &runtime.Unknown{Raw: []byte(crb)}, &runtime.Unknown{Raw: []byte(crb)}
	out := []auditv1.Event{bind}
	for i := 1; i <= 25; i++ {
		out = append(out, ev(i, "list", "/api/v1/namespaces/kube-system/secrets", &auditv1.ObjectReference{Resource: "secrets", Namespace: "kube-system", APIVersion: "v1"}, 403, "forbid"))
	}
	out = append(out, ev(26, "list", "/api/v1/secrets", &auditv1.ObjectReference{Resource: "secrets", APIVersion: "v1"}, 200, "allow"))
	return out
}

func alertKeys(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule+" "+a.AuditID+" "+a.Key)
	}
	sort.Strings(out)
	return out
}

// TestPipelineAlertsAsProcess: with the real engine, the receiver and its
// durable pipeline raise exactly the alerts of Process over the same events
// in order.
func TestPipelineAlertsAsProcess(t *testing.T) {
	var events []auditv1.Event
	events = append(events, loadgen.List(0, 200).Items...)
	events = append(events, attackEvents(time.Now())...)
	events = append(events, loadgen.List(200, 200).Items...)

	ref, err := detect.New(detect.Builtin(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []Alert
	for i := range events {
		want = append(want, ref.Process(&events[i])...)
	}
	want = append(want, ref.Flush()...)

	eng, _ := detect.New(detect.Builtin(), detect.Options{})
	sink := &memSink{}
	p := newTestPKI(t)
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng, Sinks: []alertsink.Deliverer{sink}})
	c := client(p, &p.client)
	for from := 0; from < len(events); from += 100 { // in order, one batch at a time
		body, _ := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events[from:min(from+100, len(events))]})
		mustStatus(t, post2(t, c, r.url, body), nil, 200)
	}
	if err := r.shutdown(t); err != nil {
		t.Fatal(err)
	}
	got, wantK := alertKeys(sink.all()), alertKeys(want)
	if fmt.Sprint(got) != fmt.Sprint(wantK) {
		t.Fatalf("alerts differ from Process:\n got %v\nwant %v", got, wantK)
	}
	for _, rule := range []string{"AG-DET-401", "AG-DET-701", "AG-DET-601"} {
		found := false
		for _, a := range sink.all() {
			found = found || a.Rule == rule
		}
		if !found {
			t.Errorf("no %s alert (want the attack events to alert): %v", rule, got)
		}
	}
}
