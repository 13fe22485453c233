package auditpolicy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Event is the part of an audit.k8s.io/v1 Event that policy evaluation
// reads. An EventList (what webhook backends receive) carries Items.
type Event struct {
	Kind       string `json:"kind"`
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	Level      string `json:"level"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ObjectRef *EventObjectRef `json:"objectRef"`
	Items     []Event         `json:"items"`
}

// EventObjectRef is the part of an Event's objectRef that policy
// evaluation reads.
type EventObjectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	APIVersion  string `json:"apiVersion"`
	Subresource string `json:"subresource"`
}

// Request rebuilds the attributes kube-apiserver evaluated the policy on
// from a logged event:
//
//   - the user is event.user, the authenticated identity (the policy is
//     evaluated before impersonation; impersonatedUser is ignored), and no
//     user at all when it is empty (a request that failed authentication);
//   - a resource request is one with an objectRef, whose fields come from the
//     same request info the evaluator saw;
//   - except the name of a create: the evaluator saw none (it is in the
//     body), and kube-apiserver fills objectRef.name from the body afterwards
//     when it logs the request object;
//   - the path of a non-resource request is requestURI without its query.
func (ev *Event) Request() Request {
	r := Request{Verb: ev.Verb, User: ev.User.Username, Groups: ev.User.Groups}
	if r.User == "" && len(r.Groups) == 0 {
		r.NoUser = true
	}
	if o := ev.ObjectRef; o != nil {
		r.APIGroup, r.APIVersion, r.Resource, r.Subresource = o.APIGroup, o.APIVersion, o.Resource, o.Subresource
		r.Namespace, r.Name = o.Namespace, o.Name
		if r.Verb == "create" && r.Subresource == "" {
			r.Name = ""
		}
		return r
	}
	r.Path = pathOf(ev.RequestURI)
	return r
}

func pathOf(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	if strings.Contains(p, "%") {
		if u, err := url.ParseRequestURI(p); err == nil {
			return u.Path
		}
	}
	return p
}

// EventError is an event that could not be read: its file and line.
type EventError struct {
	File string
	Line int
	Err  string
}

func (e *EventError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Err) }

// ReadEvents reads an audit log: JSON lines of audit.k8s.io/v1 Events or
// EventLists (--audit-log-format=json, webhook payloads), gzip-compressed or
// not. fn is called with each event in order; a line that is not a JSON
// event is passed to bad and skipped. It returns the number of events.
func ReadEvents(file string, r io.Reader, fn func(ev *Event), bad func(*EventError)) (int, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n, line := 0, 0
	var ev Event
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		ev = Event{}
		if err := json.Unmarshal(b, &ev); err != nil {
			msg := "not a JSON audit event: " + err.Error()
			if b[0] != '{' {
				msg = "not a JSON audit event (the legacy --audit-log-format cannot be replayed: it has no groups)"
			}
			bad(&EventError{File: file, Line: line, Err: msg})
			continue
		}
		switch {
		case ev.Kind == "EventList":
			for i := range ev.Items {
				fn(&ev.Items[i])
				n++
			}
		case ev.AuditID == "" && ev.Verb == "":
			bad(&EventError{File: file, Line: line, Err: "not an audit event (no auditID and no verb)"})
		default:
			fn(&ev)
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	return n, nil
}
