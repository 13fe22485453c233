// Package usagesynth writes audit logs whose requests are made by the
// subjects of an RBAC model, for the `rbac usage` bench and benchmarks: a
// busy cluster's mix, at the Metadata level. Most requests are
// ServiceAccounts reading (get, list, watch) in their namespace with what
// their RoleBindings grant; controllers act cluster-wide with their
// ClusterRoleBindings; users act through the groups they are bound by;
// everyone discovers the API; monitors scrape non-resource URLs; some
// requests are refused (403, decision forbid), some impersonate, some are
// authorized but fail (404, 409); watches log ResponseStarted before
// ResponseComplete.
package usagesynth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/rbac"
)

// Stats describe a written log.
type Stats struct {
	Events, Bytes int64
	// Templates is the number of distinct request shapes drawn from.
	Templates int
	// ByKind counts events by the part of the mix they come from.
	ByKind map[string]int64
}

// Generator draws events from request templates built from a model.
type Generator struct {
	r      *rand.Rand
	t      time.Time
	n      int64
	pools  [nKinds][]*tmpl
	weight [nKinds]int
	total  int
}

type kind int

const (
	nsSA kind = iota
	controller
	groupUser
	discovery
	nonResource
	denied
	impersonation
	nKinds
)

var kindNames = [nKinds]string{"namespaced ServiceAccount", "cluster-wide controller", "user through a group",
	"discovery", "non-resource URL", "denied (403)", "impersonation"}

// The mix in per-mille.
var mix = [nKinds]int{nsSA: 560, controller: 200, groupUser: 60, discovery: 90, nonResource: 40, denied: 30, impersonation: 20}

// tmpl is one request shape, pre-marshalled around its auditID and
// timestamps.
type tmpl struct {
	kind  kind
	watch bool
	// parts: before auditID, between auditID and stage, after stage up to
	// the first timestamp, between the timestamps, after.
	parts [5][]byte
}

// The placeholders marshalled into a template, replaced per event.
const (
	idMark    = "00000000-0000-0000-0000-00000000cafe"
	stageMark = "StageMark"
)

var timeMark = time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)

// New builds the templates of p's subjects (seeded; the same model and
// seed give the same log).
func New(p *rbac.Policy, seed uint64) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, 7)), t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	var nss []string
	for _, n := range p.Namespaces {
		nss = append(nss, n.Name)
	}
	if len(nss) == 0 {
		nss = []string{"default"}
	}
	names := []string{"a", "b", "c", "d"}
	var users []string
	add := func(k kind, ev *auditv1.Event) { g.pools[k] = append(g.pools[k], g.template(k, ev)) }
	for _, b := range append(slices.Clone(p.ClusterRoleBindings), p.RoleBindings...) {
		if b.Role == nil {
			continue
		}
		for _, s := range b.Subjects {
			for ri, rule := range b.Role.Rules {
				if ri >= 3 {
					break
				}
				var user authnv1.UserInfo
				k := nsSA
				switch s.Kind {
				case rbacv1.ServiceAccountKind:
					user = saUser(s.Namespace, s.Name)
					if b.Namespace == "" {
						k = controller
					}
				case rbacv1.UserKind:
					user = authnv1.UserInfo{Username: s.Name, Groups: []string{"system:authenticated"}}
					users = append(users, s.Name)
					k = controller
				case rbacv1.GroupKind:
					if strings.HasPrefix(s.Name, "system:") {
						continue
					}
					user = authnv1.UserInfo{Username: "member-" + fmt.Sprint(ri) + "@" + s.Name, Groups: []string{s.Name, "system:authenticated"}}
					k = groupUser
				default:
					continue
				}
				for _, verb := range pickN(g.r, rule.Verbs, 2) {
					ev := &auditv1.Event{Level: auditv1.LevelMetadata, Verb: verbOf(verb), User: user,
						SourceIPs: []string{"10.0.3.17"}, UserAgent: "kube-controller/v1.36.3 (linux/amd64)"}
					if len(rule.NonResourceURLs) > 0 {
						ev.Verb = "get"
						ev.RequestURI = rule.NonResourceURLs[0]
						if u, ok := strings.CutSuffix(ev.RequestURI, "*"); ok {
							ev.RequestURI = u + "x"
						}
						add(k, ev)
						continue
					}
					if len(rule.Resources) == 0 {
						continue
					}
					res, sub, _ := strings.Cut(rule.Resources[g.r.IntN(len(rule.Resources))], "/")
					if res == "*" {
						res = "pods"
					}
					if sub == "*" {
						sub = "status"
					}
					grp := ""
					if len(rule.APIGroups) > 0 && rule.APIGroups[0] != "*" {
						grp = rule.APIGroups[0]
					}
					for _, ns := range namespacesFor(g.r, b.Namespace, nss) {
						o := &auditv1.ObjectReference{Resource: res, Subresource: sub, APIGroup: grp, APIVersion: "v1", Namespace: ns}
						e := *ev
						e.ObjectRef = o
						switch ev.Verb {
						case "list", "watch", "create", "deletecollection":
							if len(rule.ResourceNames) > 0 {
								continue // never allowed by a rule with resourceNames
							}
						default:
							o.Name = names[g.r.IntN(len(names))]
							if len(rule.ResourceNames) > 0 {
								o.Name = rule.ResourceNames[0]
							}
						}
						e.RequestURI = uri(o, e.Verb)
						add(k, &e)
					}
				}
			}
		}
	}
	// discovery and non-resource URLs, by ServiceAccounts and users
	var subjects []authnv1.UserInfo
	for i := 0; i < 2000 && i < len(p.ServiceAccounts); i++ {
		sa := p.ServiceAccounts[g.r.IntN(len(p.ServiceAccounts))]
		subjects = append(subjects, saUser(sa.Namespace, sa.Name))
	}
	for _, u := range users {
		subjects = append(subjects, authnv1.UserInfo{Username: u, Groups: []string{"system:authenticated"}})
	}
	if len(subjects) == 0 {
		subjects = append(subjects, authnv1.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}})
	}
	for _, u := range subjects {
		for _, path := range []string{"/api", "/apis", "/api/v1", "/apis/apps/v1", "/version", "/openapi/v3"} {
			add(discovery, &auditv1.Event{Level: auditv1.LevelMetadata, Verb: "get", User: u, RequestURI: path,
				SourceIPs: []string{"10.0.3.17"}, UserAgent: "kubectl/v1.36.0 (linux/amd64) kubernetes/abcdef"})
		}
		for _, path := range []string{"/healthz", "/readyz", "/livez", "/metrics"} {
			add(nonResource, &auditv1.Event{Level: auditv1.LevelMetadata, Verb: "get", User: u, RequestURI: path,
				SourceIPs: []string{"10.0.3.17"}, UserAgent: "Prometheus/3.5.0"})
		}
		// refused: secrets in another namespace, nodes/proxy, escalation
		for _, o := range []*auditv1.ObjectReference{
			{Resource: "secrets", Namespace: "kube-system", Name: "bootstrap-token-abcdef", APIVersion: "v1"},
			{Resource: "nodes", Subresource: "proxy", Name: "node-1", APIVersion: "v1"},
			{Resource: "clusterrolebindings", APIGroup: "rbac.authorization.k8s.io", APIVersion: "v1"},
		} {
			verb := "get"
			if o.Resource == "clusterrolebindings" {
				verb = "create"
			}
			add(denied, &auditv1.Event{Level: auditv1.LevelMetadata, Verb: verb, User: u, ObjectRef: o, RequestURI: uri(o, verb),
				SourceIPs: []string{"10.0.3.17"}, UserAgent: "curl/8.5.0",
				ResponseStatus: &metav1.Status{Code: 403, Status: "Failure", Reason: metav1.StatusReasonForbidden},
				Annotations:    map[string]string{"authorization.k8s.io/decision": "forbid"}})
		}
	}
	// impersonation: users acting as ServiceAccounts they may impersonate
	for i, made := 0, 0; i < 20000 && made < 500 && len(users) > 0 && len(p.ServiceAccounts) > 0; i++ {
		u := users[g.r.IntN(len(users))]
		sa := p.ServiceAccounts[g.r.IntN(len(p.ServiceAccounts))]
		if ok, _ := p.Allowed(rbac.Request{User: u, Groups: []string{"system:authenticated"}, Verb: "impersonate",
			Resource: "serviceaccounts", Namespace: sa.Namespace, Name: sa.Name}); !ok {
			continue
		}
		target := saUser(sa.Namespace, sa.Name)
		if ok, _ := p.Allowed(rbac.Request{User: target.Username, Groups: target.Groups, Verb: "list", Resource: "pods", Namespace: sa.Namespace}); !ok {
			continue
		}
		made++
		o := &auditv1.ObjectReference{Resource: "pods", Namespace: sa.Namespace, APIVersion: "v1"}
		add(impersonation, &auditv1.Event{Level: auditv1.LevelMetadata, Verb: "list", ObjectRef: o, RequestURI: uri(o, "list"),
			User: authnv1.UserInfo{Username: u, Groups: []string{"system:authenticated"}}, ImpersonatedUser: &target,
			SourceIPs: []string{"10.0.3.17"}, UserAgent: "kubectl/v1.36.0 (linux/amd64) kubernetes/abcdef"})
	}
	for k := range nKinds {
		if len(g.pools[k]) > 0 {
			g.weight[k] = mix[k]
			g.total += mix[k]
		}
	}
	return g
}

// Templates is the number of request shapes.
func (g *Generator) Templates() int {
	n := 0
	for _, p := range g.pools {
		n += len(p)
	}
	return n
}

func saUser(ns, name string) authnv1.UserInfo {
	return authnv1.UserInfo{Username: "system:serviceaccount:" + ns + ":" + name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}
}

func verbOf(v string) string {
	if v == "*" {
		return "get"
	}
	return v
}

// pickN is up to n of l, in order.
func pickN(r *rand.Rand, l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	i := r.IntN(len(l) - n + 1)
	return l[i : i+n]
}

// namespacesFor: a RoleBinding's namespace; for a ClusterRoleBinding
// cluster-wide and two namespaces.
func namespacesFor(r *rand.Rand, ns string, all []string) []string {
	if ns != "" {
		return []string{ns}
	}
	return []string{"", all[r.IntN(len(all))], all[r.IntN(len(all))]}
}

func uri(o *auditv1.ObjectReference, verb string) string {
	var b strings.Builder
	if o.APIGroup == "" {
		b.WriteString("/api/v1")
	} else {
		b.WriteString("/apis/" + o.APIGroup + "/v1")
	}
	if o.Namespace != "" {
		b.WriteString("/namespaces/" + o.Namespace)
	}
	b.WriteString("/" + o.Resource)
	if o.Name != "" {
		b.WriteString("/" + o.Name)
	}
	if o.Subresource != "" {
		b.WriteString("/" + o.Subresource)
	}
	if verb == "watch" {
		b.WriteString("?watch=true")
	}
	return b.String()
}

func (g *Generator) template(k kind, ev *auditv1.Event) *tmpl {
	ev.TypeMeta = metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"}
	ev.AuditID = types.UID(idMark)
	ev.Stage = stageMark
	ev.RequestReceivedTimestamp = metav1.NewMicroTime(timeMark)
	ev.StageTimestamp = metav1.NewMicroTime(timeMark)
	if ev.ResponseStatus == nil {
		ev.ResponseStatus = &metav1.Status{Code: 200}
		switch g.r.IntN(40) {
		case 0:
			ev.ResponseStatus = &metav1.Status{Code: 404, Status: "Failure", Reason: metav1.StatusReasonNotFound}
		case 1:
			ev.ResponseStatus = &metav1.Status{Code: 409, Status: "Failure", Reason: metav1.StatusReasonConflict}
		}
		if ev.ObjectRef != nil && ev.Verb == "create" && ev.ResponseStatus.Code == 200 {
			ev.ResponseStatus.Code = 201
		}
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason": "RBAC: allowed by a binding"}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	ts, _ := json.Marshal(metav1.NewMicroTime(timeMark))
	t := &tmpl{kind: k, watch: ev.Verb == "watch"}
	rest := b
	for i, mark := range [][]byte{[]byte(idMark), []byte(stageMark), ts[1 : len(ts)-1], ts[1 : len(ts)-1]} {
		before, after, ok := bytes.Cut(rest, mark)
		if !ok {
			panic("usagesynth: placeholder not found")
		}
		t.parts[i] = before
		rest = after
	}
	t.parts[4] = rest
	return t
}

// Write writes n events to w as JSON lines.
func (g *Generator) Write(w io.Writer, n int64) (Stats, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	st := Stats{Templates: g.Templates(), ByKind: map[string]int64{}}
	var line []byte
	for st.Events < n {
		t := g.pick()
		stages := []string{"ResponseComplete"}
		if t.watch {
			stages = []string{"ResponseStarted", "ResponseComplete"}
		}
		g.n++
		g.t = g.t.Add(time.Duration(100+g.r.IntN(1000)) * time.Microsecond)
		received := g.t
		for _, stage := range stages {
			if st.Events >= n {
				break
			}
			line = t.append(line[:0], g.n, stage, received, received.Add(time.Duration(1+g.r.IntN(30))*time.Millisecond))
			if _, err := bw.Write(line); err != nil {
				return st, err
			}
			st.Events++
			st.Bytes += int64(len(line))
			st.ByKind[kindNames[t.kind]]++
		}
	}
	return st, bw.Flush()
}

// Events returns n decoded events (for in-process benchmarks).
func (g *Generator) Events(n int) ([]*auditv1.Event, error) {
	var buf bytes.Buffer
	if _, err := g.Write(&buf, int64(n)); err != nil {
		return nil, err
	}
	out := make([]*auditv1.Event, 0, n)
	dec := json.NewDecoder(&buf)
	for dec.More() {
		ev := &auditv1.Event{}
		if err := dec.Decode(ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func (g *Generator) pick() *tmpl {
	x := g.r.IntN(g.total)
	for k := range nKinds {
		if x < g.weight[k] {
			p := g.pools[k]
			return p[g.r.IntN(len(p))]
		}
		x -= g.weight[k]
	}
	panic("unreachable")
}

const microFormat = "2006-01-02T15:04:05.000000Z07:00"

func (t *tmpl) append(b []byte, id int64, stage string, received, stamp time.Time) []byte {
	b = append(b, t.parts[0]...)
	b = fmt.Appendf(b, "%08x-%04x-4%03x-8%03x-%012x", uint32(id*2654435761), uint16(id>>8), id&0xfff, (id>>12)&0xfff, id)
	b = append(b, t.parts[1]...)
	b = append(b, stage...)
	b = append(b, t.parts[2]...)
	b = received.AppendFormat(b, microFormat)
	b = append(b, t.parts[3]...)
	b = stamp.AppendFormat(b, microFormat)
	b = append(b, t.parts[4]...)
	return append(b, '\n')
}
