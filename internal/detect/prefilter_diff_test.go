package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sync"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/testsupport/auditsynth"
)

// The prefilter (prefilter.go) is a second semantics of the rules: Go
// predicates translated from their CEL conditions, and a resource index.
// These differential tests hold it to the first one: every built-in rule,
// with the prefilter and without it (Options.NoPrefilter: every condition
// evaluated on every event), raises the same alerts, in the same order,
// with the same messages, windows and counts.

// diffOptions are the engine options of the differential tests: every
// rule active (the CIDR rules too).
func diffOptions() Options {
	return Options{AllowCIDRs: prefixes("10.0.0.0/8", "192.168.1.0/24"), PodCIDRs: prefixes("10.244.0.0/16"), NodeCIDRs: prefixes("10.0.0.0/16")}
}

// sameAlerts runs evs through the engine with and without the prefilter
// and reports the first event on which the alerts differ; it returns the
// alerts raised.
func sameAlerts(t testing.TB, rules []Rule, opts Options, evs []*auditv1.Event) int {
	t.Helper()
	on, err := New(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.NoPrefilter = true
	off, err := New(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, ev := range evs {
		a, b := on.Process(ev), off.Process(ev)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("event %d (auditID %s, %s %s): prefilter on: %s; off: %s", i, ev.AuditID, ev.Verb, ev.RequestURI, alertRules(a), alertRules(b))
		}
		n += len(a)
	}
	if a, b := on.Flush(), off.Flush(); !reflect.DeepEqual(a, b) {
		t.Fatalf("flush: prefilter on: %s; off: %s", alertRules(a), alertRules(b))
	}
	return n
}

func alertRules(as []Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%s %q", a.Rule, a.Message))
	}
	return fmt.Sprint(s)
}

// values is what mutations write into events: the string literals of
// each built-in rule (the values its condition tests), and all of them
// with addresses in and out of the CIDRs of diffOptions.
type values struct {
	all    []string
	ofRule [][]string
}

func newValues(rules []Rule) *values {
	lit := regexp.MustCompile(`'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"`)
	v := &values{}
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			v.all = append(v.all, s)
		}
	}
	for _, s := range []string{"", "10.0.3.7", "10.244.9.1", "192.168.1.20", "198.51.100.23", "::1", "not-an-ip",
		"mallory", "system:serviceaccount:shop:web", "system:serviceaccount:kube-system:replicaset-controller",
		"system:node:ip-10-0-1-23", "system:anonymous", "allow", "forbid", "kubectl/v1.36.3", "curl/8.5.0"} {
		add(s)
	}
	for _, r := range rules {
		var own []string
		for _, m := range lit.FindAllStringSubmatch(r.Condition, -1) {
			own = append(own, m[1]+m[2])
			add(m[1] + m[2])
		}
		v.ofRule = append(v.ofRule, own)
	}
	return v
}

// pick is a value: one of rule's literals (b1 < 128) or any value; with
// b2 >= 224, another literal of the rule is appended (prefixes and
// suffixes make names such as system:serviceaccount:kube-system:...).
func (v *values) pick(rule int, b1, b2 byte) string {
	own := v.ofRule[rule%len(v.ofRule)]
	var s string
	if b1 < 128 && len(own) > 0 {
		s = own[int(b1)%len(own)]
	} else {
		s = v.all[(int(b1)<<8|int(b2))%len(v.all)]
	}
	if b2 >= 224 && len(own) > 0 {
		s += own[int(b2)%len(own)]
	}
	return s
}

// bodies are what mutations put in requestObject and responseObject.
var bodies = [][]byte{
	nil,
	[]byte(`{}`),
	[]byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"spec":{"hostPID":true,"hostNetwork":true,"volumes":[{"name":"h","hostPath":{"path":"/var/run/../run/containerd"}}],"containers":[{"name":"c","image":"alpine","command":["nsenter"],"securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN"]}}}]}}`),
	[]byte(`{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"system:anonymous"}]}`),
	[]byte(`{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`),
	[]byte(`{"kind":"Deployment","apiVersion":"apps/v1","spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}],"volumes":[{"hostPath":{"path":"/"}}]}}}}`),
	[]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":403}`),
	[]byte(`[1,2`),
}

var codes = []int32{0, 101, 200, 201, 204, 401, 403, 404, 409, 422, 500}

var levels = []auditv1.Level{auditv1.LevelNone, auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse}

var stages = []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic}

// mutate applies ops (4 bytes each: which event, which field, a value
// and a second one) to evs, with values aimed at rule (see values.pick).
func mutate(evs []*auditv1.Event, rule int, ops []byte, vals *values) {
	for ; len(ops) >= 4; ops = ops[4:] {
		ev := evs[int(ops[0])%len(evs)]
		v := vals.pick(rule, ops[2], ops[3])
		other := vals.all[int(ops[3])%len(vals.all)]
		field := ops[1] % 24
		if ev.ObjectRef == nil && field >= 1 && field <= 5 {
			ev.ObjectRef = &auditv1.ObjectReference{}
		}
		switch field {
		case 0:
			ev.Verb = v
		case 1:
			ev.ObjectRef.Resource = v
		case 2:
			ev.ObjectRef.Subresource = v
		case 3:
			ev.ObjectRef.Namespace = v
		case 4:
			ev.ObjectRef.Name = v
		case 5:
			ev.ObjectRef.APIGroup = v
		case 6:
			ev.ObjectRef = nil
		case 7:
			ev.User.Username = v
		case 8:
			ev.User.Groups = append(slices.Clip(ev.User.Groups), v)
		case 9:
			ev.User.Groups = nil
		case 10:
			if v == "" {
				ev.ImpersonatedUser = nil
			} else {
				ev.ImpersonatedUser = &authnv1.UserInfo{Username: v, Groups: []string{other}}
			}
		case 11:
			ev.SourceIPs = []string{v}
		case 12:
			ev.SourceIPs = append(slices.Clip(ev.SourceIPs), v)
		case 13:
			ev.UserAgent = v
		case 14:
			ev.RequestURI = v
		case 15:
			ev.Annotations = setAnnotation(ev.Annotations, decisionAnnotation, v)
		case 16:
			ev.Annotations = setAnnotation(ev.Annotations, v, other)
		case 17:
			ev.Level = levels[int(ops[2])%len(levels)]
		case 18:
			ev.Stage = stages[int(ops[2])%len(stages)]
		case 19:
			ev.ResponseStatus = &metav1.Status{Code: codes[int(ops[2])%len(codes)], Reason: metav1.StatusReason(other)}
		case 20:
			ev.ResponseStatus = nil
		case 21:
			ev.RequestObject = body(ops[2])
		case 22:
			ev.ResponseObject = body(ops[2])
		case 23:
			ev.RequestURI += "?" + v + "=" + other
		}
	}
}

func setAnnotation(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

func body(b byte) *runtime.Unknown {
	raw := bodies[int(b)%len(bodies)]
	if raw == nil {
		return nil
	}
	return &runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}
}

// labLines are the events of the e2e lab's attack script (lab.log):
// with the synthetic traffic, the events mutations start from.
var labLines = sync.OnceValue(func() [][]byte {
	data, err := os.ReadFile("../cli/testdata/auditscan/lab.log")
	if err != nil {
		panic(err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
})

// generate returns n events: the synthetic log of seed (an attack every 5
// events) with, one time in three, an event of the lab's log instead.
func generate(seed int64, n int) []*auditv1.Event {
	g := auditsynth.NewGenerator(auditsynth.Options{Seed: seed, AttackEvery: 5})
	r := rand.New(rand.NewSource(seed))
	lab := labLines()
	evs := make([]*auditv1.Event, 0, n)
	for len(evs) < n {
		if r.Intn(3) == 0 {
			got, err := auditlog.NewLineDecoder().Decode(lab[r.Intn(len(lab))], nil)
			if err != nil {
				panic(err)
			}
			for i := range got {
				evs = append(evs, &got[i])
			}
			continue
		}
		ev, _ := g.Next()
		evs = append(evs, ev)
	}
	return evs[:n]
}

// TestPrefilterSameAlerts: over the synthetic logs, the lab's log, logs
// with undecodable lines, and synthetic events mutated with the values the
// rules test, the prefilter changes no alert.
func TestPrefilterSameAlerts(t *testing.T) {
	rules := Builtin()
	vals := newValues(rules)
	decoded := func(t *testing.T, data []byte) []*auditv1.Event {
		var evs []*auditv1.Event
		d := auditlog.NewDecoder(bytes.NewReader(data), "log")
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				return evs
			}
			if err == nil {
				evs = append(evs, ev)
			}
		}
	}
	total := 0
	for _, seed := range []int64{1, 7} {
		t.Run(fmt.Sprintf("synthetic seed %d", seed), func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 20000, Seed: seed, AttackEvery: 40}); err != nil {
				t.Fatal(err)
			}
			evs := decoded(t, buf.Bytes())
			total += sameAlerts(t, rules, diffOptions(), evs)
			sameAlerts(t, rules, Options{}, evs) // the CIDR rules inactive
		})
	}
	for _, f := range []string{"../cli/testdata/auditscan/lab.log", "../cli/testdata/auditscan/mixed.log", "../auditlog/testdata/mixed.log"} {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			total += sameAlerts(t, rules, diffOptions(), decoded(t, data))
		})
	}
	t.Run("mutated", func(t *testing.T) {
		// For each rule, events mutated with the values it tests.
		r := rand.New(rand.NewSource(1))
		for i := range rules {
			evs := generate(int64(i), 300)
			ops := make([]byte, 4*1200)
			r.Read(ops)
			mutate(evs, i, ops, vals)
			total += sameAlerts(t, rules, diffOptions(), evs)
		}
	})
	if total < 1000 {
		t.Errorf("%d alerts in all: too little evidence", total)
	}
	t.Logf("%d alerts, the same with the prefilter and without", total)
}

// FuzzPrefilter: the fuzzer's input chooses a synthetic log (seed), its
// length, and mutations of its events; every built-in rule raises the same
// alerts with the prefilter and without. make fuzz runs it.
func FuzzPrefilter(f *testing.F) {
	rules := Builtin()
	vals := newValues(rules)
	f.Add(int64(1), uint8(10), uint8(0), []byte{})
	f.Add(int64(2), uint8(40), uint8(3), []byte{0, 7, 17, 0, 1, 1, 40, 200, 2, 11, 3, 0, 3, 15, 13, 0})
	r := rand.New(rand.NewSource(1))
	for i := range rules { // per rule, 64 events and 200 mutations aimed at it
		ops := make([]byte, 4*200)
		r.Read(ops)
		f.Add(int64(i), uint8(63), uint8(i), ops)
	}
	f.Fuzz(func(t *testing.T, seed int64, n, rule uint8, ops []byte) {
		evs := generate(seed, 1+int(n)%64)
		mutate(evs, int(rule), ops, vals)
		sameAlerts(t, rules, diffOptions(), evs)
	})
}
