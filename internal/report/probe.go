package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// probeJSON is `apiguard probe -o json`: the report contract plus the raw
// probe ("endpoint") and managed-cluster settings ("cloud").
type probeJSON struct {
	Tool      string                `json:"tool"`
	Version   string                `json:"version"`
	Target    string                `json:"target"`
	Benchmark check.Benchmark       `json:"benchmark,omitempty"`
	Endpoint  *inputs.Endpoint      `json:"endpoint,omitempty"`
	Cloud     []inputs.CloudCluster `json:"cloud,omitempty"`
	Findings  []check.Finding       `json:"findings"`
	Summary   check.Summary         `json:"summary"`
	Problems  []inputs.Problem      `json:"problems"`
}

// RenderProbe writes the report of apiguard probe: json adds what the probe
// saw (e, nil when only files were read) and the managed-cluster settings
// to the report's contract; the table puts what the probe saw right after
// its header; the other formats are Render's.
func RenderProbe(w io.Writer, format string, r *Report, e *inputs.Endpoint, cloud []inputs.CloudCluster, o Options) error {
	var b bytes.Buffer
	switch format {
	case FormatJSON:
		j := jsonOf(r)
		out := probeJSON{Tool: j.Tool, Version: j.Version, Target: j.Target, Benchmark: j.Benchmark, Endpoint: e, Cloud: cloud,
			Findings: j.Findings, Summary: j.Summary, Problems: j.Problems}
		if err := encodeJSON(&b, out); err != nil {
			return err
		}
	case FormatTable:
		pr := *r
		pr.Command = "probe"
		var t bytes.Buffer
		if err := renderTable(&t, &pr, o); err != nil {
			return err
		}
		head, rest, _ := strings.Cut(t.String(), "\n")
		b.WriteString(head + "\n\n")
		if e != nil {
			endpointText(&b, e)
		}
		b.WriteString(strings.TrimPrefix(rest, "\n"))
	default:
		return Render(w, format, r, o)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// endpointText is what the probe saw, for humans: addresses, TLS, and one
// line per anonymous request. Values from the server are made printable.
func endpointText(b *bytes.Buffer, e *inputs.Endpoint) {
	fmt.Fprintf(b, "Endpoint %s", clean(e.URL))
	if !e.ProbedAt.IsZero() {
		fmt.Fprintf(b, " (probed %s, %d requests)", e.ProbedAt.UTC().Format("2006-01-02 15:04:05Z"), e.Requests)
	}
	b.WriteString("\n")
	if e.Unavailable != "" {
		fmt.Fprintf(b, "  unavailable: %s\n", clean(e.Unavailable))
	}

	b.WriteString("\nAddresses\n")
	if len(e.Addresses) == 0 {
		fmt.Fprintf(b, "  none resolved%s\n", suffix(": ", e.ResolveError))
	}
	for _, a := range e.Addresses {
		fmt.Fprintf(b, "  %-40s %s\n", a.IP, a.Class)
	}

	if t := e.TLS; t != nil {
		b.WriteString("\nTLS\n")
		if t.Version != "" {
			fmt.Fprintf(b, "  negotiated  %s %s%s\n", t.Version, t.CipherSuite, suffix(", ALPN ", t.ALPN))
		}
		for _, v := range t.Versions {
			state := "refused"
			if v.Accepted {
				state = "accepted" + suffix(" ", v.CipherSuite)
			}
			fmt.Fprintf(b, "  %-10s  %s\n", v.Version, state)
		}
		var weak []string
		for _, c := range t.WeakSuites {
			if c.Accepted {
				weak = append(weak, c.Name)
			}
		}
		if len(t.WeakSuites) > 0 {
			if len(weak) == 0 {
				fmt.Fprintf(b, "  weak suites none of %d accepted\n", len(t.WeakSuites))
			} else {
				fmt.Fprintf(b, "  weak suites %d of %d accepted: %s\n", len(weak), len(t.WeakSuites), strings.Join(weak, ", "))
			}
		}
		for i, c := range t.Chain {
			label := "certificate"
			if i > 0 {
				label = fmt.Sprintf("chain[%d]", i)
			}
			days := int(c.NotAfter.Sub(e.ProbedAt).Hours() / 24)
			fmt.Fprintf(b, "  %-11s %s, issuer %s, %s %d, %s, until %s (%d days)\n", label, clean(c.Subject), clean(c.Issuer),
				c.KeyType, c.KeyBits, c.SignatureAlgorithm, c.NotAfter.UTC().Format("2006-01-02"), days)
			if i == 0 {
				sans := append(append([]string{}, c.DNSNames...), c.IPAddresses...)
				fmt.Fprintf(b, "  SANs        %s\n", clean(strings.Join(sans, ", ")))
			}
		}
		if t.Verified {
			fmt.Fprintf(b, "  chain       verified with %s\n", t.VerifiedWith)
		} else if t.VerifiedWith != "" {
			fmt.Fprintf(b, "  chain       not verified with %s: %s\n", t.VerifiedWith, clean(t.VerifyError))
		}
		if len(t.ClientCAs) > 0 {
			fmt.Fprintf(b, "  client CAs  %s\n", clean(strings.Join(t.ClientCAs, "; ")))
		}
	}

	if len(e.Paths) > 0 {
		b.WriteString("\nAnonymous requests\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, p := range e.Paths {
			detail := p.Message
			if p.Error != "" {
				detail = p.Error
			}
			if len(p.Leaked) > 0 {
				var parts []string
				for _, l := range p.Leaked {
					parts = append(parts, l.Kind+": "+l.Value)
				}
				detail = strings.Join(parts, "; ")
			}
			status := "-"
			if p.Status != 0 {
				status = fmt.Sprint(p.Status)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", oneLine(p.Path), status, p.Outcome, truncate(oneLine(detail), 110))
		}
		tw.Flush()
	}
	b.WriteString("\n")
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// truncate cuts s to n bytes on a rune boundary, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
