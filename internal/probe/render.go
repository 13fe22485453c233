package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/apiguard/apiguard/internal/inputs"
)

// WriteText renders what the probe saw, for humans: addresses, TLS, and one
// line per anonymous request. Values from the server are made printable.
func WriteText(w io.Writer, e *inputs.Endpoint) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Endpoint %s", clean(e.URL))
	if !e.ProbedAt.IsZero() {
		fmt.Fprintf(&b, " (probed %s, %d requests)", e.ProbedAt.UTC().Format("2006-01-02 15:04:05Z"), e.Requests)
	}
	b.WriteString("\n")
	if e.Unavailable != "" {
		fmt.Fprintf(&b, "  unavailable: %s\n", clean(e.Unavailable))
	}

	b.WriteString("\nAddresses\n")
	if len(e.Addresses) == 0 {
		fmt.Fprintf(&b, "  none resolved%s\n", suffix(": ", e.ResolveError))
	}
	for _, a := range e.Addresses {
		fmt.Fprintf(&b, "  %-40s %s\n", a.IP, a.Class)
	}

	if t := e.TLS; t != nil {
		b.WriteString("\nTLS\n")
		if t.Version != "" {
			fmt.Fprintf(&b, "  negotiated  %s %s%s\n", t.Version, t.CipherSuite, suffix(", ALPN ", t.ALPN))
		}
		for _, v := range t.Versions {
			state := "refused"
			if v.Accepted {
				state = "accepted" + suffix(" ", v.CipherSuite)
			}
			fmt.Fprintf(&b, "  %-10s  %s\n", v.Version, state)
		}
		var weak []string
		for _, c := range t.WeakSuites {
			if c.Accepted {
				weak = append(weak, c.Name)
			}
		}
		if len(t.WeakSuites) > 0 {
			if len(weak) == 0 {
				fmt.Fprintf(&b, "  weak suites none of %d accepted\n", len(t.WeakSuites))
			} else {
				fmt.Fprintf(&b, "  weak suites %d of %d accepted: %s\n", len(weak), len(t.WeakSuites), strings.Join(weak, ", "))
			}
		}
		for i, c := range t.Chain {
			label := "certificate"
			if i > 0 {
				label = fmt.Sprintf("chain[%d]", i)
			}
			days := int(c.NotAfter.Sub(e.ProbedAt).Hours() / 24)
			fmt.Fprintf(&b, "  %-11s %s, issuer %s, %s %d, %s, until %s (%d days)\n", label, clean(c.Subject), clean(c.Issuer),
				c.KeyType, c.KeyBits, c.SignatureAlgorithm, c.NotAfter.UTC().Format("2006-01-02"), days)
			if i == 0 {
				sans := append(append([]string{}, c.DNSNames...), c.IPAddresses...)
				fmt.Fprintf(&b, "  SANs        %s\n", clean(strings.Join(sans, ", ")))
			}
		}
		if t.Verified {
			fmt.Fprintf(&b, "  chain       verified with %s\n", t.VerifiedWith)
		} else if t.VerifiedWith != "" {
			fmt.Fprintf(&b, "  chain       not verified with %s: %s\n", t.VerifiedWith, clean(t.VerifyError))
		}
		if len(t.ClientCAs) > 0 {
			fmt.Fprintf(&b, "  client CAs  %s\n", clean(strings.Join(t.ClientCAs, "; ")))
		}
	}

	if len(e.Paths) > 0 {
		b.WriteString("\nAnonymous requests\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range e.Paths {
			status := "-"
			if p.Status != 0 {
				status = fmt.Sprint(p.Status)
			}
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
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clean(p.Path), status, p.Outcome, clean(cut(detail, 110)))
		}
		tw.Flush()
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return bounded(s, n)
}

// clean makes server-controlled text printable on a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return '?'
		}
		return r
	}, s)
}
