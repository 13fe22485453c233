package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/inputs/live"
	"github.com/apiguard/apiguard/internal/inputs/offline"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/report"
	"github.com/apiguard/apiguard/internal/versions"
)

// inputFlags select what to scan; none means the current kubeconfig context.
type inputFlags struct {
	manifests  []string
	flagsFiles []string
	snapshot   string
	root       string
	k8sVersion string
	cloud      []string // --cloud: managed-cluster JSON or terraform plans (probe.go)
	rbac       []string // --rbac: kubectl dumps of the RBAC objects (authorization, admin power)
	// --no-builtin-roles: read RBAC dumps alone, without assuming
	// kube-apiserver's built-in roles and bindings they lack
	noBuiltinRoles bool
}

func (in *inputFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&in.manifests, "manifest", nil, "static pod manifest, workload YAML, kubectl -o yaml output or kubeadm ClusterConfiguration; a file or a directory (repeatable)")
	f.StringArrayVar(&in.flagsFiles, "flags-file", nil, "file holding a kube-apiserver argv: ps output, /proc/PID/cmdline, flags one or more a line, or a systemd unit's ExecStart (repeatable)")
	f.StringVar(&in.snapshot, "snapshot", "", "directory written by 'apiguard snapshot'")
	f.StringVar(&in.root, "root", "/", "directory that absolute paths named by flags (config files) are read under")
	f.StringVar(&in.k8sVersion, "k8s-version", "", "Kubernetes version whose flag defaults apply (default: the image tag or server version; else the newest known)")
	f.StringArrayVar(&in.rbac, "rbac", nil, "kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,namespaces,pods,nodes -A -o json output: a file or a directory; alone, only RBAC is assessed (repeatable)")
	f.BoolVar(&in.noBuiltinRoles, "no-builtin-roles", false, "read --rbac dumps (and a snapshot's rbac/ folder from files) alone: do not assume kube-apiserver's built-in roles and bindings they lack")
	f.StringArrayVar(&in.cloud, "cloud", nil, "managed-cluster JSON (aws eks describe-cluster, gcloud container clusters describe --format json, az aks show) or terraform show -json output; alone, only these files are scanned (repeatable)")
}

func (in *inputFlags) rbacOptions() rbac.FileOptions {
	return rbac.FileOptions{NoBuiltins: in.noBuiltinRoles}
}

func (in *inputFlags) offline() bool {
	return len(in.manifests) > 0 || len(in.flagsFiles) > 0 || in.snapshot != "" || len(in.rbac) > 0
}

// collected is a snapshot plus the raw manifests live collection saw.
type collected struct {
	snap      *inputs.Snapshot
	manifests map[string][]byte
}

func (a *env) collect(ctx context.Context, in inputFlags) (*collected, error) {
	if len(in.cloud) > 0 { // network exposure: --cloud files (probe.go)
		return a.collectWithCloud(ctx, in)
	}
	if in.snapshot != "" && (len(in.manifests) > 0 || len(in.flagsFiles) > 0) {
		return nil, usageErr("--snapshot cannot be combined with --manifest or --flags-file")
	}
	if in.k8sVersion != "" {
		if err := validVersion(in.k8sVersion); err != nil {
			return nil, usageErr("--k8s-version: %v", err)
		}
	}
	// A directory given to --manifest that holds a snapshot is a snapshot.
	if len(in.manifests) == 1 && len(in.flagsFiles) == 0 && offline.IsSnapshotDir(in.manifests[0]) {
		in.snapshot, in.manifests = in.manifests[0], nil
	}
	switch {
	case in.snapshot != "":
		s, err := offline.LoadSnapshotWith(in.snapshot, in.rbacOptions())
		if err != nil {
			return nil, inputErr(err)
		}
		if len(in.rbac) > 0 { // --rbac replaces the snapshot's own rbac/ folder
			if err := offline.LoadRBAC(s, in.rbac, in.rbacOptions()); err != nil {
				return nil, inputErr(err)
			}
		}
		if in.k8sVersion != "" {
			for _, x := range s.APIServers {
				x.Version = in.k8sVersion
			}
		}
		return &collected{snap: s}, nil
	case in.offline():
		s, err := offline.Load(offline.Options{Manifests: in.manifests, FlagsFiles: in.flagsFiles, Root: in.root, Version: in.k8sVersion, RBAC: in.rbac, RBACOptions: in.rbacOptions()})
		if err != nil {
			return nil, inputErr(err)
		}
		return &collected{snap: s}, nil
	}
	cfg, err := a.kube.ToRESTConfig()
	if err != nil {
		return nil, usageErr("no input: give --manifest, --flags-file or --snapshot, or a kubeconfig context (%v)", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, inputErr(err)
	}
	res, err := live.Collect(ctx, client, a.targetName(cfg.Host))
	if err != nil {
		return nil, inputErr(err)
	}
	res.Snapshot.Endpoint = a.probeEndpoint(ctx, cfg) // network exposure: anonymous probe of the server (probe.go)
	// authorization and admin power: the RBAC model, read-only
	var progress func(string, int)
	if isTerminal(a.stderr) { // progress on a terminal only; quiet when piped or in CI
		progress = func(resource string, n int) { fmt.Fprintf(a.stderr, "\r\033[Kreading %s: %d", resource, n) }
	}
	live.CollectRBAC(ctx, client, res.Snapshot, progress)
	if progress != nil {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if in.k8sVersion != "" {
		for _, x := range res.Snapshot.APIServers {
			x.Version = in.k8sVersion
		}
	}
	return &collected{snap: res.Snapshot, manifests: res.Manifests}, nil
}

// targetName is "context <name> (<server>)" for live scans.
func (a *env) targetName(host string) string {
	raw, err := a.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return host
	}
	ctx := raw.CurrentContext
	if a.kube.Context != nil && *a.kube.Context != "" {
		ctx = *a.kube.Context
	}
	if ctx == "" {
		return host
	}
	return fmt.Sprintf("context %s (%s)", ctx, host)
}

func (a *env) scanCmd() *cobra.Command {
	var (
		in           inputFlags
		format       string
		failOn       string
		showPassed   bool
		versionsData string // patching: --versions-data (versions.go)
		benchmark    string
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
			threshold, never, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			if err := checkFormat(format, report.Formats()...); err != nil {
				return err
			}
			bench, err := parseBenchmark(benchmark)
			if err != nil {
				return err
			}
			c, err := a.collect(cmd.Context(), in)
			if err != nil {
				return err
			}
			c.snap.Benchmark = string(bench)
			if err := a.prepareVersions(cmd, c.snap, versionsData); err != nil { // patching: clock and versions data (versions.go)
				return err
			}
			a.printProblems(c.snap)
			ran := check.Select(checks.All(), c.snap)
			findings := check.Run(cmd.Context(), ran, c.snap)
			if err := cmd.Context().Err(); err != nil {
				return err // interrupted: the findings are incomplete
			}
			r := report.New("apiguard", Version, c.snap.Target, metadataOf(ran), findings, c.snap.Problems)
			r.Benchmark = bench
			if err := report.Render(a.stdout, format, r, report.Options{Color: format == "table" && useColor(a.stdout), ShowPassed: showPassed}); err != nil {
				return err
			}
			if !never && check.FailsAt(findings, threshold) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	in.add(cmd)
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", "))
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a failing finding is at or above this severity (info, low, medium, high, critical, or none)")
	cmd.Flags().BoolVar(&showPassed, "show-passed", false, "list passing and not-applicable results too (table and markdown)")
	addBenchmarkFlag(cmd, &benchmark)
	addVersionsDataFlag(cmd, &versionsData) // patching (versions.go)
	a.kubeFlags(cmd)
	return cmd
}

func (a *env) printProblems(s *inputs.Snapshot) {
	for _, p := range s.Problems {
		fmt.Fprintln(a.stderr, "apiguard: warning: "+p.String())
	}
}

// addBenchmarkFlag adds --benchmark to the commands that run checks.
func addBenchmarkFlag(cmd *cobra.Command, v *string) {
	names := make([]string, len(check.Benchmarks))
	for i, b := range check.Benchmarks {
		names[i] = string(b)
	}
	cmd.Flags().StringVar(v, "benchmark", string(check.DefaultBenchmark), "CIS Kubernetes Benchmark version to follow where versions differ ("+
		strings.Join(names, ", ")+"; e.g. the 1.2.29 cipher allowlist)")
}

func parseBenchmark(v string) (check.Benchmark, error) {
	b, err := check.ParseBenchmark(v)
	if err != nil {
		return "", usageErr("--benchmark: %v", err)
	}
	return b, nil
}

func parseFailOn(v string) (check.Severity, bool, error) {
	if strings.EqualFold(v, "none") || strings.EqualFold(v, "never") {
		return 0, true, nil
	}
	s, err := check.ParseSeverity(v)
	if err != nil {
		return 0, false, usageErr("--fail-on: %v", err)
	}
	return s, false, nil
}

func metadataOf(cs []check.Check) []check.Metadata {
	out := make([]check.Metadata, len(cs))
	for i, c := range cs {
		out[i] = c.Metadata
	}
	return out
}

func validVersion(v string) error {
	_, err := versions.Parse(v)
	return err
}
