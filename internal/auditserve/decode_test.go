package auditserve

import (
	"testing"

	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

func BenchmarkDecodeEventList(b *testing.B) {
	body := loadgen.Body(0, 400)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeEventList(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*400)/b.Elapsed().Seconds(), "events/s")
}

func TestDecodeEventList(t *testing.T) {
	events, err := DecodeEventList(loadgen.Body(7, 20))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 20 || string(events[0].AuditID) != loadgen.AuditID(7) {
		t.Fatalf("got %d events, first %q", len(events), events[0].AuditID)
	}
	want := loadgen.List(7, 20)
	for i := range events {
		if EventKey(&events[i]) != EventKey(&want.Items[i]) {
			t.Errorf("event %d decodes differently from what was sent:\n%+v\n%+v", i, events[i], want.Items[i])
		}
	}
}
