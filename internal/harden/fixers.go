package harden

import (
	"encoding/base64"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/apiserverflags"
)

// fixer fixes one check by editing the flags (and writing files).
type fixer struct {
	check string
	fix   func(e *editor) error
}

// setTo is a fixer that writes one flag's value.
func setTo(check, flag, value, why string) fixer {
	return fixer{check, func(e *editor) error { e.set(flag, value, why); return nil }}
}

// strongCiphers are the TLS 1.2 suites with forward secrecy and AEAD
// (TLS 1.3's are not configurable and all strong).
const strongCiphers = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"

// fixers are applied in this order to the failing checks; a check that is
// not here is left to the operator (the caller lists it under "needs you").
var fixers = []fixer{
	{"AG-AUTHN-001", fixAnonymous},
	{"AG-AUTHN-002", func(e *editor) error {
		e.remove("token-auth-file", "static tokens never expire, cannot be revoked without a restart, and sit in clear text on the control plane")
		e.need("Give the users of the removed --token-auth-file client certificates, OIDC or cloud IAM identities before applying: their static tokens stop working.")
		return nil
	}},
	setTo("AG-AUTHN-004", "service-account-lookup", "true", "tokens of deleted ServiceAccounts are rejected (CIS 1.2.21)"),
	setTo("AG-AUTHN-006", "service-account-extend-token-expiration", "false", "projected tokens keep the lifetime they were asked for instead of a year"),
	{"AG-AUTHN-009", func(e *editor) error {
		if v, _ := e.get("requestheader-allowed-names"); v == "" {
			e.set("requestheader-allowed-names", "front-proxy-client", "only the front proxy's certificate (kubeadm's CN front-proxy-client) may assert identities in request headers")
		}
		return nil
	}},
	{"AG-AUTHZ-001", fixAuthorizationMode},
	{"AG-AUTHZ-002", fixAuthorizationMode},
	{"AG-AUTHZ-003", fixAuthorizationMode},
	{"AG-AUTHZ-004", func(e *editor) error {
		if mode, ok := e.get("authorization-mode"); ok && hasItem(mode, "ABAC") {
			e.listRemove("authorization-mode", "ABAC", "ABAC policies are a static file outside RBAC's review and audit")
			e.remove("authorization-policy-file", "only ABAC reads it")
		}
		return nil
	}},
	{"AG-AUTHZ-005", func(e *editor) error {
		e.listRemove(e.admissionFlag(), "AlwaysAdmit", "AlwaysAdmit turns off every admission decision")
		return nil
	}},
	plugin("AG-AUTHZ-006", "NodeRestriction", "kubelets may only change their own Node and their pods (CIS 1.2.14)"),
	plugin("AG-AUTHZ-007", "ServiceAccount", "pods get their ServiceAccount and token mounted by the API server, not by the pod author (CIS 1.2.12)"),
	plugin("AG-AUTHZ-008", "NamespaceLifecycle", "nothing is created in a namespace being deleted or that does not exist (CIS 1.2.13)"),
	{"AG-AUTHZ-009", fixEventRateLimit},
	plugin("AG-AUTHZ-010", "AlwaysPullImages", "a pod may only use a private image its own pull secret can pull (CIS 1.2.11)"),
	plugin("AG-NET-011", "DenyServiceExternalIPs", "Services cannot claim external IPs to intercept cluster traffic (CVE-2020-8554)"),
	{"AG-AUDIT-001", func(e *editor) error {
		e.set("audit-log-path", path.Join(e.opts.auditLogDir(), "audit.log"), "audit events are written to a log (CIS 1.2.16)")
		auditRetention(e)
		return nil
	}},
	{"AG-AUDIT-002", func(e *editor) error { auditRetention(e); return nil }},
	{"AG-AUDIT-003", func(e *editor) error { auditRetention(e); return nil }},
	{"AG-AUDIT-004", func(e *editor) error { auditRetention(e); return nil }},
	{"AG-AUDIT-005", fixAuditPolicy},
	{"AG-AUDIT-009", fixAuditPolicy},
	{"AG-AUDIT-006", func(e *editor) error {
		e.set("audit-log-format", "json", "JSON events are what every audit consumer (and apiguard audit scan) reads")
		e.remove("audit-log-version", "audit.k8s.io/v1, the default, is the only current version")
		return nil
	}},
	{"AG-AUDIT-008", func(e *editor) error {
		why := "the log backend blocks (the default) so no event is dropped when the disk is slow"
		e.remove("audit-log-mode", why)
		for _, f := range []string{"audit-log-batch-buffer-size", "audit-log-batch-max-size", "audit-log-batch-max-wait",
			"audit-log-batch-throttle-enable", "audit-log-batch-throttle-qps", "audit-log-batch-throttle-burst"} {
			e.remove(f, why)
		}
		return nil
	}},
	{"AG-ADMIN-003", fixEncryption},
	{"AG-ADMIN-004", fixEncryption},
	setTo("AG-NET-002", "tls-min-version", "VersionTLS12", "TLS 1.0 and 1.1 are deprecated (RFC 8996) and weak"),
	setTo("AG-NET-003", "tls-cipher-suites", strongCiphers, "only ECDHE suites with AEAD ciphers: forward secrecy, no CBC or RC4 (CIS 1.2.29)"),
	setTo("AG-NET-005", "profiling", "false", "the profiling endpoints reveal internals and cost CPU to anyone allowed to call them (CIS 1.2.15)"),
	{"AG-NET-010", func(e *editor) error {
		e.remove("request-timeout", "the default (1m) bounds how long a request may hold a server goroutine (CIS 1.2.20)")
		return nil
	}},
	{"AG-NET-012", func(e *editor) error {
		if !e.opts.Version.IsZero() && !e.opts.Version.AtLeast("1.20") {
			e.set("insecure-port", "0", "no unauthenticated, unauthorized HTTP port")
		}
		return nil // from 1.20 the flags do nothing; dropRemoved drops them from 1.24
	}},
}

func plugin(check, name, why string) fixer {
	return fixer{check, func(e *editor) error { e.enablePlugin(name, why); return nil }}
}

func hasItem(list, item string) bool {
	return slices.Contains(apiserverflags.SplitList(list), item)
}

func auditRetention(e *editor) {
	if _, ok := e.get("audit-log-path"); !ok {
		return
	}
	for _, f := range []struct{ flag, min, why string }{
		{"audit-log-maxage", "30", "keep 30 days of audit logs (CIS 1.2.17)"},
		{"audit-log-maxbackup", "10", "keep 10 rotated audit logs (CIS 1.2.18)"},
		{"audit-log-maxsize", "100", "rotate at 100 MB (CIS 1.2.19)"},
	} {
		if v, ok := e.get(f.flag); !ok || atoiOr(v, 0) < atoiOr(f.min, 0) {
			e.set(f.flag, f.min, f.why)
		}
	}
}

func atoiOr(s string, d int) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		return d
	}
	return n
}

// fixAuthorizationMode makes the authorizer chain Node,RBAC, keeping a
// Webhook after them; with --authorization-config the chain is in that
// file, which the operator edits.
func fixAuthorizationMode(e *editor) error {
	if _, ok := e.get("authorization-config"); ok {
		e.need("Edit the file --authorization-config names: its authorizers must include Node and RBAC and never AlwaysAllow.")
		return nil
	}
	mode, _ := e.get("authorization-mode")
	out := []string{"Node", "RBAC"}
	for _, m := range apiserverflags.SplitList(mode) {
		if m == "Webhook" {
			out = append(out, m)
		}
	}
	if mode == strings.Join(out, ",") {
		return nil
	}
	e.set("authorization-mode", strings.Join(out, ","), "requests are authorized by the Node authorizer and RBAC (AlwaysAllow and ABAC dropped; a Webhook kept after them)")
	return nil
}

// fixAnonymous limits anonymous requests to the health endpoints with an
// AuthenticationConfiguration (from v1.32, where kube-apiserver's own
// probes still work), merged into the server's own when it has one.
func fixAnonymous(e *editor) error {
	v := e.opts.Version
	if !v.IsZero() && !v.AtLeast("1.32") {
		e.need("Anonymous access can be limited to the health endpoints from Kubernetes 1.32 (AuthenticationConfiguration anonymous.conditions). Before that, --anonymous-auth=false also fails the static pod's liveness and readiness probes (they call /livez and /readyz without credentials): upgrade, or move the probes to a TCP check first.")
		return nil
	}
	for _, f := range e.flags {
		if strings.HasPrefix(f.Name, "oidc-") {
			e.need("--authentication-config cannot be combined with the --oidc-* flags: move the OIDC settings into an AuthenticationConfiguration (jwt:) first, then limit anonymous access in it.")
			return nil
		}
	}
	apiVersion := "apiserver.config.k8s.io/v1"
	if !v.IsZero() && !v.AtLeast("1.34") {
		apiVersion = "apiserver.config.k8s.io/v1beta1"
	}
	doc := map[string]any{"apiVersion": apiVersion, "kind": "AuthenticationConfiguration"}
	if cur, ok := e.get("authentication-config"); ok {
		data, readable := e.opts.Existing["authentication-config"]
		if !readable {
			e.need("Add to the AuthenticationConfiguration at " + cur + " (it could not be read): anonymous: {enabled: true, conditions: [{path: /livez}, {path: /readyz}, {path: /healthz}]}.")
			return nil
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %v", cur, err)
		}
	}
	doc["anonymous"] = map[string]any{"enabled": true, "conditions": []any{
		map[string]any{"path": "/livez"}, map[string]any{"path": "/readyz"}, map[string]any{"path": "/healthz"}}}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	p := e.file("authentication-config.yaml", header("anonymous requests only for the health endpoints (AG-AUTHN-001)", out),
		"anonymous requests are allowed only on /livez, /readyz and /healthz (the probes), refused everywhere else", false)
	e.set("authentication-config", p, "anonymous requests are limited to the health endpoints: a mistaken RBAC binding to system:anonymous exposes nothing")
	e.remove("anonymous-auth", "replaced by the anonymous block of --authentication-config (kube-apiserver refuses both)")
	return nil
}

// fixEventRateLimit turns EventRateLimit on with limits in the admission
// configuration (merged into the server's own; kube-apiserver does not
// start with the plugin and no limits).
func fixEventRateLimit(e *editor) error {
	doc := map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration"}
	if cur, ok := e.get("admission-control-config-file"); ok {
		data, readable := e.opts.Existing["admission-control-config-file"]
		if !readable {
			e.need("Add an EventRateLimit entry to the admission configuration at " + cur + " (it could not be read), then add EventRateLimit to --enable-admission-plugins.")
			return nil
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %v", cur, err)
		}
	}
	var plugins []any
	if p, ok := doc["plugins"].([]any); ok {
		for _, x := range p {
			if m, ok := x.(map[string]any); ok && m["name"] == "EventRateLimit" {
				continue // replaced: the check found it wanting
			}
			plugins = append(plugins, x)
		}
	}
	plugins = append(plugins, map[string]any{"name": "EventRateLimit", "configuration": map[string]any{
		"apiVersion": "eventratelimit.admission.k8s.io/v1alpha1", "kind": "Configuration",
		"limits": []any{
			map[string]any{"type": "Namespace", "qps": 50, "burst": 100, "cacheSize": 2000},
			map[string]any{"type": "User", "qps": 10, "burst": 50},
		}}})
	doc["plugins"] = plugins
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	p := e.file("admission-config.yaml", header("admission plugin configuration: EventRateLimit limits (AG-AUTHZ-009)", out),
		"EventRateLimit's limits: 50 Events/s per namespace (burst 100), 10/s per user (burst 50)", false)
	e.set("admission-control-config-file", p, "the admission configuration with EventRateLimit's limits")
	e.enablePlugin("EventRateLimit", "Event creation is rate limited per namespace and per user (CIS 1.2.9)")
	return nil
}

// fixAuditPolicy writes the recommended audit policy.
func fixAuditPolicy(e *editor) error {
	if len(e.opts.AuditPolicy) == 0 {
		return fmt.Errorf("no audit policy to write")
	}
	p := e.file("audit-policy.yaml", e.opts.AuditPolicy,
		"apiguard's recommended audit policy (audit policy recommend --profile standard): who did what, bodies where detections need them, never credentials", false)
	e.set("audit-policy-file", p, "the audit policy records every request at least at Metadata and never logs Secret bodies (CIS 3.2.1, 3.2.2)")
	if _, ok := e.get("audit-log-path"); !ok {
		if _, hook := e.get("audit-webhook-config-file"); !hook {
			e.set("audit-log-path", path.Join(e.opts.auditLogDir(), "audit.log"), "a policy records nothing without a backend: the log")
			auditRetention(e)
		}
	}
	return nil
}

// fixEncryption encrypts Secrets at rest with a fresh secretbox key: first
// in the provider list, before the server's own providers (or identity),
// so what is already stored stays readable until it is rewritten.
func fixEncryption(e *editor) error {
	if _, done := e.files["encryption-config.yaml"]; done {
		return nil
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(e.opts.random(), key); err != nil {
		return fmt.Errorf("generating a key: %v", err)
	}
	fresh := map[string]any{"secretbox": map[string]any{"keys": []any{
		map[string]any{"name": "apiguard-" + keyName(key), "secret": base64.StdEncoding.EncodeToString(key)}}}}
	var resources []any
	if cur, ok := e.get("encryption-provider-config"); ok {
		data, readable := e.opts.Existing["encryption-provider-config"]
		if !readable {
			e.need("Put a secretbox (or KMS v2) provider first for secrets in the EncryptionConfiguration at " + cur + " (it could not be read).")
			return nil
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %v", cur, err)
		}
		resources, _ = doc["resources"].([]any)
	}
	placed := false
	for _, r := range resources {
		m, ok := r.(map[string]any)
		if !ok || !listHas(m["resources"], "secrets") {
			continue
		}
		provs, _ := m["providers"].([]any)
		m["providers"] = append([]any{fresh}, provs...)
		placed = true
	}
	if !placed {
		resources = append([]any{map[string]any{"resources": []any{"secrets"}, "providers": []any{fresh, map[string]any{"identity": map[string]any{}}}}}, resources...)
	}
	doc := map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration", "resources": resources}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	p := e.file("encryption-config.yaml", header("encryption at rest for Secrets (AG-ADMIN-003/004). It holds a key apiguard generated just now from the system's random source: protect it (mode 0600, root only), back it up, and copy the same file to every control-plane node", out),
		"Secrets are encrypted at rest with secretbox (XSalsa20-Poly1305) under a freshly generated random 256-bit key", true)
	e.set("encryption-provider-config", p, "Secrets are encrypted in etcd (CIS 1.2.27, 1.2.28)")
	e.need("The encryption config holds a new random key generated by apiguard: back it up, copy the same file to every control-plane node, then rewrite the existing Secrets so they are stored encrypted.",
		"kubectl get secrets --all-namespaces -o json | kubectl replace -f -")
	return nil
}

func keyName(key []byte) string { return fmt.Sprintf("%x", key[:4]) }

func listHas(v any, s string) bool {
	l, _ := v.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func header(what string, body []byte) []byte {
	return append([]byte("# Written by apiguard fix: "+what+".\n"), body...)
}
