package authorization

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiserver "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	apiserverv1beta1 "k8s.io/apiserver/pkg/apis/apiserver/v1beta1"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/apiserverconfig"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

// Authorizer types (k8s.io/kubernetes pkg/kubeapiserver/authorizer/modes).
const (
	AlwaysAllow = "AlwaysAllow"
	AlwaysDeny  = "AlwaysDeny"
	ABAC        = "ABAC"
	Webhook     = "Webhook"
	RBAC        = "RBAC"
	Node        = "Node"
)

var knownModes = map[string]bool{AlwaysAllow: true, AlwaysDeny: true, ABAC: true, Webhook: true, RBAC: true, Node: true}

const authzKind = "AuthorizationConfiguration"

// authzServedSince is the first minor whose kube-apiserver reads each
// version of AuthorizationConfiguration.
var authzServedSince = map[string]string{"v1alpha1": "1.29", "v1beta1": "1.30", "v1": "1.32"}

// legacyAuthzFlags cannot be combined with --authorization-config
// (pkg/kubeapiserver/options/authorization.go, AreLegacyFlagsSet).
var legacyAuthzFlags = []string{
	"authorization-mode", "authorization-webhook-config-file", "authorization-webhook-version",
	"authorization-webhook-cache-authorized-ttl", "authorization-webhook-cache-unauthorized-ttl",
}

// authorizer is one link of the effective chain.
type authorizer struct {
	Index int
	Type  string
	Name  string
	// Source is "file:line" (config) or the flag's source (legacy flags).
	Source string
	Line   int
	// Webhook is set for Webhook authorizers (defaults applied).
	Webhook *apiserver.WebhookConfiguration
	// Legacy is true for the --authorization-mode=Webhook webhook.
	Legacy bool
}

// chain is the authorizer chain kube-apiserver builds, with the reasons it
// would refuse to start.
type chain struct {
	// FromConfig is true when --authorization-config defines the chain.
	FromConfig bool
	// Flag is --authorization-config or --authorization-mode.
	Flag     apiserverflags.Value
	Path     string
	Doc      *configfile.Doc
	Evidence []check.Evidence
	List     []authorizer
	// Startup are problems that stop kube-apiserver from starting.
	Startup []string
	// StartupLine locates the first startup problem in the config file.
	StartupLine int
}

// Has reports whether the chain contains an authorizer of type t (exact).
func (c *chain) Has(t string) (authorizer, bool) {
	for _, a := range c.List {
		if a.Type == t {
			return a, true
		}
	}
	return authorizer{}, false
}

// Types lists the chain's types in order.
func (c *chain) Types() []string {
	out := make([]string, len(c.List))
	for i, a := range c.List {
		out[i] = a.Type
	}
	return out
}

// Where describes the chain's origin for messages.
func (c *chain) Where() string {
	if c.FromConfig {
		return c.Path + " (--authorization-config)"
	}
	return "--authorization-mode"
}

// location points at an authorizer (or the flag for legacy chains).
func (c *chain) location(a authorizer) *check.Location {
	if c.FromConfig {
		return &check.Location{File: c.Path, Line: a.Line}
	}
	return check.FlagLocation(c.Flag)
}

// startupNote is appended to messages of checks whose chain has problems.
func (c *chain) startupNote() string {
	if len(c.Startup) == 0 {
		return ""
	}
	return "; note: kube-apiserver refuses to start with this configuration (" + strings.Join(c.Startup, "; ") + ")"
}

// resolveChain computes the authorizer chain. It returns a not-assessable
// finding when --authorization-config cannot be read and a failing finding
// when kube-apiserver would refuse the file (wrong apiVersion/kind, strict
// decoding error). In both cases the chain (possibly empty) still carries the
// flag conflicts, which are decidable without the file.
func resolveChain(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) (*chain, *check.Finding) {
	cfgFlag := f.Get("authorization-config")
	if !cfgFlag.Set || cfgFlag.Value == "" {
		return legacyChain(f), nil
	}
	c := &chain{FromConfig: true, Flag: cfgFlag, Path: cfgFlag.Value, Evidence: []check.Evidence{check.FlagEvidence(cfgFlag)}}
	var conflicting []string
	for _, name := range legacyAuthzFlags {
		if f.IsSet(name) {
			v := f.Get(name)
			conflicting = append(conflicting, v.Key())
			c.Evidence = append(c.Evidence, check.FlagEvidence(v))
		}
	}
	if len(conflicting) > 0 {
		c.Startup = append(c.Startup, fmt.Sprintf("--authorization-config cannot be combined with %s: the flags are mutually exclusive", strings.Join(conflicting, ", ")))
	}
	_, file, nf := check.FileOf(m, a, f, "authorization-config")
	if nf != nil {
		return c, nf
	}
	c.Evidence = append(c.Evidence, check.Evidence{Key: "file", Value: c.Path, Source: file.ReadFrom})
	refuse := func(msg string, line int) (*chain, *check.Finding) {
		r := m.Result(check.Fail, a.Name, msg+c.startupNote(), c.Evidence...)
		r.Location = &check.Location{File: c.Path, Line: line}
		return c, &r
	}
	tm, version, bad := apiserverconfig.Type(c.Path, file.Data, authzKind, authzServedSince, "no authorizers")
	if bad != nil {
		return refuse(bad.Message, bad.Line)
	}
	var (
		doc *configfile.Doc
		cfg apiserver.AuthorizationConfiguration
		err error
	)
	switch version {
	case "v1":
		var ext apiserverv1.AuthorizationConfiguration
		if doc, err = configfile.Decode(c.Path, file.Data, &ext); err == nil {
			apiserverv1.SetObjectDefaults_AuthorizationConfiguration(&ext)
			err = apiserverv1.Convert_v1_AuthorizationConfiguration_To_apiserver_AuthorizationConfiguration(&ext, &cfg, nil)
		}
	case "v1beta1":
		var ext apiserverv1beta1.AuthorizationConfiguration
		if doc, err = configfile.Decode(c.Path, file.Data, &ext); err == nil {
			apiserverv1beta1.SetObjectDefaults_AuthorizationConfiguration(&ext)
			err = apiserverv1beta1.Convert_v1beta1_AuthorizationConfiguration_To_apiserver_AuthorizationConfiguration(&ext, &cfg, nil)
		}
	case "v1alpha1":
		var ext apiserverv1alpha1.AuthorizationConfiguration
		if doc, err = configfile.Decode(c.Path, file.Data, &ext); err == nil {
			apiserverv1alpha1.SetObjectDefaults_AuthorizationConfiguration(&ext)
			err = apiserverv1alpha1.Convert_v1alpha1_AuthorizationConfiguration_To_apiserver_AuthorizationConfiguration(&ext, &cfg, nil)
		}
	}
	if err != nil {
		return refuse(err.Error()+": kube-apiserver decodes this file strictly and refuses to start with it (a changed file is "+
			"rejected on reload and the previous chain stays in force); a misspelt field is an error, not a no-op", configfile.ErrorLine(err))
	}
	c.Doc = doc
	if ver, assumed := f.Version(); !assumed && !ver.AtLeast(authzServedSince[version]) {
		c.addStartup(fmt.Sprintf("%s is not served by kube-apiserver %s (first read in v%s)", tm.APIVersion, ver, authzServedSince[version]), doc.Line("apiVersion"))
	}
	if ver, assumed := f.Version(); !assumed && !ver.AtLeast("1.30") && !check.FeatureGateOn(f, "StructuredAuthorizationConfiguration") {
		c.addStartup(fmt.Sprintf("--authorization-config needs --feature-gates=StructuredAuthorizationConfiguration=true in %s (alpha, off by default)", ver), 0)
	}
	c.fromConfig(cfg, f)
	return c, nil
}

func (c *chain) addStartup(msg string, line int) {
	c.Startup = append(c.Startup, msg)
	if c.StartupLine == 0 {
		c.StartupLine = line
	}
}

var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// fromConfig fills the chain from a decoded file and mirrors the checks of
// k8s.io/apiserver ValidateAuthorizationConfiguration and kube-apiserver's
// LoadAndValidateData that decide whether the server starts.
func (c *chain) fromConfig(cfg apiserver.AuthorizationConfiguration, f *apiserverflags.Flags) {
	doc := c.Doc
	if len(cfg.Authorizers) == 0 {
		c.addStartup("authorizers: at least one authorization mode must be defined", doc.Line("authorizers"))
	}
	seenTypes, seenNames := map[string]bool{}, map[string]bool{}
	for i, az := range cfg.Authorizers {
		p := func(rest ...string) []string { return append([]string{"authorizers", strconv.Itoa(i)}, rest...) }
		t := string(az.Type)
		entry := authorizer{Index: i, Type: t, Name: az.Name, Source: doc.Source(p("type")...), Line: doc.Line(p("type")...), Webhook: az.Webhook}
		c.List = append(c.List, entry)
		c.Evidence = append(c.Evidence, check.Evidence{Key: fmt.Sprintf("authorizers[%d]", i), Value: t + " (name " + az.Name + ")", Source: entry.Source})
		bad := func(msg string, path ...string) {
			c.addStartup(fmt.Sprintf("%s: authorizers[%d]: %s", doc.Source(p(path...)...), i, msg), doc.Line(p(path...)...))
		}
		switch {
		case t == "":
			bad("type is required", "type")
			continue
		case !knownModes[t]:
			bad(fmt.Sprintf("type %q is not one of AlwaysAllow, AlwaysDeny, ABAC, Webhook, RBAC, Node", t), "type")
			continue
		case seenTypes[t] && t != Webhook:
			bad(fmt.Sprintf("type %s appears twice (only Webhook may repeat)", t), "type")
			continue
		}
		seenTypes[t] = true
		switch {
		case az.Name == "":
			bad("name is required", "name")
		case seenNames[az.Name]:
			bad(fmt.Sprintf("name %q is used twice", az.Name), "name")
		case len(az.Name) > 253 || !dns1123Subdomain.MatchString(az.Name):
			bad(fmt.Sprintf("name %q is not a DNS-1123 subdomain", az.Name), "name")
		case t != Webhook && az.Name != strings.ToLower(t):
			bad(fmt.Sprintf("name must be %q for type %s, not %q", strings.ToLower(t), t, az.Name), "name")
		}
		seenNames[az.Name] = true
		switch {
		case t == Webhook && az.Webhook == nil:
			bad("webhook is required when type=Webhook", "type")
		case t == Webhook:
			w := az.Webhook
			if w.Timeout.Duration <= 0 || w.Timeout.Duration > 30*time.Second {
				bad("webhook.timeout must be > 0s and <= 30s", "webhook", "timeout")
			}
			if w.FailurePolicy != apiserver.FailurePolicyNoOpinion && w.FailurePolicy != apiserver.FailurePolicyDeny {
				bad(fmt.Sprintf("webhook.failurePolicy %q must be NoOpinion or Deny", w.FailurePolicy), "webhook", "failurePolicy")
			}
			if w.SubjectAccessReviewVersion != "v1" && w.SubjectAccessReviewVersion != "v1beta1" {
				bad("webhook.subjectAccessReviewVersion must be v1 or v1beta1", "webhook", "subjectAccessReviewVersion")
			}
		case az.Webhook != nil:
			bad("webhook may only be specified when type=Webhook", "webhook")
		}
		if t == ABAC && f.Get("authorization-policy-file").Value == "" {
			bad("type ABAC needs --authorization-policy-file", "type")
		}
	}
}

// legacyChain builds the chain from --authorization-mode and friends,
// as BuiltInAuthorizationOptions.Complete/Validate do.
func legacyChain(f *apiserverflags.Flags) *chain {
	v := f.Get("authorization-mode")
	c := &chain{Flag: v}
	modes := v.List()
	ev := check.FlagEvidence(v)
	if len(modes) == 0 {
		ver, _ := f.Version()
		modes = []string{AlwaysAllow}
		src := "default for v" + ver.MinorString() + " (binary default when --authorization-config is unused)"
		if v.Set {
			src = v.Source + " (empty list: the binary default applies)"
		}
		ev = check.Evidence{Key: v.Key(), Value: AlwaysAllow, Source: src}
	}
	c.Evidence = append(c.Evidence, ev)
	seen := map[string]bool{}
	policy := f.Get("authorization-policy-file")
	hook := f.Get("authorization-webhook-config-file")
	for i, mode := range modes {
		entry := authorizer{Index: i, Type: mode, Name: strings.ToLower(mode), Source: ev.Source, Line: v.Line}
		switch {
		case !knownModes[mode]:
			c.Startup = append(c.Startup, fmt.Sprintf("authorization-mode %q is not a valid mode", mode))
		case seen[mode]:
			c.Startup = append(c.Startup, fmt.Sprintf("authorization-mode %s is specified more than once", mode))
		}
		seen[mode] = true
		if mode == ABAC && policy.Value == "" {
			c.Startup = append(c.Startup, "authorization-mode ABAC needs --authorization-policy-file")
		}
		if mode == Webhook {
			if hook.Value == "" {
				c.Startup = append(c.Startup, "authorization-mode Webhook needs --authorization-webhook-config-file")
			}
			entry.Legacy = true
			entry.Webhook = &apiserver.WebhookConfiguration{
				// Fixed for the legacy flags (authorization.go buildAuthorizationConfiguration).
				FailurePolicy:              apiserver.FailurePolicyNoOpinion,
				Timeout:                    metav1.Duration{Duration: 30 * time.Second},
				AuthorizedTTL:              c.duration(f, "authorization-webhook-cache-authorized-ttl", 5*time.Minute),
				UnauthorizedTTL:            c.duration(f, "authorization-webhook-cache-unauthorized-ttl", 30*time.Second),
				SubjectAccessReviewVersion: f.Get("authorization-webhook-version").Value,
			}
			entry.Webhook.CacheAuthorizedRequests = entry.Webhook.AuthorizedTTL.Duration != 0
			entry.Webhook.CacheUnauthorizedRequests = entry.Webhook.UnauthorizedTTL.Duration != 0
		}
		c.List = append(c.List, entry)
	}
	if policy.Value != "" && !seen[ABAC] {
		c.Startup = append(c.Startup, "--authorization-policy-file is set without mode ABAC")
	}
	if hook.Value != "" && !seen[Webhook] {
		c.Startup = append(c.Startup, "--authorization-webhook-config-file is set without mode Webhook")
	}
	return c
}

// duration reads a duration flag as pflag does; a malformed value stops the server.
func (c *chain) duration(f *apiserverflags.Flags, name string, def time.Duration) metav1.Duration {
	v := f.Get(name)
	if v.Value == "" {
		return metav1.Duration{Duration: def}
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		c.Startup = append(c.Startup, fmt.Sprintf("%s=%q is not a duration", v.Key(), v.Value))
		return metav1.Duration{Duration: def}
	}
	return metav1.Duration{Duration: d}
}
