package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

// addInputFlags binds the input flags of scan and snapshot to in; none of
// them means the current kubeconfig context.
func addInputFlags(cmd *cobra.Command, in *app.Inputs) {
	f := cmd.Flags()
	f.StringArrayVar(&in.Manifests, "manifest", nil, "static pod manifest, workload YAML, kubectl -o yaml output or kubeadm ClusterConfiguration; a file or a directory (repeatable)")
	f.StringArrayVar(&in.FlagsFiles, "flags-file", nil, "file holding a kube-apiserver argv: ps output, /proc/PID/cmdline, flags one or more a line, or a systemd unit's ExecStart (repeatable)")
	f.StringVar(&in.Snapshot, "snapshot", "", "directory written by 'apiguard snapshot'")
	f.StringVar(&in.Root, "root", "/", "directory that absolute paths named by flags (config files) are read under")
	f.StringVar(&in.K8sVersion, "k8s-version", "", "Kubernetes version whose flag defaults apply (default: the image tag or server version; else the newest known)")
	f.StringArrayVar(&in.RBAC, "rbac", nil, "kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,namespaces,pods,nodes -A -o json output: a file or a directory; alone, only RBAC is assessed (repeatable)")
	f.BoolVar(&in.NoBuiltinRoles, "no-builtin-roles", false, "read --rbac dumps (and a snapshot's rbac/ folder from files) alone: do not assume kube-apiserver's built-in roles and bindings they lack")
	f.StringArrayVar(&in.Cloud, "cloud", nil, "managed-cluster JSON (aws eks describe-cluster, gcloud container clusters describe --format json, az aks show) or terraform show -json output; alone, only these files are scanned (repeatable)")
}

func (a *env) scanCmd() *cobra.Command {
	var (
		o         app.ScanOptions
		out       reportFlags
		benchmark string
	)
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Assess the kube-apiserver configuration",
		Long: `Assess the kube-apiserver configuration and report every problem by layer,
with evidence (flag, value, file:line or pod), why it matters and the fix.

Inputs: --manifest, --flags-file and --snapshot read files; with none of them
the current kubeconfig context is read live (read-only). On managed control
planes (EKS, GKE, AKS) the flags are invisible and flag checks report
not-assessable, never pass.`,
		Example: `  apiguard scan --snapshot examples/kubeadm-1.36
  apiguard scan --manifest /etc/kubernetes/manifests/kube-apiserver.yaml
  apiguard scan --context prod -o sarif > apiguard.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.parse(); err != nil {
				return err
			}
			var err error
			if o.Benchmark, err = parseBenchmark(benchmark); err != nil {
				return err
			}
			o.Inputs, o.Now, o.Warn = a.liveInputs(o.Inputs), now(), a.warn
			res, err := app.Scan(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := report.Render(a.stdout, out.format, checksReport(res), out.options(a)); err != nil {
				return err
			}
			return out.exit(res.Findings)
		},
	}
	addInputFlags(cmd, &o.Inputs)
	addAuditLogsFlags(cmd, &o.Audit, "judges each identity's RBAC grants against its use (AG-AUTHZ-030)")
	out.add(cmd, "", "list passing and not-applicable results too (table and markdown)")
	addBenchmarkFlag(cmd, &benchmark)
	addVersionsDataFlag(cmd, &o.VersionsData)
	a.kubeFlags(cmd)
	return cmd
}
