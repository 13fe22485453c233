package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
)

// TestAuditScanGolden: `apiguard audit scan` and `audit rules` outputs and
// exit codes, against testdata/auditscan/*.golden (refresh with -update).
// lab.log is part of the audit log of the e2e lab's kube-apiserver v1.36.3
// during the attack script of test/e2e/auditscan_test.go.
func TestAuditScanGolden(t *testing.T) {
	runGoldens(t, "auditscan", []goldenCase{
		{"scan-table", "audit scan testdata/auditscan/lab.log", 1},
		{"scan-jsonl", "audit scan testdata/auditscan/lab.log -o jsonl --fail-on none", 0},
		{"scan-json-policy-cidrs", "audit scan testdata/auditscan/lab.log -o json --policy testdata/auditscan/policy.yaml --allow-cidrs 127.0.0.0/8 --pod-cidrs 10.244.0.0/16 --node-cidrs 127.0.0.0/8 --fail-on critical", 1},
		{"scan-table-policy", "audit scan testdata/auditscan/lab.log --policy testdata/auditscan/policy.yaml --fail-on none", 0},
		{"scan-site-rules", "audit scan testdata/auditscan/lab.log --rules testdata/auditscan/rules.yaml -o jsonl --fail-on none", 0},
		{"scan-bad-lines", "audit scan testdata/auditscan/mixed.log --fail-on none", 0},
		{"scan-missing-input", "audit scan testdata/auditscan/mixed.log testdata/auditscan/nope.log --fail-on none", 2},
		{"scan-nothing-readable", "audit scan testdata/auditscan/policy.yaml", 2},
		{"scan-bad-rules", "audit scan testdata/auditscan/lab.log --rules testdata/auditscan/bad-rules.yaml", 2},
		{"scan-bad-format", "audit scan testdata/auditscan/lab.log -o xml", 2},
		{"scan-bad-cidr", "audit scan testdata/auditscan/lab.log --allow-cidrs 10.0.0.0/33", 2},
		{"scan-follow-stdin", "audit scan --follow -", 2},
		{"scan-no-args", "audit scan", 2},
		{"rules", "audit rules", 0},
		{"rules-one", "audit rules AG-DET-201 ag-det-409", 0},
		{"rules-one-json", "audit rules -o json AG-DET-201", 0},
		{"rules-policy", "audit rules --policy testdata/auditscan/policy.yaml", 0},
		{"rules-unknown", "audit rules AG-DET-000", 2},
	})
}

// TestAuditScanInputs: the same alerts from the plain file, a gzip copy,
// a directory of rotated logs, standard input, and one worker or several.
func TestAuditScanInputs(t *testing.T) {
	data, err := os.ReadFile("testdata/auditscan/lab.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	half := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data[:half])
	zw.Close()
	os.WriteFile(filepath.Join(dir, "audit-2026-11-27T12-00-00.000.log.gz"), gz.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "audit.log"), data[half:], 0o600)
	all := filepath.Join(t.TempDir(), "all.log.gz")
	zw = gzip.NewWriter(&gz)
	gz.Reset()
	zw.Write(data)
	zw.Close()
	os.WriteFile(all, gz.Bytes(), 0o600)

	want, _, code := runCLI("audit", "scan", "testdata/auditscan/lab.log", "-o", "jsonl", "--fail-on", "none", "--workers", "1")
	if code != 0 || strings.Count(want, "\n") < 40 {
		t.Fatalf("baseline: exit %d, %d alerts", code, strings.Count(want, "\n"))
	}
	norm := func(s string) string { // sources name the file and line
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			var m map[string]any
			json.Unmarshal([]byte(l), &m)
			delete(m, "source")
			b, _ := json.Marshal(m)
			out = append(out, string(b))
		}
		return strings.Join(out, "\n")
	}
	for name, args := range map[string][]string{
		"gzip":            {all},
		"rotated dir":     {dir},
		"stdin":           {"-"},
		"several workers": {"testdata/auditscan/lab.log", "--workers", "3"},
	} {
		argv := append([]string{"audit", "scan", "-o", "jsonl", "--fail-on", "none"}, args...)
		var got, stderr string
		var code int
		if args[0] == "-" {
			got, stderr, code = runCLIStdin(t, bytes.NewReader(data), argv...)
		} else {
			got, stderr, code = runCLI(argv...)
		}
		if code != 0 || norm(got) != norm(want) {
			t.Errorf("%s: exit %d, alerts differ from the plain file\nstderr: %s", name, code, stderr)
		}
	}
}

// TestAuditScanSinks: --out appends JSON lines, --webhook posts JSON with a
// Slack "text" and the configured headers.
func TestAuditScanSinks(t *testing.T) {
	var mu sync.Mutex
	var posts []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		m["_auth"] = r.Header.Get("Authorization")
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "alerts.jsonl")
	stdout, stderr, code := runCLI("audit", "scan", "testdata/auditscan/lab.log", "-o", "table", "--out", out,
		"--webhook", srv.URL, "--webhook-header", "Authorization: Bearer s3cret", "--fail-on", "critical")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	lines, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(lines), "\n")
	mu.Lock()
	defer mu.Unlock()
	if n == 0 || len(posts) != n {
		t.Fatalf("%d alerts in --out, %d webhook posts", n, len(posts))
	}
	for _, p := range posts {
		if p["rule"] == "" || p["text"] == nil || !strings.Contains(p["text"].(string), p["rule"].(string)) || p["_auth"] != "Bearer s3cret" {
			t.Fatalf("webhook post: %v", p)
		}
	}
}

// TestAuditScanFollow: --follow raises alerts as lines are appended, across
// a rotation, and stops (exit by the alerts seen) when interrupted.
func TestAuditScanFollow(t *testing.T) {
	data, err := os.ReadFile("testdata/auditscan/lab.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	find := func(s string) string {
		for _, l := range lines {
			if strings.Contains(l, s) {
				return l
			}
		}
		t.Fatalf("no line with %s", s)
		return ""
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, []byte(lines[0]), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"apiguard", "audit", "scan", "--follow", log, "-o", "jsonl", "--fail-on", "high"}, &stdout, &stderr)
	}()
	waitFor := func(rule string) {
		t.Helper()
		waitUntil(t, 10*time.Second, func() bool { return strings.Contains(stdout.String(), `"rule":"`+rule+`"`) }, func() string {
			return fmt.Sprintf("no %s alert; stdout:\n%s\nstderr:\n%s", rule, stdout.String(), stderr.String())
		})
	}
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(find(`"name":"mallory-admin"`))
	f.Close()
	waitFor("AG-DET-401")
	// Rotation: the active file is renamed and a new one created.
	os.Rename(log, filepath.Join(dir, "audit-2026-11-27T12-35-00.000.log"))
	os.WriteFile(log, []byte(find(`"resource":"nodes","name":"rogue"`)), 0o600)
	waitFor("AG-DET-106")
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d, want 1 (high alerts)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not stop when interrupted")
	}
}

// TestAuditScanProgress: on a terminal a long scan shows events, events/s,
// bytes of the total and an ETA on one rewritten line, cleared at the end;
// piped, stderr stays silent.
func TestAuditScanProgress(t *testing.T) {
	data, err := os.ReadFile("testdata/auditscan/lab.log")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(log, bytes.Repeat(data, 400), 0o600); err != nil {
		t.Fatal(err)
	}
	scan := func() string {
		_, stderr, code := runCLI("audit", "scan", log, "-o", "json", "--fail-on", "none")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return stderr
	}
	if got := scan(); got != "" {
		t.Fatalf("piped: stderr %q, want nothing", got)
	}
	defer func(every time.Duration, tty func(io.Writer) bool) { progressEvery, progressTerminal = every, tty }(progressEvery, progressTerminal)
	progressEvery, progressTerminal = time.Millisecond, func(io.Writer) bool { return true }
	got := scan()
	re := regexp.MustCompile(`\r\x1b\[K[0-9,]+ events  [0-9]+ events/s  [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B`)
	if !re.MatchString(got) {
		t.Fatalf("no progress line in %q", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Fatalf("progress line not cleared at the end: %q", got[max(0, len(got)-80):])
	}
}

// TestAuditScanFromUsage: --from reads a stream, so files, --follow and a
// missing --consumer are usage errors (exit 2), named.
func TestAuditScanFromUsage(t *testing.T) {
	wantUsageErrors(t, []usageCase{
		{"audit scan --from nats://127.0.0.1:1/AUDIT audit.log", "give no FILE arguments"},
		{"audit scan --from nats://127.0.0.1:1/AUDIT", "--from needs --consumer"},
		{"audit scan --from /var/lib/spool --consumer x", "want nats://HOST[:PORT]/STREAM"},
		{"audit scan --from nats://127.0.0.1:1/AUDIT --consumer x --follow", "--follow reads files"},
		{"audit scan --from nats://127.0.0.1:1 --consumer x", "want a stream name"},
		{"audit scan --from nats://127.0.0.1:1/AUDIT --consumer a.b", "connecting to"},
	})
}
