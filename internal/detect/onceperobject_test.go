package detect

import (
	"strings"
	"testing"
	"time"
)

// TestOncePerObject: the host-access rules (AG-DET-409, 410, 411) alert on
// the first privileged write of an object, not again on a write of an object
// a successful privileged write left so within 30 days (an upgrade); a
// refused attempt leaves nothing, another object alerts, and 31 days later
// the same object alerts again.
func TestOncePerObject(t *testing.T) {
	ds := `{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"agent","namespace":"monitoring"},"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"agent:1","securityContext":{"privileged":true}}],"volumes":[{"name":"root","hostPath":{"path":"/"}}]}}}}`
	other := `{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"miner","namespace":"monitoring"},"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}],"volumes":[{"name":"root","hostPath":{"path":"/"}}]}}}}`
	for _, c := range []struct {
		name   string
		events []E
		want   []int // alerts of each rule after each event, cumulative
	}{
		{"install, then an upgrade", []E{
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).code(201),
			ev("update", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).at(2 * time.Hour).code(200),
		}, []int{1, 1}},
		{"a refused install leaves nothing: the next write alerts", []E{
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).code(403),
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).at(time.Minute).code(201),
		}, []int{1, 2}},
		{"a dry run leaves nothing: the real create alerts", []E{
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").uri("/apis/apps/v1/namespaces/monitoring/daemonsets?dryRun=All").req(ds).code(201),
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).at(time.Minute).code(201),
		}, []int{1, 2}},
		{"another object alerts", []E{
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).code(201),
			ev("create", "daemonsets.apps").ns("monitoring").name("miner").user("mallory").req(other).at(time.Minute).code(201),
		}, []int{1, 2}},
		{"31 days later the same object alerts again", []E{
			ev("create", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).code(201),
			ev("update", "daemonsets.apps").ns("monitoring").name("agent").user("helm").req(ds).at(31 * 24 * time.Hour).code(200),
		}, []int{1, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(Builtin(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			n := map[string]int{}
			for i, x := range c.events {
				for _, a := range e.Process(x.build(t, i+1)) {
					n[a.Rule]++
				}
				for _, rule := range []string{"AG-DET-409", "AG-DET-410", "AG-DET-411"} {
					if n[rule] != c.want[i] {
						t.Errorf("after event %d: %s alerted %d times, want %d", i+1, rule, n[rule], c.want[i])
					}
				}
			}
		})
	}
}

// TestWebhookOncePerConfiguration: AG-DET-308 alerts on a new webhook
// configuration and on every delete, not on a rewrite of one written in the
// log within 30 days (a caBundle refresh).
func TestWebhookOncePerConfiguration(t *testing.T) {
	vwc := `{"kind":"ValidatingWebhookConfiguration","apiVersion":"admissionregistration.k8s.io/v1","metadata":{"name":"gatekeeper"},"webhooks":[]}`
	e, err := New(Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const r = "validatingwebhookconfigurations.admissionregistration.k8s.io"
	events := []E{
		ev("create", r).name("gatekeeper").user("helm").req(vwc).code(201),
		ev("update", r).name("gatekeeper").user("system:serviceaccount:cert-manager:cert-manager-cainjector").req(vwc).at(time.Hour).code(200),
		ev("create", r).name("pod-identity").user("mallory").req(strings.Replace(vwc, "gatekeeper", "pod-identity", 1)).at(2 * time.Hour).code(201),
		ev("delete", r).name("gatekeeper").user("mallory").at(3 * time.Hour).code(200),
	}
	want := []int{1, 1, 2, 3} // AG-DET-308, then AG-DET-508 for the delete
	n := 0
	for i, x := range events {
		for _, a := range e.Process(x.build(t, i+1)) {
			if a.Rule == "AG-DET-308" || a.Rule == "AG-DET-508" {
				n++
			}
		}
		if n != want[i] {
			t.Errorf("after event %d: AG-DET-308 and 508 alerted %d times, want %d", i+1, n, want[i])
		}
	}
}
