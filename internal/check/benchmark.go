package check

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Benchmark is a version of the CIS Kubernetes Benchmark. Most API server
// recommendations are the same in the versions apiguard knows; where they
// differ (1.2.29's cipher allowlist: 1.10 and 1.11 also allow the ECDHE
// AES-CBC-SHA suites that 1.12 drops), checks follow the chosen version and
// name it in their message. References name the 1.12 IDs, which 1.10 and 1.11
// share for the API server (1.2.1 to 1.2.29).
type Benchmark string

// The benchmark versions apiguard knows (kube-bench cfg/cis-1.10, cis-1.11, cis-1.12).
const (
	CIS110 Benchmark = "cis-1.10"
	CIS111 Benchmark = "cis-1.11"
	CIS112 Benchmark = "cis-1.12"
	// DefaultBenchmark is the newest.
	DefaultBenchmark = CIS112
)

// Benchmarks lists the known versions, oldest first.
var Benchmarks = []Benchmark{CIS110, CIS111, CIS112}

// ParseBenchmark accepts "cis-1.12" (any case); "" is the default.
func ParseBenchmark(v string) (Benchmark, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return DefaultBenchmark, nil
	}
	for _, b := range Benchmarks {
		if v == string(b) {
			return b, nil
		}
	}
	names := make([]string, len(Benchmarks))
	for i, b := range Benchmarks {
		names[i] = string(b)
	}
	return "", fmt.Errorf("unknown benchmark %q (want one of %s)", v, strings.Join(names, ", "))
}

// Name is how messages cite it: "CIS 1.12".
func (b Benchmark) Name() string { return "CIS " + strings.TrimPrefix(string(b), "cis-") }

// BenchmarkOf is the benchmark the snapshot is judged by (the default when
// none was chosen or the choice is unknown).
func BenchmarkOf(s *inputs.Snapshot) Benchmark {
	if b, err := ParseBenchmark(s.Benchmark); err == nil {
		return b
	}
	return DefaultBenchmark
}
