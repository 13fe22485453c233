package offline

import (
	"fmt"
	"net"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/apiguard/apiguard/internal/inputs"
)

// kubeadm builds the kube-apiserver command that kubeadm would write for a
// ClusterConfiguration: kubeadm's own defaults (cmd/kubeadm/app/phases/
// controlplane/manifests.go getAPIServerCommand, v1.36), then
// apiServer.extraArgs replacing defaults of the same name. extraArgs is a map
// in v1beta3 and a list of {name, value} in v1beta4 (which allows repeats).
func (p *parser) kubeadm(n *yaml.Node, field string) {
	apiVersion := scalar(get(n, "apiVersion"))
	if !strings.HasPrefix(apiVersion, "kubeadm.k8s.io/") {
		return // another project's ClusterConfiguration
	}
	certDir := scalar(get(n, "certificatesDir"))
	if certDir == "" {
		certDir = "/etc/kubernetes/pki"
	}
	svcSubnet := scalar(dig(n, "networking", "serviceSubnet"))
	if svcSubnet == "" {
		svcSubnet = "10.96.0.0/12"
	}
	dnsDomain := scalar(dig(n, "networking", "dnsDomain"))
	if dnsDomain == "" {
		dnsDomain = "cluster.local"
	}
	version := scalar(get(n, "kubernetesVersion"))
	src := "kubeadm default (" + p.file + ")"
	def := func(name, value string) kubeadmArg { return kubeadmArg{name: name, value: value} }
	cert := func(f string) string { return path.Join(certDir, f) }
	base := []kubeadmArg{
		// advertise-address and secure-port come from InitConfiguration's
		// localAPIEndpoint, which a ClusterConfiguration does not carry.
		def("enable-admission-plugins", "NodeRestriction"),
		def("service-cluster-ip-range", svcSubnet),
		def("service-account-key-file", cert("sa.pub")),
		def("service-account-signing-key-file", cert("sa.key")),
		def("service-account-issuer", "https://kubernetes.default.svc."+dnsDomain),
		def("client-ca-file", cert("ca.crt")),
		def("tls-cert-file", cert("apiserver.crt")),
		def("tls-private-key-file", cert("apiserver.key")),
		def("kubelet-client-certificate", cert("apiserver-kubelet-client.crt")),
		def("kubelet-client-key", cert("apiserver-kubelet-client.key")),
		def("enable-bootstrap-token-auth", "true"),
		def("secure-port", "6443"),
		def("allow-privileged", "true"),
		def("kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"),
		def("requestheader-username-headers", "X-Remote-User"),
		def("requestheader-group-headers", "X-Remote-Group"),
		def("requestheader-extra-headers-prefix", "X-Remote-Extra-"),
		def("requestheader-client-ca-file", cert("front-proxy-ca.crt")),
		def("requestheader-allowed-names", "front-proxy-client"),
		def("proxy-client-cert-file", cert("front-proxy-client.crt")),
		def("proxy-client-key-file", cert("front-proxy-client.key")),
	}
	if ext := dig(n, "etcd", "external"); ext != nil {
		var eps []string
		if l := get(ext, "endpoints"); l != nil && l.Kind == yaml.SequenceNode {
			for _, e := range l.Content {
				eps = append(eps, scalar(e))
			}
		}
		base = append(base, def("etcd-servers", strings.Join(eps, ",")))
		if v := scalar(get(ext, "caFile")); v != "" {
			base = append(base, def("etcd-cafile", v))
		}
		cf, kf := scalar(get(ext, "certFile")), scalar(get(ext, "keyFile"))
		if cf != "" && kf != "" {
			base = append(base, def("etcd-certfile", cf), def("etcd-keyfile", kf))
		}
	} else {
		base = append(base,
			def("etcd-servers", "https://"+net.JoinHostPort("127.0.0.1", "2379")),
			def("etcd-cafile", cert("etcd/ca.crt")),
			def("etcd-certfile", cert("apiserver-etcd-client.crt")),
			def("etcd-keyfile", cert("apiserver-etcd-client.key")))
	}

	extra := p.kubeadmExtraArgs(dig(n, "apiServer", "extraArgs"), join(field, "apiServer.extraArgs"))
	overridden := map[string]bool{}
	hasAuthzConfig := false
	for _, a := range extra {
		overridden[a.name] = true
		if a.name == "authorization-config" {
			hasAuthzConfig = true
		}
	}
	if !hasAuthzConfig {
		base = append(base, def("authorization-mode", "Node,RBAC"))
	}
	sort.SliceStable(base, func(i, j int) bool { return base[i].name < base[j].name })

	argv := []inputs.Arg{{Text: "kube-apiserver"}}
	for _, a := range base {
		if !overridden[a.name] {
			argv = append(argv, inputs.Arg{Text: "--" + a.name + "=" + a.value, File: src})
		}
	}
	for _, a := range extra {
		argv = append(argv, inputs.Arg{Text: "--" + a.name + "=" + a.value, File: p.file, Line: a.line})
	}
	image := "registry.k8s.io/kube-apiserver"
	if repo := scalar(get(n, "imageRepository")); repo != "" {
		image = repo + "/kube-apiserver"
	}
	if version != "" {
		image += ":" + version
	}
	name := scalar(get(n, "clusterName"))
	if name == "" {
		name = "kubernetes"
	}
	p.servers = append(p.servers, &inputs.APIServer{
		Name:    fmt.Sprintf("kubeadm ClusterConfiguration %s (%s)", name, p.file),
		Origin:  "kubeadm",
		Image:   image,
		Version: inputs.VersionFromImage(image),
		Args:    argv,
	})
}

type kubeadmArg struct {
	name, value string
	line        int
}

func (p *parser) kubeadmExtraArgs(n *yaml.Node, field string) []kubeadmArg {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	var out []kubeadmArg
	switch n.Kind {
	case yaml.MappingNode: // v1beta3
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolveAlias(n.Content[i+1])
			if v.Kind != yaml.ScalarNode {
				p.problem(v, field+"."+k.Value, "expected a string value, got "+kindName(v))
				continue
			}
			out = append(out, kubeadmArg{name: k.Value, value: v.Value, line: k.Line})
		}
	case yaml.SequenceNode: // v1beta4
		for i, it := range n.Content {
			it = resolveAlias(it)
			f := fmt.Sprintf("%s[%d]", field, i)
			name, value := get(it, "name"), get(it, "value")
			if it.Kind != yaml.MappingNode || name == nil || name.Kind != yaml.ScalarNode || name.Value == "" {
				p.problem(it, f, "expected {name: <flag>, value: <string>}")
				continue
			}
			if value != nil && value.Kind != yaml.ScalarNode {
				p.problem(value, f+".value", "expected a string, got "+kindName(value))
				continue
			}
			out = append(out, kubeadmArg{name: name.Value, value: scalar(value), line: it.Line})
		}
	default:
		p.problem(n, field, "expected a map (v1beta3) or a list of {name, value} (v1beta4), got "+kindName(n))
	}
	return out
}
