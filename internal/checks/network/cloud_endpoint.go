package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var cloudOpenMeta = check.Metadata{
	ID:       "AG-NET-019",
	Title:    "Managed API endpoints are not open to the whole internet",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "EKS, GKE and AKS give the control plane a public endpoint by default, open to every address: EKS " +
		"publicAccessCidrs defaults to 0.0.0.0/0 (and ::/0 on IPv6 clusters, which other scanners miss), a GKE " +
		"cluster without master authorized networks accepts any source, and an AKS cluster without authorized IP " +
		"ranges too. GKE's gcpPublicCidrsAccessEnabled admits every Google Cloud VM, which anyone can rent. The " +
		"endpoint is then exposed to credential stuffing with leaked kubeconfigs and to every pre-authentication " +
		"flaw of the API server, from anywhere. Read from the provider's own description of the cluster or the " +
		"Terraform plan (--cloud), so it is caught before apply.",
	Remediation: "Restrict the public endpoint to your admin networks, or make it private. EKS: `aws eks " +
		"update-cluster-config --name NAME --resources-vpc-config endpointPrivateAccess=true,publicAccessCidrs=203.0.113.0/24` " +
		"(Terraform vpc_config public_access_cidrs). GKE: `gcloud container clusters update NAME " +
		"--enable-master-authorized-networks --master-authorized-networks 203.0.113.0/24 --no-enable-google-cloud-access` " +
		"(Terraform master_authorized_networks_config). AKS: `az aks update -g RG -n NAME --api-server-authorized-ip-ranges " +
		"203.0.113.0/24` (Terraform api_server_access_profile.authorized_ip_ranges). Each finding gives the " +
		"command and Terraform for its cluster.",
	References: []check.Reference{
		{Title: "Amazon EKS cluster endpoint access control", URL: "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html"},
		{Title: "GKE: add authorized networks for control plane access", URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks"},
		{Title: "AKS: secure access to the API server using authorized IP address ranges", URL: "https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges"},
	},
	Inputs: []check.Input{check.InputCloud},
}

// cloudCheck is the check with metadata m that judges each managed cluster
// (--cloud) with judge, or says why there is none to judge.
func cloudCheck(m check.Metadata, judge func(m check.Metadata, c inputs.CloudCluster) check.Finding) check.Check {
	return check.Check{Metadata: m, Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		clusters, na := withCloud(m, s)
		if na != nil {
			return na
		}
		out := make([]check.Finding, 0, len(clusters))
		for _, c := range clusters {
			out = append(out, judge(m, c))
		}
		return out
	}}
}

// withCloud returns the clusters, or the not-assessable finding.
func withCloud(m check.Metadata, s *inputs.Snapshot) ([]inputs.CloudCluster, []check.Finding) {
	if len(s.Cloud) > 0 {
		return s.Cloud, nil
	}
	msg := "no managed-cluster file given (--cloud FILE: the JSON of `aws eks describe-cluster`, " +
		"`gcloud container clusters describe --format json`, `az aks show` or `terraform show -json`)"
	switch s.Cluster.Platform {
	case "eks":
		msg = "this is an EKS cluster (" + s.Cluster.PlatformEvidence + ") and its endpoint settings are only in AWS: " +
			"pass --cloud with `aws eks describe-cluster --name NAME --output json`"
	case "gke":
		msg = "this is a GKE cluster (" + s.Cluster.PlatformEvidence + ") and its endpoint settings are only in Google Cloud: " +
			"pass --cloud with `gcloud container clusters describe NAME --location LOCATION --format json`"
	case "aks":
		msg = "this is an AKS cluster (" + s.Cluster.PlatformEvidence + ") and its endpoint settings are only in Azure: " +
			"pass --cloud with `az aks show -g RESOURCE_GROUP -n NAME -o json`"
	}
	return nil, []check.Finding{m.Result(check.NotAssessable, noCloudResource, msg)}
}

// noCloudResource names what is missing when no --cloud file was given (the
// same whoever scans, so scans by different users compare equal).
const noCloudResource = "managed-cluster settings (--cloud)"

// settingEvidence cites a provider field.
func settingEvidence(st inputs.CloudSetting) check.Evidence {
	return check.Evidence{Key: st.Field, Value: st.Value, Source: st.Source}
}

// cloudLocation places a finding on the field's line for SARIF.
func cloudLocation(st inputs.CloudSetting, c inputs.CloudCluster) *check.Location {
	if st.Default || st.Source == "" {
		return &check.Location{File: c.File}
	}
	file, line, ok := strings.Cut(st.Source, ":")
	n := 0
	if ok {
		fmt.Sscanf(line, "%d", &n)
	}
	return &check.Location{File: file, Line: n}
}

// cidrVerdict classifies allow-list entries: world (/0), broad (shorter than
// /8 IPv4 or /16 IPv6, or public and shorter than /16 IPv4 or /32 IPv6) or
// invalid.
func cidrVerdict(cidrs []string) (world, broad, invalid []string) {
	for _, raw := range cidrs {
		s := strings.TrimSpace(raw)
		p, err := netip.ParsePrefix(s)
		if err != nil {
			ip, err2 := netip.ParseAddr(s)
			if err2 != nil {
				invalid = append(invalid, raw)
				continue
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		switch {
		case p.Bits() == 0:
			world = append(world, raw)
		case p.Addr().Is4() && p.Bits() < 8, !p.Addr().Is4() && p.Bits() < 16:
			broad = append(broad, raw) // more than 16M IPv4 addresses, whatever they are
		case p.Addr().Is4() && p.Bits() < 16, !p.Addr().Is4() && p.Bits() < 32:
			if inputs.ClassifyAddr(p.Masked().Addr()) == inputs.AddrPublic {
				broad = append(broad, raw)
			}
		}
	}
	return world, broad, invalid
}

// cloudName is the cluster's name for commands, or a placeholder.
func cloudName(c inputs.CloudCluster) string {
	if c.Name != "" {
		return c.Name
	}
	return "NAME"
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// tfAddr is the Terraform resource to edit, or a generic one.
func tfAddr(c inputs.CloudCluster, typ string) string {
	if strings.HasPrefix(c.Format, "terraform") && c.Resource != "" {
		return c.Resource
	}
	return typ
}

// openFix is the exact fix for a cluster open to the internet.
func openFix(c inputs.CloudCluster) string {
	switch c.Provider {
	case "eks":
		return fmt.Sprintf("Restrict the public endpoint to your admin networks (and turn on the private endpoint):\n"+
			"  aws eks update-cluster-config --region %s --name %s --resources-vpc-config "+
			"endpointPrivateAccess=true,endpointPublicAccess=true,publicAccessCidrs=\"203.0.113.0/24\"\n"+
			"or close it: --resources-vpc-config endpointPrivateAccess=true,endpointPublicAccess=false\n"+
			"Terraform (%s):\n"+
			"  vpc_config {\n    endpoint_private_access = true\n    endpoint_public_access  = true\n"+
			"    public_access_cidrs     = [\"203.0.113.0/24\"] # never 0.0.0.0/0 or ::/0\n  }",
			orPlaceholder(c.Location, "REGION"), cloudName(c), tfAddr(c, "aws_eks_cluster"))
	case "gke":
		return fmt.Sprintf("Allow only your admin networks (and no other Google Cloud tenant):\n"+
			"  gcloud container clusters update %s --location %s --enable-master-authorized-networks "+
			"--master-authorized-networks 203.0.113.0/24 --no-enable-google-cloud-access\n"+
			"or reach the control plane only through its IAM-guarded DNS endpoint: --enable-dns-access --no-enable-ip-access\n"+
			"Terraform (%s):\n"+
			"  master_authorized_networks_config {\n    cidr_blocks {\n      cidr_block   = \"203.0.113.0/24\"\n      display_name = \"admin\"\n    }\n"+
			"    gcp_public_cidrs_access_enabled = false\n  }",
			cloudName(c), orPlaceholder(c.Location, "LOCATION"), tfAddr(c, "google_container_cluster"))
	case "aks":
		return fmt.Sprintf("Allow only your admin networks:\n"+
			"  az aks update -g %s -n %s --api-server-authorized-ip-ranges 203.0.113.0/24\n"+
			"or use a private cluster (az aks create --enable-private-cluster; with API Server VNet Integration: az aks update --enable-private-cluster)\n"+
			"Terraform (%s):\n"+
			"  api_server_access_profile {\n    authorized_ip_ranges = [\"203.0.113.0/24\"]\n  }\n"+
			"or private_cluster_enabled = true",
			orPlaceholder(c.Group, "RESOURCE_GROUP"), cloudName(c), tfAddr(c, "azurerm_kubernetes_cluster"))
	}
	return ""
}

// CloudOpen fails managed clusters whose public endpoint admits any source.
var CloudOpen = cloudCheck(cloudOpenMeta, cloudOpenOne)

func cloudOpenOne(m check.Metadata, c inputs.CloudCluster) check.Finding {
	pub := c.PublicEndpoint
	ev := []check.Evidence{settingEvidence(pub)}
	if !pub.Bool && !pub.Unknown {
		return m.Result(check.Pass, c.ID(), "no public endpoint ("+pub.Field+" = "+pub.Value+")", ev...)
	}
	fail := func(loc inputs.CloudSetting, msg string, ev ...check.Evidence) check.Finding {
		r := m.Result(check.Fail, c.ID(), msg, ev...)
		r.Location = cloudLocation(loc, c)
		r.Remediation = openFix(c)
		return r
	}
	lead := "the public endpoint (" + pub.Field + " = " + pub.Value + ")"
	an, cidrs := c.AuthorizedNetworks, c.AuthorizedCIDRs
	switch c.Provider {
	case "gke":
		ev = append(ev, settingEvidence(an))
		if !an.Bool {
			return fail(an, lead+" has no authorized networks ("+an.Field+" = "+an.Value+"): every address on the internet may connect", ev...)
		}
	case "aks":
		if !an.Bool && !cidrs.Unknown {
			ev = append(ev, settingEvidence(cidrs))
			return fail(cidrs, lead+" has no authorized IP ranges ("+cidrs.Field+" = "+cidrs.Value+"): every address on the internet may connect", ev...)
		}
	}
	if len(cidrs.CIDRs) > 0 || cidrs.Unknown || c.Provider == "eks" {
		ev = append(ev, settingEvidence(cidrs))
	}
	if cidrs.Unknown {
		r := m.Result(check.Warn, c.ID(), lead+" admits "+cidrs.Field+", which the plan knows only after apply: when it is not set "+
			"the provider opens the endpoint to "+listOr(cidrs.CIDRs, "every address")+"; set it explicitly", ev...)
		r.Severity = check.Medium
		r.Remediation = openFix(c)
		return r
	}
	world, broad, invalid := cidrVerdict(cidrs.CIDRs)
	if len(world) > 0 {
		what := "every IPv4 address"
		switch {
		case len(world) > 1:
			what = "every IPv4 and IPv6 address"
		case strings.Contains(world[0], ":"):
			what = "every IPv6 address"
		}
		msg := lead + " admits " + strings.Join(world, " and ") + " (" + cidrs.Field + " = " + cidrs.Value + "): " + what + " on the internet may connect"
		if len(world) == 1 && strings.Contains(world[0], ":") {
			msg += " (the IPv4 ranges do not restrict IPv6 clients)"
		}
		return fail(cidrs, msg, ev...)
	}
	if g := c.GCPPublicCIDRs; g != nil && g.Bool {
		ev = append(ev, settingEvidence(*g))
		return fail(*g, lead+" admits every Google Cloud public address ("+g.Field+" = "+g.Value+"): anyone can rent a VM there", ev...)
	}
	if len(broad) > 0 || len(invalid) > 0 {
		var parts []string
		if len(broad) > 0 {
			parts = append(parts, "very broad ranges "+strings.Join(broad, ", "))
		}
		if len(invalid) > 0 {
			parts = append(parts, "entries that are not networks: "+strings.Join(invalid, ", "))
		}
		r := m.Result(check.Warn, c.ID(), lead+" admits "+strings.Join(parts, "; ")+" ("+cidrs.Field+")", ev...)
		r.Severity = check.Medium
		r.Location = cloudLocation(cidrs, c)
		r.Remediation = openFix(c)
		return r
	}
	return m.Result(check.Pass, c.ID(), lead+" admits only "+plural(len(cidrs.CIDRs), "network", "networks")+": "+strings.Join(cidrs.CIDRs, ", "), ev...)
}

func listOr(l []string, empty string) string {
	if len(l) == 0 {
		return empty
	}
	return strings.Join(l, ", ")
}

var cloudPrivateMeta = check.Metadata{
	ID:       "AG-NET-020",
	Title:    "Managed API endpoints are private",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Even restricted to known networks, a public control-plane endpoint is one allow-list mistake away " +
		"from the internet, and the allow-list admits whole office or NAT ranges. A private endpoint (EKS " +
		"endpointPrivateAccess with the public endpoint off, a GKE private or DNS-only endpoint, an AKS private " +
		"cluster) removes the exposure. On EKS, a public endpoint without the private one also sends the nodes' " +
		"own API traffic over the internet. GKE's DNS endpoint stays IAM-guarded when it accepts external traffic, " +
		"but it is reachable from anywhere. On AKS, local accounts (disableLocalAccounts=false) add a certificate " +
		"admin credential that Entra ID cannot revoke.",
	Remediation: "EKS: `aws eks update-cluster-config --name NAME --resources-vpc-config endpointPrivateAccess=true,endpointPublicAccess=false`. " +
		"GKE: `gcloud container clusters update NAME --enable-private-endpoint` (or DNS-based access only: " +
		"`--enable-dns-access --no-enable-ip-access`). AKS: a private cluster (`az aks create --enable-private-cluster`, " +
		"or with API Server VNet Integration `az aks update --enable-private-cluster`), and `az aks update " +
		"--disable-local-accounts`. Each finding gives the command and Terraform for its cluster.",
	References: []check.Reference{
		{Title: "Amazon EKS cluster endpoint access control", URL: "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html"},
		{Title: "GKE: customize network isolation (control plane endpoints)", URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/network-isolation"},
		{Title: "AKS: create a private cluster", URL: "https://learn.microsoft.com/azure/aks/private-clusters"},
	},
	Inputs: []check.Input{check.InputCloud},
}

// privateFix is the exact fix to make a cluster's endpoint private.
func privateFix(c inputs.CloudCluster) string {
	switch c.Provider {
	case "eks":
		return fmt.Sprintf("  aws eks update-cluster-config --region %s --name %s --resources-vpc-config endpointPrivateAccess=true,endpointPublicAccess=false\n"+
			"Terraform (%s):\n  vpc_config {\n    endpoint_private_access = true\n    endpoint_public_access  = false\n  }",
			orPlaceholder(c.Location, "REGION"), cloudName(c), tfAddr(c, "aws_eks_cluster"))
	case "gke":
		if !c.PublicEndpoint.Bool && c.DNSEndpoint != nil && c.DNSEndpoint.Bool {
			return fmt.Sprintf("When every client is inside the VPC (or reaches it through a VPN or Interconnect), refuse external DNS traffic:\n"+
				"  gcloud container clusters update %s --location %s --no-enable-dns-access\n"+
				"Terraform (%s):\n  control_plane_endpoints_config {\n    dns_endpoint_config {\n      allow_external_traffic = false\n    }\n  }",
				cloudName(c), orPlaceholder(c.Location, "LOCATION"), tfAddr(c, "google_container_cluster"))
		}
		return fmt.Sprintf("  gcloud container clusters update %s --location %s --enable-private-endpoint\n"+
			"or only the IAM-guarded DNS endpoint: --enable-dns-access --no-enable-ip-access\n"+
			"Terraform (%s):\n  private_cluster_config {\n    enable_private_nodes    = true\n    enable_private_endpoint = true\n  }\n"+
			"or control_plane_endpoints_config { ip_endpoints_config { enabled = false } }",
			cloudName(c), orPlaceholder(c.Location, "LOCATION"), tfAddr(c, "google_container_cluster"))
	case "aks":
		rg := orPlaceholder(c.Group, "RESOURCE_GROUP")
		fix := fmt.Sprintf("  az aks update -g %s -n %s --enable-private-cluster  # requires API Server VNet Integration; otherwise recreate with az aks create --enable-private-cluster\n", rg, cloudName(c))
		tf := "  private_cluster_enabled = true"
		if c.LocalAccounts != nil && c.LocalAccounts.Bool {
			fix += fmt.Sprintf("  az aks update -g %s -n %s --disable-local-accounts\n", rg, cloudName(c))
			tf += "\n  local_account_disabled  = true"
		}
		return fix + "Terraform (" + tfAddr(c, "azurerm_kubernetes_cluster") + "):\n" + tf
	}
	return ""
}

// CloudPrivate warns about managed clusters with a public endpoint at all.
var CloudPrivate = cloudCheck(cloudPrivateMeta, cloudPrivateOne)

func cloudPrivateOne(m check.Metadata, c inputs.CloudCluster) check.Finding {
	pub, priv := c.PublicEndpoint, c.PrivateEndpoint
	ev := []check.Evidence{settingEvidence(pub)}
	if priv.Field != pub.Field {
		ev = append(ev, settingEvidence(priv))
	}
	var problems []string
	loc := pub
	if pub.Bool || pub.Unknown {
		p := "the control plane has a public endpoint (" + pub.Field + " = " + pub.Value + ")"
		switch cidrs := c.AuthorizedCIDRs; {
		case !c.AuthorizedNetworks.Bool:
			p += ", reachable from any address"
		case cidrs.Unknown:
			p += ", reachable from " + cidrs.Field + " (known after apply)"
		case len(cidrs.CIDRs) > 0:
			p += ", reachable from " + strings.Join(cidrs.CIDRs, ", ")
		}
		problems = append(problems, p)
		if c.Provider == "eks" && !priv.Bool {
			problems = append(problems, "no private endpoint ("+priv.Field+" = "+priv.Value+"): nodes and pods reach the API over the internet")
		}
	}
	if d := c.DNSEndpoint; d != nil {
		ev = append(ev, settingEvidence(*d))
		if d.Bool {
			problems = append(problems, "the DNS endpoint accepts traffic from the internet ("+d.Field+" = "+d.Value+"; IAM still applies)")
			if !pub.Bool {
				loc = *d
			}
		}
	}
	note := ""
	if l := c.LocalAccounts; l != nil {
		ev = append(ev, settingEvidence(*l))
		if l.Bool {
			note = "; note: local accounts are enabled (" + l.Field + " = " + l.Value + "): `az aks get-credentials --admin` " +
				"gives a certificate cluster-admin that Entra ID cannot revoke (az aks update --disable-local-accounts)"
		}
	}
	if len(problems) == 0 {
		return m.Result(check.Pass, c.ID(), "the control plane is reachable only privately ("+pub.Field+" = "+pub.Value+")"+note, ev...)
	}
	r := m.Result(check.Warn, c.ID(), strings.Join(problems, "; ")+note, ev...)
	if !pub.Bool && c.DNSEndpoint != nil && c.DNSEndpoint.Bool {
		r.Severity = check.Low
	}
	r.Location = cloudLocation(loc, c)
	r.Remediation = privateFix(c)
	return r
}
