package detect

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/google/cel-go/common/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/testsupport/auditsynth"
)

// TestPrefilterIsSound: whenever a rule's condition holds, its prefilter
// (the Go translation of some of its conjuncts, and the resource index)
// lets the event through; so skipping what it rejects changes no alert.
func TestPrefilterIsSound(t *testing.T) {
	var logs [][]byte
	var buf bytes.Buffer
	if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 20000, Seed: 7, AttackEvery: 40}); err != nil {
		t.Fatal(err)
	}
	logs = append(logs, buf.Bytes())
	for _, f := range []string{"../cli/testdata/auditscan/lab.log", "../cli/testdata/auditscan/mixed.log", "../auditlog/testdata/mixed.log"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, data)
	}
	e, err := New(Builtin(), Options{AllowCIDRs: prefixes("10.0.0.0/8", "192.168.1.0/24"), PodCIDRs: prefixes("10.244.0.0/16"), NodeCIDRs: prefixes("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	m := e.NewMatcher()
	held, rejected := 0, 0
	heldBy := map[string]int{}
	for _, data := range logs {
		d := auditlog.NewDecoder(bytes.NewReader(data), "log")
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				continue
			}
			m.ctx.reset(ev)
			m.facts.reset(ev)
			ref := ev.ObjectRef
			if ref == nil {
				ref = &emptyObjectRef
			}
			for i, r := range e.rules {
				passes := allOf(e.preds[i], &m.facts) && offered(e, r, ref)
				out, _, err := r.compiled.cond.Eval(m.ctx)
				if err != nil || out != types.True {
					if !passes {
						rejected++
					}
					continue
				}
				held++
				heldBy[r.ID]++
				if !passes {
					t.Errorf("%s: the condition holds on %s (auditID %s) but the prefilter rejects it", r.ID, d.Position(), ev.AuditID)
				}
			}
		}
	}
	t.Logf("%d holds, %d rejections", held, rejected)
	for _, r := range e.rules {
		if n := len(r.compiled.pre.withParams); n > 0 {
			t.Logf("%s: %d conjuncts on params in the prefilter, %d holds", r.ID, n, heldBy[r.ID])
			if heldBy[r.ID] == 0 {
				t.Errorf("%s never holds: no evidence", r.ID)
			}
		}
	}
	if held < 100 || rejected < 100000 {
		t.Errorf("too little evidence: %d holds, %d rejections", held, rejected)
	}
}

// offered: the resource index offers rule r events of this object.
func offered(e *Engine, r *Rule, ref *auditv1.ObjectReference) bool {
	p := r.compiled.pre
	if p.resources == nil {
		return true
	}
	return p.resources[ref.Resource] && (p.subresources == nil || p.subresources[ref.Subresource])
}

// BenchmarkMatch: the rules alone (prefilter and CEL) on decoded events of
// the synthetic mix, one core.
func BenchmarkMatch(b *testing.B) {
	var buf bytes.Buffer
	if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 20000, Seed: 1, AttackEvery: 5000}); err != nil {
		b.Fatal(err)
	}
	var evs []*auditv1.Event
	d := auditlog.NewDecoder(bytes.NewReader(buf.Bytes()), "bench")
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	e, err := New(Builtin(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := e.NewMatcher()
	var ms []Match
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, ev := range evs {
			ms = m.Match(ev, ms[:0])
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
