package authorization

import (
	"fmt"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var webhooksMeta = check.Metadata{
	ID:       "AG-AUTHZ-004",
	Title:    "Authorization webhooks fail closed and ABAC is not used",
	Layer:    check.Authorization,
	Severity: check.Medium,
	Rationale: "ABAC policies live in a static file (--authorization-policy-file): every change needs a kube-apiserver " +
		"restart, leaves no trace in the audit log and is invisible to RBAC tooling. An authorization webhook that " +
		"errors or times out yields its failurePolicy: NoOpinion passes the request to the next authorizer, which is " +
		"fail-open when AlwaysAllow follows; Deny placed before Node/RBAC denies every matching request during an outage " +
		"(only system:masters keeps working). Cached allow decisions (authorizedTTL) outlive revocations at the webhook.",
	Remediation: "Replace ABAC with RBAC and remove --authorization-policy-file. Configure webhooks in --authorization-config " +
		"with failurePolicy NoOpinion before Node/RBAC and never followed by AlwaysAllow (or Deny with narrow matchConditions), " +
		"and authorizedTTL of 5m or less.",
	References: []check.Reference{
		{Title: "Authorization: configuring the API server using an authorization config file", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authorization/#using-configuration-file-for-authorization"},
		{Title: "Webhook mode", URL: "https://kubernetes.io/docs/reference/access-authn-authz/webhook/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// maxAuthorizedTTL is the longest cached "allow" accepted without a warning
// (the default of both the flag and the structured field).
const maxAuthorizedTTL = 5 * time.Minute

type issue struct {
	status   check.Status
	severity check.Severity
	msg      string
	loc      *check.Location
}

// WebhooksFailClosedNoABAC checks ABAC and the webhooks of the chain.
var WebhooksFailClosedNoABAC = check.PerServer(webhooksMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	c, nf := resolveChain(m, a, f)
	if nf != nil {
		return *nf
	}
	var issues []issue
	ev := c.Evidence
	add := func(st check.Status, sev check.Severity, loc *check.Location, format string, args ...any) {
		issues = append(issues, issue{st, sev, fmt.Sprintf(format, args...), loc})
	}
	if pf := f.Get("authorization-policy-file"); pf.Set && pf.Value != "" {
		ev = append(ev, check.FlagEvidence(pf))
		add(check.Fail, m.Severity, check.FlagLocation(pf), "ABAC policy file %s is configured: a static policy that changes only with a restart and leaves no audit trail", pf.Value)
	}
	if az, ok := c.Has(ABAC); ok {
		add(check.Fail, m.Severity, c.location(az), "the ABAC authorizer is in %s (%s)", c.Where(), az.Source)
	}
	hooks := 0
	for _, az := range c.List {
		if az.Type != Webhook || az.Webhook == nil {
			continue
		}
		hooks++
		w := az.Webhook
		name := fmt.Sprintf("webhook %q", az.Name)
		if c.FromConfig {
			name += " (" + c.Doc.Source("authorizers", fmt.Sprint(az.Index), "webhook") + ")"
			ev = append(ev, check.Evidence{Key: fmt.Sprintf("authorizers[%d].webhook.failurePolicy", az.Index), Value: w.FailurePolicy,
				Source: c.Doc.Source("authorizers", fmt.Sprint(az.Index), "webhook", "failurePolicy")})
		} else {
			name = "the --authorization-mode=Webhook webhook"
			ev = append(ev, check.FlagEvidence(f.Get("authorization-webhook-config-file")), check.FlagEvidence(f.Get("authorization-webhook-cache-authorized-ttl")))
		}
		after := c.List[az.Index+1:]
		var later []string
		allowAfter, nodeOrRBACAfter := false, false
		for _, n := range after {
			later = append(later, n.Type)
			allowAfter = allowAfter || n.Type == AlwaysAllow
			nodeOrRBACAfter = nodeOrRBACAfter || n.Type == Node || n.Type == RBAC
		}
		loc := c.location(az)
		if c.FromConfig {
			loc.Line = c.Doc.Line("authorizers", fmt.Sprint(az.Index), "webhook", "failurePolicy")
		}
		switch {
		case w.FailurePolicy == "NoOpinion" && allowAfter:
			add(check.Fail, m.Severity, loc, "%s fails open: on error or timeout it has no opinion and the request reaches AlwaysAllow (chain %s)", name, strings.Join(c.Types(), ", "))
		case az.Legacy && len(after) > 0:
			add(check.Warn, check.Low, loc, "%s has a fixed failurePolicy NoOpinion and 30s timeout: when it errors the request falls through to %s, "+
				"so denials it would enforce are lost during an outage; --authorization-config offers failurePolicy Deny and matchConditions",
				name, strings.Join(later, ", "))
		case w.FailurePolicy == "Deny" && nodeOrRBACAfter:
			scope := "every request reaching it"
			if n := len(w.MatchConditions); n > 0 {
				scope = fmt.Sprintf("every request matching its %d matchCondition(s)", n)
			}
			add(check.Warn, m.Severity, loc, "%s has failurePolicy Deny ahead of %s: during a webhook outage %s is denied, kubelets and controllers included "+
				"(only system:masters bypasses the chain)", name, strings.Join(later, ", "), scope)
		}
		if w.CacheAuthorizedRequests && w.AuthorizedTTL.Duration > maxAuthorizedTTL {
			tl := c.location(az)
			if c.FromConfig {
				tl.Line = c.Doc.Line("authorizers", fmt.Sprint(az.Index), "webhook", "authorizedTTL")
			} else if l := check.FlagLocation(f.Get("authorization-webhook-cache-authorized-ttl")); l != nil {
				tl = l
			}
			add(check.Warn, check.Low, tl, "%s caches allow decisions for %s: access revoked at the webhook keeps working that long", name, w.AuthorizedTTL.Duration)
		}
	}
	var fails, warns []issue
	for _, i := range issues {
		if i.status == check.Fail {
			fails = append(fails, i)
		} else {
			warns = append(warns, i)
		}
	}
	pick := fails
	status := check.Fail
	if len(pick) == 0 {
		pick, status = warns, check.Warn
	}
	if len(pick) == 0 {
		msg := "no ABAC and no authorization webhook in " + c.Where()
		if hooks > 0 {
			msg = fmt.Sprintf("no ABAC; %d authorization webhook(s) fail safely and cache allow decisions for at most %s", hooks, maxAuthorizedTTL)
		}
		return m.Result(check.Pass, a.Name, msg+c.startupNote(), ev...)
	}
	msgs := make([]string, 0, len(issues))
	sev := check.Info
	for _, i := range pick {
		if i.severity > sev {
			sev = i.severity
		}
	}
	for _, i := range append(fails, warns...) {
		msgs = append(msgs, i.msg)
	}
	r := m.Result(status, a.Name, strings.Join(msgs, "; ")+c.startupNote(), ev...)
	r.Severity = sev
	r.Location = pick[0].loc
	return r
})
