package auditserve

import (
	"testing"

	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

// FuzzDecodeEventList: any body either decodes or returns an error (never
// panics), and what decodes re-encodes to a body that decodes to as many
// events with the same keys (what de-duplication and the engine see).
func FuzzDecodeEventList(f *testing.F) {
	f.Add(loadgen.Body(0, 3))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"ResponseComplete","user":{"username":"x","extra":{"k":["v"]}},"requestObject":{"a":[1,2,{"b":null}]},"stageTimestamp":"2026-01-01T00:00:00.000001Z","annotations":{"audit.k8s.io/truncated":"true"},"unknownField":{"x":1}}]}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"requestReceivedTimestamp":"not a time"}]}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"responseObject":"\ud800"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"Kind":"EventList"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := DecodeEventList(body)
		if err != nil {
			return
		}
		for i := range events {
			EventKey(&events[i])
		}
		re, err := marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events})
		if err != nil {
			return // e.g. a raw object that is not valid JSON on its own
		}
		again, err := DecodeEventList(re)
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v\n%s", err, re)
		}
		if len(again) != len(events) {
			t.Fatalf("%d events, then %d", len(events), len(again))
		}
		for i := range events {
			if EventKey(&events[i]) != EventKey(&again[i]) {
				t.Fatalf("event %d: key changed after a round trip:\n%+v\n%+v", i, events[i], again[i])
			}
		}
	})
}
