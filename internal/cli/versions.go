package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/report"
	"github.com/apiguard/apiguard/internal/versions"
)

// now is the CLI's clock (tests pin it).
var now = time.Now

// addVersionsDataFlag adds --versions-data to a command that judges versions.
func addVersionsDataFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "versions-data", "", "versions data file (default: the local file written by 'apiguard versions update' when it is newer, else the embedded data)")
}

// prepareVersions gives the scan its clock and versions data: the
// snapshot's collection time (now, when the input has none) and the data
// file, carried to the checks in the context.
func (a *env) prepareVersions(cmd *cobra.Command, s *inputs.Snapshot, path string) error {
	d, err := versions.Load(path)
	if err != nil {
		return inputErr(fmt.Errorf("--versions-data: %w", err))
	}
	if s.CollectedAt.IsZero() {
		s.CollectedAt = now().UTC().Truncate(time.Second)
	}
	cmd.SetContext(versions.WithData(cmd.Context(), d))
	return nil
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

// evalDate parses --now, or returns the clock.
func evalDate(s string) (time.Time, error) {
	if s == "" {
		return now(), nil
	}
	d, err := versions.ParseDate(s)
	if err != nil {
		return time.Time{}, usageErr("--now: %v", err)
	}
	return d.Time, nil
}

func (a *env) versionsCheckCmd() *cobra.Command {
	var (
		format, platform, at, dataPath string
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
			v, err := versions.Parse(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			platform = strings.ToLower(platform)
			if platform != "" && versions.PlatformName(platform) == "" {
				return usageErr("--platform %q: want eks, gke or aks", platform)
			}
			t, err := evalDate(at)
			if err != nil {
				return err
			}
			d, err := versions.Load(dataPath)
			if err != nil {
				return inputErr(fmt.Errorf("--versions-data: %w", err))
			}
			as := d.Assess(v, platform, t)
			if format == "json" {
				b, _ := json.MarshalIndent(as, "", "  ")
				fmt.Fprintln(a.stdout, string(b))
			} else {
				printAssessment(a.stdout, as)
			}
			if as.Support.Unsupported() || len(as.CVEs) > 0 {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&platform, "platform", "", "managed platform whose support window applies: eks, gke or aks (default: from the version's suffix)")
	cmd.Flags().StringVar(&at, "now", "", "evaluate as of this date, YYYY-MM-DD (default: today)")
	addVersionsDataFlag(cmd, &dataPath)
	return cmd
}

var supportWords = map[versions.Support]string{
	versions.Supported:       "supported",
	versions.Maintenance:     "maintenance mode",
	versions.ExtendedSupport: "extended support",
	versions.EndOfLife:       "END OF LIFE",
	versions.OlderThanData:   "END OF LIFE",
	versions.NewerThanData:   "unknown (newer than the data)",
	versions.Prerelease:      "pre-release",
}

func printAssessment(w io.Writer, as versions.Assessment) {
	head := "Kubernetes " + as.Input
	var notes []string
	if as.Input != as.Version {
		notes = append(notes, "upstream "+as.Version)
	}
	if n := versions.PlatformName(as.Platform); n != "" {
		notes = append(notes, n)
	}
	if len(notes) > 0 {
		head += " (" + strings.Join(notes, ", ") + ")"
	}
	fmt.Fprintf(w, "%s, as of %s\n", head, as.AsOf)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  support:\t%s: %s\n", supportWords[as.Support], as.SupportDetail)
	switch {
	case !as.PatchKnown:
		fmt.Fprintf(tw, "  patch:\tunknown (no patch number; latest of %s is %s)\n", as.Minor, report.Dash(as.LatestPatch))
	case as.LatestPatch == "":
		fmt.Fprintf(tw, "  patch:\tunknown (no patch releases of %s in the data)\n", as.Minor)
	case as.PatchesBehind > 0:
		fmt.Fprintf(tw, "  patch:\t%d patch release(s) behind %s (%s)\n", as.PatchesBehind, as.LatestPatch, as.LatestDate)
	case as.NewerPatch:
		fmt.Fprintf(tw, "  patch:\tnewer than %s, the latest in the data\n", as.LatestPatch)
	default:
		fmt.Fprintf(tw, "  patch:\tlatest (%s)\n", as.LatestPatch)
	}
	switch {
	case !as.PatchKnown:
		fmt.Fprintf(tw, "  CVEs:\tunknown without a patch number\n")
	case len(as.CVEs) == 0:
		fmt.Fprintf(tw, "  CVEs:\tnone known (CVEs as of %s)\n", as.Data.CVEsAsOf)
	default:
		word := "known"
		if as.BackportCaveat {
			word = "potentially affected"
		}
		fmt.Fprintf(tw, "  CVEs:\t%d %s\n", len(as.CVEs), word)
	}
	tw.Flush()
	for _, c := range as.CVEs {
		fix := "no fix on this minor"
		if c.FixedIn != "" {
			fix = "fixed in " + c.FixedIn
		}
		cv := ""
		if c.CVSS > 0 {
			cv = fmt.Sprintf(" %.1f", c.CVSS)
		}
		fmt.Fprintf(w, "    %s  %s%s  affected %s, %s: %s\n", c.ID, c.Severity, cv, c.Range, fix, c.Title)
		if c.Condition != "" {
			fmt.Fprintf(w, "      only when: %s\n", c.Condition)
		}
		fmt.Fprintf(w, "      %s\n", c.URL)
	}
	if as.BackportCaveat && len(as.CVEs) > 0 {
		fmt.Fprintf(w, "  note: %s may have back-ported these fixes without changing the upstream patch number: check its security bulletins\n", versions.PlatformName(as.Platform))
	}
	if len(as.Unfixed) > 0 {
		var ids []string
		for _, c := range as.Unfixed {
			ids = append(ids, c.ID)
		}
		fmt.Fprintf(w, "  no fix exists (mitigations only): %s\n", strings.Join(ids, ", "))
	}
	if len(as.Unparsed) > 0 {
		fmt.Fprintf(w, "  check by hand (affected versions not machine-readable): %s\n", strings.Join(as.Unparsed, ", "))
	}
	fmt.Fprintf(w, "  data: %s (%s)\n", dataLine(as.Data), as.Data.Age)
}

func dataLine(d versions.DataInfo) string {
	return fmt.Sprintf("%s; releases as of %s, CVEs as of %s", d.Origin, d.ReleasesAsOf, d.CVEsAsOf)
}

func (a *env) versionsListCmd() *cobra.Command {
	var format, at, dataPath string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the minors in the versions data with their support status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			t, err := evalDate(at)
			if err != nil {
				return err
			}
			d, err := versions.Load(dataPath)
			if err != nil {
				return inputErr(fmt.Errorf("--versions-data: %w", err))
			}
			type row struct {
				versions.Minor
				Support versions.Support `json:"support"`
			}
			var rows []row
			for _, m := range d.Releases.Minors {
				as := d.Assess(versions.MustParse(m.Minor), "", t)
				rows = append(rows, row{Minor: m, Support: as.Support})
			}
			if format == "json" {
				b, _ := json.MarshalIndent(map[string]any{"asOf": versions.DateOf(t), "data": versions.DataInfo{Origin: d.Origin, ReleasesAsOf: d.Releases.AsOf, CVEsAsOf: d.CVEs.AsOf, Age: d.Age(t)}, "minors": rows}, "", "  ")
				fmt.Fprintln(a.stdout, string(b))
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "MINOR\tRELEASED\tMAINTENANCE\tEND OF LIFE\tLATEST\tSTATUS")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t%s\n", r.Minor.Minor, r.Released, report.Dash(r.Maintenance.String()), r.EndOfLife, r.Latest, r.LatestDate, supportWords[r.Support])
			}
			tw.Flush()
			fmt.Fprintf(a.stdout, "as of %s; data: %s (%s)\n", versions.DateOf(t), d.Describe(), d.Age(t))
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&at, "now", "", "evaluate as of this date, YYYY-MM-DD (default: today)")
	addVersionsDataFlag(cmd, &dataPath)
	return cmd
}

func (a *env) versionsUpdateCmd() *cobra.Command {
	var (
		feed, out string
		timeout   time.Duration
	)
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
			if out == "" {
				p, err := versions.DefaultLocalPath()
				if err != nil {
					return usageErr("--out: %v", err)
				}
				out = p
			}
			b, err := versions.Fetch(cmd.Context(), feed, timeout, versions.MaxDataSize)
			if err != nil {
				return inputErr(fmt.Errorf("--feed: %w", err))
			}
			f, err := versions.ParseFeed(feed, b)
			if err != nil {
				return inputErr(err)
			}
			d, res := versions.Update(versions.Embedded(), f, feed, now())
			data, err := d.Encode()
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, data); err != nil {
				return inputErr(fmt.Errorf("--out: %w", err))
			}
			fmt.Fprintf(a.stdout, "read %d feed items: %d concern kube-apiserver (%d in the curated table, %d added), %d other components\n",
				res.Items, res.APIServer, len(res.Curated), len(res.Added), res.Skipped)
			if len(res.Added) > 0 {
				fmt.Fprintf(a.stdout, "added: %s\n", strings.Join(res.Added, ", "))
			}
			if len(res.Unparsed) > 0 {
				fmt.Fprintf(a.stdout, "check by hand (affected versions not machine-readable): %s\n", strings.Join(res.Unparsed, ", "))
			}
			fmt.Fprintf(a.stdout, "wrote %s (CVEs as of %s)\n", out, d.CVEs.AsOf)
			return nil
		},
	}
	cmd.Flags().StringVar(&feed, "feed", versions.OfficialFeedURL, "the CVE feed: a file or an http(s) URL")
	cmd.Flags().StringVar(&out, "out", "", "the data file to write (default <user config dir>/apiguard/kubernetes.yaml)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "time limit for fetching a URL")
	return cmd
}

// writeFileAtomic writes through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".apiguard-versions-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
