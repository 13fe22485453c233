package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apiguard/apiguard/internal/app"
)

// auditCmd groups the audit commands: the policy (what is recorded) and the
// log (what happened).
func (a *env) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit policy analysis and audit log detection",
	}
	cmd.AddCommand(
		a.auditPolicyCmd(),
		a.auditServeCmd(),
		a.auditScanCmd(),
		a.auditRulesCmd(),
	// subcommands: one line per capability
	)
	return cmd
}

// detectionFlags are the rule flags of audit scan and audit serve.
func detectionFlags(f *pflag.FlagSet, o *app.DetectionOptions) {
	f.StringArrayVar(&o.RuleFiles, "rules", nil, "YAML file of more detection rules, same format as the built-in ones (repeatable)")
	f.StringSliceVar(&o.AllowCIDRs, "allow-cidrs", nil, "CIDRs requests are expected from; others alert (enables the rules that need it)")
	f.StringSliceVar(&o.PodCIDRs, "pod-cidrs", nil, "pod network CIDRs (ServiceAccount tokens used from elsewhere alert)")
	f.StringSliceVar(&o.NodeCIDRs, "node-cidrs", nil, "node network CIDRs")
	f.DurationVar(&o.Learn, "learn", 0, "learning period of the first-seen rules, from the first event they see (default: each rule's own, 24h for the built-in ones)")
}

// natsFlags are the credentials of a nats:// spool or stream.
func natsFlags(f *pflag.FlagSet, n *app.NATSCredentials) {
	f.StringVar(&n.CredsFile, "nats-creds", "", "NATS credentials file (JWT and NKey seed) for a nats:// spool")
	f.StringVar(&n.CAFile, "nats-ca", "", "CA bundle of a tls:// NATS server")
	f.StringVar(&n.CertFile, "nats-cert", "", "client certificate for the NATS server")
	f.StringVar(&n.KeyFile, "nats-key", "", "client key for the NATS server")
}
