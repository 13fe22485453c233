package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
	"github.com/apiguard/apiguard/internal/versions"
)

// now is the CLI's clock (tests pin it).
var now = time.Now

// addVersionsDataFlag adds --versions-data to a command that judges versions.
func addVersionsDataFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "versions-data", "", "versions data file (default: the local file written by 'apiguard versions update' when it is newer, else the embedded data)")
}

func (a *env) versionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "versions",
		Short: "Judge Kubernetes versions: support window, patch level, known kube-apiserver CVEs",
		Long: `Judge Kubernetes versions against apiguard's versions data: every minor from 1.24
with its release, maintenance and end-of-life dates and latest patch, the managed
support windows of EKS, GKE and AKS, and the CVEs that affect kube-apiserver with
their affected ranges and fixed versions. Upstream and vendor versions
(v1.29.3-eks-adc7111, 1.30.5-gke.1014001) are compared on X.Y.Z.

The data is embedded; 'apiguard versions update' refreshes the CVEs from the
official Kubernetes CVE feed into a local file that is used when newer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.versionsCheckCmd(), a.versionsUpdateCmd(), a.versionsListCmd())
	return cmd
}

func (a *env) versionsCheckCmd() *cobra.Command {
	var (
		o      app.VersionsCheckOptions
		format string
	)
	cmd := &cobra.Command{
		Use:   "check VERSION",
		Short: "Report a version's support window, patch lag and known CVEs",
		Long: `Report whether a Kubernetes version is on a supported minor, how many patch
releases it is behind, and which known kube-apiserver CVEs it carries.

On managed platforms (a -eks-/-gke. suffix, or --platform) the provider's
support window applies, and CVE matches are "potentially affected": providers
back-port fixes without changing the upstream patch number.

Exit codes: 0 supported and no known CVE, 1 end of life or a known CVE applies,
2 usage or input error.`,
		Example: `  apiguard versions check v1.29.3-eks-adc7111
  apiguard versions check 1.31.5 --platform aks -o json
  apiguard versions check v1.36.3 --now 2027-07-01`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			o.Version, o.Now = args[0], now()
			res, err := app.VersionsCheck(o)
			if err != nil {
				return err
			}
			if err := report.VersionsCheck(a.stdout, format, res.Assessment); err != nil {
				return err
			}
			if res.Failing {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&o.Platform, "platform", "", "managed platform whose support window applies: eks, gke or aks (default: from the version's suffix)")
	cmd.Flags().StringVar(&o.AsOf, "now", "", "evaluate as of this date, YYYY-MM-DD (default: today)")
	addVersionsDataFlag(cmd, &o.Data)
	return cmd
}

func (a *env) versionsListCmd() *cobra.Command {
	var (
		o      app.VersionsListOptions
		format string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the minors in the versions data with their support status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			o.Now = now()
			res, err := app.VersionsList(o)
			if err != nil {
				return err
			}
			return report.VersionsList(a.stdout, format, res.AsOf, res.Data, res.Describe, res.Minors)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&o.AsOf, "now", "", "evaluate as of this date, YYYY-MM-DD (default: today)")
	addVersionsDataFlag(cmd, &o.Data)
	return cmd
}

func (a *env) versionsUpdateCmd() *cobra.Command {
	var o app.VersionsUpdateOptions
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Refresh the CVE data from the official Kubernetes CVE feed into a local file",
		Long: `Read the official Kubernetes CVE feed (JSON Feed 1.1; a file or an http(s) URL) and
write a local versions data file: the embedded releases, the curated CVE table
(which overrides the feed: affected versions in the feed are free text), and every
feed CVE that names kube-apiserver, with the affected ranges read leniently.
CVEs whose versions could not be read are listed for a human to check.

The local file (--out, default <user config dir>/apiguard/kubernetes.yaml) is
used by scan and versions instead of the embedded data, section by section,
when it is newer.`,
		Example: `  apiguard versions update
  apiguard versions update --feed ./index.json --out ./kubernetes.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Now = now()
			res, err := app.VersionsUpdate(cmd.Context(), o)
			if err != nil {
				return err
			}
			return report.VersionsUpdate(a.stdout, res.UpdateResult, res.Out, res.CVEsAsOf)
		},
	}
	cmd.Flags().StringVar(&o.Feed, "feed", versions.OfficialFeedURL, "the CVE feed: a file or an http(s) URL")
	cmd.Flags().StringVar(&o.Out, "out", "", "the data file to write (default <user config dir>/apiguard/kubernetes.yaml)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 30*time.Second, "time limit for fetching a URL")
	return cmd
}
