package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/harden"
)

func (a *env) fixCmd() *cobra.Command {
	var (
		o      app.FixOptions
		format string
	)
	cmd := &cobra.Command{
		Use:   "fix (--manifest FILE | --flags-file FILE | --snapshot DIR) --out DIR [--files-dir PATH] [--k8s-version V]",
		Short: "Write the hardened kube-apiserver configuration, in the form it came in",
		Long: `Write the input back, in the same form, with every failing check that
configuration can fix fixed: a static pod manifest in, the patched manifest out
(same file name; comments and other lines kept; hostPath volumes added for the
new files); a kubeadm ClusterConfiguration in, the patched ClusterConfiguration
(apiServer.extraArgs and extraVolumes); an argv file in, the patched argv, one
flag per line.

The files the fixed flags point to (audit policy, AuthenticationConfiguration
limiting anonymous requests to the health endpoints, admission configuration
for EventRateLimit, EncryptionConfiguration with a freshly generated key) are
written under --out and referenced as --files-dir/<name>. Flags the target
version removed are dropped.

The fixed configuration is judged by the same checks before anything is
written: each change names the check it fixes, and "needs you" lists every
check that still fails (certificates, keys, upgrades, file modes) with the
commands to run. Nothing is applied to a cluster.`,
		Example: `  apiguard fix --manifest /etc/kubernetes/manifests/kube-apiserver.yaml --out fixed/
  apiguard fix --flags-file argv.txt --out fixed/ --files-dir /etc/kubernetes/apiguard -o json
  apiguard fix --snapshot examples/kubeadm-1.36 --out fixed/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			o.Now = now()
			res, err := app.Fix(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				return fixJSON(a.stdout, res)
			}
			return fixText(a.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Manifest, "manifest", "", "static pod manifest or kubeadm ClusterConfiguration file")
	f.StringVar(&o.FlagsFile, "flags-file", "", "file holding a kube-apiserver argv")
	f.StringVar(&o.Snapshot, "snapshot", "", "directory written by 'apiguard snapshot'")
	f.StringVar(&o.Root, "root", "/", "directory that absolute paths named by flags (config files) are read under")
	f.StringVar(&o.Out, "out", "", "directory to write the fixed configuration and its files to (required; never the input's)")
	f.StringVar(&o.FilesDir, "files-dir", harden.DefaultFilesDir, "where the written files will be on the control-plane host: the fixed flags name them there")
	f.StringVar(&o.AuditLogDir, "audit-log-dir", harden.DefaultAuditLogDir, "directory of the audit log the fix turns on")
	f.StringVar(&o.K8sVersion, "k8s-version", "", "Kubernetes version the fixed configuration is for (default: the input's)")
	f.StringVarP(&format, "output", "o", "text", "output format: text or json")
	return cmd
}
