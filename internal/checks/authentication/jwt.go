package authentication

import (
	"fmt"
	"net/url"
	"strings"

	apiserver "k8s.io/apiserver/pkg/apis/apiserver"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

var jwtMeta = check.Metadata{
	ID:       "AG-AUTHN-010",
	Title:    "JWT authenticators cannot mint privileged identities",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "A jwt authenticator in --authentication-config turns claims of an external identity provider into a " +
		"Kubernetes username and groups. With an empty prefix the IdP (or anyone who can set the claim there: a " +
		"self-service group, an editable profile field) can assert names Kubernetes treats specially: group " +
		"system:masters bypasses RBAC and authorization webhooks, usernames such as system:kube-controller-manager or " +
		"system:node:<name> carry built-in bindings. A prefix (\"oidc:\") or a userValidationRule rejecting the system: " +
		"prefix closes this. The issuer must be https and the audience must be checked, or tokens minted for another " +
		"application are accepted.",
	Remediation: "For every jwt[] entry: set claimMappings.username.prefix and claimMappings.groups.prefix to a non-empty " +
		"value such as \"oidc:\", or add userValidationRules such as\n" +
		"  - expression: \"!user.username.startsWith('system:')\"\n    message: username cannot use the reserved system: prefix\n" +
		"  - expression: \"user.groups.all(g, !g.startsWith('system:'))\"\n    message: groups cannot use the reserved system: prefix\n" +
		"and keep issuer.url https with a non-empty audiences list.",
	References: []check.Reference{
		{Title: "Structured authentication configuration", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration"},
		{Title: "RBAC good practices: system:masters", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// JWTAuthenticators checks every jwt[] issuer of --authentication-config.
var JWTAuthenticators = check.PerServer(jwtMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	cfg, nf := loadAuthnConfig(m, a, f)
	if nf != nil {
		return *nf
	}
	if cfg == nil {
		return m.Result(check.Pass, a.Name, "no JWT authenticator configured (--authentication-config is not set)", check.FlagEvidence(f.Get("authentication-config")))
	}
	if len(cfg.Config.JWT) == 0 {
		return m.Result(check.Pass, a.Name, "no JWT authenticator configured ("+cfg.Path+" has no jwt entries)", check.FlagEvidence(cfg.Flag))
	}
	var saIssuers []string
	for _, v := range f.GetRepeatable("service-account-issuer") {
		saIssuers = append(saIssuers, v.Value)
	}
	rep := jwtReport{doc: cfg.Doc, file: cfg.Path}
	rep.ev = append(rep.ev, check.FlagEvidence(cfg.Flag))
	for i, j := range cfg.Config.JWT {
		rep.issuer(i, j, saIssuers)
	}
	status, msg := check.Pass, "every JWT issuer maps identities safely: "
	switch {
	case len(rep.fails) > 0:
		status, msg = check.Fail, ""
	case len(rep.warns) > 0:
		status, msg = check.Warn, ""
	}
	msg += strings.Join(rep.summary, "; ")
	r := m.Result(status, a.Name, msg, rep.ev...)
	if status != check.Pass {
		r.Location = &check.Location{File: cfg.Path, Line: rep.firstLine}
	}
	return r
})

type jwtReport struct {
	doc          *configfile.Doc
	file         string
	ev           []check.Evidence
	fails, warns []string
	summary      []string
	firstLine    int
}

func (r *jwtReport) add(fatal bool, msg string, path ...string) string {
	src := r.doc.Source(path...)
	if r.firstLine == 0 {
		r.firstLine = r.doc.Line(path...)
	}
	if fatal {
		r.fails = append(r.fails, msg)
	} else {
		r.warns = append(r.warns, msg)
	}
	return msg + " (" + src + ")"
}

// dangerousPrefix reports whether prefix+value can spell a system: name:
// "" and any prefix of "system:" ("sys") can, and so can "system:..." itself.
func dangerousPrefix(p string) bool {
	return strings.HasPrefix("system:", p) || strings.HasPrefix(p, "system:")
}

// guards finds userValidationRules that reject system: usernames / groups.
func guards(rules []apiserver.UserValidationRule) (user, groups int) {
	user, groups = -1, -1
	for i, r := range rules {
		e := r.Expression
		if !strings.Contains(e, "system:") {
			continue
		}
		if strings.Contains(e, "user.username") && user < 0 {
			user = i
		}
		if strings.Contains(e, "user.groups") && groups < 0 {
			groups = i
		}
	}
	return user, groups
}

func (r *jwtReport) issuer(i int, j apiserver.JWTAuthenticator, saIssuers []string) {
	base := []string{"jwt", idx(i)}
	p := func(rest ...string) []string { return append(append([]string{}, base...), rest...) }
	key := func(rest string) string { return fmt.Sprintf("jwt[%d].%s", i, rest) }
	var problems []string
	note := func(fatal bool, msg string, path ...string) { problems = append(problems, r.add(fatal, msg, path...)) }

	r.ev = append(r.ev, check.Evidence{Key: key("issuer.url"), Value: j.Issuer.URL, Source: r.doc.Source(p("issuer", "url")...)})
	if u, err := url.Parse(j.Issuer.URL); err != nil || u.Scheme != "https" {
		note(true, "issuer.url is not https (kube-apiserver refuses to start; discovery and keys would be fetched in clear text)", p("issuer", "url")...)
	}
	for _, sa := range saIssuers {
		if sa == j.Issuer.URL {
			note(true, "issuer.url equals --service-account-issuer (kube-apiserver refuses to start)", p("issuer", "url")...)
		}
	}
	r.ev = append(r.ev, check.Evidence{Key: key("issuer.audiences"), Value: strings.Join(j.Issuer.Audiences, ","), Source: r.doc.Source(p("issuer", "audiences")...)})
	if len(j.Issuer.Audiences) == 0 {
		note(true, "issuer.audiences is empty (kube-apiserver refuses to start; tokens minted for any client would be accepted)", p("issuer", "audiences")...)
	}

	userGuard, groupGuard := guards(j.UserValidationRules)
	for k, rule := range j.UserValidationRules {
		if k == userGuard || k == groupGuard {
			r.ev = append(r.ev, check.Evidence{Key: key(fmt.Sprintf("userValidationRules[%d].expression", k)), Value: rule.Expression,
				Source: r.doc.Source(p("userValidationRules", idx(k), "expression")...)})
		}
	}

	type mapping struct {
		name, example string
		m             apiserver.PrefixedClaimOrExpression
		guard         int
	}
	for _, mp := range []mapping{
		{"username", "system:kube-controller-manager or system:node:<name>", j.ClaimMappings.Username, userGuard},
		{"groups", "system:masters", j.ClaimMappings.Groups, groupGuard},
	} {
		cm := mp.m
		switch {
		case cm.Claim != "":
			prefix := "(unset)"
			if cm.Prefix != nil {
				prefix = quote(*cm.Prefix)
			}
			r.ev = append(r.ev, check.Evidence{Key: key("claimMappings." + mp.name), Value: "claim " + quote(cm.Claim) + ", prefix " + prefix,
				Source: r.doc.Source(p("claimMappings", mp.name, "claim")...)})
			switch {
			case cm.Prefix == nil:
				note(true, "claimMappings."+mp.name+".prefix is required when claim is set (kube-apiserver refuses to start)", p("claimMappings", mp.name)...)
			case dangerousPrefix(*cm.Prefix) && mp.guard < 0:
				note(true, fmt.Sprintf("claimMappings.%s maps claim %q with prefix %s and no userValidationRule rejects system: names: "+
					"the identity provider can assert %s", mp.name, cm.Claim, quote(*cm.Prefix), mp.example), p("claimMappings", mp.name, "prefix")...)
			}
			if mp.name == "username" && cm.Claim == "email" {
				r.ev = append(r.ev, check.Evidence{Key: key("claimMappings.username.claim"), Value: "email: kube-apiserver rejects email_verified=false but accepts tokens without the email_verified claim; " +
					"add a claimValidationRule such as claims.?email_verified.orValue(false) == true if the IdP may omit it",
					Source: r.doc.Source(p("claimMappings", "username", "claim")...)})
			}
		case cm.Expression != "":
			r.ev = append(r.ev, check.Evidence{Key: key("claimMappings." + mp.name + ".expression"), Value: cm.Expression,
				Source: r.doc.Source(p("claimMappings", mp.name, "expression")...)})
			if mp.guard < 0 {
				note(false, fmt.Sprintf("claimMappings.%s is a CEL expression and no userValidationRule rejects system: names: "+
					"confirm it can never yield %s", mp.name, mp.example), p("claimMappings", mp.name, "expression")...)
			}
		case mp.name == "username":
			note(true, "claimMappings.username needs a claim or an expression (kube-apiserver refuses to start)", p("claimMappings")...)
		}
	}
	if len(problems) == 0 {
		r.summary = append(r.summary, j.Issuer.URL+": ok")
		return
	}
	r.summary = append(r.summary, j.Issuer.URL+": "+strings.Join(problems, "; "))
}
