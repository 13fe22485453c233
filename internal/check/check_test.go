package check

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/inputs"
)

func TestParseBenchmark(t *testing.T) {
	for in, want := range map[string]Benchmark{"": CIS112, "cis-1.10": CIS110, "CIS-1.11": CIS111, " cis-1.12 ": CIS112} {
		if got, err := ParseBenchmark(in); err != nil || got != want {
			t.Errorf("ParseBenchmark(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"1.12", "cis-1.9", "cis-1.13", "cis"} {
		if _, err := ParseBenchmark(in); err == nil || !strings.Contains(err.Error(), "cis-1.10, cis-1.11, cis-1.12") {
			t.Errorf("ParseBenchmark(%q): error %v, want one naming the known versions", in, err)
		}
	}
	s := inputs.New("t", "offline")
	if BenchmarkOf(s) != DefaultBenchmark || DefaultBenchmark != CIS112 {
		t.Errorf("the default is %s, want the newest (cis-1.12)", BenchmarkOf(s))
	}
	s.Benchmark = "cis-1.10"
	if b := BenchmarkOf(s); b != CIS110 || b.Name() != "CIS 1.10" {
		t.Errorf("BenchmarkOf = %q (%s)", b, b.Name())
	}
}

// TestNotApplicable: counted on its own, sorted after not-assessable and
// before pass, and never a failure whatever the severity.
func TestNotApplicable(t *testing.T) {
	m := Metadata{ID: "AG-X-001", Layer: Auditing, Severity: Critical}
	fs := []Finding{m.Result(Pass, "a", ""), m.Result(NotApplicable, "b", ""), m.Result(NotAssessable, "c", ""), m.Result(Warn, "d", "")}
	Sort(fs)
	var order []string
	for _, f := range fs {
		order = append(order, string(f.Status))
	}
	if got := strings.Join(order, ","); got != "warn,not-assessable,not-applicable,pass" {
		t.Errorf("order = %s", got)
	}
	s := Summarize(fs)
	if s.NotApplicable != 1 || s.NotAssessable != 1 || s.Pass != 1 || s.Warn != 1 || s.Fail != 0 || s.Total != 4 {
		t.Errorf("summary = %+v", s)
	}
	if FailsAt(fs, Info) {
		t.Error("a not-applicable finding fails the run")
	}
	if fs[2].Actionable() {
		t.Error("a not-applicable finding asks for action")
	}
	if len(Statuses) != len(statusOrder) {
		t.Errorf("Statuses lists %d statuses, the sort order %d", len(Statuses), len(statusOrder))
	}
	for i, st := range Statuses {
		if statusOrder[st] != i {
			t.Errorf("Statuses[%d] = %s, sorted at %d", i, st, statusOrder[st])
		}
	}
}
