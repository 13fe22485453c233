package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/cloud"
	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/probe"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) probeCmd() *cobra.Command {
	var (
		format     string
		failOn     string
		timeout    time.Duration
		caFile     string
		cloudFiles []string
		showPassed bool
		benchmark  string
	)
	cmd := &cobra.Command{
		Use:   "probe [URL]",
		Short: "Probe the API endpoint as an anonymous network client",
		Long: `Probe a kube-apiserver endpoint the way an anonymous client on the network sees
it, and report the network-exposure checks:

  - the addresses the host resolves to, each classified (public, private
    RFC 1918 / ULA, CGNAT, loopback, link-local);
  - TLS: which protocol versions it accepts (one handshake per version), which
    weak cipher suites (each offered alone), the certificate chain, its expiry,
    key size and SANs;
  - anonymous GETs to /version, /healthz?verbose, /livez, /readyz, /api, /apis,
    /api/v1/namespaces, /openapi/v2, /.well-known/openid-configuration,
    /openid/v1/jwks, /metrics, /debug/pprof/, /logs/ and kube-public's
    cluster-info: 401 (not authenticated), 403 (authenticated as
    system:anonymous, denied), 2xx (exposed, with what leaked).

URL defaults to the current kubeconfig context's server. No credential is ever
sent, even when the kubeconfig has one; its CA (or --ca-file) is used to verify
the chain, which is recorded whether it verifies or not. Only the given host and
port are contacted (no proxy, no redirect elsewhere), each request times out,
and a probe makes at most about 80 requests and handshakes.

--cloud FILE adds the managed-cluster checks for EKS, GKE and AKS clusters read
from the providers' JSON or a Terraform plan (see 'apiguard scan --help'); with
--cloud and neither URL nor --kubeconfig/--context, only the files are read.
'apiguard scan' of a live cluster runs the same probe.`,
		Example: `  apiguard probe                                  # the current context's server
  apiguard probe https://203.0.113.10:6443 -o json
  apiguard probe --context prod --cloud prod-eks.json
  apiguard probe --cloud tfplan.json              # files only: no network`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, never, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			if err := checkFormat(format, report.Formats()...); err != nil {
				return err
			}
			if timeout <= 0 {
				return usageErr("--timeout %s: want a positive duration", timeout)
			}
			bench, err := parseBenchmark(benchmark)
			if err != nil {
				return err
			}
			var clusters []inputs.CloudCluster
			if len(cloudFiles) > 0 {
				if clusters, err = cloud.Load(cloudFiles); err != nil {
					return inputErr(err)
				}
			}
			s := inputs.New(strings.Join(cloudFiles, ", "), "live")
			s.SetScope(inputs.Exposure)
			s.Cloud = clusters
			s.Benchmark = string(bench)
			var ep *inputs.Endpoint
			if len(args) == 1 || len(cloudFiles) == 0 || a.kubeChosen() {
				o, err := a.probeOptions(args, caFile)
				if err != nil {
					return err
				}
				o.Timeout = timeout
				ep, err = probe.Run(cmd.Context(), o)
				if err != nil {
					return usageErr("%v", err)
				}
				if ep.Unavailable != "" {
					return inputErr(fmt.Errorf("cannot probe %s: %s", ep.URL, ep.Unavailable))
				}
				s.Endpoint, s.Target = ep, ep.URL
				s.CollectedAt = ep.ProbedAt
			}
			ran := check.Select(checks.All(), s)
			findings := check.Run(cmd.Context(), ran, s)
			r := report.New("apiguard", Version, s.Target, metadataOf(ran), findings, s.Problems)
			r.Benchmark = bench
			if err := a.renderProbe(format, r, s, showPassed); err != nil {
				return err
			}
			if !never && check.FailsAt(findings, threshold) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", ")+" (json adds the probe's raw results)")
	f.StringVar(&failOn, "fail-on", "high", "exit 1 when a failing finding is at or above this severity (info, low, medium, high, critical, or none)")
	f.DurationVar(&timeout, "timeout", probe.DefaultTimeout, "timeout of each TLS handshake and each request")
	f.StringVar(&caFile, "ca-file", "", "PEM CA to verify the serving certificate with (default: the kubeconfig's CA when URL is its server)")
	f.StringArrayVar(&cloudFiles, "cloud", nil, "managed-cluster JSON (aws eks describe-cluster, gcloud container clusters describe --format json, az aks show) or terraform show -json output (repeatable)")
	f.BoolVar(&showPassed, "show-passed", false, "list passing and not-applicable results too (table and markdown)")
	addBenchmarkFlag(cmd, &benchmark)
	a.kubeFlags(cmd)
	return cmd
}

// kubeChosen reports an explicit --kubeconfig or --context.
func (a *env) kubeChosen() bool {
	if a.kube == nil {
		return false
	}
	return (a.kube.KubeConfig != nil && *a.kube.KubeConfig != "") || (a.kube.Context != nil && *a.kube.Context != "")
}

// probeOptions resolves the URL (argument, else the kubeconfig's server) and
// the CA to verify with. Credentials of the kubeconfig are never used.
func (a *env) probeOptions(args []string, caFile string) (probe.Options, error) {
	o := probe.Options{UserAgent: "apiguard-probe/" + Version}
	var cfg *rest.Config
	if a.kube != nil {
		cfg, _ = a.kube.ToRESTConfig()
	}
	switch {
	case len(args) == 1:
		o.URL = args[0]
	case cfg != nil && cfg.Host != "":
		o.URL = cfg.Host
	default:
		return o, usageErr("no URL to probe: give one (apiguard probe https://HOST:PORT), or a kubeconfig context")
	}
	if caFile != "" {
		data, err := fileinput.ReadFile(caFile, fileinput.Certificate)
		if err != nil {
			return o, inputErr(fmt.Errorf("--ca-file: %v", err))
		}
		o.CAData, o.CAName = data, caFile
		return o, nil
	}
	if cfg != nil && sameServer(cfg.Host, o.URL) {
		setKubeconfigTLS(&o, cfg)
	}
	return o, nil
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

// probeEndpoint is the probe of a live scan: the kubeconfig's server, with
// its CA. It never fails the scan: an unreachable endpoint is recorded with
// the reason, and the network checks report it as not assessable.
func (a *env) probeEndpoint(ctx context.Context, cfg *rest.Config) *inputs.Endpoint {
	o := probe.Options{URL: cfg.Host, UserAgent: "apiguard-probe/" + Version}
	setKubeconfigTLS(&o, cfg)
	ep, err := probe.Run(ctx, o)
	if err != nil {
		return &inputs.Endpoint{URL: cfg.Host, Unavailable: err.Error(), Addresses: []inputs.Address{}, Paths: []inputs.PathResult{}}
	}
	return ep
}

// collectWithCloud reads the --cloud files and the other inputs. --cloud
// alone (no file input, no explicit --kubeconfig/--context) scans only the
// files.
func (a *env) collectWithCloud(ctx context.Context, in inputFlags) (*collected, error) {
	clusters, err := cloud.Load(in.cloud)
	if err != nil {
		return nil, inputErr(err)
	}
	if !in.offline() && in.snapshot == "" && !a.kubeChosen() {
		s := inputs.New(strings.Join(in.cloud, ", "), "offline")
		s.Cloud = clusters
		s.SetScope(inputs.CloudOnly)
		return &collected{snap: s}, nil
	}
	rest := in
	rest.cloud = nil
	c, err := a.collect(ctx, rest)
	if err != nil {
		return nil, err
	}
	c.snap.Cloud = append(c.snap.Cloud, clusters...)
	return c, nil
}

// probeJSON is `apiguard probe -o json`: the report contract plus the raw
// probe ("endpoint") and managed-cluster settings ("cloud").
type probeJSON struct {
	Tool      string                `json:"tool"`
	Version   string                `json:"version"`
	Target    string                `json:"target"`
	Benchmark check.Benchmark       `json:"benchmark,omitempty"`
	Endpoint  *inputs.Endpoint      `json:"endpoint,omitempty"`
	Cloud     []inputs.CloudCluster `json:"cloud,omitempty"`
	Findings  []check.Finding       `json:"findings"`
	Summary   check.Summary         `json:"summary"`
	Problems  []inputs.Problem      `json:"problems"`
}

func (a *env) renderProbe(format string, r *report.Report, s *inputs.Snapshot, showPassed bool) error {
	switch format {
	case report.FormatJSON:
		out := probeJSON{Tool: r.Tool, Version: r.Version, Target: r.Target, Benchmark: r.Benchmark, Endpoint: s.Endpoint, Cloud: s.Cloud,
			Findings: r.Findings, Summary: r.Summary, Problems: r.Problems}
		if out.Findings == nil {
			out.Findings = []check.Finding{}
		}
		if out.Problems == nil {
			out.Problems = []inputs.Problem{}
		}
		if out.Summary.FailBySeverity == nil {
			out.Summary.FailBySeverity = map[string]int{}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		_, err := a.stdout.Write(b.Bytes())
		return err
	case report.FormatTable:
		var b bytes.Buffer
		color := useColor(a.stdout)
		if err := report.Render(&b, format, r, report.Options{Color: color, ShowPassed: showPassed}); err != nil {
			return err
		}
		// The report's first line is its header; the probe's details come right after it.
		head, rest, _ := strings.Cut(b.String(), "\n")
		fmt.Fprintln(a.stdout, strings.Replace(head, " scan of ", " probe of ", 1))
		if s.Endpoint != nil {
			fmt.Fprintln(a.stdout)
			if err := probe.WriteText(a.stdout, s.Endpoint); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(a.stdout)
		}
		_, err := fmt.Fprint(a.stdout, strings.TrimPrefix(rest, "\n"))
		return err
	}
	return report.Render(a.stdout, format, r, report.Options{ShowPassed: showPassed})
}
