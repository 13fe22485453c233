package auditlog

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// TestOpenNotRegular: a FIFO (or anything but a regular file or a
// directory) is an input error at once; the other inputs are read.
func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "audit.log")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	good := filepath.Join(t.TempDir(), "good.log")
	if err := os.WriteFile(good, []byte(`{"auditID":"a","verb":"get"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r, err := OpenWith(t.Context(), OpenOptions{}, fifo, good)
		if err == nil || err.Error() != fifo+": is a named pipe (FIFO), not a regular file" || r == nil {
			t.Errorf("open: %v", err)
			return
		}
		if got := readAll(t, r, 1); strings.Join(got, ",") != "a" {
			t.Errorf("events: %v", got)
		}
		// A directory's FIFO is not a log file: skipped like other non-regular entries.
		if _, err := OpenWith(t.Context(), OpenOptions{}, dir); err == nil || !strings.Contains(err.Error(), "directory holds no log files") {
			t.Errorf("directory of a FIFO: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}

// readAll reads every event of r, sequentially or with workers.
func readAll(t *testing.T, r *Reader, workers int) []string {
	t.Helper()
	var ids []string
	if workers > 1 {
		p := NewParallel(r, workers, func() func(*auditv1.Event) struct{} {
			return func(*auditv1.Event) struct{} { return struct{}{} }
		})
		defer p.Close()
		for {
			d, err := p.Next()
			if errors.Is(err, io.EOF) {
				return ids
			}
			if d.Err != nil {
				ids = append(ids, "error: "+d.Err.Error())
				continue
			}
			ids = append(ids, string(d.Event.AuditID))
		}
	}
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ids
		}
		if err != nil {
			ids = append(ids, "error: "+err.Error())
			continue
		}
		ids = append(ids, string(ev.AuditID))
	}
}

// TestInterrupted: when the context ends, standard input ends as if closed
// (its partial last line dropped): a pipe whose writer never closes does
// not keep a scan alive. Files not read to their end are reported, once.
func TestInterrupted(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run("stdin, workers "+string(rune('0'+workers)), func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			ctx, cancel := context.WithCancel(context.Background())
			r, err := OpenWith(ctx, OpenOptions{Stdin: pr}, "-")
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				pw.Write([]byte(`{"auditID":"a","verb":"get"}` + "\n" + `{"auditID":"b","ve`))
				time.Sleep(100 * time.Millisecond)
				cancel() // the writer stays open
			}()
			got := make(chan []string, 1)
			go func() { got <- readAll(t, r, workers) }()
			select {
			case ids := <-got:
				if strings.Join(ids, ",") != "a" {
					t.Fatalf("events: %v", ids)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("reading stdin did not end with the context")
			}
		})
		t.Run("files, workers "+string(rune('0'+workers)), func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, n := range []string{"a.log", "b.log", "c.log"} {
				p := filepath.Join(dir, n)
				if err := os.WriteFile(p, []byte(`{"auditID":"`+n+`","verb":"get"}`+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			r, err := OpenWith(ctx, OpenOptions{}, paths...)
			if err != nil {
				t.Fatal(err)
			}
			ids := readAll(t, r, workers)
			want := "error: " + paths[0] + ": not read: interrupted (and 2 more inputs)"
			if strings.Join(ids, "|") != want {
				t.Fatalf("got %v\nwant %s", ids, want)
			}
		})
	}
}
