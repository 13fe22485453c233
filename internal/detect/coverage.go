package detect

import (
	"fmt"

	audit "k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/auditpolicy"
)

// RuleCoverage says whether an audit policy records what a rule needs, for
// the rule's representative request, evaluated with kube-apiserver's own
// policy evaluator (internal/auditpolicy).
type RuleCoverage struct {
	Rule    string `json:"rule"`
	Title   string `json:"title"`
	Needs   string `json:"needs"`
	Request string `json:"request"`
	// Level is what the policy records for the request (None when no rule
	// matches).
	Level string `json:"level"`
	// Status is "ok", or "blind": the request is not recorded at the level
	// the rule needs (not at all, without the body it reads, or without
	// the ResponseComplete stage).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Coverage evaluates every rule's representative request against p.
func Coverage(rules []Rule, p *auditpolicy.Policy) []RuleCoverage {
	ev := auditpolicy.NewEvaluator(p.Internal)
	out := make([]RuleCoverage, 0, len(rules))
	for _, r := range rules {
		req := policyRequest(r.Request)
		d := ev.EvaluateRequest(req)
		level := string(d.Level)
		if level == "" {
			level = string(audit.LevelNone)
		}
		c := RuleCoverage{Rule: r.ID, Title: r.Title, Needs: r.Level, Request: r.Request.String(), Level: level, Status: "ok"}
		switch {
		case levelRank(level) <= 0:
			c.Status = "blind"
			c.Reason = fmt.Sprintf("the policy does not record %s", r.Request)
		case levelRank(level) < levelRank(r.Level):
			c.Status = "blind"
			c.Reason = fmt.Sprintf("the policy records %s at %s; the rule reads the %s body (%s)", r.Request, level, bodyOf(r.Level), r.Level)
			if max, what, ok := auditpolicy.CredentialLimit(req); ok {
				if levelRank(string(max)) < levelRank(r.Level) {
					c.Reason += fmt.Sprintf(", which no policy can record without writing credentials into the log: %s are kept at %s at most, so this rule is blind by design", what, max)
				} else {
					c.Reason += fmt.Sprintf(", which is safe to record: %s leak only above %s", what, max)
				}
			}
		case d.Omits(audit.StageResponseComplete) && d.Omits(audit.StageResponseStarted):
			c.Status = "blind"
			c.Reason = fmt.Sprintf("the policy omits the ResponseStarted and ResponseComplete stages of %s", r.Request)
		}
		out = append(out, c)
	}
	return out
}

func bodyOf(level string) string {
	if level == "RequestResponse" {
		return "response"
	}
	return "request"
}

func policyRequest(r Request) auditpolicy.Request {
	req := auditpolicy.Request{
		Verb: r.Verb, APIGroup: r.APIGroup, APIVersion: r.APIVersion, Resource: r.Resource,
		Subresource: r.Subresource, Namespace: r.Namespace, Name: r.Name, Path: r.Path,
	}
	if r.User == "" {
		req.NoUser = true
	} else {
		req.User = r.User
		req.Groups = auditpolicy.ImplicitGroups(r.User, r.Groups)
	}
	return req
}
