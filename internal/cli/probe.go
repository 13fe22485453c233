package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/probe"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) probeCmd() *cobra.Command {
	var (
		o         app.ProbeOptions
		out       reportFlags
		benchmark string
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
			if err := out.parse(); err != nil {
				return err
			}
			if o.Timeout <= 0 {
				return usageErr("--timeout %s: want a positive duration", o.Timeout)
			}
			var err error
			if o.Benchmark, err = parseBenchmark(benchmark); err != nil {
				return err
			}
			if len(args) == 1 {
				o.URL = args[0]
			}
			o.Cluster, o.ClusterChosen, o.UserAgent = a.kube.ToRESTConfig, a.kubeChosen(), probeUserAgent()
			res, err := app.Probe(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := report.RenderProbe(a.stdout, out.format, checksReport(&res.CheckRun), res.Endpoint, res.Cloud, out.options(a)); err != nil {
				return err
			}
			return out.exit(res.Findings)
		},
	}
	out.add(cmd, " (json adds the probe's raw results)", "list passing and not-applicable results too (table and markdown)")
	f := cmd.Flags()
	f.DurationVar(&o.Timeout, "timeout", probe.DefaultTimeout, "timeout of each TLS handshake and each request")
	f.StringVar(&o.CAFile, "ca-file", "", "PEM CA to verify the serving certificate with (default: the kubeconfig's CA when URL is its server)")
	f.StringArrayVar(&o.Cloud, "cloud", nil, "managed-cluster JSON (aws eks describe-cluster, gcloud container clusters describe --format json, az aks show) or terraform show -json output (repeatable)")
	addBenchmarkFlag(cmd, &benchmark)
	a.kubeFlags(cmd)
	return cmd
}
