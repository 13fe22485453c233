package cloud

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/inputs"
)

// fixtures are the realistic provider outputs the CLI goldens use too.
const fixtures = "../cli/testdata/cloud"

func load(t *testing.T, name string) []inputs.CloudCluster {
	t.Helper()
	cs, err := Load([]string{filepath.Join(fixtures, name)})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// want is what a fixture must normalise to.
type want struct {
	provider, name, location, group, format, resource string
	public, private, authorized                       bool
	cidrs                                             []string
	cidrsDefault, cidrsUnknown                        bool
	publicField, publicSource                         string
	gcp, dns, local                                   *bool
}

func ptr(b bool) *bool { return &b }

func TestFixtures(t *testing.T) {
	cases := []struct {
		file string
		want []want
	}{
		{"eks-public.json", []want{{provider: "eks", name: "prod", location: "eu-west-1", group: "111122223333", format: FormatEKS,
			public: true, authorized: true, cidrs: []string{"0.0.0.0/0"},
			publicField: "cluster.resourcesVpcConfig.endpointPublicAccess", publicSource: "eks-public.json:18"}}},
		{"eks-ipv6-open.json", []want{{provider: "eks", name: "edge-dualstack", location: "us-east-2", group: "111122223333", format: FormatEKS,
			public: true, private: true, authorized: true, cidrs: []string{"198.51.100.0/24", "::/0"}}}},
		{"eks-private.json", []want{{provider: "eks", name: "payments", location: "eu-central-1", group: "444455556666", format: FormatEKS,
			private: true, authorized: true, cidrs: []string{}}}},
		{"gke-public.json", []want{{provider: "gke", name: "web", location: "europe-west1", group: "acme-web-prod", format: FormatGKE,
			public: true, publicField: "privateClusterConfig", cidrs: nil, cidrsDefault: true}}},
		{"gke-authorized-gcp.json", []want{{provider: "gke", name: "data", location: "europe-west4", group: "acme-data", format: FormatGKE,
			public: true, private: true, authorized: true, cidrs: []string{"198.51.100.0/24", "10.20.0.0/16"},
			publicField: "controlPlaneEndpointsConfig.ipEndpointsConfig.enablePublicEndpoint", gcp: ptr(true), dns: ptr(false)}}},
		{"gke-dns-only.json", []want{{provider: "gke", name: "ml", location: "us-central1", group: "acme-ml", format: FormatGKE,
			public: false, private: true, publicField: "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled", cidrsDefault: true, dns: ptr(true)}}},
		{"aks-public.json", []want{{provider: "aks", name: "shop", location: "westeurope", group: "shop-rg", format: FormatAKS,
			public: true, cidrsDefault: true, local: ptr(true), publicField: "apiServerAccessProfile.enablePrivateCluster"}}},
		{"aks-arm-restricted.json", []want{{provider: "aks", name: "corp", location: "northeurope", group: "corp-rg", format: FormatAKS,
			public: true, authorized: true, cidrs: []string{"198.51.100.0/24", "203.0.113.7/32"}, local: ptr(false),
			publicField: "properties.apiServerAccessProfile.enablePrivateCluster"}}},
		{"aks-private.json", []want{{provider: "aks", name: "core", location: "swedencentral", group: "core-rg", format: FormatAKS,
			private: true, cidrsDefault: true, local: ptr(true)}}},
		{"tfplan.json", []want{
			{provider: "gke", name: "analytics", location: "europe-west1", group: "acme-analytics", format: FormatTFPlan, resource: "google_container_cluster.primary",
				public: true, private: true, authorized: true, cidrs: []string{"0.0.0.0/0"}, gcp: ptr(false),
				publicField: "private_cluster_config[0].enable_private_endpoint"},
			{provider: "aks", name: "internal-tools", location: "westeurope", group: "tools-rg", format: FormatTFPlan, resource: "azurerm_kubernetes_cluster.main",
				private: true, cidrsDefault: true, local: ptr(false), publicField: "private_cluster_enabled"},
			{provider: "eks", name: "platform", format: FormatTFPlan, resource: "module.eks.aws_eks_cluster.this",
				public: true, private: true, authorized: true, cidrs: []string{"0.0.0.0/0"}, cidrsDefault: true, cidrsUnknown: true,
				publicField: "vpc_config[0].endpoint_public_access"},
		}},
		{"tfstate-aks-legacy.json", []want{{provider: "aks", name: "legacy", location: "eastus", group: "legacy-rg", format: FormatTFState,
			resource: "azurerm_kubernetes_cluster.legacy", public: true, authorized: true, cidrs: []string{"0.0.0.0/0"}, local: ptr(true)}}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got := load(t, tc.file)
			if len(got) != len(tc.want) {
				t.Fatalf("%d clusters, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				c := got[i]
				check := func(what string, g, w any) {
					t.Helper()
					if g != w {
						t.Errorf("cluster %d %s = %v, want %v", i, what, g, w)
					}
				}
				check("provider", c.Provider, w.provider)
				check("name", c.Name, w.name)
				check("location", c.Location, w.location)
				check("group", c.Group, w.group)
				check("format", c.Format, w.format)
				check("resource", c.Resource, w.resource)
				check("public", c.PublicEndpoint.Bool, w.public)
				check("private", c.PrivateEndpoint.Bool, w.private)
				check("authorized", c.AuthorizedNetworks.Bool, w.authorized)
				check("cidrs default", c.AuthorizedCIDRs.Default, w.cidrsDefault)
				check("cidrs unknown", c.AuthorizedCIDRs.Unknown, w.cidrsUnknown)
				if w.cidrs != nil && !slices.Equal(c.AuthorizedCIDRs.CIDRs, w.cidrs) {
					t.Errorf("cluster %d cidrs = %q, want %q", i, c.AuthorizedCIDRs.CIDRs, w.cidrs)
				}
				if w.publicField != "" {
					check("public field", c.PublicEndpoint.Field, w.publicField)
				}
				if w.publicSource != "" {
					check("public source", filepath.Base(c.PublicEndpoint.Source), w.publicSource)
				}
				for _, b := range []struct {
					what string
					got  *inputs.CloudSetting
					want *bool
				}{{"gcp", c.GCPPublicCIDRs, w.gcp}, {"dns", c.DNSEndpoint, w.dns}, {"local accounts", c.LocalAccounts, w.local}} {
					switch {
					case b.want == nil && b.got != nil:
						t.Errorf("cluster %d %s = %+v, want none", i, b.what, *b.got)
					case b.want != nil && b.got == nil:
						t.Errorf("cluster %d %s missing, want %v", i, b.what, *b.want)
					case b.want != nil && b.got.Bool != *b.want:
						t.Errorf("cluster %d %s = %v, want %v", i, b.what, b.got.Bool, *b.want)
					}
				}
				if c.File == "" || c.PublicEndpoint.Field == "" || c.PublicEndpoint.Source == "" || c.PublicEndpoint.Value == "" {
					t.Errorf("cluster %d: incomplete provenance: %+v", i, c.PublicEndpoint)
				}
			}
		})
	}
}

func TestSources(t *testing.T) {
	c := load(t, "eks-public.json")[0]
	if c.AuthorizedCIDRs.Value != `["0.0.0.0/0"]` || !strings.HasSuffix(c.AuthorizedCIDRs.Source, "eks-public.json:20") ||
		c.AuthorizedCIDRs.Field != "cluster.resourcesVpcConfig.publicAccessCidrs" {
		t.Errorf("cidrs = %+v", c.AuthorizedCIDRs)
	}
	tf := load(t, "tfplan.json")
	eks := tf[2]
	if eks.AuthorizedCIDRs.Value != "(known after apply)" || eks.AuthorizedCIDRs.Field != "vpc_config[0].public_access_cidrs" {
		t.Errorf("terraform unknown cidrs = %+v", eks.AuthorizedCIDRs)
	}
	if !strings.HasSuffix(eks.PublicEndpoint.Source, "tfplan.json:139") {
		t.Errorf("terraform source = %s", eks.PublicEndpoint.Source)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string
	}{
		{"wrong type", `{"cluster": {"name": "x", "arn": "arn:aws:eks:r:1:cluster/x",
  "resourcesVpcConfig": {
    "endpointPublicAccess": "yes"}}}`, []string{"f.json:3:", "cluster.resourcesVpcConfig.endpointPublicAccess", "want a boolean", `"yes"`}},
		{"cidr not a string", `{"cluster": {"resourcesVpcConfig": {"publicAccessCidrs": ["10.0.0.0/8", 7]}}}`,
			[]string{"f.json:1:", "cluster.resourcesVpcConfig.publicAccessCidrs[1]", "want a string", "7"}},
		{"terraform field", `{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
 {"address": "aws_eks_cluster.x", "mode": "managed", "type": "aws_eks_cluster", "values": {
  "vpc_config": [{"endpoint_public_access": 1}]}}]}}}`,
			[]string{"f.json:3:", "aws_eks_cluster.x: vpc_config[0].endpoint_public_access", "want a boolean"}},
		{"gke cidr blocks", `{"selfLink": "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c",
 "masterAuthorizedNetworksConfig": {"enabled": true, "cidrBlocks": "0.0.0.0/0"}}`,
			[]string{"f.json:2:", "masterAuthorizedNetworksConfig.cidrBlocks", "want an array"}},
		{"syntax", "{\n  \"cluster\": {\n    \"name\": \"x\",,\n  }\n}", []string{"f.json:3:", "not valid JSON"}},
		{"truncated", `{"cluster": {"name": "x"`, []string{"f.json:1:", "unexpected end"}},
		{"unknown", `{"apiVersion": "v1", "kind": "Config"}`, []string{"f.json:1:", "not a recognised managed-cluster file", "aws eks describe-cluster"}},
		{"yaml", "cluster:\n  name: x\n", []string{"f.json:1:", "not JSON", "--format json"}},
		{"empty", "  \n", []string{"f.json: empty file"}},
		{"list of other things", `[{"name": "x"}]`, []string{"f.json:1:", "[0]", "not an EKS, GKE or AKS cluster"}},
		{"empty list", `[]`, []string{"no EKS, GKE or AKS cluster"}},
		{"plan without clusters", `{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"type": "aws_s3_bucket", "values": {}}]}}}`,
			[]string{"no EKS, GKE or AKS cluster", "terraform plan"}},
		{"trailing data", `{"cluster": {"resourcesVpcConfig": {}}} {}`, []string{"unexpected data after"}},
		{"deep", strings.Repeat("[", 300) + strings.Repeat("]", 300), []string{"nested deeper"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.json", []byte(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := Parse("f.json", []byte(`[]`)); !errors.Is(err, ErrNoCluster) {
		t.Errorf("empty list: %v, want ErrNoCluster", err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load([]string{"does-not-exist.json"}); err == nil || !strings.Contains(err.Error(), "does-not-exist.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := Load([]string{filepath.Join(fixtures, "bad-type.json")}); err == nil ||
		!strings.Contains(err.Error(), "bad-type.json:6: cluster.resourcesVpcConfig.endpointPublicAccess: want a boolean") {
		t.Errorf("bad type: %v", err)
	}
	big := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(big, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFileSize+1); err != nil { // sparse
		t.Fatal(err)
	}
	if _, err := Load([]string{big}); err == nil || err.Error() != big+": larger than 64 MiB (limit for cloud files)" {
		t.Errorf("too large: %v", err)
	}
	if fifo := filepath.Join(t.TempDir(), "eks.json"); mkfifo(fifo) == nil {
		if _, err := Load([]string{fifo}); err == nil || err.Error() != fifo+": is a named pipe (FIFO), not a regular file" {
			t.Errorf("FIFO: %v", err)
		}
	}
}

// TestDefaults: absent fields take the provider's default and say so.
func TestDefaults(t *testing.T) {
	cs, err := Parse("d.json", []byte(`{"cluster": {"name": "d", "resourcesVpcConfig": {}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if !c.PublicEndpoint.Bool || !c.PublicEndpoint.Default || c.PublicEndpoint.Value != "(not set: default true)" || c.PublicEndpoint.Source != "d.json" {
		t.Errorf("public = %+v", c.PublicEndpoint)
	}
	if c.PrivateEndpoint.Bool || !c.PrivateEndpoint.Default {
		t.Errorf("private = %+v", c.PrivateEndpoint)
	}
	if !slices.Equal(c.AuthorizedCIDRs.CIDRs, []string{"0.0.0.0/0"}) || !c.AuthorizedCIDRs.Default {
		t.Errorf("cidrs = %+v", c.AuthorizedCIDRs)
	}
	// A list of GKE clusters (gcloud container clusters list --format json).
	cs, err = Parse("l.json", []byte(`[{"name": "a", "currentMasterVersion": "1.33.1-gke.1", "privateClusterConfig": {"enablePrivateEndpoint": true}},
 {"name": "b", "currentMasterVersion": "1.33.1-gke.1"}]`))
	if err != nil || len(cs) != 2 || cs[0].PublicEndpoint.Bool || !cs[1].PublicEndpoint.Bool || cs[1].Resource != "[1]" {
		t.Fatalf("list: %v %+v", err, cs)
	}
}

func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir(fixtures)
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join(fixtures, e.Name())); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"cluster": {"resourcesVpcConfig": {"publicAccessCidrs": null}}}`))
	f.Add([]byte(`[{"properties": {"apiServerAccessProfile": {"authorizedIPRanges": [""]}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := Parse("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range cs {
			if c.Provider == "" || c.PublicEndpoint.Field == "" || c.File != "fuzz.json" {
				t.Fatalf("incomplete cluster: %+v", c)
			}
		}
	})
}
