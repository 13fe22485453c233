// Package kubeconfigaudit judges the credentials a kubeconfig holds: static
// bearer tokens and basic auth, client certificates (group system:masters,
// expiry, key strength), TLS verification, plain-HTTP servers, the
// deprecated auth-provider and exec credential plugins (the recommended
// path: OIDC or cloud IAM). It never prints a secret: tokens appear as their
// kind and a short SHA-256 fingerprint, passwords not at all.
package kubeconfigaudit

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// Rules are the kubeconfig checks, for reports and docs.
var Rules = []check.Metadata{staticTokenMeta, basicAuthMeta, clientCertMeta, skipTLSMeta, plainHTTPMeta, authProviderMeta, execMeta, tokenFileMeta}

var (
	staticTokenMeta = check.Metadata{
		ID: "AG-KCFG-001", Title: "Kubeconfig users hold no static bearer tokens", Layer: check.Authentication, Severity: check.High,
		Rationale: "A bearer token written into a kubeconfig is a password that travels with every copy of the file " +
			"(laptops, CI variables, chat). Legacy ServiceAccount tokens and static tokens never expire; bound " +
			"ServiceAccount tokens and OIDC ID tokens at least do.",
		Remediation: "Replace the token with an exec credential plugin (OIDC login such as kubelogin, or the cloud " +
			"provider's: aws eks get-token, gke-gcloud-auth-plugin, kubelogin for AKS), or with a short-lived token " +
			"from `kubectl create token`; revoke the old token (delete its Secret, or remove it from the token file).",
		References: []check.Reference{{Title: "Authenticating: client-go credential plugins", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins"}},
	}
	basicAuthMeta = check.Metadata{
		ID: "AG-KCFG-002", Title: "Kubeconfig users do not use basic authentication", Layer: check.Authentication, Severity: check.High,
		Rationale: "kube-apiserver removed basic authentication (--basic-auth-file) in 1.19: a username and password " +
			"in a kubeconfig are either useless or sent to something that is not a current kube-apiserver, and the " +
			"password sits in plain text in the file.",
		Remediation: "Delete the username and password from the user entry and use an exec credential plugin or a client certificate.",
		References:  []check.Reference{{Title: "Kubernetes 1.19 release notes: basic auth removed", URL: "https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.19.md"}},
	}
	clientCertMeta = check.Metadata{
		ID: "AG-KCFG-003", Title: "Kubeconfig client certificates are short-lived, strong and outside system:masters", Layer: check.Authentication, Severity: check.Critical,
		Rationale: "Kubernetes cannot revoke a client certificate: it authenticates until it expires or the cluster CA " +
			"is rotated. One in group system:masters (O=system:masters) also bypasses RBAC and every authorization " +
			"webhook, so its leak means full control of the cluster until the CA is replaced. kubeadm since 1.29 " +
			"puts admin.conf in kubeadm:cluster-admins (revocable through RBAC) and keeps system:masters for " +
			"super-admin.conf, a break-glass file that should not be in daily use. Keys below RSA 2048 or P-256 are weak.",
		Remediation: "Use an identity whose rights come from RBAC (kubeadm: admin.conf, O=kubeadm:cluster-admins), " +
			"keep super-admin.conf offline, issue certificates with short validity (a CSR with spec.expirationSeconds), " +
			"and prefer exec credential plugins. A leaked system:masters certificate requires rotating the cluster CA.",
		References: []check.Reference{
			{Title: "RBAC good practices: avoid system:masters", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"},
			{Title: "kubeadm: admin.conf and super-admin.conf", URL: "https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/"},
		},
	}
	skipTLSMeta = check.Metadata{
		ID: "AG-KCFG-004", Title: "Kubeconfig clusters verify the server certificate", Layer: check.Authentication, Severity: check.High,
		Rationale: "insecure-skip-tls-verify: true accepts any server certificate: anyone on the network path can pose " +
			"as the API server and collect the credentials the client sends (tokens, exec plugin tokens) or feed it false data. " +
			"For a loopback server (localhost, 127.0.0.0/8, ::1: the kubeconfigs of control-plane components) the " +
			"connection never leaves the host, so the finding is low: only a process already on the host can intercept it.",
		Remediation: "Remove insecure-skip-tls-verify and set certificate-authority-data (or certificate-authority) to the " +
			"cluster CA (kubeadm: /etc/kubernetes/pki/ca.crt); use tls-server-name when the address is not in the certificate.",
		References: []check.Reference{{Title: "Organizing cluster access using kubeconfig files", URL: "https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/"}},
	}
	plainHTTPMeta = check.Metadata{
		ID: "AG-KCFG-005", Title: "Kubeconfig clusters are reached over HTTPS", Layer: check.Authentication, Severity: check.High,
		Rationale: "An http:// server sends every request, token and response in clear text; kube-apiserver has not " +
			"served plain HTTP since 1.20, so such an entry points at a proxy or an old insecure port. On a loopback " +
			"address (kubectl proxy) the traffic stays on the host and the finding is low.",
		Remediation: "Use the https:// address of the API server with its CA.",
		References:  []check.Reference{{Title: "Controlling access to the Kubernetes API: transport security", URL: "https://kubernetes.io/docs/concepts/security/controlling-access/#transport-security"}},
	}
	authProviderMeta = check.Metadata{
		ID: "AG-KCFG-006", Title: "Kubeconfig users do not use the deprecated auth-provider", Layer: check.Authentication, Severity: check.Medium,
		Rationale: "The auth-provider mechanism is deprecated: the gcp and azure providers were removed from kubectl " +
			"1.26 (the entry no longer works), and the oidc provider stores ID and refresh tokens in the kubeconfig " +
			"itself. Exec credential plugins replaced all three.",
		Remediation: "Switch to the exec plugin: gke-gcloud-auth-plugin (GKE), kubelogin (AKS/Azure AD), kubelogin " +
			"or another OIDC exec plugin (generic OIDC); delete the auth-provider block and its cached tokens.",
		References: []check.Reference{{Title: "client-go credential plugins", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins"}},
	}
	execMeta = check.Metadata{
		ID: "AG-KCFG-007", Title: "Kubeconfig users authenticate through exec credential plugins", Layer: check.Authentication, Severity: check.Medium,
		Rationale: "An exec credential plugin fetches short-lived credentials from an identity provider (OIDC, cloud " +
			"IAM) at each use: nothing long-lived is stored in the file and revocation happens at the provider. It is " +
			"the recommended path. The client.authentication.k8s.io/v1alpha1 API was removed in kubectl 1.24.",
		Remediation: "Keep exec plugins on client.authentication.k8s.io/v1 (or v1beta1) and install the plugin binary on every machine that uses the file.",
		References:  []check.Reference{{Title: "client-go credential plugins", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins"}},
	}
	tokenFileMeta = check.Metadata{
		ID: "AG-KCFG-008", Title: "Token files named by kubeconfig users hold expiring tokens", Layer: check.Authentication, Severity: check.Medium,
		Rationale: "tokenFile reads the bearer token from a file at each use: fine for a projected ServiceAccount token " +
			"that the kubelet rotates, a standing credential when the file holds a legacy or static token.",
		Remediation: "Point tokenFile at a rotated token (a projected serviceAccountToken volume), or use an exec credential plugin.",
		References:  []check.Reference{{Title: "Service account token volume projection", URL: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#serviceaccount-token-volume-projection"}},
	}
)

// Audit judges every user and cluster of a loaded kubeconfig. source names
// the file(s) for locations; now is the evaluation time.
func Audit(cfg *clientcmdapi.Config, source string, now time.Time) []check.Finding {
	var out []check.Finding
	users := slices.Sorted(maps.Keys(cfg.AuthInfos))
	for _, name := range users {
		u := cfg.AuthInfos[name]
		if u == nil {
			continue
		}
		out = append(out, auditUser(cfg, name, u, source, now)...)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Clusters)) {
		c := cfg.Clusters[name]
		if c == nil {
			continue
		}
		out = append(out, auditCluster(cfg, name, c, source)...)
	}
	check.Sort(out)
	return out
}

func originOf(loc, source string) string {
	if loc != "" {
		return loc
	}
	return source
}

// contextsOf lists the contexts that use a user or cluster.
func contextsOf(cfg *clientcmdapi.Config, user, cluster string) check.Evidence {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(cfg.Contexts)) {
		c := cfg.Contexts[n]
		if c != nil && ((user != "" && c.AuthInfo == user) || (cluster != "" && c.Cluster == cluster)) {
			if n == cfg.CurrentContext {
				n += " (current)"
			}
			names = append(names, n)
		}
	}
	v := strings.Join(names, ", ")
	if v == "" {
		v = "(none: an unused entry still holds its credentials)"
	}
	return check.Evidence{Key: "contexts", Value: v, Source: "kubeconfig contexts"}
}

func result(m check.Metadata, st check.Status, sev check.Severity, resource, file, msg string, ev ...check.Evidence) check.Finding {
	f := m.Result(st, resource, msg, ev...)
	f.Severity = sev
	if st == check.Fail || st == check.Warn {
		f.Remediation = m.Remediation
	}
	if file != "" {
		f.Location = &check.Location{File: file}
	}
	return f
}

// Fingerprint is "sha256:" and the first 8 hex digits of the token's
// SHA-256: enough to match a token against a list, useless to recover it.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

var bootstrapTokenRE = regexp.MustCompile(`^([a-z0-9]{6})\.[a-z0-9]{16}$`)

// tokenKind describes a bearer token without revealing it: bootstrap token
// id, JWT claims that are not secret (issuer, subject, expiry), or opaque.
type tokenKind struct {
	desc    string
	expires time.Time
	forever bool
}

func classifyToken(tok string, now time.Time) tokenKind {
	tok = strings.TrimSpace(tok)
	if m := bootstrapTokenRE.FindStringSubmatch(tok); m != nil {
		return tokenKind{desc: "bootstrap token " + m[1] + " (expiry in its Secret)", forever: true}
	}
	parts := strings.Split(tok, ".")
	if len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil {
			var c struct {
				Iss string  `json:"iss"`
				Sub string  `json:"sub"`
				Exp float64 `json:"exp"`
				NS  string  `json:"kubernetes.io/serviceaccount/namespace"`
				SA  string  `json:"kubernetes.io/serviceaccount/service-account.name"`
				K8s *struct {
					Namespace string `json:"namespace"`
				} `json:"kubernetes.io"`
			}
			if json.Unmarshal(payload, &c) == nil && (c.Iss != "" || c.Sub != "") {
				k := tokenKind{}
				switch {
				case c.Iss == "kubernetes/serviceaccount":
					k.desc = fmt.Sprintf("legacy ServiceAccount token for %s/%s (from a Secret; never expires)", c.NS, c.SA)
					k.forever = true
					return k
				case strings.HasPrefix(c.Sub, "system:serviceaccount:"):
					k.desc = "ServiceAccount token for " + strings.TrimPrefix(c.Sub, "system:serviceaccount:")
				default:
					k.desc = "JWT from issuer " + c.Iss
					if c.Sub != "" {
						k.desc += " for subject " + c.Sub
					}
				}
				if c.Exp > 0 {
					k.expires = time.Unix(int64(c.Exp), 0).UTC()
					if k.expires.Before(now) {
						k.desc += ", expired " + k.expires.Format("2006-01-02 15:04 MST")
					} else {
						k.desc += ", expires " + k.expires.Format("2006-01-02 15:04 MST")
					}
				} else {
					k.desc += ", no expiry"
					k.forever = true
				}
				return k
			}
		}
	}
	return tokenKind{desc: "opaque static token (no expiry of its own)", forever: true}
}

func auditUser(cfg *clientcmdapi.Config, name string, u *clientcmdapi.AuthInfo, source string, now time.Time) []check.Finding {
	var out []check.Finding
	res := "user " + name
	file := originOf(u.LocationOfOrigin, source)
	ctxs := contextsOf(cfg, name, "")
	at := func(field string) string { return "users[" + name + "]." + field }
	if u.Token != "" {
		k := classifyToken(u.Token, now)
		ev := []check.Evidence{{Key: at("token"), Value: k.desc + "; " + Fingerprint(u.Token), Source: file}, ctxs}
		switch {
		case k.forever:
			out = append(out, result(staticTokenMeta, check.Fail, check.High, res, file, "a bearer token is stored in the file: "+k.desc, ev...))
		case k.expires.Before(now):
			out = append(out, result(staticTokenMeta, check.Warn, check.Low, res, file, "an expired bearer token is stored in the file: "+k.desc, ev...))
		default:
			out = append(out, result(staticTokenMeta, check.Warn, check.Medium, res, file, "a bearer token is stored in the file: "+k.desc+"; until then it works from any copy of the file", ev...))
		}
	}
	if u.Username != "" || u.Password != "" {
		val := "username " + quoteOr(u.Username, "(empty)")
		if u.Password != "" {
			val += ", password set (not shown)"
		}
		out = append(out, result(basicAuthMeta, check.Fail, check.High, res, file,
			"basic authentication: kube-apiserver removed it in 1.19, and the password is stored in plain text", check.Evidence{Key: at("username/password"), Value: val, Source: file}, ctxs))
	}
	if len(u.ClientCertificateData) > 0 || u.ClientCertificate != "" {
		out = append(out, auditCert(u, res, file, at, ctxs, now))
	}
	if u.AuthProvider != nil {
		p := u.AuthProvider.Name
		ev := []check.Evidence{{Key: at("auth-provider.name"), Value: p, Source: file}, ctxs}
		switch p {
		case "gcp", "azure":
			out = append(out, result(authProviderMeta, check.Fail, check.Medium, res, file,
				"the "+p+" auth-provider was removed from kubectl 1.26: this user no longer authenticates; use the provider's exec plugin", ev...))
		default:
			msg := "the deprecated " + p + " auth-provider is used"
			if len(u.AuthProvider.Config) > 0 {
				var keys []string
				for k := range u.AuthProvider.Config {
					if strings.Contains(k, "token") {
						keys = append(keys, k)
					}
				}
				sort.Strings(keys)
				if len(keys) > 0 {
					msg += "; its config caches " + strings.Join(keys, ", ") + " in the file (not shown)"
				}
			}
			out = append(out, result(authProviderMeta, check.Warn, check.Medium, res, file, msg+"; use an exec plugin", ev...))
		}
	}
	if u.Exec != nil {
		cmd := filepath.Base(u.Exec.Command)
		val := cmd + " (" + quoteOr(u.Exec.APIVersion, "no apiVersion") + ")"
		ev := []check.Evidence{{Key: at("exec"), Value: val, Source: file}, ctxs}
		if u.Exec.APIVersion == "client.authentication.k8s.io/v1alpha1" {
			out = append(out, result(execMeta, check.Fail, check.Medium, res, file,
				"exec plugin "+cmd+" uses client.authentication.k8s.io/v1alpha1, removed in kubectl 1.24: move it to v1", ev...))
		} else {
			out = append(out, result(execMeta, check.Pass, check.Medium, res, file,
				"exec credential plugin "+cmd+": short-lived credentials from the identity provider, nothing long-lived in the file", ev...))
		}
	}
	if u.TokenFile != "" {
		out = append(out, auditTokenFile(u.TokenFile, res, file, at, ctxs, now))
	}
	return out
}

func quoteOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

func auditTokenFile(path, res, file string, at func(string) string, ctxs check.Evidence, now time.Time) check.Finding {
	m := tokenFileMeta
	ev := []check.Evidence{{Key: at("tokenFile"), Value: shown(path), Source: file}, ctxs}
	b, err := fileinput.ReadFile(path, fileinput.TokenFile)
	if err != nil {
		return result(m, check.NotAssessable, m.Severity, res, file, "the token file "+shown(path)+" cannot be read ("+shortErr(err)+"): whether its token expires is unknown", ev...)
	}
	tok := strings.TrimSpace(string(b))
	k := classifyToken(tok, now)
	ev[0].Value += ": " + k.desc + "; " + Fingerprint(tok)
	if k.forever {
		return result(m, check.Fail, check.High, res, file, "the token file "+shown(path)+" holds a token that never expires: "+k.desc, ev...)
	}
	return result(m, check.Pass, m.Severity, res, file, "the token file "+shown(path)+" holds an expiring token ("+k.desc+"); it must be rotated before it expires, as projected ServiceAccount tokens are", ev...)
}

// shown is a path as reports show it: relative to the working directory
// when under it (kubeconfig loading makes file references absolute).
func shown(p string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(p) {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func shortErr(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file"
	}
	if errors.Is(err, fs.ErrPermission) {
		return "permission denied"
	}
	return fileinput.Reason(err)
}

func auditCert(u *clientcmdapi.AuthInfo, res, file string, at func(string) string, ctxs check.Evidence, now time.Time) check.Finding {
	m := clientCertMeta
	data, field := u.ClientCertificateData, at("client-certificate-data")
	if len(data) == 0 {
		field = at("client-certificate")
		b, err := readBounded(u.ClientCertificate)
		if err != nil {
			return result(m, check.NotAssessable, m.Severity, res, file, "the client certificate "+shown(u.ClientCertificate)+" cannot be read ("+shortErr(err)+")",
				check.Evidence{Key: field, Value: shown(u.ClientCertificate), Source: file}, ctxs)
		}
		data = b
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return result(m, check.NotAssessable, m.Severity, res, file, "the client certificate is not a PEM CERTIFICATE", check.Evidence{Key: field, Value: "(unreadable)", Source: file}, ctxs)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return result(m, check.NotAssessable, m.Severity, res, file, "the client certificate cannot be parsed: "+err.Error(), check.Evidence{Key: field, Value: "(unreadable)", Source: file}, ctxs)
	}
	subj := "CN=" + cert.Subject.CommonName
	if len(cert.Subject.Organization) > 0 {
		subj += " O=" + strings.Join(cert.Subject.Organization, ",")
	}
	key, weak := keyOf(cert)
	validity := cert.NotAfter.Sub(cert.NotBefore)
	left := cert.NotAfter.Sub(now)
	ev := []check.Evidence{
		{Key: field + " subject", Value: subj, Source: file},
		{Key: field + " validity", Value: fmt.Sprintf("%s to %s (%s)", cert.NotBefore.UTC().Format("2006-01-02"), cert.NotAfter.UTC().Format("2006-01-02"), plural(int(validity.Hours()/24), "day")), Source: file},
		{Key: field + " key", Value: key, Source: file},
		{Key: field + " issuer", Value: "CN=" + cert.Issuer.CommonName, Source: file},
		ctxs,
	}
	var problems []string
	sev, st := check.Info, check.Pass
	raise := func(s check.Severity, stt check.Status, msg string) {
		problems = append(problems, msg)
		sev = max(sev, s)
		if st != check.Fail {
			st = stt
		}
	}
	if slices.Contains(cert.Subject.Organization, "system:masters") {
		raise(check.Critical, check.Fail, "it is in group system:masters: it bypasses RBAC and every authorization webhook and cannot be revoked short of rotating the cluster CA")
	}
	if weak {
		raise(check.High, check.Fail, "its key is weak ("+key+")")
	}
	switch {
	case left <= 0:
		raise(check.Low, check.Warn, "it expired on "+cert.NotAfter.UTC().Format("2006-01-02"))
	case validity > 366*24*time.Hour || left > 366*24*time.Hour:
		raise(check.Medium, check.Warn, fmt.Sprintf("it is valid for %s (until %s) and cannot be revoked before then", plural(int(validity.Hours()/24), "day"), cert.NotAfter.UTC().Format("2006-01-02")))
	}
	if len(problems) == 0 {
		return result(m, check.Pass, m.Severity, res, file, fmt.Sprintf("client certificate %s, %s, expires %s (%s left): irrevocable until then, so keep it short-lived",
			subj, key, cert.NotAfter.UTC().Format("2006-01-02"), plural(int(left.Hours()/24), "day")), ev...)
	}
	return result(m, st, sev, res, file, "client certificate "+subj+": "+strings.Join(problems, "; "), ev...)
}

// keyOf describes the certificate's public key and whether it is weak.
func keyOf(c *x509.Certificate) (string, bool) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		n := k.N.BitLen()
		return fmt.Sprintf("RSA %d", n), n < 2048
	case *ecdsa.PublicKey:
		n := k.Curve.Params().BitSize
		return fmt.Sprintf("ECDSA P-%d", n), n < 256
	case ed25519.PublicKey:
		return "Ed25519", false
	}
	if c.PublicKeyAlgorithm == x509.DSA {
		return "DSA", true
	}
	return c.PublicKeyAlgorithm.String(), false
}

func readBounded(path string) ([]byte, error) {
	return fileinput.ReadFile(path, fileinput.Certificate)
}

func auditCluster(cfg *clientcmdapi.Config, name string, c *clientcmdapi.Cluster, source string) []check.Finding {
	var out []check.Finding
	res := "cluster " + name
	file := originOf(c.LocationOfOrigin, source)
	ctxs := contextsOf(cfg, "", name)
	at := "clusters[" + name + "]."
	u, err := url.Parse(c.Server)
	loopback := err == nil && isLoopback(u.Hostname())
	// On a loopback server the connection never leaves the host: no one on
	// the network can intercept it, only a process already on this host (one
	// that binds the port while kube-apiserver is down, or root). Still a
	// finding, low instead of high.
	const local = "the connection never leaves this host, so no one on the network can intercept it, only a process " +
		"already on the host (one that binds the port while kube-apiserver is down, or root)"
	if c.InsecureSkipTLSVerify {
		sev, msg := check.High, "insecure-skip-tls-verify is true: any server certificate is accepted, so credentials can be intercepted"
		if loopback {
			sev, msg = check.Low, "insecure-skip-tls-verify is true, but the server is the loopback address "+u.Hostname()+": "+local
		}
		out = append(out, result(skipTLSMeta, check.Fail, sev, res, file, msg,
			check.Evidence{Key: at + "insecure-skip-tls-verify", Value: "true", Source: file}, check.Evidence{Key: at + "server", Value: c.Server, Source: file}, ctxs))
	}
	if err == nil && strings.EqualFold(u.Scheme, "http") {
		sev, msg := check.High, "the server is plain HTTP ("+u.Host+"): requests and credentials travel in clear text"
		if loopback {
			sev, msg = check.Low, "the server is plain HTTP on the loopback address "+u.Host+" (kubectl proxy, or a local port): "+local
		}
		out = append(out, result(plainHTTPMeta, check.Fail, sev, res, file, msg,
			check.Evidence{Key: at + "server", Value: c.Server, Source: file}, ctxs))
	}
	return out
}

// isLoopback: "localhost" (and names under .localhost, RFC 6761) or a
// loopback IP (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
