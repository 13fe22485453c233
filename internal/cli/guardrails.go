package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) guardrailsCmd() *cobra.Command {
	var (
		o      app.GuardrailsOptions
		from   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "guardrails [--from DUMP] [--admins SUBJECT,...] [--action audit|warn|deny] [-o yaml|json]",
		Short: "Admission policies that block the escalations apiguard finds (ValidatingAdmissionPolicy, no webhook)",
		Long: `Print ValidatingAdmissionPolicies and their bindings (CEL, evaluated inside
kube-apiserver: no webhook to run) that block, for everyone but the cluster's
admins and the control plane:

  - bindings to cluster-admin or to any role holding escalate, bind,
    impersonate or a wildcard (the roles are read from the RBAC model);
  - roles gaining escalate, bind, impersonate or wildcards, and ClusterRoles
    reading Secrets;
  - privileged, hostPath and hostPID/hostIPC/hostNetwork pods, workload
    templates and ephemeral containers in kube-system, kube-public and
    kube-node-lease;
  - legacy ServiceAccount token Secrets;
  - approvals of client certificate requests;
  - changes to admission webhook configurations;
  - namespace labels that set Pod Security to privileged or weaken it.

Admins are the subjects apiguard finds holding cluster-admin power in the RBAC
model (--from dumps, or the cluster) plus --admins (user:NAME, group:NAME,
sa:NAMESPACE/NAME); system:masters and kube-controller-manager's identities
are always exempt. Each policy names the checks it enforces (annotation
apiguard.dev/enforces) and tells a denied user why.

Roll out in stages: --action audit (default: audit annotations only), warn,
deny. 'apiguard guardrails test --audit LOG' shows what would have been denied.
kube-apiserver does not apply policies created through the API to policies
and bindings: --static-dir DIR writes the static policy that guards the
guardrails (loaded from a manifest directory, Kubernetes 1.36 with the feature
gate ManifestBasedAdmissionControlConfig); without it, who may change them is
RBAC's (AG-AUTHZ-021).

` + rbacInputHelp,
		Example: `  apiguard guardrails --from dump.yaml --admins group:platform-admins > guardrails.yaml
  apiguard guardrails test --audit /var/log/kubernetes/audit/ --policies guardrails.yaml
  apiguard guardrails --from dump.yaml --action deny | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "yaml", "json"); err != nil {
				return err
			}
			o.RBAC = a.rbacInput(from)
			res, err := app.Guardrails(cmd.Context(), o)
			if err != nil {
				return err
			}
			for _, f := range res.Found {
				a.rbacNote("exempt as a holder of cluster-admin power: " + f.Subject.String())
			}
			if res.StaticFile != "" {
				a.rbacNote("wrote " + res.StaticFile + ": the static policy that keeps the guardrails from being changed by anyone but the admins. " +
					"kube-apiserver loads it with --feature-gates=ManifestBasedAdmissionControlConfig=true (Kubernetes 1.36, alpha) and this in --admission-control-config-file:\n" + res.AdmissionConfig)
			}
			var objs []any
			for _, p := range res.Set.Policies {
				objs = append(objs, p)
			}
			for _, b := range res.Set.Bindings {
				objs = append(objs, b)
			}
			if format == "json" {
				return report.WriteJSON(a.stdout, map[string]any{"apiVersion": "v1", "kind": "List", "items": objs})
			}
			for i, obj := range objs {
				b, err := yaml.Marshal(obj)
				if err != nil {
					return err
				}
				if i > 0 {
					fmt.Fprintln(a.stdout, "---")
				}
				if _, err := a.stdout.Write(b); err != nil {
					return err
				}
			}
			return nil
		},
	}
	guardrailsFlags(cmd, &o, &from)
	cmd.Flags().StringVar(&o.StaticDir, "static-dir", "", "also write the static (manifest-based) policy that guards the guardrails themselves to this absolute directory, for kube-apiserver's staticManifestsDir")
	rbacOutputFlag(cmd, &format, "yaml", "json")
	a.kubeFlags(cmd)
	cmd.AddCommand(a.guardrailsTestCmd())
	return cmd
}

func guardrailsFlags(cmd *cobra.Command, o *app.GuardrailsOptions, from *[]string) {
	f := cmd.Flags()
	f.StringArrayVar(from, "from", nil, "kubectl dumps of the RBAC objects (files or directories); without it, the cluster is read")
	f.BoolVar(&o.NoRBAC, "no-rbac", false, "read no RBAC model: exempt only --admins, block bindings to cluster-admin only")
	f.StringSliceVar(&o.Admins, "admins", nil, "subjects exempt from the guardrails, comma separated: user:NAME, group:NAME, sa:NAMESPACE/NAME")
	f.StringVar(&o.Action, "action", "audit", "what the bindings do: audit (record), warn (and warn the client), deny (refuse)")
}

func (a *env) guardrailsTestCmd() *cobra.Command {
	var (
		o      app.GuardrailsTestOptions
		from   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "test --audit LOG [--audit LOG...] [--policies FILE]",
		Short: "Replay logged write requests through the guardrails: what would have been denied",
		Long: `Replay every write request of the audit logs that carries its object (the
request body of a create or update, the response body of a patch: the Request
or RequestResponse level) through the policies, with kube-apiserver's own
validating admission policy evaluator, and list every request that would have
been denied: when, by whom, which policy and its message. Requests logged
without their object cannot be judged and are counted.

--policies reads a file of policies (apiguard guardrails output, or your
edit of it); without it, the policies apiguard guardrails would print with the
same flags are replayed.

` + auditLogsHelp,
		Example: `  apiguard guardrails test --audit /var/log/kubernetes/audit/ --policies guardrails.yaml
  apiguard guardrails test --audit audit.log --from dump.yaml --admins group:platform-admins -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			o.Generated.RBAC = a.rbacInput(from)
			res, err := app.GuardrailsTest(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				return report.WriteJSON(a.stdout, res)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d write requests: %d judged, %d logged without their object (not judged)\n", res.Stats.Writes, res.Stats.Judged, res.Stats.Skipped)
			fmt.Fprintf(&b, "%d would have been denied:\n", len(res.Denials))
			for _, d := range res.Denials {
				b.WriteString("  " + d.String() + "\n")
			}
			if len(res.Undetermined) > 0 {
				fmt.Fprintf(&b, "%d allowed on what the log holds, but the policy also reads the object before the update, which audit logs do not hold:\n", len(res.Undetermined))
				for _, d := range res.Undetermined {
					b.WriteString("  " + d.String() + "\n")
				}
			}
			if res.BadLines > 0 {
				fmt.Fprintf(&b, "%d audit lines did not decode\n", res.BadLines)
			}
			_, err = a.stdout.Write([]byte(b.String()))
			return err
		},
	}
	cmd.Flags().StringArrayVar(&o.Audit, "audit", nil, "audit log: a file, .gz, a directory of rotated logs, or - (repeatable)")
	cmd.Flags().StringVar(&o.Policies, "policies", "", "YAML of ValidatingAdmissionPolicies to replay (default: generate them with the flags below)")
	guardrailsFlags(cmd, &o.Generated, &from)
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return cmd
}
