package network

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/cloud"
	"github.com/apiguard/apiguard/internal/inputs"
)

// cloudSnap is a snapshot holding the clusters of one provider JSON document.
func cloudSnap(t *testing.T, doc string) *inputs.Snapshot {
	t.Helper()
	cs, err := cloud.Parse("cluster.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := inputs.New("cluster.json", "offline")
	s.Cloud = cs
	return s
}

func fixture(t *testing.T, name string) *inputs.Snapshot {
	t.Helper()
	cs, err := cloud.Load([]string{filepath.Join("..", "..", "cli", "testdata", "cloud", name)})
	if err != nil {
		t.Fatal(err)
	}
	s := inputs.New(name, "offline")
	s.Cloud = cs
	return s
}

const (
	eksOpen       = `{"cluster": {"name": "prod", "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "resourcesVpcConfig": {"endpointPublicAccess": true, "endpointPrivateAccess": false, "publicAccessCidrs": ["0.0.0.0/0"]}}}`
	eksDefault    = `{"cluster": {"name": "prod", "resourcesVpcConfig": {}}}`
	eksIPv6       = `{"cluster": {"name": "v6", "resourcesVpcConfig": {"endpointPublicAccess": true, "endpointPrivateAccess": true, "publicAccessCidrs": ["198.51.100.0/24", "::/0"]}}}`
	eksRestricted = `{"cluster": {"name": "prod", "resourcesVpcConfig": {"endpointPublicAccess": true, "endpointPrivateAccess": true, "publicAccessCidrs": ["198.51.100.0/24"]}}}`
	eksBroad      = `{"cluster": {"name": "prod", "resourcesVpcConfig": {"endpointPublicAccess": true, "endpointPrivateAccess": true, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}}}`
	eksPrivate    = `{"cluster": {"name": "prod", "resourcesVpcConfig": {"endpointPublicAccess": false, "endpointPrivateAccess": true, "publicAccessCidrs": ["0.0.0.0/0"]}}}`
	gkeNoMAN      = `{"name": "web", "location": "europe-west1", "currentMasterVersion": "1.33.5-gke.1", "masterAuthorizedNetworksConfig": {}}`
	gkeMANWorld   = `{"name": "web", "currentMasterVersion": "1.33.5-gke.1", "masterAuthorizedNetworksConfig": {"enabled": true, "cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}}`
	gkeGCP        = `{"name": "web", "currentMasterVersion": "1.33.5-gke.1", "masterAuthorizedNetworksConfig": {"enabled": true, "cidrBlocks": [{"cidrBlock": "198.51.100.0/24"}], "gcpPublicCidrsAccessEnabled": true}}`
	gkeRestricted = `{"name": "web", "currentMasterVersion": "1.33.5-gke.1", "privateClusterConfig": {"enablePrivateNodes": true, "enablePrivateEndpoint": false}, "masterAuthorizedNetworksConfig": {"enabled": true, "cidrBlocks": [{"cidrBlock": "198.51.100.0/24"}]}}`
	gkePrivate    = `{"name": "web", "currentMasterVersion": "1.33.5-gke.1", "privateClusterConfig": {"enablePrivateNodes": true, "enablePrivateEndpoint": true}}`
	gkeDNS        = `{"name": "ml", "currentMasterVersion": "1.35.0-gke.1", "controlPlaneEndpointsConfig": {"dnsEndpointConfig": {"allowExternalTraffic": true, "endpoint": "gke-1.us-central1.gke.goog"}, "ipEndpointsConfig": {"enabled": false}}}`
	aksOpen       = `{"name": "shop", "resourceGroup": "shop-rg", "type": "Microsoft.ContainerService/ManagedClusters", "apiServerAccessProfile": null, "disableLocalAccounts": false}`
	aksWorld      = `{"name": "shop", "type": "Microsoft.ContainerService/ManagedClusters", "apiServerAccessProfile": {"authorizedIpRanges": ["0.0.0.0/0"]}, "disableLocalAccounts": true}`
	aksRestricted = `{"name": "shop", "type": "Microsoft.ContainerService/ManagedClusters", "apiServerAccessProfile": {"authorizedIpRanges": ["198.51.100.0/24"]}, "disableLocalAccounts": true}`
	aksPrivate    = `{"name": "shop", "type": "Microsoft.ContainerService/ManagedClusters", "apiServerAccessProfile": {"enablePrivateCluster": true}, "disableLocalAccounts": true}`
)

func TestCloudOpen(t *testing.T) {
	ct.Table(t, CloudOpen, []ct.Case{
		{Name: "no file", Snap: ct.Snapshot(), Want: check.NotAssessable, Contains: "--cloud FILE"},
		{Name: "eks live cluster, no file", Snap: func() *inputs.Snapshot {
			s := ct.Hidden("managed")
			s.Cluster.PlatformEvidence = "server version v1.33.2-eks-7e2f8b1"
			return s
		}(), Want: check.NotAssessable, Contains: "aws eks describe-cluster --name NAME"},
		{Name: "eks 0.0.0.0/0", Snap: cloudSnap(t, eksOpen), Want: check.Fail, Contains: "admits 0.0.0.0/0"},
		{Name: "eks default cidrs", Snap: cloudSnap(t, eksDefault), Want: check.Fail, Contains: "(not set: default [\"0.0.0.0/0\"])"},
		{Name: "eks ::/0", Snap: cloudSnap(t, eksIPv6), Want: check.Fail, Contains: "every IPv6 address"},
		{Name: "eks restricted", Snap: cloudSnap(t, eksRestricted), Want: check.Pass, Contains: "admits only 1 network: 198.51.100.0/24"},
		{Name: "eks two halves of the internet", Snap: cloudSnap(t, eksBroad), Want: check.Warn, Contains: "very broad ranges 0.0.0.0/1, 128.0.0.0/1"},
		{Name: "eks private", Snap: cloudSnap(t, eksPrivate), Want: check.Pass, Contains: "no public endpoint (cluster.resourcesVpcConfig.endpointPublicAccess = false)"},
		{Name: "gke without authorized networks", Snap: cloudSnap(t, gkeNoMAN), Want: check.Fail, Contains: "masterAuthorizedNetworksConfig.enabled = (not set: default false)"},
		{Name: "gke authorized 0.0.0.0/0", Snap: cloudSnap(t, gkeMANWorld), Want: check.Fail, Contains: "admits 0.0.0.0/0"},
		{Name: "gke google cloud ranges", Snap: cloudSnap(t, gkeGCP), Want: check.Fail, Contains: "every Google Cloud public address"},
		{Name: "gke restricted", Snap: cloudSnap(t, gkeRestricted), Want: check.Pass},
		{Name: "gke private endpoint", Snap: cloudSnap(t, gkePrivate), Want: check.Pass, Contains: "privateClusterConfig.enablePrivateEndpoint = true"},
		{Name: "gke dns only", Snap: cloudSnap(t, gkeDNS), Want: check.Pass, Contains: "ipEndpointsConfig.enabled = false"},
		{Name: "aks no ranges", Snap: cloudSnap(t, aksOpen), Want: check.Fail, Contains: "no authorized IP ranges"},
		{Name: "aks 0.0.0.0/0", Snap: cloudSnap(t, aksWorld), Want: check.Fail, Contains: "admits 0.0.0.0/0"},
		{Name: "aks restricted", Snap: cloudSnap(t, aksRestricted), Want: check.Pass},
		{Name: "aks private", Snap: cloudSnap(t, aksPrivate), Want: check.Pass},
	})
	f := ct.One(t, CloudOpen, cloudSnap(t, eksOpen))
	if f.Resource != "eks prod (eu-west-1)" || f.Location == nil || f.Location.File != "cluster.json" || f.Location.Line != 1 {
		t.Errorf("finding = %+v (location %+v)", f, f.Location)
	}
	if e := ct.Evidence(t, f, "cluster.resourcesVpcConfig.publicAccessCidrs"); e.Value != `["0.0.0.0/0"]` || e.Source != "cluster.json:1" {
		t.Errorf("evidence = %+v", e)
	}
	for _, want := range []string{"aws eks update-cluster-config --region eu-west-1 --name prod", "public_access_cidrs"} {
		if !strings.Contains(f.Remediation, want) {
			t.Errorf("fix %q lacks %q", f.Remediation, want)
		}
	}
	gke := ct.One(t, CloudOpen, cloudSnap(t, gkeNoMAN))
	if !strings.Contains(gke.Remediation, "gcloud container clusters update web --location europe-west1 --enable-master-authorized-networks") ||
		!strings.Contains(gke.Remediation, "master_authorized_networks_config {") {
		t.Errorf("gke fix = %q", gke.Remediation)
	}
	aks := ct.One(t, CloudOpen, cloudSnap(t, aksOpen))
	if !strings.Contains(aks.Remediation, "az aks update -g shop-rg -n shop --api-server-authorized-ip-ranges") ||
		!strings.Contains(aks.Remediation, "authorized_ip_ranges") {
		t.Errorf("aks fix = %q", aks.Remediation)
	}
}

func TestCloudPrivate(t *testing.T) {
	ct.Table(t, CloudPrivate, []ct.Case{
		{Name: "no file", Snap: ct.Snapshot(), Want: check.NotAssessable},
		{Name: "eks public without private endpoint", Snap: cloudSnap(t, eksOpen), Want: check.Warn, Contains: "nodes and pods reach the API over the internet"},
		{Name: "eks restricted", Snap: cloudSnap(t, eksRestricted), Want: check.Warn, Contains: "reachable from 198.51.100.0/24"},
		{Name: "eks private", Snap: cloudSnap(t, eksPrivate), Want: check.Pass},
		{Name: "gke private", Snap: cloudSnap(t, gkePrivate), Want: check.Pass},
		{Name: "gke dns endpoint open", Snap: cloudSnap(t, gkeDNS), Want: check.Warn, Contains: "DNS endpoint accepts traffic from the internet"},
		{Name: "gke no authorized networks", Snap: cloudSnap(t, gkeNoMAN), Want: check.Warn, Contains: "reachable from any address"},
		{Name: "aks local accounts note", Snap: cloudSnap(t, aksOpen), Want: check.Warn, Contains: "local accounts are enabled (disableLocalAccounts = false)"},
		{Name: "aks private", Snap: cloudSnap(t, aksPrivate), Want: check.Pass, Contains: "reachable only privately"},
	})
	if f := ct.One(t, CloudPrivate, cloudSnap(t, gkeDNS)); f.Severity != check.Low {
		t.Errorf("DNS-only severity %s", f.Severity)
	}
}

// TestCloudFixtures runs the CLI's fixtures through both checks.
func TestCloudFixtures(t *testing.T) {
	want := map[string][]string{ // file -> statuses of AG-NET-019, one per cluster
		"eks-public.json":         {"fail"},
		"eks-ipv6-open.json":      {"fail"},
		"eks-private.json":        {"pass"},
		"gke-public.json":         {"fail"},
		"gke-authorized-gcp.json": {"fail"},
		"gke-dns-only.json":       {"pass"},
		"aks-public.json":         {"fail"},
		"aks-arm-restricted.json": {"pass"},
		"aks-private.json":        {"pass"},
		"tfplan.json":             {"fail", "pass", "warn"},
		"tfstate-aks-legacy.json": {"fail"},
	}
	for file, statuses := range want {
		s := fixture(t, file)
		fs := ct.Run(CloudOpen, s)
		var got []string
		byResource := map[string]string{}
		for _, f := range fs {
			byResource[f.Resource] = string(f.Status)
		}
		for _, c := range s.Cloud {
			got = append(got, byResource[c.ID()])
		}
		if strings.Join(got, ",") != strings.Join(statuses, ",") {
			t.Errorf("%s: %v, want %v", file, got, statuses)
		}
		for _, f := range ct.Run(CloudPrivate, s) {
			if f.Status == check.NotAssessable || f.Status == check.Error {
				t.Errorf("%s: AG-NET-020 %s: %s", file, f.Status, f.Message)
			}
		}
	}
}
