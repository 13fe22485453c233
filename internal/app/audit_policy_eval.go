package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	audit "k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// AuditPolicyEvalOptions is audit policy eval of one request: a resource
// request (Verb, Resource[/sub], ...) or a non-resource one (Verb, Path),
// by User (none: a request whose authentication failed).
type AuditPolicyEvalOptions struct {
	Policy PolicyFile
	User   string
	Groups []string
	Verb   string
	// Resource is the plural resource, or resource/subresource.
	Resource, Subresource string
	// APIGroup is the request's group when APIGroupSet; otherwise a
	// built-in resource's own group is used.
	APIGroup    string
	APIGroupSet bool
	Namespace   string
	Name        string
	Path        string
	// Notes receives how the request was read (a group inferred, a name
	// ignored) and what loading the policy found.
	Notes io.Writer
}

// AuditPolicyEvalResult is the request as evaluated and the policy's
// decision.
type AuditPolicyEvalResult struct {
	Policy   *auditpolicy.Policy
	Request  auditpolicy.Request
	Decision auditpolicy.Decision
}

// AuditPolicyEval evaluates one request with kube-apiserver's evaluator.
func AuditPolicyEval(ctx context.Context, o AuditPolicyEvalOptions) (*AuditPolicyEvalResult, error) {
	req, err := o.request()
	if err != nil {
		return nil, err
	}
	p, err := o.Policy.load(ctx)
	if err != nil {
		return nil, err
	}
	warnPolicy(o.Notes, p)
	d := auditpolicy.NewEvaluator(p.Internal).EvaluateRequest(req)
	return &AuditPolicyEvalResult{Policy: p, Request: req, Decision: d}, nil
}

// request reads the request as kube-apiserver's request info would carry it.
func (o AuditPolicyEvalOptions) request() (auditpolicy.Request, error) {
	var r auditpolicy.Request
	if o.Verb == "" {
		return r, Input(fmt.Errorf("--verb is required (or --events LOG)"))
	}
	r.Verb = o.Verb
	if o.User == "" {
		if len(o.Groups) > 0 {
			return r, Input(fmt.Errorf("--group needs --user (without --user the request failed authentication and has no user)"))
		}
		r.NoUser = true
	} else {
		r.User, r.Groups = o.User, auditpolicy.ImplicitGroups(o.User, o.Groups)
	}
	resource, sub, urlPath := o.Resource, o.Subresource, o.Path
	switch {
	case urlPath != "" && resource != "":
		return r, Input(fmt.Errorf("give --resource or --path, not both"))
	case urlPath != "":
		if sub != "" || o.APIGroupSet || o.Namespace != "" || o.Name != "" {
			return r, Input(fmt.Errorf("--path is a non-resource URL: --subresource, --api-group, -n and --name do not apply"))
		}
		if !strings.HasPrefix(urlPath, "/") {
			return r, Input(fmt.Errorf("--path %q: a URL path starts with /", urlPath))
		}
		r.Path = urlPath
		return r, nil
	case resource == "":
		return r, Input(fmt.Errorf("give --resource R (a resource request) or --path URL (a non-resource request)"))
	}
	base, s, hasSub := strings.Cut(resource, "/")
	if hasSub {
		if sub != "" {
			return r, Input(fmt.Errorf("subresource given twice (%s and --subresource %s)", resource, sub))
		}
		sub = s
	}
	if base == "" {
		return r, Input(fmt.Errorf("--resource %q: empty resource", resource))
	}
	r.Resource, r.Subresource, r.Namespace, r.Name, r.APIGroup = base, sub, o.Namespace, o.Name, o.APIGroup
	if !o.APIGroupSet {
		if g, ok := auditpolicy.BuiltinGroup(base); ok && g != "" {
			r.APIGroup = g
			fmt.Fprintf(o.Notes, "apiguard: note: %s is in group %s (--api-group %s); pass --api-group \"\" to mean the core group\n", base, g, g)
		}
	}
	if o.Verb == "create" && sub == "" && o.Name != "" {
		fmt.Fprintln(o.Notes, "apiguard: note: kube-apiserver evaluates a create without its name (the name is in the body); --name is ignored")
		r.Name = ""
	}
	if base == "namespaces" && o.Name != "" && o.Namespace == "" {
		r.Namespace = o.Name // the request info of /api/v1/namespaces/NAME carries namespace NAME
	}
	return r, nil
}

// AuditPolicyReplayOptions is audit policy eval --events: every event of
// a log evaluated as the server evaluated it.
type AuditPolicyReplayOptions struct {
	Policy PolicyFile
	// Events is the log: a file, or "-" for Stdin (JSON lines of Events
	// or EventLists, gzip or not).
	Events string
	Stdin  io.Reader
	// Out receives one JSON line per event: {"auditID","level","ruleIndex"}.
	Out io.Writer
	// Warnings receives what loading the policy found and the lines that
	// are not audit events.
	Warnings io.Writer
}

// AuditPolicyReplayResult counts the events replayed and those the log
// recorded at another level than the policy gives.
type AuditPolicyReplayResult struct {
	Events, Differ int
}

// replayMaxBad bounds the bad lines warned about.
const replayMaxBad = 10

// AuditPolicyReplay evaluates every event of a log and streams the
// decisions to Out.
func AuditPolicyReplay(ctx context.Context, o AuditPolicyReplayOptions) (*AuditPolicyReplayResult, error) {
	p, err := o.Policy.load(ctx)
	if err != nil {
		return nil, err
	}
	warnPolicy(o.Warnings, p)
	var in io.Reader
	file := o.Events
	if file == "-" {
		in, file = fileinput.ContextReader(ctx, o.Stdin), "(stdin)"
	} else {
		f, err := fileinput.Open(file)
		if err != nil {
			return nil, Input(err)
		}
		defer f.Close()
		in = f
	}
	ev := auditpolicy.NewEvaluator(p.Internal)
	out := bufio.NewWriterSize(o.Out, 1<<16)
	var (
		res AuditPolicyReplayResult
		bad int
		buf []byte
	)
	n, err := auditpolicy.ReadEvents(file, in, func(e *auditpolicy.Event) {
		r := e.Request()
		attrs := r.Attributes()
		idx := ev.RuleIndex(&attrs)
		d := ev.Decide(idx)
		if e.Level != "" && e.Level != string(d.Level) {
			res.Differ++
		}
		buf = appendReplayLine(buf[:0], e.AuditID, d.Level, idx)
		out.Write(buf)
	}, func(e *auditpolicy.EventError) {
		bad++
		if bad <= replayMaxBad {
			fmt.Fprintln(o.Warnings, "apiguard: warning: "+e.Error())
		}
	})
	if ferr := out.Flush(); ferr != nil {
		return nil, ferr
	}
	if bad > replayMaxBad {
		fmt.Fprintf(o.Warnings, "apiguard: warning: ... and %d more lines that are not audit events\n", bad-replayMaxBad)
	}
	if err != nil {
		return nil, Input(err)
	}
	if n == 0 && bad > 0 {
		return nil, Input(fmt.Errorf("%s: no audit event could be read", file))
	}
	res.Events = n
	return &res, nil
}

// appendReplayLine is the JSON line of one replayed event.
func appendReplayLine(b []byte, auditID string, level audit.Level, idx int) []byte {
	b = append(b, `{"auditID":`...)
	id, _ := json.Marshal(auditID)
	b = append(b, id...)
	b = append(b, `,"level":"`...)
	b = append(b, level...)
	b = append(b, `","ruleIndex":`...)
	if idx < 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(idx), 10)
	}
	return append(b, "}\n"...)
}
