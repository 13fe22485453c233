package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/cloud"
	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/probe"
)

// ProbeOptions say what apiguard probe reads.
type ProbeOptions struct {
	// URL is the endpoint; "" means the kubeconfig's server.
	URL string
	// CAFile is a PEM CA to verify the serving certificate with; without
	// it, the kubeconfig's CA when URL is its server.
	CAFile string
	// Timeout bounds each TLS handshake and each request.
	Timeout time.Duration
	// Cloud are managed-cluster files; with them and neither URL nor
	// ClusterChosen, only the files are read (no network).
	Cloud     []string
	Benchmark check.Benchmark
	// Cluster is the kubeconfig's REST config: its server and CA, never
	// its credentials.
	Cluster func() (*rest.Config, error)
	// ClusterChosen: a kubeconfig or context was named explicitly.
	ClusterChosen bool
	UserAgent     string
}

// ProbeResult is the probe's findings, with what it saw.
type ProbeResult struct {
	CheckRun
	// Endpoint is what the probe saw; nil when only files were read.
	Endpoint *inputs.Endpoint
	// Cloud are the managed-cluster settings read from the files.
	Cloud []inputs.CloudCluster
}

// Probe reports the network-exposure checks of an endpoint, as an
// anonymous client on the network sees it, and of managed-cluster files.
func Probe(ctx context.Context, o ProbeOptions) (*ProbeResult, error) {
	var clusters []inputs.CloudCluster
	if len(o.Cloud) > 0 {
		var err error
		if clusters, err = cloud.Load(o.Cloud); err != nil {
			return nil, Input(err)
		}
	}
	s := inputs.New(strings.Join(o.Cloud, ", "), "live")
	s.SetScope(inputs.Exposure)
	s.Cloud = clusters
	s.Benchmark = string(o.Benchmark)
	if o.URL != "" || len(o.Cloud) == 0 || o.ClusterChosen {
		po, err := o.probeOptions()
		if err != nil {
			return nil, err
		}
		ep, err := probe.Run(ctx, po)
		if err != nil {
			return nil, Input(err)
		}
		if ep.Unavailable != "" {
			return nil, Input(fmt.Errorf("cannot probe %s: %s", ep.URL, ep.Unavailable))
		}
		s.Endpoint, s.Target = ep, ep.URL
		s.CollectedAt = ep.ProbedAt
	}
	return &ProbeResult{CheckRun: run(ctx, s), Endpoint: s.Endpoint, Cloud: s.Cloud}, nil
}

// probeOptions resolves the URL (given, else the kubeconfig's server) and
// the CA to verify with. The kubeconfig's credentials are never used.
func (o ProbeOptions) probeOptions() (probe.Options, error) {
	po := probe.Options{URL: o.URL, Timeout: o.Timeout, UserAgent: o.UserAgent}
	var cfg *rest.Config
	if o.Cluster != nil {
		cfg, _ = o.Cluster()
	}
	if po.URL == "" {
		if cfg == nil || cfg.Host == "" {
			return po, Input(errors.New("no URL to probe: give one (apiguard probe https://HOST:PORT), or a kubeconfig context"))
		}
		po.URL = cfg.Host
	}
	if o.CAFile != "" {
		data, err := fileinput.ReadFile(o.CAFile, fileinput.Certificate)
		if err != nil {
			return po, Input(fmt.Errorf("--ca-file: %v", err))
		}
		po.CAData, po.CAName = data, o.CAFile
		return po, nil
	}
	if cfg != nil && sameServer(cfg.Host, po.URL) {
		setKubeconfigTLS(&po, cfg)
	}
	return po, nil
}

// probeEndpoint is the probe of a live read: the kubeconfig's server, with
// its CA. It never fails the read: an unreachable endpoint is recorded
// with the reason, and the network checks report it as not assessable.
func probeEndpoint(ctx context.Context, cfg *rest.Config, userAgent string) *inputs.Endpoint {
	o := probe.Options{URL: cfg.Host, UserAgent: userAgent}
	setKubeconfigTLS(&o, cfg)
	ep, err := probe.Run(ctx, o)
	if err != nil {
		return &inputs.Endpoint{URL: cfg.Host, Unavailable: err.Error(), Addresses: []inputs.Address{}, Paths: []inputs.PathResult{}}
	}
	return ep
}

// setKubeconfigTLS takes the CA and server name of a kubeconfig (never its
// credentials).
func setKubeconfigTLS(o *probe.Options, cfg *rest.Config) {
	o.ServerName = cfg.TLSClientConfig.ServerName
	switch {
	case len(cfg.TLSClientConfig.CAData) > 0:
		o.CAData, o.CAName = cfg.TLSClientConfig.CAData, "the kubeconfig CA"
	case cfg.TLSClientConfig.CAFile != "":
		if data, err := fileinput.ReadFile(cfg.TLSClientConfig.CAFile, fileinput.Certificate); err == nil {
			o.CAData, o.CAName = data, "the kubeconfig CA ("+cfg.TLSClientConfig.CAFile+")"
		}
	}
}

// sameServer compares two URLs by scheme, host and port.
func sameServer(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if !strings.Contains(s, "://") {
			s = "https://" + s
		}
		return strings.ToLower(s)
	}
	return norm(a) == norm(b)
}
