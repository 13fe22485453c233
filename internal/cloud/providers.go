package cloud

import (
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/srctree"
)

// worldV4 is EKS's default publicAccessCidrs (dual-stack clusters add ::/0).
var worldV4 = []string{"0.0.0.0/0"}

// parseEKS reads DescribeCluster's cluster object.
//
//	resourcesVpcConfig.endpointPublicAccess   default true
//	resourcesVpcConfig.endpointPrivateAccess  default false
//	resourcesVpcConfig.publicAccessCidrs      default ["0.0.0.0/0"] (+ "::/0" for IPv6 clusters)
func parseEKS(v *view) (inputs.CloudCluster, error) {
	c := inputs.CloudCluster{Provider: "eks", Format: FormatEKS, File: v.file,
		Name: v.str("name"), Endpoint: v.str("endpoint")}
	if arn := v.str("arn"); arn != "" {
		// arn:aws:eks:REGION:ACCOUNT:cluster/NAME
		if p := strings.Split(arn, ":"); len(p) >= 6 {
			c.Location, c.Group = p[3], p[4]
		}
	}
	var err error
	if c.PublicEndpoint, err = v.boolean(true, "resourcesVpcConfig", "endpointPublicAccess"); err != nil {
		return c, err
	}
	if c.PrivateEndpoint, err = v.boolean(false, "resourcesVpcConfig", "endpointPrivateAccess"); err != nil {
		return c, err
	}
	if c.AuthorizedCIDRs, err = v.cidrs(worldV4, "", "resourcesVpcConfig", "publicAccessCidrs"); err != nil {
		return c, err
	}
	// EKS always filters the public endpoint by publicAccessCidrs.
	c.AuthorizedNetworks = c.AuthorizedCIDRs
	c.AuthorizedNetworks.Bool = true
	c.AuthorizedNetworks.CIDRs = nil
	return c, nil
}

// parseGKE reads projects.locations.clusters.get. The newer
// controlPlaneEndpointsConfig and the legacy privateClusterConfig /
// masterAuthorizedNetworksConfig are mutually exclusive in requests, and a
// response may carry both: the newer one wins where it is set.
func parseGKE(v *view) (inputs.CloudCluster, error) {
	c := inputs.CloudCluster{Provider: "gke", Format: FormatGKE, File: v.file,
		Name: v.str("name"), Location: v.str("location"), Endpoint: v.str("endpoint")}
	if c.Location == "" {
		c.Location = v.str("zone")
	}
	if sl := v.str("selfLink"); sl != "" {
		// https://container.googleapis.com/v1/projects/P/locations/L/clusters/N
		if _, rest, ok := strings.Cut(sl, "/projects/"); ok {
			c.Group, _, _ = strings.Cut(rest, "/")
		}
	}
	var err error
	ip := v.at("controlPlaneEndpointsConfig", "ipEndpointsConfig")

	// Public endpoint.
	ipEnabled := true
	if v.at("controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled") != nil {
		s, err := v.boolean(true, "controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled")
		if err != nil {
			return c, err
		}
		ipEnabled = s.Bool
		c.PublicEndpoint = s // enabled=false: no IP endpoint at all, only the DNS endpoint
	}
	switch {
	case !ipEnabled:
	case ip != nil && v.at("controlPlaneEndpointsConfig", "ipEndpointsConfig", "enablePublicEndpoint") != nil:
		c.PublicEndpoint, err = v.boolean(false, "controlPlaneEndpointsConfig", "ipEndpointsConfig", "enablePublicEndpoint")
	case v.at("privateClusterConfig") != nil:
		var s inputs.CloudSetting
		s, err = v.boolean(false, "privateClusterConfig", "enablePrivateEndpoint")
		c.PublicEndpoint = inverted(s)
	default:
		c.PublicEndpoint = present(v, true, "", "privateClusterConfig")
		c.PublicEndpoint.Value = "(not set: a public cluster)"
	}
	if err != nil {
		return c, err
	}

	// Private endpoint.
	switch {
	case v.str("controlPlaneEndpointsConfig", "ipEndpointsConfig", "privateEndpoint") != "":
		c.PrivateEndpoint = present(v, true, v.str("controlPlaneEndpointsConfig", "ipEndpointsConfig", "privateEndpoint"),
			"controlPlaneEndpointsConfig", "ipEndpointsConfig", "privateEndpoint")
	case v.str("privateClusterConfig", "privateEndpoint") != "":
		c.PrivateEndpoint = present(v, true, v.str("privateClusterConfig", "privateEndpoint"), "privateClusterConfig", "privateEndpoint")
	default:
		c.PrivateEndpoint, err = v.boolean(false, "privateClusterConfig", "enablePrivateNodes")
		if err != nil {
			return c, err
		}
	}

	// Authorized networks: ipEndpointsConfig.authorizedNetworksConfig, else
	// masterAuthorizedNetworksConfig.
	an := []string{"masterAuthorizedNetworksConfig"}
	if v.at("controlPlaneEndpointsConfig", "ipEndpointsConfig", "authorizedNetworksConfig") != nil {
		an = []string{"controlPlaneEndpointsConfig", "ipEndpointsConfig", "authorizedNetworksConfig"}
	}
	if c.AuthorizedNetworks, err = v.boolean(false, append(an, "enabled")...); err != nil {
		return c, err
	}
	if c.AuthorizedCIDRs, err = v.cidrs(nil, "cidrBlock", append(an, "cidrBlocks")...); err != nil {
		return c, err
	}
	if v.at(append(an, "gcpPublicCidrsAccessEnabled")...) != nil {
		s, err := v.boolean(false, append(an, "gcpPublicCidrsAccessEnabled")...)
		if err != nil {
			return c, err
		}
		c.GCPPublicCIDRs = &s
	}
	if v.at("controlPlaneEndpointsConfig", "dnsEndpointConfig") != nil {
		s, err := v.boolean(false, "controlPlaneEndpointsConfig", "dnsEndpointConfig", "allowExternalTraffic")
		if err != nil {
			return c, err
		}
		c.DNSEndpoint = &s
	}
	return c, nil
}

// parseAKS reads `az aks show` (properties flattened) or the ARM resource
// ("properties"). Keys are matched case-insensitively: the ARM API writes
// authorizedIPRanges, az writes authorizedIpRanges.
func parseAKS(n *srctree.Node, file string) (inputs.CloudCluster, error) {
	top := &view{root: n, file: file, fold: true}
	v := top
	if p := n.GetFold("properties"); p != nil && p.Kind == srctree.Mapping {
		v = &view{root: p, file: file, fold: true}
	}
	c := inputs.CloudCluster{Provider: "aks", Format: FormatAKS, File: file,
		Name: top.str("name"), Location: top.str("location"), Group: top.str("resourceGroup")}
	if c.Group == "" {
		// /subscriptions/S/resourceGroups/RG/providers/...
		id := top.str("id")
		if i := strings.Index(strings.ToLower(id), "/resourcegroups/"); i >= 0 {
			c.Group, _, _ = strings.Cut(id[i+len("/resourcegroups/"):], "/")
		}
	}
	c.Endpoint = v.str("fqdn")
	if c.Endpoint == "" {
		c.Endpoint = v.str("privateFQDN")
	}
	var err error
	private, err := v.boolean(false, "apiServerAccessProfile", "enablePrivateCluster")
	if err != nil {
		return c, err
	}
	c.PublicEndpoint = inverted(private)
	c.PrivateEndpoint = private
	if !private.Bool {
		vnet, err := v.boolean(false, "apiServerAccessProfile", "enableVnetIntegration")
		if err != nil {
			return c, err
		}
		if vnet.Bool {
			c.PrivateEndpoint = vnet
		}
	}
	ranges := []string{"apiServerAccessProfile", "authorizedIPRanges"}
	if v.at(ranges...) == nil && v.at("apiServerAuthorizedIPRanges") != nil {
		ranges = []string{"apiServerAuthorizedIPRanges"} // API versions 2019-02-01 to 2019-06-01
	}
	if c.AuthorizedCIDRs, err = v.cidrs(nil, "", ranges...); err != nil {
		return c, err
	}
	c.AuthorizedNetworks = c.AuthorizedCIDRs
	c.AuthorizedNetworks.Bool = len(c.AuthorizedCIDRs.CIDRs) > 0
	c.AuthorizedNetworks.CIDRs = nil
	disable, err := v.boolean(false, "disableLocalAccounts")
	if err != nil {
		return c, err
	}
	local := inverted(disable)
	c.LocalAccounts = &local
	return c, nil
}
