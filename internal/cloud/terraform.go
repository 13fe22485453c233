package cloud

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/srctree"
)

// Terraform resource types read.
const (
	tfEKS = "aws_eks_cluster"
	tfGKE = "google_container_cluster"
	tfAKS = "azurerm_kubernetes_cluster"
)

// isTerraform recognises `terraform show -json` output (plan or state).
func isTerraform(n *srctree.Node) bool {
	if n.Get("format_version") == nil {
		return false
	}
	for _, k := range []string{"planned_values", "values", "resource_changes", "prior_state", "terraform_version"} {
		if n.Get(k) != nil {
			return true
		}
	}
	return false
}

// parseTerraform reads the clusters of a plan (planned_values, with
// resource_changes[].change.after_unknown for values known only after
// apply) or of a state (values).
func parseTerraform(root *srctree.Node) ([]inputs.CloudCluster, error) {
	format, mod := FormatTFState, root.Get("values", "root_module")
	if pv := root.Get("planned_values", "root_module"); pv != nil {
		format, mod = FormatTFPlan, pv
	}
	unknown := map[string]*srctree.Node{}
	if rc := root.Get("resource_changes"); rc != nil && rc.Kind == srctree.Sequence {
		for _, ch := range rc.Items {
			addr := ch.Get("address")
			au := ch.Get("change", "after_unknown")
			if addr != nil && addr.Kind == srctree.String && au != nil && au.Kind == srctree.Mapping {
				unknown[addr.Text] = au
			}
		}
	}
	var out []inputs.CloudCluster
	var walkModule func(m *srctree.Node, depth int) error
	walkModule = func(m *srctree.Node, depth int) error {
		if m == nil || m.Kind != srctree.Mapping || depth > 50 {
			return nil
		}
		if rs := m.Get("resources"); rs != nil {
			if rs.Kind != srctree.Sequence {
				return rs.TypeError("an array of resources")
			}
			for _, r := range rs.Items {
				c, ok, err := terraformResource(r, format, unknown)
				if err != nil {
					return err
				}
				if ok {
					out = append(out, c)
				}
			}
		}
		if cm := m.Get("child_modules"); cm != nil && cm.Kind == srctree.Sequence {
			for _, child := range cm.Items {
				if err := walkModule(child, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walkModule(mod, 0); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: the %s has no %s, %s or %s resource", root.File, ErrNoCluster, format, tfEKS, tfGKE, tfAKS)
	}
	return out, nil
}

func terraformResource(r *srctree.Node, format string, unknown map[string]*srctree.Node) (inputs.CloudCluster, bool, error) {
	if r.Kind != srctree.Mapping {
		return inputs.CloudCluster{}, false, r.TypeError("a resource object")
	}
	typ, addr, mode := r.Get("type"), r.Get("address"), r.Get("mode")
	if typ == nil || typ.Kind != srctree.String || (mode != nil && mode.Kind == srctree.String && mode.Text != "managed") {
		return inputs.CloudCluster{}, false, nil
	}
	switch typ.Text {
	case tfEKS, tfGKE, tfAKS:
	default:
		return inputs.CloudCluster{}, false, nil
	}
	address := typ.Text
	if addr != nil && addr.Kind == srctree.String {
		address = addr.Text
	}
	values := r.Get("values")
	if values == nil || values.Kind != srctree.Mapping {
		return inputs.CloudCluster{}, false, fmt.Errorf("%s: %s: values: want an object with the resource's attributes", r.Source(), address)
	}
	v := &view{root: values, file: r.File, terraform: true, address: address, unknown: unknown[address]}
	var (
		c   inputs.CloudCluster
		err error
	)
	switch typ.Text {
	case tfEKS:
		c, err = tfEKSCluster(v)
	case tfGKE:
		c, err = tfGKECluster(v)
	case tfAKS:
		c, err = tfAKSCluster(v)
	}
	c.Format, c.Resource, c.File = format, address, r.File
	return c, true, err
}

// tfEKSCluster: vpc_config { endpoint_public_access (default true),
// endpoint_private_access (default false), public_access_cidrs (AWS default
// 0.0.0.0/0; unknown in a plan when not set) }.
func tfEKSCluster(v *view) (inputs.CloudCluster, error) {
	c := inputs.CloudCluster{Provider: "eks", Name: v.str("name"), Endpoint: v.str("endpoint")}
	if p := strings.Split(v.str("arn"), ":"); len(p) >= 6 {
		c.Location, c.Group = p[3], p[4]
	}
	var err error
	if c.PublicEndpoint, err = v.boolean(true, "vpc_config", "0", "endpoint_public_access"); err != nil {
		return c, err
	}
	if c.PrivateEndpoint, err = v.boolean(false, "vpc_config", "0", "endpoint_private_access"); err != nil {
		return c, err
	}
	if c.AuthorizedCIDRs, err = v.cidrs(worldV4, "", "vpc_config", "0", "public_access_cidrs"); err != nil {
		return c, err
	}
	c.AuthorizedNetworks = c.AuthorizedCIDRs
	c.AuthorizedNetworks.Bool = true
	c.AuthorizedNetworks.CIDRs = nil
	return c, nil
}

// tfGKECluster: private_cluster_config, master_authorized_networks_config
// (the block's presence enables it), control_plane_endpoints_config.
func tfGKECluster(v *view) (inputs.CloudCluster, error) {
	c := inputs.CloudCluster{Provider: "gke", Name: v.str("name"), Location: v.str("location"), Group: v.str("project"), Endpoint: v.str("endpoint")}
	var err error
	ipEnabled := true
	if v.at("control_plane_endpoints_config", "0", "ip_endpoints_config", "0", "enabled") != nil {
		s, err := v.boolean(true, "control_plane_endpoints_config", "0", "ip_endpoints_config", "0", "enabled")
		if err != nil {
			return c, err
		}
		ipEnabled, c.PublicEndpoint = s.Bool, s
	}
	switch {
	case !ipEnabled:
	case v.at("private_cluster_config", "0") != nil:
		var s inputs.CloudSetting
		if s, err = v.boolean(false, "private_cluster_config", "0", "enable_private_endpoint"); err != nil {
			return c, err
		}
		c.PublicEndpoint = inverted(s)
	default:
		c.PublicEndpoint = present(v, true, "", "private_cluster_config")
		c.PublicEndpoint.Value = "(not set: a public cluster)"
	}
	if c.PrivateEndpoint, err = v.boolean(false, "private_cluster_config", "0", "enable_private_nodes"); err != nil {
		return c, err
	}
	if blk := v.at("master_authorized_networks_config", "0"); blk != nil {
		c.AuthorizedNetworks = inputs.CloudSetting{Field: v.field("master_authorized_networks_config"), Value: "(block set)", Source: blk.Source(), Bool: true}
		if c.AuthorizedCIDRs, err = v.cidrs(nil, "cidr_block", "master_authorized_networks_config", "0", "cidr_blocks"); err != nil {
			return c, err
		}
		if v.at("master_authorized_networks_config", "0", "gcp_public_cidrs_access_enabled") != nil {
			s, err := v.boolean(false, "master_authorized_networks_config", "0", "gcp_public_cidrs_access_enabled")
			if err != nil {
				return c, err
			}
			c.GCPPublicCIDRs = &s
		}
	} else {
		c.AuthorizedNetworks = inputs.CloudSetting{Field: v.field("master_authorized_networks_config"), Value: "(not set)", Source: v.file, Default: true}
		c.AuthorizedCIDRs = inputs.CloudSetting{Field: v.field("master_authorized_networks_config", "0", "cidr_blocks"), Value: "(not set)", Source: v.file, Default: true}
	}
	if v.at("control_plane_endpoints_config", "0", "dns_endpoint_config", "0") != nil {
		s, err := v.boolean(false, "control_plane_endpoints_config", "0", "dns_endpoint_config", "0", "allow_external_traffic")
		if err != nil {
			return c, err
		}
		c.DNSEndpoint = &s
	}
	return c, nil
}

// tfAKSCluster: private_cluster_enabled, api_server_access_profile {
// authorized_ip_ranges } (azurerm 3.39+; api_server_authorized_ip_ranges
// before), local_account_disabled.
func tfAKSCluster(v *view) (inputs.CloudCluster, error) {
	c := inputs.CloudCluster{Provider: "aks", Name: v.str("name"), Location: v.str("location"), Group: v.str("resource_group_name"), Endpoint: v.str("fqdn")}
	if c.Endpoint == "" {
		c.Endpoint = v.str("private_fqdn")
	}
	private, err := v.boolean(false, "private_cluster_enabled")
	if err != nil {
		return c, err
	}
	c.PublicEndpoint, c.PrivateEndpoint = inverted(private), private
	if !private.Bool {
		vnet, err := v.boolean(false, "api_server_access_profile", "0", "vnet_integration_enabled")
		if err != nil {
			return c, err
		}
		if vnet.Bool {
			c.PrivateEndpoint = vnet
		}
	}
	ranges := []string{"api_server_access_profile", "0", "authorized_ip_ranges"}
	if v.at(ranges...) == nil && v.at("api_server_authorized_ip_ranges") != nil {
		ranges = []string{"api_server_authorized_ip_ranges"}
	}
	if c.AuthorizedCIDRs, err = v.cidrs(nil, "", ranges...); err != nil {
		return c, err
	}
	c.AuthorizedNetworks = c.AuthorizedCIDRs
	c.AuthorizedNetworks.Bool = len(c.AuthorizedCIDRs.CIDRs) > 0
	c.AuthorizedNetworks.CIDRs = nil
	disabled, err := v.boolean(false, "local_account_disabled")
	if err != nil {
		return c, err
	}
	local := inverted(disabled)
	c.LocalAccounts = &local
	return c, nil
}
