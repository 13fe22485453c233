package alertsink

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/apiguard/apiguard/internal/detect"
)

// Deliverer delivers alerts synchronously, for callers that must know an
// alert arrived before they let go of it (`apiguard audit serve`'s
// journal, a JetStream consumer's acknowledgement).
type Deliverer interface {
	// Name identifies the destination in logs, metrics and cursors.
	Name() string
	// Deliver returns nil once every alert is delivered (a file: written
	// and fsynced; a stream: written and flushed; a webhook: answered
	// 2xx); on error the first n were delivered.
	Deliver(ctx context.Context, alerts []detect.Alert) (n int, err error)
}

// Rewinder is a Deliverer whose output can be cut back to a position (a
// file): alerts delivered after the last recorded position are removed
// before they are delivered again, so a replay writes each alert once.
type Rewinder interface {
	Deliverer
	// Position is the size of the output now.
	Position() int64
	// Rewind cuts the output back to pos.
	Rewind(pos int64) error
}

// RetryAfterError is a delivery error with the wait the receiver asked for.
type RetryAfterError struct {
	Err  error
	Wait time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// StreamDeliverer writes alerts as JSON lines to a stream (stdout). A
// closed pipe (EPIPE; the process must ignore or catch SIGPIPE) is an
// error like any other.
type StreamDeliverer struct {
	name string
	mu   sync.Mutex
	w    io.Writer
	bw   *bufio.Writer
}

// NewStreamDeliverer writes to w.
func NewStreamDeliverer(w io.Writer, name string) *StreamDeliverer {
	return &StreamDeliverer{name: name, w: w, bw: bufio.NewWriterSize(w, 64<<10)}
}

func (s *StreamDeliverer) Name() string { return s.name }

func (s *StreamDeliverer) Deliver(_ context.Context, alerts []detect.Alert) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range alerts {
		b, err := Marshal(a)
		if err != nil {
			return 0, err
		}
		s.bw.Write(b)
		s.bw.WriteByte('\n')
	}
	if err := s.bw.Flush(); err != nil {
		// What part reached the reader is unknown: drop the rest (and the
		// error bufio keeps) so a later attempt starts clean.
		s.bw.Reset(s.w)
		return 0, err
	}
	return len(alerts), nil
}

// FileDeliverer appends alerts as JSON lines to a file (mode 0600: alerts
// name users, addresses and objects), fsyncing each delivery; a write that
// fails is cut off again, so the file never holds a torn line and recovers
// by itself when space returns.
type FileDeliverer struct {
	path string
	mu   sync.Mutex
	f    *os.File
	size int64
	buf  []byte
	// sync replaces (*os.File).Sync in tests.
	sync func(*os.File) error
}

// OpenFileDeliverer opens (creating) path for appending.
func OpenFileDeliverer(path string) (*FileDeliverer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return &FileDeliverer{path: path, f: f, size: st.Size(), sync: (*os.File).Sync}, nil
}

func (d *FileDeliverer) Name() string { return "file" }

// Path is the file's path.
func (d *FileDeliverer) Path() string { return d.path }

func (d *FileDeliverer) Deliver(_ context.Context, alerts []detect.Alert) (int, error) {
	d.buf = d.buf[:0]
	for _, a := range alerts {
		b, err := Marshal(a)
		if err != nil {
			return 0, err
		}
		d.buf = append(append(d.buf, b...), '\n')
	}
	if err := d.Append(d.buf); err != nil {
		return 0, err
	}
	return len(alerts), nil
}

// Append writes b durably at the end of the file, or nothing of it.
func (d *FileDeliverer) Append(b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(b) == 0 {
		return nil
	}
	_, err := d.f.Write(b)
	if err == nil {
		err = d.sync(d.f)
	}
	if err != nil {
		if terr := d.f.Truncate(d.size); terr != nil {
			err = errors.Join(err, fmt.Errorf("cutting the failed write: %w", terr))
		}
		return err
	}
	d.size += int64(len(b))
	return nil
}

func (d *FileDeliverer) Position() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.size
}

func (d *FileDeliverer) Rewind(pos int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if pos >= d.size {
		return nil
	}
	if err := d.f.Truncate(pos); err != nil {
		return err
	}
	d.size = pos
	return nil
}

// Close closes the file.
func (d *FileDeliverer) Close() error { return d.f.Close() }

// WebhookDeliverer posts each alert to a URL (the Webhook payload) and
// waits for a 2xx; retrying is the caller's.
type WebhookDeliverer struct {
	url    string
	client *http.Client
	header http.Header
	name   string
}

// NewWebhookDeliverer posts to url with header added.
func NewWebhookDeliverer(url string, header http.Header, client *http.Client) *WebhookDeliverer {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &WebhookDeliverer{url: url, client: client, header: header, name: "webhook"}
}

func (d *WebhookDeliverer) Name() string { return d.name }

// URL is the destination.
func (d *WebhookDeliverer) URL() string { return d.url }

func (d *WebhookDeliverer) Deliver(ctx context.Context, alerts []detect.Alert) (int, error) {
	w := &Webhook{url: d.url, o: WebhookOptions{Client: d.client, Header: d.header}, ctx: ctx}
	for i, a := range alerts {
		body, err := Payload(a)
		if err != nil {
			return i, err
		}
		_, wait, err := w.post(body)
		if err != nil {
			if wait > 0 {
				err = &RetryAfterError{Err: err, Wait: wait}
			}
			return i, err
		}
	}
	return len(alerts), nil
}
