package auditpolicy

import (
	"testing"

	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// BenchmarkLintCoverage500: load, lint and coverage of a 500-rule policy
// (budget 200 ms).
func BenchmarkLintCoverage500(b *testing.B) {
	data := SyntheticPolicy(500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := Load("p.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		Lint(p)
		Coverage(p, HumanUser)
	}
}

// BenchmarkEvalEvents: the evaluation of one replayed event (decoding
// excluded) against the recommended standard policy (budget: 500,000
// events/s per core, 2 µs/op).
func BenchmarkEvalEvents(b *testing.B) {
	benchEval(b, Recommend(Standard))
}

// BenchmarkEvalEventsSynthetic500: the same against the 500-rule policy.
func BenchmarkEvalEventsSynthetic500(b *testing.B) {
	benchEval(b, SyntheticPolicy(500))
}

func benchEval(b *testing.B, policy []byte) {
	p, err := Load("p.yaml", policy)
	if err != nil {
		b.Fatal(err)
	}
	ev := NewEvaluator(p.Internal)
	events := SyntheticEvents(1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := &events[i%len(events)]
		r := e.Request()
		a := r.Attributes()
		idx := ev.RuleIndex(authorizer.Attributes(&a))
		_ = ev.Decide(idx)
	}
}
