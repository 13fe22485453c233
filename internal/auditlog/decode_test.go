package auditlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	sigsjson "sigs.k8s.io/json"
)

// reference decodes a line the way kube-apiserver's own machinery would
// (case-sensitive encoding/json into the v1 types), for differential tests.
func reference(line []byte) ([]auditv1.Event, error) {
	var probe struct {
		Kind  string          `json:"kind"`
		Items json.RawMessage `json:"items"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(line, &probe); err != nil {
		return nil, err
	}
	if probe.Kind == "EventList" || (probe.Kind == "" && probe.Items != nil) {
		var l auditv1.EventList
		err := sigsjson.UnmarshalCaseSensitivePreserveInts(line, &l)
		return l.Items, err
	}
	var ev auditv1.Event
	err := sigsjson.UnmarshalCaseSensitivePreserveInts(line, &ev)
	return []auditv1.Event{ev}, err
}

// sameEvents compares two decodings, timestamps by instant.
func sameEvents(a, b []auditv1.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.RequestReceivedTimestamp.Equal(&y.RequestReceivedTimestamp) || !x.StageTimestamp.Equal(&y.StageTimestamp) {
			return false
		}
		x.RequestReceivedTimestamp = y.RequestReceivedTimestamp
		x.StageTimestamp = y.StageTimestamp
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func TestDecodeMixed(t *testing.T) {
	f, err := os.Open("testdata/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewDecoder(f, "mixed.log")
	var got []string
	var errs []string
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			errs = append(errs, err.Error())
			continue
		}
		got = append(got, string(ev.AuditID)+"@"+d.Position().String())
	}
	want := []string{"6a2bde22-0a24-4b47-9d0b-0a4d1b2a1c01@mixed.log:1", "a1@mixed.log:3", "a2@mixed.log:3", "a3@mixed.log:6"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events = %v, want %v", got, want)
	}
	if len(errs) != 3 || !strings.HasPrefix(errs[0], "mixed.log:4: ") || !strings.HasPrefix(errs[1], "mixed.log:5: not an audit event: kind \"Policy\"") || !strings.HasPrefix(errs[2], "mixed.log:7: ") {
		t.Errorf("errors = %q", errs)
	}
}

func TestDecodeMatchesReference(t *testing.T) {
	data, err := os.ReadFile("testdata/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	ld := NewLineDecoder()
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		want, rerr := reference(line)
		got, err := ld.Decode(line, nil)
		if rerr != nil {
			if err == nil && !errors.Is(err, ErrNotAudit) {
				t.Logf("line %d: reference fails (%v), we accept", i+1, rerr)
			}
			continue
		}
		if err != nil {
			if errors.Is(err, ErrNotAudit) {
				continue
			}
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		if !sameEvents(got, want) {
			t.Errorf("line %d differs:\n got %+v\nwant %+v", i+1, got, want)
		}
	}
}

func TestDecodeDetails(t *testing.T) {
	ld := NewLineDecoder()
	evs, err := ld.Decode([]byte(`{"auditID":"x","requestURI":"/a?b=1\u0026c=\ud83d\ude00\ud800","user":{"username":"a\"b"},"stageTimestamp":"2026-11-27T10:00:00.000001Z"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	if ev.RequestURI != "/a?b=1&c=\U0001F600\uFFFD" || ev.User.Username != `a"b` {
		t.Errorf("unescape: %q %q", ev.RequestURI, ev.User.Username)
	}
	if !ev.StageTimestamp.Time.Equal(time.Date(2026, 11, 27, 10, 0, 0, 1000, time.UTC)) {
		t.Errorf("time %v", ev.StageTimestamp)
	}
	for _, bad := range []string{`{"auditID":1}`, `{"auditID":"x"} x`, `{"auditID":"x","responseStatus":{"code":1.5}}`, `[1]`, `{"verb":"get","stageTimestamp":"yesterday"}`, `{"apiVersion":"v1","kind":"Pod","metadata":{}}`, `{"a":"\x01"}`} {
		if _, err := ld.Decode([]byte(bad), nil); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestOpenDirectoryRotatedOrder(t *testing.T) {
	dir := t.TempDir()
	line := func(id string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"` + id + `","stage":"ResponseComplete","verb":"get"}` + "\n"
	}
	write := func(name, content string, gz bool, mtime time.Time) {
		p := filepath.Join(dir, name)
		var b bytes.Buffer
		if gz {
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(content))
			zw.Close()
		} else {
			b.WriteString(content)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
	now := time.Now()
	// Backups carry their rotation time in the name; their mtimes lie.
	write("audit.log", line("5")+line("6"), false, now)
	write("audit-2026-11-27T10-00-00.000.log.gz", line("1")+line("2"), true, now)
	write("audit-2026-11-27T11-30-00.000.log", line("3")+"{broken\n"+line("4"), false, now.Add(-time.Hour*24*365*5))
	write(".hidden", line("x"), false, now)
	r, err := Open(dir, filepath.Join(dir, "missing.log"))
	if r == nil {
		t.Fatal(err)
	}
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.File, "missing.log") {
		t.Errorf("want a FileError for missing.log, got %v", err)
	}
	var ids []string
	var bad []string
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		ids = append(ids, string(ev.AuditID))
	}
	if strings.Join(ids, "") != "123456" {
		t.Errorf("order %v", ids)
	}
	if len(bad) != 1 || !strings.Contains(bad[0], "audit-2026-11-27T11-30-00.000.log:2:") {
		t.Errorf("bad lines %v", bad)
	}
	st := r.Stats()
	if st.Events != 6 || st.BadLines != 1 || st.Files != 3 || st.Lines != 7 || st.Bytes != st.TotalBytes {
		t.Errorf("stats %+v", st)
	}
}

func TestStdinAndLongLines(t *testing.T) {
	in := strings.NewReader(`{"auditID":"a","verb":"get"}` + "\n" + `{"auditID":"` + strings.Repeat("x", 3000) + `"}` + "\n" + `{"auditID":"b","verb":"get"}`)
	r, err := OpenWith(t.Context(), OpenOptions{Stdin: in, MaxLineBytes: 1000}, "-")
	if err != nil {
		t.Fatal(err)
	}
	var ids, errs []string
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		ids = append(ids, string(ev.AuditID))
	}
	if strings.Join(ids, ",") != "a,b" || len(errs) != 1 || !strings.HasPrefix(errs[0], "-:2: line longer than 1000 bytes") {
		t.Errorf("ids %v errs %v", ids, errs)
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(p, []byte(`{"auditID":"1","verb":"get"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, err := OpenWith(ctx, OpenOptions{Follow: true, PollInterval: 10 * time.Millisecond}, p)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	go func() {
		defer close(got)
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err == nil {
				got <- string(ev.AuditID)
			}
		}
	}()
	want := func(id string) {
		t.Helper()
		select {
		case g := <-got:
			if g != id {
				t.Fatalf("got %s, want %s", g, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timeout waiting for %s", id)
		}
	}
	want("1")
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"auditID":"2","ve`) // a partial line is held until complete
	time.Sleep(50 * time.Millisecond)
	f.WriteString(`rb":"get"}` + "\n")
	want("2")
	f.WriteString(`{"auditID":"3","verb":"get"}` + "\n")
	f.Close()
	// Rotate: rename and create a new file, as lumberjack does.
	if err := os.Rename(p, filepath.Join(dir, "audit-2026-11-27T10-00-00.000.log")); err != nil {
		t.Fatal(err)
	}
	want("3")
	os.WriteFile(p, []byte(`{"auditID":"4","verb":"get"}`+"\n"), 0o600)
	want("4")
	cancel()
	select {
	case _, ok := <-got:
		if ok {
			t.Fatal("unexpected event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not stop")
	}
}

// TestParallelMatchesSequential: the parallel reader returns what the
// sequential one does, in the same order, across files, gzip and errors.
func TestParallelMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	var all bytes.Buffer
	for i := 0; i < 3000; i++ {
		if i%700 == 13 {
			all.WriteString("{garbage\n")
		}
		fmt.Fprintf(&all, `{"auditID":"%d","verb":"get","stage":"ResponseComplete"}`+"\n", i)
	}
	half := all.Len() / 2
	for all.Bytes()[half] != '\n' {
		half++
	}
	os.WriteFile(filepath.Join(dir, "audit-2026-11-27T10-00-00.000.log"), all.Bytes()[:half+1], 0o600)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(all.Bytes()[half+1:])
	zw.Close()
	os.WriteFile(filepath.Join(dir, "audit-2026-11-27T11-00-00.000.log.gz"), gz.Bytes(), 0o600)

	seq := func() []string {
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				out = append(out, "err "+err.Error())
				continue
			}
			out = append(out, string(ev.AuditID)+"@"+r.Position().String())
		}
	}
	par := func(workers int) ([]string, Stats) {
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		p := NewParallel(r, workers, func() func(*auditv1.Event) string {
			return func(ev *auditv1.Event) string { return string(ev.AuditID) }
		})
		defer p.Close()
		var out []string
		for {
			d, err := p.Next()
			if errors.Is(err, io.EOF) {
				return out, r.Stats()
			}
			if d.Err != nil {
				out = append(out, "err "+d.Err.Error())
				continue
			}
			if d.Result != string(d.Event.AuditID) {
				t.Fatalf("result %q for event %q", d.Result, d.Event.AuditID)
			}
			out = append(out, string(d.Event.AuditID)+"@"+d.Pos.String())
		}
	}
	want := seq()
	for _, w := range []int{1, 3} {
		got, st := par(w)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("workers=%d: differs from sequential (%d vs %d items)", w, len(got), len(want))
		}
		if st.Events != 3000 || st.BadLines != 5 || st.Files != 2 {
			t.Errorf("workers=%d: stats %+v", w, st)
		}
	}
}

// TestParallelChunkBoundaries: whatever the chunk size, the parallel
// reader returns what the sequential one does: events with their bodies,
// blank and whitespace lines, CRLF, lines over the bound (shorter and
// longer than a chunk), a last line without newline, a truncated gzip
// stream and an input that disappeared.
func TestParallelChunkBoundaries(t *testing.T) {
	dir := t.TempDir()
	var a bytes.Buffer
	for i := 0; i < 400; i++ {
		switch i % 37 {
		case 3:
			a.WriteString("\n   \n")
		case 5:
			fmt.Fprintf(&a, `{"auditID":"long%d","requestObject":{"x":"%s"}}`+"\n", i, strings.Repeat("y", 50+i*3))
		case 7:
			a.WriteString("{garbage\r\n")
		case 11:
			fmt.Fprintf(&a, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"l%d-a","verb":"get"},{"auditID":"l%d-b","verb":"list"}]}`+"\n", i, i)
		}
		fmt.Fprintf(&a, `{"auditID":"%d","verb":"create","stage":"ResponseComplete","requestObject":{"kind":"Pod","spec":{"n":%d,"s":"a\"}]"}},"responseObject":[%d]}`+"\r\n", i, i, i)
	}
	a.WriteString(`{"auditID":"no-newline","verb":"get"}`)
	os.WriteFile(filepath.Join(dir, "a.log"), a.Bytes(), 0o600)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(zw, `{"auditID":"gz%d","verb":"get","requestObject":{"i":%d}}`+"\n", i, i)
	}
	zw.Close()
	os.WriteFile(filepath.Join(dir, "b.log.gz"), gz.Bytes()[:gz.Len()*2/3], 0o600)
	os.WriteFile(filepath.Join(dir, "c.log"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "d.log"), []byte(`{"auditID":"d1"}`+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "e.log"), []byte("\n\n"+`{"auditID":"e3"}`), 0o600)
	paths := []string{"a.log", "b.log.gz", "c.log", "d.log", "e.log"}
	for i := range paths {
		paths[i] = filepath.Join(dir, paths[i])
	}
	open := func() *Reader {
		r, err := OpenWith(t.Context(), OpenOptions{MaxLineBytes: 600}, paths...)
		if err != nil {
			t.Fatal(err)
		}
		r.sources = append(r.sources, Source{Path: filepath.Join(dir, "gone.log")})
		return r
	}
	show := func(ev *auditv1.Event) string {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	r := open()
	var want []string
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			want = append(want, "err "+err.Error())
			continue
		}
		want = append(want, show(ev)+"@"+r.Position().String())
	}
	wantSt := r.Stats()
	defer func(n int) { parallelChunk = n }(parallelChunk)
	for _, size := range []int{1, 7, 64, 300, 1000, 4096, 256 << 10} {
		for _, workers := range []int{1, 2, 5} {
			parallelChunk = size
			r := open()
			p := NewParallel(r, workers, func() func(*auditv1.Event) string { return show })
			var got []string
			for {
				d, err := p.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if d.Err != nil {
					got = append(got, "err "+d.Err.Error())
					continue
				}
				if s := show(d.Event); s != d.Result {
					t.Fatalf("chunk %d, workers %d: event changed between the worker and Next:\n%s\n%s", size, workers, d.Result, s)
				}
				got = append(got, d.Result+"@"+d.Pos.String())
			}
			p.Close()
			if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("chunk %d, workers %d: item %d:\n got %s\nwant %s", size, workers, i, got[i], want[i])
					}
				}
				t.Fatalf("chunk %d, workers %d: %d items, want %d", size, workers, len(got), len(want))
			}
			if st := r.Stats(); st != wantSt {
				t.Errorf("chunk %d, workers %d: stats %+v, want %+v", size, workers, st, wantSt)
			}
		}
	}
}

// TestSharedValuesNotMutated: values decoded once and shared between
// events (annotations, users) are not changed by a later line that
// repeats the key.
func TestSharedValuesNotMutated(t *testing.T) {
	d := NewLineDecoder()
	var evs []auditv1.Event
	for _, l := range []string{
		`{"auditID":"1","annotations":{"a":"1"},"user":{"username":"u","groups":["g"]}}`,
		`{"auditID":"2","annotations":{"a":"1"},"annotations":{"b":"2"},"user":{"username":"u","groups":["g"]},"user":{"groups":["h"]}}`,
		`{"auditID":"3","annotations":{"a":"1"},"user":{"username":"u","groups":["g"]}}`,
	} {
		got, err := d.Decode([]byte(l), nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := reference([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		if !sameEvents(got, want) {
			t.Fatalf("%s: got %+v, want %+v", l, got, want)
		}
		evs = append(evs, got...)
	}
	for _, i := range []int{0, 2} {
		if a := evs[i].Annotations; len(a) != 1 || a["a"] != "1" {
			t.Errorf("event %d: annotations %v", i, a)
		}
		if g := evs[i].User.Groups; len(g) != 1 || g[0] != "g" {
			t.Errorf("event %d: groups %v", i, g)
		}
	}
}
