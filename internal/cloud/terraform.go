package cloud

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Terraform resource types read.
const (
	tfEKS = "aws_eks_cluster"
	tfGKE = "google_container_cluster"
	tfAKS = "azurerm_kubernetes_cluster"
)

// isTerraform recognises `terraform show -json` output (plan or state).
func isTerraform(n *node) bool {
	if n.get("format_version") == nil {
		return false
	}
	for _, k := range []string{"planned_values", "values", "resource_changes", "prior_state", "terraform_version"} {
		if n.get(k) != nil {
			return true
		}
	}
	return false
}

// parseTerraform reads the clusters of a plan (planned_values, with
// resource_changes[].change.after_unknown for values known only after
// apply) or of a state (values).
func parseTerraform(root *node) ([]inputs.CloudCluster, error) {
	format, mod := FormatTFState, root.get("values", "root_module")
	if pv := root.get("planned_values", "root_module"); pv != nil {
		format, mod = FormatTFPlan, pv
	}
	unknown := map[string]*node{}
	if rc := root.get("resource_changes"); rc != nil && rc.kind == kArray {
		for _, ch := range rc.arr {
			addr := ch.get("address")
			au := ch.get("change", "after_unknown")
			if addr != nil && addr.kind == kString && au != nil && au.kind == kObject {
				unknown[addr.str] = au
			}
		}
	}
	var out []inputs.CloudCluster
	var walkModule func(m *node, depth int) error
	walkModule = func(m *node, depth int) error {
		if m == nil || m.kind != kObject || depth > 50 {
			return nil
		}
		if rs := m.get("resources"); rs != nil {
			if rs.kind != kArray {
				return rs.typeErr("an array of resources")
			}
			for _, r := range rs.arr {
				c, ok, err := terraformResource(r, format, unknown)
				if err != nil {
					return err
				}
				if ok {
					out = append(out, c)
				}
			}
		}
		if cm := m.get("child_modules"); cm != nil && cm.kind == kArray {
			for _, child := range cm.arr {
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
		return nil, fmt.Errorf("%s: %w: the %s has no %s, %s or %s resource", root.file, ErrNoCluster, format, tfEKS, tfGKE, tfAKS)
	}
	return out, nil
}

func terraformResource(r *node, format string, unknown map[string]*node) (inputs.CloudCluster, bool, error) {
	if r.kind != kObject {
		return inputs.CloudCluster{}, false, r.typeErr("a resource object")
	}
	typ, addr, mode := r.get("type"), r.get("address"), r.get("mode")
	if typ == nil || typ.kind != kString || (mode != nil && mode.kind == kString && mode.str != "managed") {
		return inputs.CloudCluster{}, false, nil
	}
	switch typ.str {
	case tfEKS, tfGKE, tfAKS:
	default:
		return inputs.CloudCluster{}, false, nil
	}
	address := typ.str
	if addr != nil && addr.kind == kString {
		address = addr.str
	}
	values := r.get("values")
	if values == nil || values.kind != kObject {
		return inputs.CloudCluster{}, false, fmt.Errorf("%s: %s: values: want an object with the resource's attributes", r.source(), address)
	}
	v := &view{root: values, file: r.file, terraform: true, address: address, unknown: unknown[address]}
	var (
		c   inputs.CloudCluster
		err error
	)
	switch typ.str {
	case tfEKS:
		c, err = tfEKSCluster(v)
	case tfGKE:
		c, err = tfGKECluster(v)
	case tfAKS:
		c, err = tfAKSCluster(v)
	}
	c.Format, c.Resource, c.File = format, address, r.file
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
		c.AuthorizedNetworks = inputs.CloudSetting{Field: v.field("master_authorized_networks_config"), Value: "(block set)", Source: blk.source(), Bool: true}
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
