package network

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// withEndpoint returns the probed endpoint, or the not-assessable finding
// saying why there is none.
func withEndpoint(m check.Metadata, s *inputs.Snapshot) (*inputs.Endpoint, []check.Finding) {
	e := s.Endpoint
	switch {
	case e == nil && s.Collector == "live":
		return nil, []check.Finding{m.Result(check.NotAssessable, s.Target,
			"no network probe was recorded for this cluster (snapshot of an older apiguard?): run `apiguard probe` or scan live again")}
	case e == nil:
		return nil, []check.Finding{m.Result(check.NotAssessable, s.Target,
			"not probed: offline inputs do not show what the endpoint answers on the network; run `apiguard probe URL`, or scan the cluster live")}
	case e.Unavailable != "":
		return nil, []check.Finding{m.Result(check.NotAssessable, e.URL, "the endpoint could not be probed: "+e.Unavailable)}
	}
	return e, nil
}

// probeCheck is a check of the probed endpoint with metadata m: need
// (withEndpoint or withTLS) supplies the endpoint or the findings saying why
// it cannot be judged, and judge returns the one finding about it.
func probeCheck(m check.Metadata, need func(check.Metadata, *inputs.Snapshot) (*inputs.Endpoint, []check.Finding),
	judge func(m check.Metadata, e *inputs.Endpoint) check.Finding) check.Check {
	return check.Check{Metadata: m, Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		e, na := need(m, s)
		if na != nil {
			return na
		}
		return []check.Finding{judge(m, e)}
	}}
}

// withTLS is withEndpoint for checks of the TLS handshake.
func withTLS(m check.Metadata, s *inputs.Snapshot) (*inputs.Endpoint, []check.Finding) {
	e, na := withEndpoint(m, s)
	if na != nil {
		return nil, na
	}
	if e.TLS == nil { // nothing to judge: AG-NET-014 owns the failure
		return nil, []check.Finding{m.Result(check.NotApplicable, e.URL, "the endpoint was probed over plain HTTP: there is no TLS to assess (AG-NET-014 fails)")}
	}
	if len(e.TLS.Chain) == 0 {
		msg := "the TLS handshake showed no certificate"
		if e.TLS.Error != "" {
			msg += ": " + e.TLS.Error
		}
		return nil, []check.Finding{m.Result(check.NotAssessable, e.URL, msg)}
	}
	return e, nil
}

// probeSource is the evidence source of probe facts.
func probeSource(e *inputs.Endpoint) string {
	s := "anonymous probe of " + e.URL
	if !e.ProbedAt.IsZero() {
		s += " at " + e.ProbedAt.UTC().Format(time.RFC3339)
	}
	return s
}

// addressList renders "127.0.0.1 (loopback), ::1 (loopback)".
func addressList(as []inputs.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.IP + " (" + string(a.Class) + ")"
	}
	return strings.Join(parts, ", ")
}

// daysLeft counts whole days from the probe to t (negative once past).
func daysLeft(probed, t time.Time) int {
	return int(math.Floor(t.Sub(probed).Hours() / 24))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinAnd renders "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
