// Package alertsink delivers detection alerts (detect.Alert) to where people
// read them: JSON lines on a writer (stdout), a file, and an HTTP webhook
// (JSON POST, Slack-compatible) with retries. `apiguard audit scan` and
// `apiguard audit serve` share it, so both write the same alert JSON.
//
//	s := alertsink.Multi{Sinks: []alertsink.Sink{alertsink.JSONL(os.Stdout, "stdout"), f, wh}, OnError: log}
//	s.Send(a) ... s.Flush() ... s.Close()
package alertsink

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/apiguard/apiguard/internal/detect"
)

// Sink receives alerts from one goroutine.
type Sink interface {
	// Name identifies the sink in errors and metrics ("stdout", "file", "webhook").
	Name() string
	// Send delivers (or queues) one alert.
	Send(detect.Alert) error
	// Flush makes what was sent visible (buffered lines written out).
	Flush() error
	// Close flushes and releases the sink; an asynchronous sink delivers
	// what it still holds first (within its own time bound).
	Close() error
}

// Marshal is the alert JSON, one object without a trailing newline: the
// line format of `-o jsonl` and of the JSONL and file sinks.
func Marshal(a detect.Alert) ([]byte, error) { return json.Marshal(a) }

// Writer writes one alert per line (JSON lines) to an io.Writer, buffered
// until Flush.
type Writer struct {
	name string
	bw   *bufio.Writer
	c    io.Closer
	mu   sync.Mutex
}

// JSONL writes alerts as JSON lines to w (not closed by Close).
func JSONL(w io.Writer, name string) *Writer {
	return &Writer{name: name, bw: bufio.NewWriterSize(w, 64<<10)}
}

// File appends alerts as JSON lines to path (created 0600: alerts name
// users, addresses and objects).
func File(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	w := JSONL(f, "file")
	w.c = f
	return w, nil
}

func (w *Writer) Name() string { return w.name }

func (w *Writer) Send(a detect.Alert) error {
	b, err := Marshal(a)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bw.Write(b)
	return w.bw.WriteByte('\n')
}

func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bw.Flush()
}

func (w *Writer) Close() error {
	err := w.Flush()
	if w.c != nil {
		err = errors.Join(err, w.c.Close())
	}
	return err
}

// Multi sends every alert to every sink. A failing sink does not stop the
// others; its errors go to OnError (when set) and are returned joined.
type Multi struct {
	Sinks   []Sink
	OnError func(s Sink, err error)
}

func (m Multi) each(f func(Sink) error) error {
	var errs []error
	for _, s := range m.Sinks {
		if err := f(s); err != nil {
			err = fmt.Errorf("%s: %w", s.Name(), err)
			if m.OnError != nil {
				m.OnError(s, err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m Multi) Name() string {
	var n []string
	for _, s := range m.Sinks {
		n = append(n, s.Name())
	}
	return strings.Join(n, ",")
}
func (m Multi) Send(a detect.Alert) error { return m.each(func(s Sink) error { return s.Send(a) }) }
func (m Multi) Flush() error              { return m.each(Sink.Flush) }
func (m Multi) Close() error              { return m.each(Sink.Close) }
