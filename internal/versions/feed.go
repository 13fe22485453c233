package versions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// OfficialFeedURL is the official Kubernetes CVE feed (JSON Feed 1.1).
const OfficialFeedURL = "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json"

// Feed is the official Kubernetes CVE feed: JSON Feed 1.1 with a
// "_kubernetes_io" extension. Affected and fixed versions exist only as
// free text in each item's content_text (the announcement issue's body).
type Feed struct {
	Version      string     `json:"version"`
	Title        string     `json:"title"`
	FeedURL      string     `json:"feed_url"`
	KubernetesIO *feedExt   `json:"_kubernetes_io"`
	Items        []FeedItem `json:"items"`
}

type feedExt struct {
	UpdatedAt string `json:"updated_at"`
}

// FeedItem is one CVE of the feed; an issue with several CVEs gives one
// item per CVE, sharing url and content_text.
type FeedItem struct {
	ID            *string `json:"id"`
	URL           string  `json:"url"`
	ExternalURL   string  `json:"external_url"`
	Summary       string  `json:"summary"`
	ContentText   string  `json:"content_text"`
	DatePublished string  `json:"date_published"`
	Status        string  `json:"status"`
}

// ParseFeed decodes the feed. It is strict about the envelope (a JSON Feed
// 1.x document with items) and lenient about items.
func ParseFeed(src string, b []byte) (*Feed, error) {
	if len(b) > MaxDataSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", src, MaxDataSize)
	}
	var f Feed
	if err := json.Unmarshal(b, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(b[:min(int(se.Offset), len(b))]), "\n")
			return nil, fmt.Errorf("%s:%d: not JSON: %v", src, line, err)
		}
		return nil, fmt.Errorf("%s: not the Kubernetes CVE feed: %v", src, err)
	}
	if !strings.HasPrefix(f.Version, "https://jsonfeed.org/version/1") {
		return nil, fmt.Errorf("%s: version: %q, want a JSON Feed (https://jsonfeed.org/version/1.1) such as %s", src, f.Version, OfficialFeedURL)
	}
	if f.Items == nil {
		return nil, fmt.Errorf("%s: items: missing", src)
	}
	return &f, nil
}

// UpdatedAt is the feed's refresh time, when it says.
func (f *Feed) UpdatedAt() (Date, bool) {
	if f.KubernetesIO == nil || f.KubernetesIO.UpdatedAt == "" {
		return Date{}, false
	}
	d, err := ParseDate(f.KubernetesIO.UpdatedAt)
	return d, err == nil
}

// FeedCVE is what the lenient parser read from one item.
type FeedCVE struct {
	ID string
	// APIServer: the item concerns kube-apiserver.
	APIServer bool
	CVE       CVE
}

var (
	cveIDRE   = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	verTokRE  = regexp.MustCompile(`v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?`)
	cvssVecRE = regexp.MustCompile(`CVSS:3\.[01]/[A-Z]{1,3}:[A-Z](?:/[A-Z]{1,3}:[A-Z])*`)
	cvssSevRE = regexp.MustCompile(`(?i)\*{0,2}\b(none|low|medium|high|critical)\b\*{0,2}\s*\(\s*(\d{1,2}(?:\.\d)?)\s*\)`)
	cvssWord  = regexp.MustCompile(`(?i)cvss[^\n]*?\((none|low|medium|high|critical)\)`)
)

// components the announcements name in their version lists.
var otherComponents = []string{"kubelet", "kube-proxy", "kube-controller-manager", "kube-scheduler", "kubectl",
	"ingress-nginx", "csi", "secrets-store", "image-builder", "kubeadm", "kube-aggregator", "client", "minikube"}

// ParseFeedItem reads an item leniently: which component it concerns, the
// affected ranges and fixed versions of kube-apiserver, and the CVSS.
func ParseFeedItem(it FeedItem) (FeedCVE, bool) {
	if it.ID == nil || !cveIDRE.MatchString(strings.TrimSpace(*it.ID)) {
		return FeedCVE{}, false
	}
	id := strings.TrimSpace(*it.ID)
	text := strings.ReplaceAll(it.ContentText, "\r\n", "\n")
	out := FeedCVE{ID: id, CVE: CVE{ID: id, Title: strings.TrimSpace(it.Summary), URL: it.URL, Origin: "feed"}}
	if d, err := ParseDate(it.DatePublished); err == nil {
		out.CVE.Published = d
	}
	out.CVE.Vector = cvssVecRE.FindString(text)
	if m := cvssSevRE.FindStringSubmatch(text); m != nil {
		out.CVE.Severity = strings.ToLower(m[1])
		out.CVE.CVSS, _ = strconv.ParseFloat(m[2], 64)
	} else if m := cvssWord.FindStringSubmatch(text); m != nil {
		out.CVE.Severity = strings.ToLower(m[1])
	}
	if out.CVE.Severity == "none" || out.CVE.Severity == "" {
		out.CVE.Severity = "medium"
	}
	affected := section(text, "affected version")
	fixed := section(text, "fixed version")
	lower := strings.ToLower(text + "\n" + it.Summary)
	apiLines := componentLines(affected, true)
	switch {
	case len(apiLines) > 0:
		out.APIServer = true
	case len(componentLines(affected, false)) > 0:
		return out, true // the version lists name other components only
	case mentionsAPIServer(strings.ToLower(it.Summary)) || (mentionsAPIServer(lower) && !mentionsOther(lower)):
		out.APIServer = true
		apiLines = versionLines(affected)
	default:
		return out, true
	}
	for _, l := range apiLines {
		if r, ok := rangeFromLine(l); ok {
			out.CVE.Affected = append(out.CVE.Affected, r)
		}
	}
	for _, l := range versionLines(fixed) {
		if mentionsOther(strings.ToLower(l)) && !mentionsAPIServer(strings.ToLower(l)) {
			continue
		}
		for _, m := range verTokRE.FindAllStringSubmatch(l, -1) {
			if m[3] != "" {
				out.CVE.Fixed = append(out.CVE.Fixed, m[1]+"."+m[2]+"."+m[3])
			}
		}
	}
	out.CVE.Fixed = dedupe(out.CVE.Fixed)
	if len(out.CVE.Affected) == 0 {
		var lines []string
		for _, l := range affected {
			if l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "-*")); l != "" {
				lines = append(lines, l)
			}
		}
		u := strings.TrimSpace(strings.Join(lines, "; "))
		if u == "" {
			u = "no \"Affected Versions\" list"
		}
		out.CVE.Unparsed = truncate(u, 300)
	}
	return out, true
}

func mentionsAPIServer(s string) bool {
	return strings.Contains(s, "kube-apiserver") || strings.Contains(s, "api server") || strings.Contains(s, "apiserver")
}

func mentionsOther(s string) bool {
	for _, c := range otherComponents {
		if strings.Contains(s, c) {
			return true
		}
	}
	return false
}

// isHeading: "#### Affected Versions", "**Affected versions:**", or a short
// line ending in a colon without a version in it.
func isHeading(l string) bool {
	t := strings.TrimSpace(l)
	switch {
	case strings.HasPrefix(t, "#"):
		return true
	case strings.HasPrefix(t, "**") && strings.HasSuffix(strings.TrimRight(t, ": "), "**"):
		return true
	case strings.HasSuffix(t, ":") && len(t) < 60 && !verTokRE.MatchString(t):
		return true
	}
	return false
}

// section returns the lines after the heading containing name, up to the
// next heading. "Affected versions: <= v1.2.3" on one line counts too.
func section(text, name string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		low := strings.ToLower(strings.TrimLeft(strings.TrimSpace(l), "#*- "))
		if strings.HasPrefix(low, name) {
			in = true
			if _, rest, ok := strings.Cut(l, ":"); ok && verTokRE.MatchString(rest) {
				out = append(out, rest)
			}
			continue
		}
		if in && isHeading(l) {
			break
		}
		if in {
			out = append(out, l)
		}
	}
	return out
}

func versionLines(ls []string) []string {
	var out []string
	for _, l := range ls {
		if verTokRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// componentLines returns the version lines naming kube-apiserver (api true)
// or naming any other component (api false).
func componentLines(ls []string, api bool) []string {
	var out []string
	for _, l := range versionLines(ls) {
		low := strings.ToLower(l)
		if api && mentionsAPIServer(low) || !api && mentionsOther(low) && !mentionsAPIServer(low) {
			out = append(out, l)
		}
	}
	return out
}

// rangeFromLine reads "kube-apiserver v1.32.0 - v1.32.5", "<= v1.21.14",
// "< v1.15.10", "prior to v1.2.3", "v1.1-1.14", "v1.21.0" as a Range string.
func rangeFromLine(l string) (string, bool) {
	low := strings.ToLower(l)
	if i := strings.Index(low, "resolved in"); i >= 0 { // "<= v1.15.9, resolved in 1.15.10 by ..."
		low, l = low[:i], l[:i]
	}
	if i := strings.Index(low, "fixed in"); i >= 0 {
		low, l = low[:i], l[:i]
	}
	locs := verTokRE.FindAllStringSubmatchIndex(l, -1)
	if len(locs) == 0 {
		return "", false
	}
	tok := func(i int) (Version, bool) {
		m := locs[i]
		maj, _ := strconv.Atoi(l[m[2]:m[3]])
		mi, _ := strconv.Atoi(l[m[4]:m[5]])
		v := Version{Major: maj, Minor: mi}
		if m[6] >= 0 {
			v.Patch, _ = strconv.Atoi(l[m[6]:m[7]])
			v.HasPatch = true
		}
		return v, v.Major == 1
	}
	first, ok := tok(0)
	if !ok {
		return "", false
	}
	before := strings.TrimSpace(low[:locs[0][0]])
	lowerBound := func(v Version) string { return ">=" + num(v) }
	upperIncl := func(v Version) string {
		if !v.HasPatch {
			return "<" + fmt.Sprintf("%d.%d.0", v.Major, v.Minor+1)
		}
		return "<=" + num(v)
	}
	if len(locs) >= 2 {
		between := strings.TrimSpace(low[locs[0][1]:locs[1][0]])
		switch between {
		case "-", "–", "—", "to", "through", "thru", "until":
			second, ok := tok(1)
			if !ok || second.Compare(first) < 0 {
				return "", false
			}
			return lowerBound(first) + "," + upperIncl(second), true
		}
	}
	switch {
	case strings.HasSuffix(before, "<=") || strings.HasSuffix(before, "≤"):
		return upperIncl(first), true
	case strings.HasSuffix(before, "<") || strings.HasSuffix(before, "prior to") || strings.HasSuffix(before, "before") ||
		strings.HasSuffix(before, "earlier than") || strings.HasSuffix(before, "older than"):
		if !first.HasPatch {
			return fmt.Sprintf("<%d.%d.0", first.Major, first.Minor), true
		}
		return "<" + num(first), true
	case strings.HasSuffix(before, ">="), strings.HasSuffix(before, "≥"):
		return lowerBound(first), true
	case strings.HasSuffix(before, ">"):
		return ">" + num(first), true
	}
	after := strings.TrimSpace(low[locs[0][1]:])
	if strings.HasPrefix(after, "and later") || strings.HasPrefix(after, "and above") || strings.HasPrefix(after, "and newer") || strings.HasPrefix(after, "+") {
		return lowerBound(first), true
	}
	if strings.HasPrefix(after, "and earlier") || strings.HasPrefix(after, "and below") || strings.HasPrefix(after, "and older") {
		return upperIncl(first), true
	}
	if !first.HasPatch {
		return fmt.Sprintf(">=%d.%d.0,<%d.%d.0", first.Major, first.Minor, first.Major, first.Minor+1), true
	}
	return "=" + num(first), true
}

func num(v Version) string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// UpdateResult says what an update did.
type UpdateResult struct {
	Items     int      `json:"items"`
	APIServer int      `json:"apiServerCVEs"`
	Added     []string `json:"added"`
	Curated   []string `json:"curated"`
	Unparsed  []string `json:"unparsed"`
	Skipped   int      `json:"otherComponents"`
	Invalid   []string `json:"invalid,omitempty"`
}

// Update builds a data file from base (releases and the curated CVE table)
// and the feed: curated entries override the feed (the feed's free text is
// only a fallback); feed items that concern kube-apiserver and are not
// curated are added with the ranges the lenient parser read.
func Update(base *Data, f *Feed, src string, now time.Time) (*Data, UpdateResult) {
	out := &Data{Date: DateOf(now), Releases: base.Releases}
	asOf := DateOf(now)
	if d, ok := f.UpdatedAt(); ok {
		asOf = d
	}
	out.CVEs.AsOf = asOf
	out.CVEs.Sources = append([]string{fmt.Sprintf("official Kubernetes CVE feed %s (updated %s, read %s) for CVEs not in the curated table", src, asOf, DateOf(now))}, base.CVEs.Sources...)
	res := UpdateResult{Items: len(f.Items)}
	curated := map[string]int{}
	for _, c := range base.CVEs.Items {
		if c.Origin == "feed" {
			continue // a previous update's parse: re-read from this feed
		}
		c.Origin = "curated"
		curated[c.ID] = len(out.CVEs.Items)
		out.CVEs.Items = append(out.CVEs.Items, c)
	}
	seen := map[string]bool{}
	for _, it := range f.Items {
		fc, ok := ParseFeedItem(it)
		if !ok {
			if it.ID != nil && *it.ID != "" {
				res.Invalid = append(res.Invalid, truncate(*it.ID, 40))
			}
			continue
		}
		if seen[fc.ID] {
			continue
		}
		seen[fc.ID] = true
		if i, ok := curated[fc.ID]; ok {
			c := &out.CVEs.Items[i]
			if c.URL == "" && strings.HasPrefix(fc.CVE.URL, "https://") {
				c.URL = fc.CVE.URL
			}
			if c.Published.IsZero() {
				c.Published = fc.CVE.Published
			}
			res.Curated = append(res.Curated, fc.ID)
			res.APIServer++
			continue
		}
		if !fc.APIServer {
			res.Skipped++
			continue
		}
		res.APIServer++
		if fc.CVE.Unparsed != "" {
			res.Unparsed = append(res.Unparsed, fc.ID)
		} else {
			res.Added = append(res.Added, fc.ID)
		}
		if !strings.HasPrefix(fc.CVE.URL, "https://") {
			fc.CVE.URL = ""
		}
		fc.CVE.Title = truncate(fc.CVE.Title, 200)
		out.CVEs.Items = append(out.CVEs.Items, fc.CVE)
	}
	sort.SliceStable(out.CVEs.Items, func(i, j int) bool { return out.CVEs.Items[i].ID < out.CVEs.Items[j].ID })
	return out, res
}

// Fetch reads a feed from an http(s) URL (bounded in time and size) or a file.
func Fetch(ctx context.Context, src string, timeout time.Duration, maxBytes int64) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return fileinput.ReadFile(src, fileinput.Kind{Name: "versions feeds", Limit: maxBytes})
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/feed+json, application/json")
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("GET %s: %d bytes, more than the %d allowed", src, resp.ContentLength, maxBytes)
	}
	return readBounded(src, resp.Body, maxBytes)
}

func readBounded(src string, r io.Reader, maxBytes int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", src, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%s: more than %d bytes", src, maxBytes)
	}
	return b, nil
}
