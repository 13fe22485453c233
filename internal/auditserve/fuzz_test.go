package auditserve

import (
	"errors"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/auditlog"

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
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","items":[]},{"auditID":"b","\u0069tems":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := DecodeEventList(body)
		if err != nil {
			return
		}
		// The receiver's decoder (limits, raw spans) agrees, and each raw
		// span is the event on its own (what the spool and --events-out keep).
		d := newDecoderForTest()
		d.Limits = auditlog.Limits{Events: DefaultMaxBatchEvents, Members: DefaultMaxBatchMembers}
		evs, raws, err := d.DecodeBatch(body)
		if err == nil {
			if len(evs) != len(events) || len(raws) != len(evs) {
				t.Fatalf("DecodeBatch: %d events, %d raws; DecodeEventList: %d", len(evs), len(raws), len(events))
			}
			for i := range raws {
				line := ArchiveLine(raws[i], &evs[i])
				one, err := DecodeEventList(line)
				if err != nil || len(one) != 1 || EventKey(&one[0]) != EventKey(&evs[i]) {
					t.Fatalf("archive line of event %d is not that event: %v %q", i, err, line)
				}
			}
		} else if !errors.Is(err, auditlog.ErrLimit) {
			t.Fatalf("DecodeBatch refused what DecodeEventList took: %v", err)
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

// FuzzParseRecord: a spool record (or JetStream message) of any bytes is
// parsed or refused, never panics; what parses re-encodes to the same bytes.
func FuzzParseRecord(f *testing.F) {
	evs, raws, _ := newDecoderForTest().DecodeBatch(loadgen.Body(0, 2))
	keys := []Key{EventKey(&evs[0]), EventKey(&evs[1])}
	f.Add(AppendRecord(nil, &Batch{Keys: keys, Raws: raws}))
	f.Add(AppendRecord(nil, &Batch{Keys: keys[:1], Body: raws[0]}))
	f.Add([]byte{recordVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord(data)
		if err != nil {
			return
		}
		again := AppendRecord(nil, &Batch{Arrival: rec.Arrival, Keys: rec.Keys, Body: rec.Body})
		if string(again) != string(data) {
			t.Fatalf("record does not round-trip:\n%q\n%q", data, again)
		}
	})
}

// FuzzKeysRecord: a keys/ record of any bytes is parsed or refused; what
// parses round-trips.
func FuzzKeysRecord(f *testing.F) {
	f.Add(appendKeysRecord(nil, time.Unix(1, 2), []Key{{1}}, []Key{{2}, {3}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		at, events, alerts, err := parseKeysRecord(data)
		if err != nil {
			return
		}
		if again := appendKeysRecord(nil, at, events, alerts); string(again) != string(data) {
			t.Fatalf("keys record does not round-trip")
		}
	})
}
