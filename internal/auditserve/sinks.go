package auditserve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/detect"
)

// sinkRunner delivers the journal's alerts to one sink from its cursor:
// a failing sink is retried with backoff (1 s doubling to 30 s, or the
// Retry-After it asked for) and never skipped, while the other sinks and
// detection go on; its alerts wait in the journal.
type sinkRunner struct {
	l         *Local
	d         alertsink.Deliverer
	name      string // cursor file and metric label: stdout, file-<hash>, webhook-<hash>
	ident     string // the destination (path, URL)
	path      string // cursor file
	cur       sinkCursor
	delivered atomic.Uint64 // last journal record delivered (and, for a file, recorded)
	lastSave  time.Time
}

// sinkCursor is what a sink delivered: up to journal record Seq, and for a
// file its size then.
type sinkCursor struct {
	Seq   uint64 `json:"seq"`
	Pos   int64  `json:"pos"`
	Ident string `json:"ident"`
}

func sinkIdentity(d alertsink.Deliverer) (name, ident string) {
	switch s := d.(type) {
	case *alertsink.FileDeliverer:
		p, err := filepath.Abs(s.Path())
		if err != nil {
			p = s.Path()
		}
		return "file-" + shortHash(p), p
	case *alertsink.WebhookDeliverer:
		return "webhook-" + shortHash(s.URL()), s.URL()
	}
	return d.Name(), d.Name()
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func newSinkRunner(l *Local, d alertsink.Deliverer, names map[string]int) (*sinkRunner, error) {
	name, ident := sinkIdentity(d)
	if names[name]++; names[name] > 1 { // the same destination twice
		name = fmt.Sprintf("%s-%d", name, names[name])
		ident = fmt.Sprintf("%s#%d", ident, names[name])
	}
	dir := filepath.Join(l.cfg.Dir, "cursors")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	r := &sinkRunner{l: l, d: d, name: name, ident: ident, path: filepath.Join(dir, name+".json")}
	b, err := os.ReadFile(r.path)
	switch {
	case err == nil && json.Unmarshal(b, &r.cur) == nil && r.cur.Ident == ident:
		if rw, ok := d.(alertsink.Rewinder); ok {
			if pos := rw.Position(); pos > r.cur.Pos {
				// Written after the cursor was recorded: those alerts are
				// delivered again, so cut them off first.
				if err := rw.Rewind(r.cur.Pos); err != nil {
					return nil, fmt.Errorf("sink %s: cutting back to its cursor: %w", ident, err)
				}
				l.log.Info("sink cut back to its cursor (its last alerts are delivered again)", "sink", ident, "bytes", pos-r.cur.Pos)
			} else if pos < r.cur.Pos {
				l.log.Warn("sink file is shorter than apiguard wrote it (rotated or truncated by someone?); appending", "sink", ident)
			}
		}
	default:
		if err != nil && !os.IsNotExist(err) {
			l.log.Warn("sink cursor unreadable; the sink starts with the next alert", "sink", ident, "err", err)
		}
		// A new sink: it gets the alerts raised from now on.
		r.cur = sinkCursor{Seq: l.journal.Last(), Ident: ident}
		if rw, ok := d.(alertsink.Rewinder); ok {
			r.cur.Pos = rw.Position()
		}
		if err := r.save(); err != nil {
			return nil, fmt.Errorf("sink cursor %s: %w", r.path, err)
		}
	}
	r.delivered.Store(r.cur.Seq)
	l.m.sinkErrors.WithLabelValues(name)
	l.m.reg.MustRegister(gaugeFuncLabels("sink_backlog_records", "Journal records not yet delivered to the sink.",
		map[string]string{"sink": name}, func() float64 {
			last, d := l.journal.Last(), r.delivered.Load()
			if last < d {
				return 0
			}
			return float64(last - d)
		}))
	return r, nil
}

func (r *sinkRunner) save() error {
	b, err := json.Marshal(r.cur)
	if err != nil {
		return err
	}
	r.lastSave = time.Now()
	return spoolWriteFile(r.path, b)
}

func (r *sinkRunner) run(ctx context.Context) {
	rd := r.l.journal.NewReader(r.cur.Seq + 1)
	defer rd.Close()
	_, rewinds := r.d.(alertsink.Rewinder)
	for {
		seq, data, err := rd.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.l.log.Error("sink stopped: journal unreadable", "sink", r.ident, "err", err)
			}
			r.final()
			return
		}
		var jr journalRecord
		if err := json.Unmarshal(data, &jr); err != nil {
			r.l.log.Error("journal record unreadable; skipped", "sink", r.ident, "seq", seq, "err", err)
			continue
		}
		if len(jr.Alerts) == 0 {
			r.cur.Seq = seq
			r.delivered.Store(seq)
			if time.Since(r.lastSave) > 2*time.Second {
				r.save() // lazily: replaying records without alerts costs nothing
			}
			continue
		}
		alerts := make([]detect.Alert, 0, len(jr.Alerts))
		for _, a := range jr.Alerts {
			var al detect.Alert
			if err := json.Unmarshal(a.Alert, &al); err != nil {
				r.l.log.Error("journal alert unreadable; skipped", "sink", r.ident, "seq", seq, "err", err)
				continue
			}
			alerts = append(alerts, al)
		}
		if !r.deliver(ctx, alerts) {
			r.final()
			return
		}
		r.cur.Seq = seq
		if rw, ok := r.d.(alertsink.Rewinder); ok {
			r.cur.Pos = rw.Position()
		}
		// A file's cursor must be on disk before the journal may drop the
		// record: a restart cuts the file back to its cursor.
		for backoff := time.Second; ; backoff = min(2*backoff, 30*time.Second) {
			err := r.save()
			if err == nil || !rewinds {
				break
			}
			r.l.log.Error("sink cursor not recorded; retrying", "sink", r.ident, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		r.delivered.Store(seq)
		r.l.m.SinkDelivered(r.name, len(alerts))
	}
}

// final records the cursor at shutdown.
func (r *sinkRunner) final() {
	if err := r.save(); err != nil {
		r.l.log.Warn("sink cursor not recorded at shutdown (alerts may be delivered again)", "sink", r.ident, "err", err)
	}
}

// deliver delivers alerts, retrying until done or ctx is done (false).
func (r *sinkRunner) deliver(ctx context.Context, alerts []detect.Alert) bool {
	done := 0
	backoff := time.Second
	failures := 0
	var lastLog time.Time
	for done < len(alerts) {
		n, err := r.d.Deliver(ctx, alerts[done:])
		done += n
		if err == nil {
			break
		}
		failures++
		r.l.m.SinkError(r.name)
		if time.Since(lastLog) >= 10*time.Second {
			r.l.log.Error("alert sink failed; retrying (its alerts wait in the journal)", "sink", r.ident, "err", err, "failures", failures)
			lastLog = time.Now()
		}
		wait := backoff
		var ra *alertsink.RetryAfterError
		if errors.As(err, &ra) && ra.Wait > 0 {
			wait = ra.Wait
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	if failures > 0 {
		r.l.log.Info("alert sink delivers again", "sink", r.ident, "failures", failures)
	}
	return true
}
