package lab

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Profile selects how the lab kube-apiserver is configured. Use one of the
// predefined profiles, optionally adjusted with With / Without:
//
//	c := lab.Start(t, lab.Hardened.With("--profiling=true"))
type Profile struct {
	// Name is the profile name: "hardened", "insecure" or "kubeadm-like".
	Name string

	overrides []Arg    // applied after the profile's own flags: replace same-name flags in place, else append
	removes   []string // flag names (without dashes) to drop
}

var (
	// Hardened is kubeadm's flag set plus the extraArgs a security-conscious
	// operator adds: structured authentication config with anonymous limited to
	// health endpoints, audit policy + rotated audit log, TLS 1.2+ with
	// ECDHE AEAD suites only, secretbox encryption at rest, profiling off,
	// service-account lookup, kubelet CA verification, PodSecurity defaults via
	// --admission-control-config-file, and etcd over mutual TLS.
	Hardened = Profile{Name: "hardened"}
	// Insecure is a deliberately weak configuration: anonymous auth on (and
	// system:unauthenticated bound to view), static token file, no audit, TLS
	// 1.0 allowed, profiling on, AlwaysAdmit enabled and ServiceAccount
	// admission disabled, no encryption at rest, no SA lookup, plain-HTTP etcd.
	// Authorization stays Node,RBAC.
	Insecure = Profile{Name: "insecure"}
	// KubeadmLike is exactly the flag set kubeadm v1.36 writes
	// (cmd/kubeadm/app/phases/controlplane/manifests.go getAPIServerCommand),
	// sorted like kubeadm does, with paths under the cluster dir, plus one
	// extraArg --bind-address=127.0.0.1 (the lab must only listen on loopback;
	// real kubeadm leaves bind-address at its 0.0.0.0 default).
	KubeadmLike = Profile{Name: "kubeadm-like"}
)

// Profiles lists the predefined profiles.
func Profiles() []Profile { return []Profile{Hardened, Insecure, KubeadmLike} }

// String returns the profile name.
func (p Profile) String() string { return p.Name }

// With returns a copy of p whose kube-apiserver command line additionally
// contains flags ("--name=value"). A flag the profile already sets is
// replaced in place; a new one is appended.
func (p Profile) With(flags ...string) Profile {
	q := p.clone()
	for _, f := range flags {
		q.overrides = append(q.overrides, parseArg(f))
	}
	return q
}

// Without returns a copy of p without the given kube-apiserver flags
// (names with or without leading dashes).
func (p Profile) Without(names ...string) Profile {
	q := p.clone()
	for _, n := range names {
		q.removes = append(q.removes, strings.TrimLeft(n, "-"))
	}
	return q
}

func (p Profile) clone() Profile {
	q := p
	q.overrides = append([]Arg(nil), p.overrides...)
	q.removes = append([]string(nil), p.removes...)
	return q
}

func (p Profile) etcdTLS() bool { return p.Name != Insecure.Name }

// Arg is one --name=value flag.
type Arg struct{ Name, Value string }

func (a Arg) String() string { return "--" + a.Name + "=" + a.Value }

func parseArg(s string) Arg {
	s = strings.TrimLeft(s, "-")
	name, value, _ := strings.Cut(s, "=")
	return Arg{Name: name, Value: value}
}

// apply applies overrides and removals to args.
func (p Profile) apply(args []Arg) []Arg {
	for _, o := range p.overrides {
		replaced := false
		for i := range args {
			if args[i].Name == o.Name {
				args[i].Value = o.Value
				replaced = true
			}
		}
		if !replaced {
			args = append(args, o)
		}
	}
	out := args[:0]
	for _, a := range args {
		drop := false
		for _, r := range p.removes {
			if a.Name == r {
				drop = true
			}
		}
		if !drop {
			out = append(out, a)
		}
	}
	return out
}

// kubeadmBaseArgs reproduces getAPIServerCommand of kubeadm v1.36 for a local
// etcd, with CertificatesDir = pkiDir. kubeadm sorts the base arguments by
// name and appends ClusterConfiguration.apiServer.extraArgs after them,
// replacing any base argument of the same name.
func kubeadmBaseArgs(c *Cluster) []Arg {
	pk := c.pki.Dir
	args := []Arg{
		{"advertise-address", "127.0.0.1"},
		{"enable-admission-plugins", "NodeRestriction"},
		{"service-cluster-ip-range", "10.96.0.0/12"},
		{"service-account-key-file", filepath.Join(pk, "sa.pub")},
		{"service-account-signing-key-file", filepath.Join(pk, "sa.key")},
		{"service-account-issuer", "https://kubernetes.default.svc.cluster.local"},
		{"client-ca-file", filepath.Join(pk, "ca.crt")},
		{"tls-cert-file", filepath.Join(pk, "apiserver.crt")},
		{"tls-private-key-file", filepath.Join(pk, "apiserver.key")},
		{"kubelet-client-certificate", filepath.Join(pk, "apiserver-kubelet-client.crt")},
		{"kubelet-client-key", filepath.Join(pk, "apiserver-kubelet-client.key")},
		{"enable-bootstrap-token-auth", "true"},
		{"secure-port", fmt.Sprint(c.Port)},
		{"allow-privileged", "true"},
		{"kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"},
		{"requestheader-username-headers", "X-Remote-User"},
		{"requestheader-group-headers", "X-Remote-Group"},
		{"requestheader-extra-headers-prefix", "X-Remote-Extra-"},
		{"requestheader-client-ca-file", filepath.Join(pk, "front-proxy-ca.crt")},
		{"requestheader-allowed-names", "front-proxy-client"},
		{"proxy-client-cert-file", filepath.Join(pk, "front-proxy-client.crt")},
		{"proxy-client-key-file", filepath.Join(pk, "front-proxy-client.key")},
		{"etcd-servers", c.EtcdURL},
		{"etcd-cafile", filepath.Join(pk, "etcd", "ca.crt")},
		{"etcd-certfile", filepath.Join(pk, "apiserver-etcd-client.crt")},
		{"etcd-keyfile", filepath.Join(pk, "apiserver-etcd-client.key")},
		{"authorization-mode", "Node,RBAC"},
	}
	sort.SliceStable(args, func(i, j int) bool { return args[i].Name < args[j].Name })
	return args
}

// withExtraArgs mimics kubeadm's ArgumentsToCommand: base args that are
// overridden are dropped, and all extra args are appended in order.
func withExtraArgs(base, extra []Arg) []Arg {
	over := map[string]bool{}
	for _, e := range extra {
		over[e.Name] = true
	}
	var out []Arg
	for _, b := range base {
		if !over[b.Name] {
			out = append(out, b)
		}
	}
	return append(out, extra...)
}

// StrongCipherSuites is the --tls-cipher-suites value of the Hardened profile.
const StrongCipherSuites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"

// apiServerArgs returns the full kube-apiserver flag list for the profile.
func (p Profile) apiServerArgs(c *Cluster) ([]Arg, error) {
	var args []Arg
	switch p.Name {
	case KubeadmLike.Name:
		args = withExtraArgs(kubeadmBaseArgs(c), []Arg{
			{"bind-address", "127.0.0.1"},
		})
	case Hardened.Name:
		args = withExtraArgs(kubeadmBaseArgs(c), []Arg{
			{"bind-address", "127.0.0.1"},
			{"authentication-config", c.files["authentication-config"]},
			{"audit-policy-file", c.files["audit-policy"]},
			{"audit-log-path", c.AuditLogPath},
			{"audit-log-maxage", "30"},
			{"audit-log-maxbackup", "10"},
			{"audit-log-maxsize", "100"},
			{"tls-min-version", "VersionTLS12"},
			{"tls-cipher-suites", StrongCipherSuites},
			{"encryption-provider-config", c.files["encryption-config"]},
			{"profiling", "false"},
			{"service-account-lookup", "true"},
			{"service-account-extend-token-expiration", "false"},
			{"kubelet-certificate-authority", filepath.Join(c.pki.Dir, "ca.crt")},
			{"admission-control-config-file", c.files["admission-config"]},
		})
	case Insecure.Name:
		pk := c.pki.Dir
		args = []Arg{
			{"advertise-address", "127.0.0.1"},
			{"bind-address", "127.0.0.1"},
			{"secure-port", fmt.Sprint(c.Port)},
			{"cert-dir", filepath.Join(c.Dir, "var", "run", "kubernetes")},
			{"tls-cert-file", filepath.Join(pk, "apiserver.crt")},
			{"tls-private-key-file", filepath.Join(pk, "apiserver.key")},
			{"tls-min-version", "VersionTLS10"},
			{"client-ca-file", filepath.Join(pk, "ca.crt")},
			{"anonymous-auth", "true"},
			{"token-auth-file", c.files["token-auth-file"]},
			{"authorization-mode", "Node,RBAC"},
			{"enable-admission-plugins", "AlwaysAdmit"},
			{"disable-admission-plugins", "ServiceAccount"},
			{"profiling", "true"},
			{"etcd-servers", c.EtcdURL},
			{"service-cluster-ip-range", "10.96.0.0/12"},
			{"service-account-issuer", "https://kubernetes.default.svc.cluster.local"},
			{"service-account-key-file", filepath.Join(pk, "sa.pub")},
			{"service-account-signing-key-file", filepath.Join(pk, "sa.key")},
			{"service-account-lookup", "false"},
			{"allow-privileged", "true"},
		}
	default:
		return nil, fmt.Errorf("lab: unknown profile %q", p.Name)
	}
	return p.apply(args), nil
}

func argStrings(args []Arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.String()
	}
	return out
}
