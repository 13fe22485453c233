package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// kubescape's regolibrary: each rule has test cases rules/<rule>/test/<case>
// with input/* (Pods, ControlPlaneInfo host data or RBAC objects) and
// expected.json (kubescape's alerts; empty means the case passes). Every rule
// there is mapped to the apiguard checks that answer the same question, and
// each case is run through `apiguard scan`: the kube-apiserver flag rules
// with --manifest, the rules on host files (ControlPlaneInfo) through the
// flags and decoded files of ../derived (MANIFEST.md), the RBAC rules with
// --rbac (regolibrary_rbac.go). kubescape raises one alert per failing
// object (a Pod, the host data, an RBAC subject or binding); apiguard's
// counterpart is an input (or RBAC subject) on which a mapped check fails or
// warns ("needs attention"; pass, not-applicable and not-assessable are no
// alert). A case agrees when the two counts are equal.

var regolibraryPeer = peer{
	name: "regolibrary",
	what: "kubescape regolibrary rule tests (kube-apiserver flags, encryption and audit-policy files, RBAC) vs `apiguard scan`",
	doc: "Every rule under `kubescape-regolibrary/rules/` is mapped to the apiguard checks that answer its " +
		"question (`test/conformance/regolibrary.go`, RBAC rules in `regolibrary_rbac.go`); a rule without a " +
		"mapping stops the run. Each case `<rule>/<case>` is scanned as its input allows: Pod manifests with " +
		"`scan --manifest` (each input file on its own), the ControlPlaneInfo host data through the files " +
		"derived from it (`derived/encryption-roots/` with `--flags-file` and `--root`; a ControlPlaneInfo " +
		"next to a Pod as its command line and decoded files under a temporary root; the audit policy of " +
		"`derived/audit-policies-decoded/` under a temporary root with the case's own command line, " +
		"`derived/ks_missing_arg.flags` for the case without one), RBAC objects with `scan --rbac`. kubescape " +
		"raises one alert per failing object; apiguard's count is the inputs on which a mapped check fails or " +
		"warns (for RBAC: the case's subjects and bindings it flags), and a case agrees when the counts are " +
		"equal. The unsuffixed cipher rule is judged with the default `--benchmark cis-1.12`, the `-cis1-10` " +
		"rule with `--benchmark cis-1.10`. Cases without an `input/` directory in the data (two: the `passed` " +
		"cases of the maxbackup and maxsize rules) have nothing to scan and are left out.",
	run: runRegolibrary,
}

// regoInput is how a rule's cases are fed to apiguard.
type regoInput int

const (
	regoManifests   regoInput = iota // input/*: Pods, one `scan --manifest` each
	regoEncryption                   // derived/encryption-roots/<case>.flags and <case>-root
	regoAuditPolicy                  // ControlPlaneInfo cmdLine + derived/audit-policies-decoded/<case>.yaml
)

// regoRule maps one rule to the apiguard checks that answer its question.
type regoRule struct {
	checks    []string
	input     regoInput
	benchmark string // --benchmark, when the rule follows a given CIS version
}

// regoRules: the rules on kube-apiserver flags and host files. The RBAC
// rules are regoRBACRules.
var regoRules = map[string]regoRule{
	"ensure-that-the-api-server-anonymous-auth-argument-is-set-to-false":                                            {checks: []string{"AG-AUTHN-001"}},
	"ensure-that-the-api-server-token-auth-file-parameter-is-not-set":                                               {checks: []string{"AG-AUTHN-002"}},
	"ensure-that-the-api-server-client-ca-file-argument-is-set-as-appropriate":                                      {checks: []string{"AG-AUTHN-003"}},
	"ensure-that-the-api-server-service-account-lookup-argument-is-set-to-true":                                     {checks: []string{"AG-AUTHN-004"}},
	"ensure-that-the-api-server-service-account-key-file-argument-is-set-as-appropriate":                            {checks: []string{"AG-AUTHN-005"}},
	"ensure-that-the-api-server-service-account-extend-token-expiration-is-set-to-false":                            {checks: []string{"AG-AUTHN-006"}},
	"ensure-that-the-api-server-kubelet-client-certificate-and-kubelet-client-key-arguments-are-set-as-appropriate": {checks: []string{"AG-AUTHN-007"}},
	"ensure-that-the-api-server-authorization-mode-argument-is-not-set-to-AlwaysAllow":                              {checks: []string{"AG-AUTHZ-001"}},
	"ensure-that-the-api-server-authorization-mode-argument-includes-Node":                                          {checks: []string{"AG-AUTHZ-002"}},
	"ensure-that-the-api-server-authorization-mode-argument-includes-RBAC":                                          {checks: []string{"AG-AUTHZ-003"}},
	"rbac-enabled-native": {checks: []string{"AG-AUTHZ-003"}},
	"ensure-that-the-admission-control-plugin-AlwaysAdmit-is-not-set":                        {checks: []string{"AG-AUTHZ-005"}},
	"ensure-that-the-admission-control-plugin-NodeRestriction-is-set":                        {checks: []string{"AG-AUTHZ-006"}},
	"ensure-that-the-admission-control-plugin-ServiceAccount-is-set":                         {checks: []string{"AG-AUTHZ-007"}},
	"ensure-that-the-admission-control-plugin-NamespaceLifecycle-is-set":                     {checks: []string{"AG-AUTHZ-008"}},
	"ensure-that-the-admission-control-plugin-EventRateLimit-is-set":                         {checks: []string{"AG-AUTHZ-009"}},
	"ensure-that-the-admission-control-plugin-AlwaysPullImages-is-set":                       {checks: []string{"AG-AUTHZ-010"}},
	"ensure-that-the-api-server-audit-log-path-argument-is-set":                              {checks: []string{"AG-AUDIT-001"}},
	"k8s-audit-logs-enabled-native":                                                          {checks: []string{"AG-AUDIT-001"}},
	"k8s-audit-logs-enabled-native-cis":                                                      {checks: []string{"AG-AUDIT-001"}},
	"ensure-that-the-api-server-audit-log-maxage-argument-is-set-to-30-or-as-appropriate":    {checks: []string{"AG-AUDIT-002"}},
	"ensure-that-the-api-server-audit-log-maxbackup-argument-is-set-to-10-or-as-appropriate": {checks: []string{"AG-AUDIT-003"}},
	"ensure-that-the-api-server-audit-log-maxsize-argument-is-set-to-100-or-as-appropriate":  {checks: []string{"AG-AUDIT-004"}},
	"audit-policy-content": {checks: []string{"AG-AUDIT-005", "AG-AUDIT-009"}, input: regoAuditPolicy},
	"ensure-that-the-API-Server-only-makes-use-of-Strong-Cryptographic-Ciphers":                          {checks: []string{"AG-NET-003"}, benchmark: "cis-1.12"},
	"ensure-that-the-API-Server-only-makes-use-of-Strong-Cryptographic-Ciphers-cis1-10":                  {checks: []string{"AG-NET-003"}, benchmark: "cis-1.10"},
	"ensure-that-the-api-server-tls-cert-file-and-tls-private-key-file-arguments-are-set-as-appropriate": {checks: []string{"AG-NET-004"}},
	"ensure-that-the-api-server-profiling-argument-is-set-to-false":                                      {checks: []string{"AG-NET-005"}},
	"ensure-that-the-api-server-kubelet-certificate-authority-argument-is-set-as-appropriate":            {checks: []string{"AG-NET-006"}},
	"ensure-that-the-api-server-etcd-certfile-and-etcd-keyfile-arguments-are-set-as-appropriate":         {checks: []string{"AG-NET-007"}},
	"ensure-that-the-api-server-etcd-cafile-argument-is-set-as-appropriate":                              {checks: []string{"AG-NET-008"}},
	"ensure-that-the-api-server-request-timeout-argument-is-set-as-appropriate":                          {checks: []string{"AG-NET-010"}},
	// Both rules ask whether DenyServiceExternalIPs is enabled; "-is-not-set"
	// expects the opposite answer of CIS 1.2.3. The same check answers both.
	"ensure-that-the-api-server-DenyServiceExternalIPs-is-set":     {checks: []string{"AG-NET-011"}},
	"ensure-that-the-api-server-DenyServiceExternalIPs-is-not-set": {checks: []string{"AG-NET-011"}},
	"insecure-port-flag": {checks: []string{"AG-NET-012"}},
	"ensure-that-the-api-server-secure-port-argument-is-not-set-to-0": {checks: []string{"AG-NET-021"}},
	// kubescape also alerts when the configuration in the host data does not cover secrets: AG-ADMIN-004.
	"ensure-that-the-api-server-encryption-provider-config-argument-is-set-as-appropriate": {checks: []string{"AG-ADMIN-003", "AG-ADMIN-004"}},
	"etcd-encryption-native": {checks: []string{"AG-ADMIN-003"}},
	"ensure-that-the-api-server-encryption-providers-are-appropriately-configured": {checks: []string{"AG-ADMIN-004"}, input: regoEncryption},
}

// flagged: the statuses that ask for attention, apiguard's counterpart of an alert.
func flagged(status string) bool { return status == "fail" || status == "warn" }

func runRegolibrary(e *env) ([]Case, error) {
	base := e.path("kubescape-regolibrary")
	rules, err := os.ReadDir(filepath.Join(base, "rules"))
	if err != nil {
		return nil, err
	}
	var out []Case
	seen := map[string]bool{}
	for _, r := range rules {
		if !r.IsDir() {
			continue
		}
		rule := r.Name()
		seen[rule] = true
		spec, flagRule := regoRules[rule]
		rbacChecks, rbacRule := regoRBACRules[rule]
		if !flagRule && !rbacRule {
			return nil, fmt.Errorf("regolibrary rule %s has no mapping to apiguard checks (add it to regoRules or regoRBACRules)", rule)
		}
		cases, err := os.ReadDir(filepath.Join(base, "rules", rule, "test"))
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if !c.IsDir() {
				continue
			}
			dir := filepath.Join(base, "rules", rule, "test", c.Name())
			if _, err := os.Stat(filepath.Join(dir, "input")); os.IsNotExist(err) {
				continue // nothing to scan: the data holds only expected.json for this case
			}
			alerts, err := expectedAlerts(dir)
			if err != nil {
				return nil, err
			}
			var answer string
			var n int // inputs (RBAC: subjects and bindings) apiguard flags
			switch {
			case rbacRule:
				answer, n, err = regoRBACCase(e, dir, rbacChecks)
			case spec.input == regoEncryption:
				answer, n, err = regoEncryptionCase(e, base, dir, c.Name(), spec)
			case spec.input == regoAuditPolicy:
				answer, n, err = regoAuditPolicyCase(e, base, dir, c.Name(), spec)
			default:
				answer, n, err = regoManifestCase(e, dir, spec)
			}
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", rule, c.Name(), err)
			}
			p := "pass"
			if alerts > 0 {
				p = fmt.Sprintf("fail (%d alert%s)", alerts, plural(alerts))
			}
			out = append(out, Case{ID: rule + "/" + c.Name(), Peer: p, Apiguard: answer, Agree: n == alerts})
		}
	}
	for rule := range regoRules {
		if !seen[rule] {
			return nil, fmt.Errorf("regoRules maps %s, which is not in the regolibrary data", rule)
		}
	}
	for rule := range regoRBACRules {
		if !seen[rule] {
			return nil, fmt.Errorf("regoRBACRules maps %s, which is not in the regolibrary data", rule)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// expectedAlerts is the number of alerts in a case's expected.json.
func expectedAlerts(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return 0, err
	}
	var alerts []json.RawMessage
	if err := json.Unmarshal(b, &alerts); err != nil {
		return 0, fmt.Errorf("expected.json: %w", err)
	}
	return len(alerts), nil
}

// judgeChecks words the statuses of the mapped checks ("AG-NET-003 fail")
// and reports whether any asks for attention.
func judgeChecks(fs []finding, checks []string) (string, bool) {
	var parts []string
	fails := false
	for _, id := range checks {
		st := statuses(fs, id)
		parts = append(parts, id+" "+st)
		for _, s := range strings.Split(st, ",") {
			fails = fails || flagged(s)
		}
	}
	return strings.Join(parts, ", "), fails
}

// count words a one-scan answer: 1 when flagged.
func count(answer string, fails bool) (string, int) {
	if fails {
		return answer, 1
	}
	return answer, 0
}

func (r regoRule) scan(e *env, args ...string) ([]finding, error) {
	if r.benchmark != "" {
		args = append(args, "--benchmark", r.benchmark)
	}
	return e.scan(args...)
}

// regoManifestCase scans each input on its own, as kubescape alerts per
// object: a Pod with --manifest, host data (a ControlPlaneInfo) as its
// command line with its files under a temporary root.
func regoManifestCase(e *env, dir string, r regoRule) (string, int, error) {
	inputs, err := filepath.Glob(filepath.Join(dir, "input", "*"))
	if err != nil || len(inputs) == 0 {
		return "", 0, fmt.Errorf("no input files (%v)", err)
	}
	var parts []string
	n := 0
	for _, in := range inputs {
		args := []string{"--manifest", in}
		if info, ok := readControlPlaneInfo(in); ok {
			tmp, err := os.MkdirTemp("", "regolibrary-host")
			if err != nil {
				return "", 0, err
			}
			defer os.RemoveAll(tmp)
			if args, err = info.materialize(tmp); err != nil {
				return "", 0, fmt.Errorf("%s: %w", filepath.Base(in), err)
			}
		}
		fs, err := r.scan(e, args...)
		if err != nil {
			return "", 0, err
		}
		answer, f := judgeChecks(fs, r.checks)
		if f {
			n++
		}
		if len(inputs) > 1 {
			answer = filepath.Base(in) + ": " + answer
		}
		parts = append(parts, answer)
	}
	return strings.Join(parts, "; "), n, nil
}

// controlPlaneInfo is the part of kubescape's host data the rules read: the
// kube-apiserver command line and the files it names (base64).
type controlPlaneInfo struct {
	Kind string `json:"kind"`
	Data struct {
		APIServerInfo struct {
			CmdLine                      string    `json:"cmdLine"`
			AuditPolicyFile              *hostFile `json:"auditPolicyFile"`
			EncryptionProviderConfigFile *hostFile `json:"encryptionProviderConfigFile"`
		} `json:"APIServerInfo"`
	} `json:"data"`
}

type hostFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

func (f *hostFile) decode() ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(f.Content)
	if err != nil {
		return nil, fmt.Errorf("%s: content is not base64: %w", f.Path, err)
	}
	return b, nil
}

// readControlPlaneInfo reads a file as kubescape's host data, if it is one
// with a command line.
func readControlPlaneInfo(path string) (controlPlaneInfo, bool) {
	var info controlPlaneInfo
	if !strings.HasSuffix(path, ".json") {
		return info, false
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &info) != nil {
		return info, false
	}
	return info, info.Kind == "ControlPlaneInfo" && strings.TrimSpace(info.Data.APIServerInfo.CmdLine) != ""
}

func (info controlPlaneInfo) argv() []string { return strings.Fields(info.Data.APIServerInfo.CmdLine) }

// materialize writes the host data under dir, outside the project: the
// command line one argument a line, and the files it carries decoded at
// their paths under dir/root. It returns the scan arguments.
func (info controlPlaneInfo) materialize(dir string) ([]string, error) {
	flags := filepath.Join(dir, "cmdline.flags")
	if err := os.WriteFile(flags, []byte(strings.Join(info.argv(), "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	for _, f := range []*hostFile{info.Data.APIServerInfo.AuditPolicyFile, info.Data.APIServerInfo.EncryptionProviderConfigFile} {
		if f == nil {
			continue
		}
		b, err := f.decode()
		if err != nil {
			return nil, err
		}
		if err := writeUnder(root, f.Path, b); err != nil {
			return nil, err
		}
	}
	return []string{"--flags-file", flags, "--root", root}, nil
}

// writeUnder writes data at path (absolute, as on the host) under root.
func writeUnder(root, path string, data []byte) error {
	at := filepath.Join(root, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
		return err
	}
	return os.WriteFile(at, data, 0o644)
}

// sameText compares a derived file with the original it was decoded from.
func sameText(a, b []byte) bool { return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b)) }

// regoEncryptionCase scans the case's command line and its decoded
// EncryptionConfiguration under derived/encryption-roots, after checking
// both against the case's host data.
func regoEncryptionCase(e *env, base, dir, name string, r regoRule) (string, int, error) {
	info, ok := readControlPlaneInfo(filepath.Join(dir, "input", "control_plane_info.json"))
	if !ok || info.Data.APIServerInfo.EncryptionProviderConfigFile == nil {
		return "", 0, fmt.Errorf("input/control_plane_info.json: no command line or encryption configuration")
	}
	flags := filepath.Join(base, "derived", "encryption-roots", name+".flags")
	root := filepath.Join(base, "derived", "encryption-roots", name+"-root")
	derivedFlags, err := os.ReadFile(flags)
	if err != nil {
		return "", 0, fmt.Errorf("derived input missing: %w", err)
	}
	if strings.Join(strings.Fields(string(derivedFlags)), " ") != strings.Join(info.argv(), " ") {
		return "", 0, fmt.Errorf("%s is not this case's command line", flags)
	}
	f := info.Data.APIServerInfo.EncryptionProviderConfigFile
	orig, err := f.decode()
	if err != nil {
		return "", 0, err
	}
	derived, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
	if err != nil {
		return "", 0, fmt.Errorf("derived input missing: %w", err)
	}
	if !sameText(orig, derived) {
		return "", 0, fmt.Errorf("%s%s is not this case's decoded encryption configuration", root, f.Path)
	}
	fs, err := r.scan(e, "--flags-file", flags, "--root", root)
	if err != nil {
		return "", 0, err
	}
	answer, n := count(judgeChecks(fs, r.checks))
	return answer, n, nil
}

// regoAuditPolicyCase scans the case's kube-apiserver command line with its
// audit policy (derived/audit-policies-decoded/<case>.yaml, checked against
// the base64 content of the host data) placed where --audit-policy-file
// names it under a temporary --root. The case without a policy file uses
// derived/ks_missing_arg.flags, checked against the host data's command line.
func regoAuditPolicyCase(e *env, base, dir, name string, r regoRule) (string, int, error) {
	info, ok := readControlPlaneInfo(filepath.Join(dir, "input", "control_plane_info.json"))
	if !ok {
		return "", 0, fmt.Errorf("input/control_plane_info.json: no command line")
	}
	var args []string
	if pf := info.Data.APIServerInfo.AuditPolicyFile; pf == nil {
		flags := filepath.Join(base, "derived", "ks_missing_arg.flags")
		derived, err := os.ReadFile(flags)
		if err != nil {
			return "", 0, fmt.Errorf("derived input missing: %w", err)
		}
		if strings.Join(strings.Fields(string(derived)), " ") != strings.Join(info.argv(), " ") {
			return "", 0, fmt.Errorf("%s is not this case's command line", flags)
		}
		args = []string{"--flags-file", flags}
	} else {
		policy := filepath.Join(base, "derived", "audit-policies-decoded", name+".yaml")
		derived, err := os.ReadFile(policy)
		if err != nil {
			return "", 0, fmt.Errorf("derived input missing: %w", err)
		}
		orig, err := pf.decode()
		if err != nil {
			return "", 0, err
		}
		if !sameText(orig, derived) {
			return "", 0, fmt.Errorf("%s is not the decoded auditPolicyFile.content of this case", policy)
		}
		tmp, err := os.MkdirTemp("", "regolibrary-audit")
		if err != nil {
			return "", 0, err
		}
		defer os.RemoveAll(tmp)
		if err := writeUnder(filepath.Join(tmp, "root"), pf.Path, derived); err != nil {
			return "", 0, err
		}
		flags := filepath.Join(tmp, "cmdline.flags")
		if err := os.WriteFile(flags, []byte(strings.Join(info.argv(), "\n")+"\n"), 0o644); err != nil {
			return "", 0, err
		}
		args = []string{"--flags-file", flags, "--root", filepath.Join(tmp, "root")}
	}
	fs, err := r.scan(e, args...)
	if err != nil {
		return "", 0, err
	}
	answer, n := count(judgeChecks(fs, r.checks))
	return answer, n, nil
}
