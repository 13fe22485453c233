package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/apiguard/apiguard/internal/versions"
)

var supportWords = map[versions.Support]string{
	versions.Supported:       "supported",
	versions.Maintenance:     "maintenance mode",
	versions.ExtendedSupport: "extended support",
	versions.EndOfLife:       "END OF LIFE",
	versions.OlderThanData:   "END OF LIFE",
	versions.NewerThanData:   "unknown (newer than the data)",
	versions.Prerelease:      "pre-release",
}

// VersionsCheck writes apiguard versions check's answer: table or json.
func VersionsCheck(w io.Writer, format string, as versions.Assessment) error {
	return document(w, format, as, func(b *bytes.Buffer) { assessmentText(b, as) })
}

func assessmentText(w *bytes.Buffer, as versions.Assessment) {
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
		fmt.Fprintf(tw, "  patch:\tunknown (no patch number; latest of %s is %s)\n", as.Minor, Dash(as.LatestPatch))
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
	d := as.Data
	fmt.Fprintf(w, "  data: %s; releases as of %s, CVEs as of %s (%s)\n", d.Origin, d.ReleasesAsOf, d.CVEsAsOf, d.Age)
}

// VersionsList writes apiguard versions list's answer: every minor of the
// data with its support status as of asOf; describe names the data
// (versions.Data.Describe).
func VersionsList(w io.Writer, format string, asOf versions.Date, data versions.DataInfo, describe string, minors []versions.MinorStatus) error {
	doc := struct {
		AsOf   versions.Date          `json:"asOf"`
		Data   versions.DataInfo      `json:"data"`
		Minors []versions.MinorStatus `json:"minors"`
	}{asOf, data, minors}
	return document(w, format, doc, func(b *bytes.Buffer) {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MINOR\tRELEASED\tMAINTENANCE\tEND OF LIFE\tLATEST\tSTATUS")
		for _, r := range minors {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t%s\n", r.Minor.Minor, r.Released, Dash(r.Maintenance.String()), r.EndOfLife, r.Latest, r.LatestDate, supportWords[r.Support])
		}
		tw.Flush()
		fmt.Fprintf(b, "as of %s; data: %s (%s)\n", asOf, describe, data.Age)
	})
}

// VersionsUpdate writes what apiguard versions update read and wrote.
func VersionsUpdate(w io.Writer, res versions.UpdateResult, out string, cvesAsOf versions.Date) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "read %d feed items: %d concern kube-apiserver (%d in the curated table, %d added), %d other components\n",
		res.Items, res.APIServer, len(res.Curated), len(res.Added), res.Skipped)
	if len(res.Added) > 0 {
		fmt.Fprintf(&b, "added: %s\n", strings.Join(res.Added, ", "))
	}
	if len(res.Unparsed) > 0 {
		fmt.Fprintf(&b, "check by hand (affected versions not machine-readable): %s\n", strings.Join(res.Unparsed, ", "))
	}
	fmt.Fprintf(&b, "wrote %s (CVEs as of %s)\n", out, cvesAsOf)
	_, err := w.Write(b.Bytes())
	return err
}
