package detect

import (
	"testing"
)

// TestAlertDedupeKey: alerts are de-duplicated per request, not per
// auditID. The Audit-ID header is chosen by the client, so a request that
// reuses an earlier request's auditID must still alert; the stages of one
// request, and one event seen twice (a webhook retry, a re-sent batch,
// overlapping logs), alert once.
func TestAlertDedupeKey(t *testing.T) {
	const received = "2026-11-27T10:00:01.000000Z"
	exec := func(stage, receivedAt string) E {
		e := ev("create", "pods/exec").ns("default").name("web").id("8d5a7e2c-reused").stage(stage)
		e["requestReceivedTimestamp"] = receivedAt
		return e
	}
	cases := []struct {
		name   string
		events []E
		want   int // AG-DET-201 alerts
	}{
		{"one event", []E{exec("ResponseComplete", received)}, 1},
		{"the same event delivered twice", []E{exec("ResponseComplete", received), exec("ResponseComplete", received)}, 1},
		{"two stages of one request", []E{exec("ResponseStarted", received), exec("ResponseComplete", received)}, 1},
		{"another request reusing the auditID", []E{exec("ResponseComplete", received), exec("ResponseComplete", "2026-11-27T10:00:07.250000Z")}, 2},
		{"another request reusing the auditID within the same second", []E{exec("ResponseComplete", received), exec("ResponseComplete", "2026-11-27T10:00:01.000001Z")}, 2},
		{"another user reusing the auditID at the same time", []E{exec("ResponseComplete", received), exec("ResponseComplete", received).user("mallory", "system:authenticated")}, 2},
		{"another request reusing the auditID, then a retry of each", []E{
			exec("ResponseComplete", received), exec("ResponseComplete", "2026-11-27T10:05:00.000000Z"),
			exec("ResponseComplete", received), exec("ResponseComplete", "2026-11-27T10:05:00.000000Z")}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(Builtin(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for i, x := range c.events {
				for _, a := range e.Process(x.build(t, i+1)) {
					if a.Rule == "AG-DET-201" {
						n++
					}
				}
			}
			if n != c.want {
				t.Errorf("%d alerts, want %d", n, c.want)
			}
		})
	}
}
