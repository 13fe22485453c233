package detect

import (
	"fmt"
	"net/netip"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Who made a request, from where, and what it is about.

func ipIn(ip string, cidrs []string) bool {
	return parseCIDRs(cidrs).contains(ip)
}

// cidrSet is a list of CIDRs (and single addresses) as ipIn reads it:
// entries that are neither are ignored.
type cidrSet struct {
	prefixes []netip.Prefix
	addrs    []netip.Addr
}

func parseCIDRs(cidrs []string) cidrSet {
	var cs cidrSet
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			if one, err := netip.ParseAddr(c); err == nil {
				cs.addrs = append(cs.addrs, one.Unmap())
			}
			continue
		}
		cs.prefixes = append(cs.prefixes, p)
	}
	return cs
}

// contains reports whether ip (a string, spaces around it ignored) is in
// one of the CIDRs or is one of the addresses; an invalid ip is in none.
func (cs cidrSet) contains(ip string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range cs.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	for _, one := range cs.addrs {
		if one == a {
			return true
		}
	}
	return false
}

const saPrefix = "system:serviceaccount:"

func saOf(user string) (ns, name string) {
	rest, ok := strings.CutPrefix(user, saPrefix)
	if !ok {
		return "", ""
	}
	ns, name, _ = strings.Cut(rest, ":")
	return ns, name
}

func isNode(u *authnv1.UserInfo) bool {
	if !strings.HasPrefix(u.Username, "system:node:") {
		return false
	}
	for _, g := range u.Groups {
		if g == "system:nodes" {
			return true
		}
	}
	return false
}

// controllerSAs are the kube-system ServiceAccounts kube-controller-manager
// (--use-service-account-credentials) and cloud-controller-manager use:
// the subjects of the v1.36 bootstrap policy's controller bindings, and a
// few newer ones. A name is matched exactly: "any kube-system account whose
// name ends in -controller" is what attackers name their backdoor
// (RBAC Buster's kube-system/kube-controller), and a rule that trusted it
// let that account's privileged DaemonSet pass.
var controllerSAs = map[string]bool{
	"attachdetach-controller": true, "bootstrap-signer": true, "certificate-controller": true,
	"cloud-provider": true, "clusterrole-aggregation-controller": true, "controller-discovery": true,
	"cronjob-controller": true, "daemon-set-controller": true, "deployment-controller": true,
	"device-taint-eviction-controller": true, "disruption-controller": true, "endpoint-controller": true,
	"endpointslice-controller": true, "endpointslicemirroring-controller": true, "ephemeral-volume-controller": true,
	"expand-controller": true, "generic-garbage-collector": true, "horizontal-pod-autoscaler": true,
	"job-controller": true, "kube-apiserver-serving-clustertrustbundle-publisher": true,
	"leader-election-controller": true, "legacy-service-account-token-cleaner": true,
	"namespace-controller": true, "node-controller": true, "node-ipam-controller": true,
	"persistent-volume-binder": true, "pod-garbage-collector": true, "podcertificaterequestcleaner": true,
	"pv-protection-controller": true, "pvc-protection-controller": true, "replicaset-controller": true,
	"replication-controller": true, "resource-claim-controller": true, "resourcequota-controller": true,
	"root-ca-cert-publisher": true, "route-controller": true, "selinux-warning-controller": true,
	"service-account-controller": true, "service-cidrs-controller": true, "service-controller": true,
	"shared-informers": true, "statefulset-controller": true, "storage-version-garbage-collector": true,
	"token-cleaner": true, "ttl-after-finished-controller": true, "ttl-controller": true,
	"validatingadmissionpolicy-status-controller": true, "volumeattributesclass-protection-controller": true,
	"storageversion-garbage-collector": true, "pod-certificate-request-cleaner": true,
}

func isControlPlane(user string) bool {
	switch user {
	case "system:apiserver", "system:kube-controller-manager", "system:kube-scheduler", "system:cloud-controller-manager":
		return true
	}
	ns, name := saOf(user)
	return ns == "kube-system" && controllerSAs[name]
}

func uriPath(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	if p == "" {
		return ""
	}
	return cleanPath(p)
}

func (c *evalCtx) target() string {
	o := c.ev.ObjectRef
	if o == nil {
		return uriPath(c.ev.RequestURI)
	}
	if o.Name == "" && c.ev.RequestObject != nil {
		if name, ok := dig(nativeOf(c.writtenObject()), "metadata", "name").(string); ok {
			r := *o
			r.Name = name
			return objectString(&r)
		}
	}
	return objectString(o)
}

func outcome(ev *auditv1.Event) string {
	st := ev.ResponseStatus
	if st == nil || st.Code < 400 {
		return ""
	}
	msg := fmt.Sprintf(" (failed: %d", st.Code)
	if st.Reason != "" {
		msg += " " + string(st.Reason)
	}
	return msg + ")"
}

func clientName(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i >= 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}

// ipNetwork is the network of ip with a prefix of bits: IPv4 (and
// IPv4-mapped) addresses keep bits bits, IPv6 ones bits+64 (a /16 of
// IPv4 is a /80 of IPv6: a site, not a host); "" when ip is not an
// address or bits is out of range.
func ipNetwork(ip string, bits int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	if a.Is6() {
		bits += 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
