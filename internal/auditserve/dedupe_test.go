package auditserve

import (
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

// TestEventKey: the receiver's de-duplication key tells a re-sent event (a
// batch re-sent because its 200 was lost, or a duplicated batch) from
// another request that reused its auditID. kube-apiserver takes the auditID
// from the client's Audit-ID header, so the key also holds what the server
// records per request: requestReceivedTimestamp and stageTimestamp (and the
// verb, URI, user and source IPs).
func TestEventKey(t *testing.T) {
	base := loadgen.Event(42)
	resent, err := DecodeEventList(mustMarshal(t, &auditv1.EventList{Items: []auditv1.Event{base}}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(e *auditv1.Event)
		same bool // the key must equal base's (dropped as a duplicate)
	}{
		{"the same event again", func(e *auditv1.Event) {}, true},
		{"reused auditID, received later", func(e *auditv1.Event) {
			e.RequestReceivedTimestamp.Time = e.RequestReceivedTimestamp.Add(time.Microsecond)
			e.StageTimestamp.Time = e.StageTimestamp.Add(time.Microsecond)
		}, false},
		{"reused auditID, same receipt, other completion", func(e *auditv1.Event) {
			e.StageTimestamp.Time = e.StageTimestamp.Add(time.Millisecond)
		}, false},
		{"reused auditID and timestamps, other user", func(e *auditv1.Event) { e.User.Username = "mallory" }, false},
		{"reused auditID and timestamps, other URI", func(e *auditv1.Event) { e.RequestURI += "x" }, false},
		{"another stage of the request", func(e *auditv1.Event) { e.Stage = auditv1.StageResponseStarted }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := base
			e.User.Groups = append([]string(nil), base.User.Groups...)
			c.edit(&e)
			if got := EventKey(&e) == EventKey(&base); got != c.same {
				t.Errorf("same key = %v, want %v", got, c.same)
			}
		})
	}
	if EventKey(&resent[0]) != EventKey(&base) {
		t.Errorf("the event decoded from a re-sent batch has another key")
	}

	// Through the dedupe window: a retry is dropped, a request reusing the
	// auditID is kept.
	d := newDedupe(time.Minute, 100)
	now := time.Now()
	forged := base
	forged.RequestReceivedTimestamp.Time = forged.RequestReceivedTimestamp.Add(3 * time.Second)
	forged.StageTimestamp.Time = forged.StageTimestamp.Add(3 * time.Second)
	var kept []string
	for _, e := range []auditv1.Event{base, resent[0], forged, base, forged} {
		k := []Key{EventKey(&e)}
		keep, _, _ := d.reserve(k, now)
		if !keep[0] {
			continue
		}
		d.commit(k, keep, now)
		kept = append(kept, e.RequestReceivedTimestamp.UTC().Format(time.RFC3339Nano))
	}
	if len(kept) != 2 {
		t.Errorf("kept %d events (%v), want 2: the original and the request that reused its auditID", len(kept), kept)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
