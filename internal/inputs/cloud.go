package inputs

// CloudCluster is the API-endpoint exposure of one managed cluster (EKS, GKE,
// AKS) as its provider's API or a Terraform plan describes it. internal/cloud
// reads the files (`--cloud FILE`); checks of the network layer judge it.
// Every setting carries the field it was read from and where, so findings
// can name the field, its value and the fix.
type CloudCluster struct {
	// Provider is "eks", "gke" or "aks".
	Provider string `json:"provider"`
	// Name, Location (region, zone, or resource group) and Endpoint as the
	// file gives them (Endpoint may be empty in a plan: computed).
	Name     string `json:"name"`
	Location string `json:"location,omitempty"`
	// Group is the GKE project, the AKS resource group or the EKS account,
	// when the file names it (fix commands need it).
	Group    string `json:"group,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	// File is the file read; Resource is the Terraform resource address
	// ("module.eks.aws_eks_cluster.this") or the JSON path of the cluster
	// in a list.
	File     string `json:"file"`
	Resource string `json:"resource,omitempty"`
	// Format: "aws eks describe-cluster", "gcloud container clusters describe",
	// "az aks show", "terraform plan", "terraform state".
	Format string `json:"format"`

	// PublicEndpoint: the API server has an endpoint reachable from the
	// internet (EKS endpointPublicAccess; GKE a public IP endpoint; AKS not a
	// private cluster).
	PublicEndpoint CloudSetting `json:"publicEndpoint"`
	// PrivateEndpoint: the API server is reachable inside the VPC/VNet.
	PrivateEndpoint CloudSetting `json:"privateEndpoint"`
	// AuthorizedNetworks: a source-address allow-list applies to the public
	// endpoint (EKS: always, publicAccessCidrs; GKE: master authorized
	// networks enabled; AKS: authorizedIPRanges not empty).
	AuthorizedNetworks CloudSetting `json:"authorizedNetworks"`
	// AuthorizedCIDRs are the allow-list's entries.
	AuthorizedCIDRs CloudSetting `json:"authorizedCIDRs"`
	// GCPPublicCIDRs (GKE): any Google Cloud public address may connect.
	GCPPublicCIDRs *CloudSetting `json:"gcpPublicCidrsAccess,omitempty"`
	// DNSEndpoint (GKE): the DNS endpoint accepts traffic from outside the
	// VPC (IAM still applies).
	DNSEndpoint *CloudSetting `json:"dnsEndpointExternal,omitempty"`
	// LocalAccounts (AKS): local accounts are enabled (!disableLocalAccounts).
	LocalAccounts *CloudSetting `json:"localAccounts,omitempty"`
}

// CloudSetting is one exposure setting: its meaning (Bool or CIDRs) and the
// provider field it comes from.
type CloudSetting struct {
	// Field is the provider's name for it, as a path in the file
	// ("cluster.resourcesVpcConfig.endpointPublicAccess",
	// "values.vpc_config[0].public_access_cidrs").
	Field string `json:"field"`
	// Value is the value as written ("true", `["0.0.0.0/0"]`), or what the
	// provider applies when the field is absent ("(absent: default true)").
	Value string `json:"value"`
	// Source is "file:line", or the file when the field is absent.
	Source string `json:"source"`
	// Default is true when the field is absent and the provider's default applies.
	Default bool `json:"default,omitempty"`
	// Bool is the setting's meaning for boolean settings.
	Bool bool `json:"bool,omitempty"`
	// CIDRs is the setting's meaning for lists of networks.
	CIDRs []string `json:"cidrs,omitempty"`
	// Unknown is true when a Terraform plan cannot know the value yet
	// (computed after apply).
	Unknown bool `json:"unknown,omitempty"`
}

// ID names the cluster in findings: "eks prod (eu-west-1)" or the Terraform address.
func (c CloudCluster) ID() string {
	if c.Resource != "" && c.Format != "" && (c.Format == "terraform plan" || c.Format == "terraform state") {
		return c.Resource
	}
	s := c.Provider + " " + c.Name
	if c.Location != "" {
		s += " (" + c.Location + ")"
	}
	return s
}
