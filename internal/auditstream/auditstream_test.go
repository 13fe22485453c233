package auditstream

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, server, stream, err string
	}{
		{"nats://nats:4222/AUDIT", "nats://nats:4222", "AUDIT", ""},
		{"nats://u:p@127.0.0.1/audit-prod_1", "nats://u:p@127.0.0.1", "audit-prod_1", ""},
		{"tls://nats.example:4222/AUDIT", "tls://nats.example:4222", "AUDIT", ""},
		{"nats://nats:4222", "", "", "want a stream name"},
		{"nats://nats:4222/", "", "", "want a stream name"},
		{"nats://nats:4222/A.B", "", "", "want a stream name"},
		{"nats://nats:4222/A/B", "", "", "want a stream name"},
		{"nats:///AUDIT", "", "", "want nats://HOST"},
		{"http://nats/AUDIT", "", "", "want nats://HOST"},
		{"nats://nats/AUDIT?x=1", "", "", "no query"},
	} {
		got, err := ParseURL(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.Server != c.server || got.Stream != c.stream {
			t.Errorf("%s: %+v %v", c.in, got, err)
		}
	}
	if !IsURL("nats://x/Y") || IsURL("/var/lib/apiguard") || IsURL("./nats") {
		t.Error("IsURL")
	}
}

func batch(t *testing.T, first uint64, n int) *auditserve.Batch {
	t.Helper()
	evs, raws, err := auditlog.NewLineDecoder().DecodeBatch(loadgen.Body(first, n))
	if err != nil {
		t.Fatal(err)
	}
	b := &auditserve.Batch{Arrival: time.Unix(100, 0), Raws: raws}
	for i := range evs {
		b.Keys = append(b.Keys, auditserve.EventKey(&evs[i]))
	}
	return b
}

// TestSplit: a batch larger than a message is cut into records that each
// fit, hold every event once in order with its key, and decode.
func TestSplit(t *testing.T) {
	b := batch(t, 0, 400)
	s := &Stream{maxMsg: 64 << 10}
	parts := s.split(b)
	if len(parts) < 2 {
		t.Fatalf("%d parts for a %d-byte batch and 64 KiB messages", len(parts), b.EncodedSize())
	}
	var keys []auditserve.Key
	for i, p := range parts {
		rec := auditserve.AppendRecord(nil, p)
		if len(rec) > s.maxMsg-1024 {
			t.Errorf("part %d: %d bytes", i, len(rec))
		}
		r, err := auditserve.ParseRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := auditlog.NewLineDecoder().DecodeEventList(r.Body)
		if err != nil || len(evs) != len(r.Keys) {
			t.Fatalf("part %d: %d events for %d keys: %v", i, len(evs), len(r.Keys), err)
		}
		for j := range evs {
			if auditserve.EventKey(&evs[j]) != r.Keys[j] {
				t.Fatalf("part %d event %d: key mismatch", i, j)
			}
		}
		keys = append(keys, r.Keys...)
	}
	if len(keys) != len(b.Keys) {
		t.Fatalf("%d keys across parts, want %d", len(keys), len(b.Keys))
	}
	for i := range keys {
		if keys[i] != b.Keys[i] {
			t.Fatalf("key %d out of order", i)
		}
	}
	if one := (&Stream{maxMsg: 8 << 20}).split(b); len(one) != 1 || one[0] != b {
		t.Error("a batch that fits must be sent as it is")
	}
	// The same batch splits the same way (re-sent batches get the same Msg-Ids).
	again := s.split(batch(t, 0, 400))
	for i := range parts {
		if auditserve.MsgID(parts[i].Keys) != auditserve.MsgID(again[i].Keys) {
			t.Fatal("split is not deterministic")
		}
	}
}

// TestTruncateEvent: an event larger than a message on its own loses its
// bodies and is annotated, as kube-apiserver's truncating backend does.
func TestTruncateEvent(t *testing.T) {
	big := `{"auditID":"x","verb":"create","annotations":{"a":"b"},"requestObject":{"data":"` + strings.Repeat("z", 100<<10) + `"},"responseObject":{"k":1}}`
	out := truncateEvent([]byte(big))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["requestObject"]; ok || bytes.Contains(out, []byte("zzz")) {
		t.Error("request body kept")
	}
	if !bytes.Contains(m["annotations"], []byte(`"audit.k8s.io/truncated":"true"`)) || !bytes.Contains(m["annotations"], []byte(`"a":"b"`)) {
		t.Errorf("annotations %s", m["annotations"])
	}
	s := &Stream{maxMsg: 32 << 10}
	b := &auditserve.Batch{Keys: []auditserve.Key{{1}, {2}}, Raws: [][]byte{[]byte(big), []byte(`{"auditID":"y"}`)}}
	parts := s.split(b)
	total := 0
	for _, p := range parts {
		if p.EncodedSize() > s.maxMsg-1024 {
			t.Errorf("part of %d bytes", p.EncodedSize())
		}
		total += len(p.Keys)
	}
	if total != 2 {
		t.Errorf("%d events across parts", total)
	}
}
