package apiserverflags

import (
	"github.com/apiguard/apiguard/internal/versions"
)

// NewestKnown is the newest Kubernetes minor whose flags this package models.
// When the scanned server's version is unknown, its defaults are assumed.
var NewestKnown = versions.MustParse("v1.36.0")

// boolFlags are kube-apiserver's boolean flags: written bare they mean true
// and they never consume the next argv element. Read from the 1.36 option
// sources (fs.BoolVar); test/e2e (TestFlagTables) compares this set with
// the real FlagSet of kube-apiserver v1.36.3.
var boolFlags = map[string]bool{
	"aggregator-reject-forwarding-redirect":       true,
	"allow-privileged":                            true,
	"anonymous-auth":                              true,
	"audit-log-compress":                          true,
	"audit-log-batch-throttle-enable":             true,
	"audit-log-truncate-enabled":                  true,
	"audit-webhook-batch-throttle-enable":         true,
	"audit-webhook-truncate-enabled":              true,
	"contention-profiling":                        true,
	"disable-http2-serving":                       true,
	"emulation-forward-compatible":                true,
	"enable-aggregator-routing":                   true,
	"enable-bootstrap-token-auth":                 true,
	"enable-garbage-collector":                    true,
	"enable-logs-handler":                         true,
	"enable-priority-and-fairness":                true,
	"encryption-provider-config-automatic-reload": true,
	"permit-address-sharing":                      true,
	"permit-port-sharing":                         true,
	"profiling":                                   true,
	"runtime-config-emulation-forward-compatible": true,
	"service-account-extend-token-expiration":     true,
	"service-account-lookup":                      true,
	"shutdown-send-retry-after":                   true,
	"watch-cache":                                 true,
	"kubelet-https":                               true, // removed, still parsed for old manifests
	"help":                                        true,
	"log-json-split-stream":                       true,
	"log-text-split-stream":                       true,
	"version":                                     true, // bare --version prints it; --version=raw takes a value
}

// IsBool reports whether a flag is boolean.
func IsBool(name string) bool { return boolFlags[name] }

// accumulatingFlags are stringSlice, stringArray and map flags: pflag appends
// every occurrence after the first, so "last one wins" does NOT apply.
var accumulatingFlags = map[string]bool{
	"admission-control":                    true,
	"allow-metric-labels":                  true,
	"disabled-metrics":                     true,
	"emulated-version":                     true,
	"min-compatibility-version":            true,
	"tls-curve-preferences":                true,
	"vmodule":                              true,
	"api-audiences":                        true,
	"authorization-mode":                   true,
	"cors-allowed-origins":                 true,
	"disable-admission-plugins":            true,
	"enable-admission-plugins":             true,
	"etcd-servers":                         true,
	"etcd-servers-overrides":               true,
	"feature-gates":                        true,
	"kubelet-preferred-address-types":      true,
	"oidc-required-claim":                  true,
	"oidc-signing-algs":                    true,
	"requestheader-allowed-names":          true,
	"requestheader-extra-headers-prefix":   true,
	"requestheader-group-headers":          true,
	"requestheader-uid-headers":            true,
	"requestheader-username-headers":       true,
	"runtime-config":                       true,
	"service-account-issuer":               true,
	"service-account-key-file":             true,
	"strict-transport-security-directives": true,
	"tls-cipher-suites":                    true,
	"tls-sni-cert-key":                     true,
	"watch-cache-sizes":                    true,
}

// IsAccumulating reports whether repeated occurrences of the flag add up.
func IsAccumulating(name string) bool { return accumulatingFlags[name] }

// defaultValue is a flag's default from one minor on (until the next entry).
type defaultValue struct {
	since string // first minor, "" = always
	value string
}

// defaults are the binary defaults that security checks depend on, newest
// last. Sources: k8s.io/apiserver and k8s.io/kubernetes option constructors.
var defaults = map[string][]defaultValue{
	"anonymous-auth":         {{"", "true"}},
	"profiling":              {{"", "true"}},
	"service-account-lookup": {{"", "true"}},
	"service-account-extend-token-expiration": {{"", "true"}},
	"enable-bootstrap-token-auth":             {{"", "false"}},
	"aggregator-reject-forwarding-redirect":   {{"", "true"}},
	"bind-address":                            {{"", "0.0.0.0"}},
	"secure-port":                             {{"", "6443"}},
	"request-timeout":                         {{"", "1m0s"}},
	"audit-log-format":                        {{"", "json"}},
	"audit-log-mode":                          {{"", "blocking"}},
	// 1.36 changed the audit log rotation defaults (k8s.io/apiserver
	// pkg/server/options/audit.go): before, 0 meant "keep everything".
	"audit-log-maxage":                           {{"", "0"}, {"1.36", "366"}},
	"audit-log-maxbackup":                        {{"", "0"}, {"1.36", "100"}},
	"audit-log-maxsize":                          {{"", "0"}, {"1.36", "100"}},
	"authentication-token-webhook-cache-ttl":     {{"", "2m0s"}},
	"authorization-webhook-cache-authorized-ttl": {{"", "5m0s"}},
	"service-account-max-token-expiration":       {{"", "0s"}},
	// k8s.io/apiserver pkg/server/secure_serving.go sets MinVersion TLS 1.2
	// itself when the flag is unset (not Go's default).
	"tls-min-version":           {{"", "VersionTLS12"}},
	"enable-admission-plugins":  {{"", ""}},
	"disable-admission-plugins": {{"", ""}},
}

// DefaultFor returns a flag's default in the given version.
func DefaultFor(name string, v versions.Version) (string, bool) {
	ds, ok := defaults[name]
	if !ok {
		return "", false
	}
	val := ""
	for _, d := range ds {
		if d.since == "" || v.Compare(versions.MustParse(d.since)) >= 0 {
			val = d.value
		}
	}
	return val, true
}

// DefaultOnAdmissionPlugins are enabled when not disabled (1.36:
// pkg/kubeapiserver/options/plugins.go DefaultOffAdmissionPlugins). Only the
// ones security checks ask about matter; the full set is kept for the
// "effective plugins" evidence.
var DefaultOnAdmissionPlugins = []string{
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "DefaultStorageClass",
	"PersistentVolumeClaimResize", "DefaultTolerationSeconds", "MutatingAdmissionWebhook",
	"ValidatingAdmissionWebhook", "ResourceQuota", "StorageObjectInUseProtection",
	"PodGroupProtection", "Priority", "TaintNodesByCondition", "RuntimeClass",
	"CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest",
	"CertificateSubjectRestriction", "DefaultIngressClass", "PodSecurity",
	"PodTopologyLabels", "MutatingAdmissionPolicy", "ValidatingAdmissionPolicy",
	"PodGroupWorkloadExists", "NodeDeclaredFeatureValidator", "JobValidation", "PodResizeValidator",
}

// Removed describes a flag that no longer exists.
type Removed struct {
	Flag string
	// In is the first minor without the flag.
	In   string
	Note string
}

// RemovedFlags are flags a current kube-apiserver refuses; their presence
// means an old binary or a manifest that will not start.
var RemovedFlags = []Removed{
	{"basic-auth-file", "1.19", "static passwords compared in non-constant time (ATR-K8S-002); removed with basic authentication"},
	{"insecure-port", "1.24", "insecure HTTP serving: a non-zero value on <1.20 is an unauthenticated, unauthorized API"},
	{"insecure-bind-address", "1.24", "address of the insecure HTTP port"},
	{"port", "1.24", "alias of --insecure-port"},
	{"address", "1.24", "alias of --insecure-bind-address"},
	{"kubelet-https", "1.22", "deprecated in 1.19: connections to kubelets always use HTTPS"}, // release of removal: M,
}

// RemovedFlag looks a flag up in RemovedFlags.
func RemovedFlag(name string) (Removed, bool) {
	for _, r := range RemovedFlags {
		if r.Flag == name {
			return r, true
		}
	}
	return Removed{}, false
}

// EffectiveAdmissionPlugins computes the plugins kube-apiserver runs:
// defaults plus --enable-admission-plugins minus --disable-admission-plugins
// (kube-apiserver refuses a plugin in both lists; that case is reported by
// the caller). The deprecated --admission-control replaces the whole list.
func EffectiveAdmissionPlugins(f *Flags) map[string]bool {
	on := map[string]bool{}
	if f.IsSet("admission-control") {
		for _, p := range f.Get("admission-control").List() {
			on[p] = true
		}
		return on
	}
	for _, p := range DefaultOnAdmissionPlugins {
		on[p] = true
	}
	for _, p := range f.Get("enable-admission-plugins").List() {
		on[p] = true
	}
	for _, p := range f.Get("disable-admission-plugins").List() {
		delete(on, p)
	}
	return on
}
