package alertsink

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
)

func alert(id string) detect.Alert {
	return detect.Alert{Rule: "K8S-TEST-001", Title: "Test", Severity: check.High, Message: "alice did it",
		AuditID: id, User: "alice", SourceIPs: []string{"10.0.0.1"}, Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestJSONLAndFile(t *testing.T) {
	var buf bytes.Buffer
	w := JSONL(&buf, "stdout")
	w.Send(alert("a"))
	w.Send(alert("b"))
	if buf.Len() != 0 {
		t.Fatal("written before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule", "severity", "auditID", "user", "sourceIPs", "userAgent", "timestamp"} {
		if _, ok := got[k]; !ok {
			t.Errorf("alert JSON lacks %q: %s", k, lines[0])
		}
	}
	if got["severity"] != "high" {
		t.Errorf("severity %v", got["severity"])
	}

	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	os.WriteFile(path, []byte("{}\n"), 0o600) // appended to, not truncated
	f, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Send(alert("c"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 2 || !strings.Contains(string(b), `"auditID":"c"`) {
		t.Fatalf("file:\n%s", b)
	}
}

func TestWebhookRetriesAndSlackText(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(400)
			return
		}
		switch n {
		case 1:
			w.WriteHeader(500)
			return
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			return
		}
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
	}))
	defer srv.Close()
	var errs []error
	wh := NewWebhook(srv.URL, WebhookOptions{Header: http.Header{"Authorization": {"Bearer x"}}, InitialBackoff: time.Millisecond,
		OnError: func(err error) { errs = append(errs, err) }})
	wh.Send(alert("a"))
	wh.Send(alert("b"))
	if err := wh.Close(); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || wh.Delivered() != 2 || len(errs) != 0 {
		t.Fatalf("delivered %d (%d bodies), errors %v", wh.Delivered(), len(bodies), errs)
	}
	text, _ := bodies[0]["text"].(string)
	if !strings.Contains(text, "[HIGH] K8S-TEST-001: alice did it from 10.0.0.1 (auditID a") || bodies[0]["rule"] != "K8S-TEST-001" {
		t.Fatalf("payload %v", bodies[0])
	}
}

func TestWebhookGivesUpAndDrops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }))
	defer srv.Close()
	var errs atomic.Int32
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()

	wh := NewWebhook(srv.URL, WebhookOptions{OnError: func(error) { errs.Add(1) }})
	wh.Send(alert("a"))
	wh.Close()
	if errs.Load() != 1 || wh.Failed() != 1 {
		t.Fatalf("a 404 is not retried and is reported: errors %d", errs.Load())
	}

	// A stalled endpoint: the buffer fills, Send drops instead of blocking.
	wh = NewWebhook(slow.URL, WebhookOptions{Buffer: 2, CloseTimeout: 100 * time.Millisecond})
	var dropped int
	for i := range 10 {
		if err := wh.Send(alert(string(rune('a' + i)))); errors.Is(err, ErrDropped) {
			dropped++
		}
	}
	if dropped < 7 {
		t.Fatalf("dropped %d of 10 with a buffer of 2", dropped)
	}
	if err := wh.Close(); err == nil {
		t.Fatal("Close must report undelivered alerts")
	}
	close(block)
}

func TestMultiIsolatesFailures(t *testing.T) {
	var good bytes.Buffer
	var reported []string
	m := Multi{Sinks: []Sink{JSONL(failWriter{}, "bad"), JSONL(&good, "good")},
		OnError: func(s Sink, err error) { reported = append(reported, s.Name()) }}
	m.Send(alert("a"))
	if err := m.Flush(); err == nil {
		t.Fatal("want the bad sink's error")
	}
	if !strings.Contains(good.String(), `"auditID":"a"`) || len(reported) != 1 || reported[0] != "bad" {
		t.Fatalf("good %q, reported %v", good.String(), reported)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }
