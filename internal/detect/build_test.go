package detect

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
)

// E is a test event under construction: fields of an audit event (JSON
// names) merged over a base event (alice, allowed, 200, ResponseComplete).
type E map[string]any

// ev starts an event: verb and resource as "pods", "pods/exec",
// "deployments.apps", "deployments.apps/scale"; "" for a non-resource
// request.
func ev(verb, resource string) E {
	e := E{"verb": verb}
	if resource != "" {
		res, sub, _ := strings.Cut(resource, "/")
		res, group, _ := strings.Cut(res, ".")
		o := map[string]any{"resource": res, "apiVersion": "v1"}
		if group != "" {
			o["apiGroup"] = group
		}
		if sub != "" {
			o["subresource"] = sub
		}
		e["objectRef"] = o
	}
	return e
}

func (e E) obj() map[string]any {
	o, _ := e["objectRef"].(map[string]any)
	if o == nil {
		o = map[string]any{}
		e["objectRef"] = o
	}
	return o
}

func (e E) ns(n string) E   { e.obj()["namespace"] = n; return e }
func (e E) name(n string) E { e.obj()["name"] = n; return e }
func (e E) uri(u string) E  { e["requestURI"] = u; return e }
func (e E) ua(u string) E   { e["userAgent"] = u; return e }
func (e E) ips(ips ...string) E {
	e["sourceIPs"] = ips
	return e
}
func (e E) code(c int) E { e["responseStatus"] = map[string]any{"code": c}; return e }

// refused is a 403 with the server's message (the impersonation filter
// answers so, with no decision annotation).
func (e E) refused(msg string) E {
	e["responseStatus"] = map[string]any{"code": 403, "status": "Failure", "reason": "Forbidden", "message": msg}
	return e.noDecision()
}
func (e E) user(u string, groups ...string) E {
	if groups == nil {
		groups = []string{"system:authenticated"}
	}
	e["user"] = map[string]any{"username": u, "groups": groups}
	return e
}
func (e E) extra(k string, v ...string) E {
	u, _ := e["user"].(map[string]any)
	if u == nil {
		e.user("alice")
		u = e["user"].(map[string]any)
	}
	x, _ := u["extra"].(map[string]any)
	if x == nil {
		x = map[string]any{}
		u["extra"] = x
	}
	x[k] = v
	return e
}
func (e E) imp(u string, groups ...string) E {
	m := map[string]any{"username": u}
	if groups != nil {
		m["groups"] = groups
	}
	e["impersonatedUser"] = m
	return e
}
func (e E) ann(k, v string) E {
	a, _ := e["annotations"].(map[string]any)
	if a == nil {
		a = map[string]any{}
		e["annotations"] = a
	}
	a[k] = v
	return e
}
func (e E) forbid() E {
	return e.ann("authorization.k8s.io/decision", "forbid").code(403)
}
func (e E) noDecision() E { return e.ann("authorization.k8s.io/decision", "") }
func (e E) req(jsonObj string) E {
	e["requestObject"] = json.RawMessage(jsonObj)
	return e
}
func (e E) resp(jsonObj string) E {
	e["responseObject"] = json.RawMessage(jsonObj)
	return e
}
func (e E) id(id string) E   { e["auditID"] = id; return e }
func (e E) stage(s string) E { e["stage"] = s; return e }

// at sets the event's times to d after t0.
func (e E) at(d time.Duration) E {
	e["requestReceivedTimestamp"] = t0.Add(d).Format("2006-01-02T15:04:05.000000Z")
	e["stageTimestamp"] = t0.Add(d + time.Millisecond).Format("2006-01-02T15:04:05.000000Z")
	return e
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// build turns E into a decoded event, the way the scanner would see it
// (through auditlog's decoder), with auditID n and a timestamp n seconds
// after t0 unless set.
func (e E) build(t testing.TB, n int) *auditv1.Event {
	t.Helper()
	base := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
		"auditID": fmt.Sprintf("00000000-0000-0000-0000-%012d", n), "stage": "ResponseComplete",
		"requestURI": "/api", "verb": "get",
		"user":                     map[string]any{"username": "alice", "groups": []string{"dev", "system:authenticated"}},
		"sourceIPs":                []string{"10.0.0.5"},
		"userAgent":                "kubectl/v1.36.3 (linux/amd64) kubernetes/0000000",
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": 200},
		"requestReceivedTimestamp": t0.Add(time.Duration(n) * time.Second).Format("2006-01-02T15:04:05.000000Z"),
		"stageTimestamp":           t0.Add(time.Duration(n)*time.Second + time.Millisecond).Format("2006-01-02T15:04:05.000000Z"),
		"annotations":              map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "test"},
	}
	for k, v := range e {
		if k == "annotations" {
			for ak, av := range v.(map[string]any) {
				if av == "" {
					delete(base["annotations"].(map[string]any), ak)
				} else {
					base["annotations"].(map[string]any)[ak] = av
				}
			}
			continue
		}
		base[k] = v
	}
	if _, ok := e["requestURI"]; !ok {
		base["requestURI"] = uriOf(e)
	}
	line, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := auditlog.NewLineDecoder().Decode(line, nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("test event does not decode: %v\n%s", err, line)
	}
	return &evs[0]
}

// uriOf makes a plausible request URI from the objectRef.
func uriOf(e E) string {
	o, _ := e["objectRef"].(map[string]any)
	if o == nil {
		return "/api"
	}
	s := func(k string) string { v, _ := o[k].(string); return v }
	p := "/api/v1"
	if g := s("apiGroup"); g != "" {
		p = "/apis/" + g + "/v1"
	}
	if ns := s("namespace"); ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + s("resource")
	if n := s("name"); n != "" {
		p += "/" + n
	}
	if sub := s("subresource"); sub != "" {
		p += "/" + sub
	}
	return p
}
