package auditserve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/spool"
)

// Defaults of the local spool.
const (
	// DefaultSpoolBytes bounds the accepted batches not yet processed:
	// about 500,000 typical events (2 KiB each), or 10 s of the 1,000
	// batches the API server's default buffer holds many times over.
	DefaultSpoolBytes = 1 << 30
	// DefaultJournalBytes bounds the alerts not yet delivered to every sink.
	DefaultJournalBytes = 256 << 20
)

// LocalConfig configures the local durable pipeline.
type LocalConfig struct {
	// Dir holds the spool: batches/ (accepted, not yet processed),
	// keys/ (what was accepted and alerted recently, for de-duplication
	// across restarts), journal/ (processed: alerts and the checkpoint),
	// cursors/ (what each sink delivered).
	Dir          string
	MaxBytes     int64 // bound of batches/ (default DefaultSpoolBytes)
	JournalBytes int64 // bound of journal/ (default DefaultJournalBytes)
	// Engine processes the events, in the order they were accepted.
	Engine Processor
	// Sinks receive the alerts, each at its own pace from the journal.
	Sinks []alertsink.Deliverer
	// EventsOut, when set, receives every processed event as a JSON line
	// (exactly once: the file is cut back to the checkpoint on restart).
	EventsOut    string
	DedupeWindow time.Duration
	DedupeKeys   int
	// SinkDrainTimeout bounds delivering the journal at shutdown (default 30 s).
	SinkDrainTimeout time.Duration
	Metrics          *Metrics
	Log              *slog.Logger
}

// Local is the durable pipeline on local disk: accepted batches are
// appended to a write-ahead spool (fsync before the acknowledgement), one
// worker processes them in order and records each step in a journal
// (alerts raised, events archived, the last batch processed), and every
// sink delivers the journal's alerts from its own cursor. After a crash,
// Open recovers: the batches after the checkpoint are processed again, the
// events archive is cut back to the checkpoint, each file sink to its
// cursor, and alerts already raised are not raised again.
type Local struct {
	cfg     LocalConfig
	log     *slog.Logger
	m       *Metrics
	batches *spool.Log
	keys    *spool.Log
	journal *spool.Log
	archive *alertsink.FileDeliverer // --events-out (nil: none)

	upto        uint64 // last batch processed (journal checkpoint)
	archived    int64  // archive size at the checkpoint
	archivePath string // the archive of the checkpoint
	alerted     *KeySet
	keysLog     []keysMark // keys/ records kept: when and how many keys
	keysHeld    int

	accepted []seedKey // event keys found at recovery, for the receiver's dedupe

	runners []*sinkRunner

	appendErr  atomic.Pointer[error] // last batches append error (nil: ok)
	commitErr  atomic.Pointer[error] // last failed commit (nil: ok)
	processed  atomic.Int64
	alertCount atomic.Int64
	decoder    *auditlog.LineDecoder
}

type seedKey struct {
	k  Key
	at time.Time
}

type keysMark struct {
	seq  uint64
	at   time.Time
	keys int
}

// journalRecord is one commit of the worker.
type journalRecord struct {
	Upto        uint64         `json:"upto"`                  // last batch processed
	Archive     int64          `json:"archive"`               // --events-out size after it
	ArchivePath string         `json:"archivePath,omitempty"` // --events-out
	Time        time.Time      `json:"time"`                  // when
	Alerts      []journalAlert `json:"alerts,omitempty"`      // raised, in order
	Flushed     bool           `json:"flushed,omitempty"`     // the engine was flushed (shutdown)
}

type journalAlert struct {
	Key   string          `json:"key"`
	Alert json.RawMessage `json:"alert"`
}

// OpenLocal opens (creating) the spool in cfg.Dir and recovers it.
func OpenLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Engine == nil {
		return nil, errors.New("auditserve: LocalConfig.Engine is required")
	}
	orDefault(&cfg.MaxBytes, DefaultSpoolBytes)
	orDefault(&cfg.JournalBytes, DefaultJournalBytes)
	orDefault(&cfg.DedupeWindow, DefaultDedupeWindow)
	orDefault(&cfg.DedupeKeys, DefaultDedupeKeys)
	orDefault(&cfg.SinkDrainTimeout, 30*time.Second)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("--spool %s: %w", cfg.Dir, err)
	}
	l := &Local{cfg: cfg, log: cfg.Log, m: cfg.Metrics, alerted: NewKeySet(cfg.DedupeWindow, cfg.DedupeKeys), decoder: auditlog.NewLineDecoder()}
	var err error
	open := func(name string, o spool.Options) *spool.Log {
		if err != nil {
			return nil
		}
		var s *spool.Log
		s, err = spool.Open(filepath.Join(cfg.Dir, name), o)
		if err == nil {
			if r := s.Recovery(); r.Truncated > 0 {
				l.log.Warn("spool recovered: a record cut short by a crash or failed write was removed (it was never acknowledged)",
					"log", name, "bytes", r.Truncated, "detail", r.Detail)
			}
		}
		return s
	}
	l.batches = open("batches", spool.Options{MaxBytes: cfg.MaxBytes})
	l.keys = open("keys", spool.Options{NoSync: true, SegmentBytes: 4 << 20})
	l.journal = open("journal", spool.Options{MaxBytes: cfg.JournalBytes, SegmentBytes: 8 << 20})
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("--spool %s: %w", cfg.Dir, err)
	}
	if err := l.recover(); err != nil {
		l.Close()
		return nil, fmt.Errorf("--spool %s: %w", cfg.Dir, err)
	}
	if cfg.EventsOut != "" {
		a, err := alertsink.OpenFileDeliverer(cfg.EventsOut)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("--events-out: %w", err)
		}
		l.archive = a
		switch pos := a.Position(); {
		case l.archivePath != cfg.EventsOut:
			// Not the file of the checkpoint (a new spool, or --events-out
			// changed): append to what it holds, from a checkpoint of its
			// size recorded now, before anything is archived. Without it a
			// crash between the first archived group and its journal
			// record left the group in the file, and wrote it again.
			l.archived, l.archivePath = pos, cfg.EventsOut
			b, err := json.Marshal(journalRecord{Upto: l.upto, Archive: pos, ArchivePath: cfg.EventsOut, Time: time.Now().UTC()})
			if err == nil {
				_, err = l.journal.Append(b)
			}
			if err != nil {
				l.Close()
				return nil, fmt.Errorf("--events-out: recording its checkpoint: %w", err)
			}
		case pos > l.archived:
			// Events archived after the checkpoint: they are processed
			// again, and written again.
			if err := a.Rewind(l.archived); err != nil {
				l.Close()
				return nil, fmt.Errorf("--events-out: cutting back to the checkpoint: %w", err)
			}
			l.log.Info("--events-out cut back to the last checkpoint (its last events are processed again)", "bytes", pos-l.archived)
		case pos < l.archived:
			l.log.Warn("--events-out is shorter than apiguard wrote it (rotated or truncated by someone?); appending", "size", pos, "expected", l.archived)
			l.archived = pos
		}
	}
	names := map[string]int{}
	for _, d := range cfg.Sinks {
		r, err := newSinkRunner(l, d, names)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.runners = append(l.runners, r)
	}
	l.registerMetrics()
	return l, nil
}

// recover reads the journal (checkpoint, alerts raised), the keys log and
// the batches still held.
func (l *Local) recover() error {
	now := time.Now()
	horizon := now.Add(-l.cfg.DedupeWindow)
	r := l.journal.NewReader(1)
	defer r.Close()
	for {
		_, data, ok, err := r.TryNext()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var jr journalRecord
		if err := json.Unmarshal(data, &jr); err != nil {
			return fmt.Errorf("journal record: %w", err)
		}
		l.upto, l.archived, l.archivePath = jr.Upto, jr.Archive, jr.ArchivePath
		if jr.Time.After(horizon) {
			for _, a := range jr.Alerts {
				if k, ok := parseKey(a.Key); ok {
					l.alerted.AddNew(k, jr.Time)
				}
			}
		}
	}
	kr := l.keys.NewReader(1)
	defer kr.Close()
	for {
		seq, data, ok, err := kr.TryNext()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		at, events, alerts, err := parseKeysRecord(data)
		if err != nil {
			l.log.Warn("keys log: unreadable record skipped", "seq", seq, "err", err)
			continue
		}
		l.keysLog = append(l.keysLog, keysMark{seq: seq, at: at, keys: len(events) + len(alerts)})
		l.keysHeld += len(events) + len(alerts)
		if at.Before(horizon) {
			continue
		}
		for _, k := range events {
			l.accepted = append(l.accepted, seedKey{k, at})
		}
		for _, k := range alerts {
			l.alerted.AddNew(k, at)
		}
	}
	br := l.batches.NewReader(1)
	defer br.Close()
	pending := 0
	for {
		seq, data, ok, err := br.TryNext()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		rec, err := ParseRecord(data)
		if err != nil {
			return fmt.Errorf("batch %d: %w", seq, err)
		}
		for _, k := range rec.Keys {
			l.accepted = append(l.accepted, seedKey{k, rec.Arrival})
		}
		if seq > l.upto {
			pending++
		}
	}
	if l.upto > 0 || pending > 0 {
		l.log.Info("spool recovered", "processed-up-to", l.upto, "batches-to-process", pending,
			"alerts-remembered", l.alerted.Len(), "events-remembered", len(l.accepted))
	}
	// Batches processed before the crash may still be held.
	return l.batches.Trim(l.upto)
}

func parseKey(s string) (Key, bool) {
	var k Key
	if len(s) != 32 {
		return k, false
	}
	for i := range k {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// keys/ record: time (unix ns) i64 | events u32 | alerts u32 | keys.
func appendKeysRecord(dst []byte, at time.Time, events, alerts []Key) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(at.UnixNano()))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(events)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(alerts)))
	for _, k := range events {
		dst = append(dst, k[:]...)
	}
	for _, k := range alerts {
		dst = append(dst, k[:]...)
	}
	return dst
}

func parseKeysRecord(b []byte) (time.Time, []Key, []Key, error) {
	if len(b) < 16 {
		return time.Time{}, nil, nil, errRecord
	}
	at := time.Unix(0, int64(binary.LittleEndian.Uint64(b)))
	ne, na := binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
	if uint64(len(b)-16) != 16*(uint64(ne)+uint64(na)) {
		return time.Time{}, nil, nil, errRecord
	}
	keys := make([]Key, ne+na)
	for i := range keys {
		copy(keys[i][:], b[16+16*i:])
	}
	return at, keys[:ne], keys[ne:], nil
}

// AcceptedKeys calls f with the key of every event accepted within the
// de-duplication window before this start (for the receiver's dedupe).
func (l *Local) AcceptedKeys(f func(Key, time.Time)) {
	for _, s := range l.accepted {
		f(s.k, s.at)
	}
	l.accepted = nil
}

// Append stores a batch durably (Ingest).
func (l *Local) Append(_ context.Context, b *Batch) error {
	rec := AppendRecord(make([]byte, 0, b.EncodedSize()), b)
	_, err := l.batches.Append(rec)
	if err != nil {
		l.appendErr.Store(&err)
		if errors.Is(err, spool.ErrFull) {
			return fmt.Errorf("%w: %d bytes held, --spool-max-bytes %d (detection is behind)", ErrSpoolFull, l.batches.Size(), l.cfg.MaxBytes)
		}
		return err
	}
	l.appendErr.Store(nil)
	return nil
}

// ErrSpoolFull: the spool holds its maximum.
var ErrSpoolFull = errors.New("spool full")

// Health is nil when the spool takes batches (Ingest).
func (l *Local) Health() error {
	if p := l.appendErr.Load(); p != nil {
		return fmt.Errorf("spool not writable: %w", *p)
	}
	if p := l.commitErr.Load(); p != nil {
		return fmt.Errorf("processing stalled: %w", *p)
	}
	if size := l.batches.Size(); size >= l.cfg.MaxBytes/10*9 {
		return fmt.Errorf("spool 90%% full (%d of %d bytes): detection is behind", size, l.cfg.MaxBytes)
	}
	return nil
}

// Run processes the spool and delivers the alerts until ctx is done, then
// drains: every batch accepted is processed, the engine flushed, and the
// sinks deliver the journal (within SinkDrainTimeout; what is left stays
// in the journal for the next start). Call it after the receiver stopped
// accepting (or concurrently with it: Run drains what was appended before
// ctx was done and anything appended while it drains).
func (l *Local) Run(ctx context.Context, accepting func() bool) error {
	sinkCtx, stopSinks := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range l.runners {
		wg.Add(1)
		go func() { defer wg.Done(); r.run(sinkCtx) }()
	}
	err := l.work(ctx, accepting)
	// Sinks: deliver what the journal holds, within the timeout.
	last := l.journal.Last()
	deadline := time.Now().Add(l.cfg.SinkDrainTimeout)
	for _, r := range l.runners {
		for r.delivered.Load() < last && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if d := r.delivered.Load(); d < last {
			l.log.Warn("sink not drained at shutdown; its alerts stay in the journal for the next start", "sink", r.name, "delivered", d, "journal", last)
		}
	}
	stopSinks()
	wg.Wait()
	l.trimJournal()
	return err
}

// work is the worker: it reads the batches after the checkpoint, runs them
// through the engine and commits each group to the journal. When ctx is
// done it processes what remains until accepting() is false and nothing is
// left, flushes the engine and returns.
func (l *Local) work(ctx context.Context, accepting func() bool) error {
	r := l.batches.NewReader(l.upto + 1)
	defer r.Close()
	const maxGroupEvents = 8192
	var (
		events, alerts []Key
		out            []journalAlert
		arch           []byte
	)
	draining := false
	for {
		events, alerts, out, arch = events[:0], alerts[:0], out[:0], arch[:0]
		stopped := accepting == nil || !accepting() // sampled before looking
		var upto uint64
		n, records := 0, 0
		for n < maxGroupEvents {
			seq, data, ok, err := r.TryNext()
			if err != nil {
				return err
			}
			if !ok {
				if records > 0 || draining {
					break
				}
				if seq, data, err = r.Next(ctx); err != nil {
					if ctx.Err() == nil {
						return err
					}
					draining = true
					l.log.Info("draining: processing every accepted batch")
					break
				}
			}
			records++
			upto = seq
			var nev int
			out, arch, events, nev = l.processRecord(seq, data, out, arch, events)
			n += nev
		}
		if records == 0 {
			if draining && stopped {
				return l.finish(ctx)
			}
			if draining {
				time.Sleep(5 * time.Millisecond)
			}
			continue
		}
		for _, a := range out {
			k, _ := parseKey(a.Key)
			alerts = append(alerts, k)
		}
		if err := l.commit(ctx, upto, events, alerts, out, arch, false); err != nil {
			return err
		}
		l.processed.Add(int64(n))
		l.m.processed.Add(float64(n))
	}
}

// finish flushes the engine and commits what it raised.
func (l *Local) finish(ctx context.Context) error {
	var out []journalAlert
	var keys []Key
	for _, a := range l.flush() {
		b, err := alertsink.Marshal(a)
		if err != nil {
			continue
		}
		var k Key
		sum := sha256.Sum256(b)
		copy(k[:], sum[:])
		a.ID = k.String()
		if b, err = alertsink.Marshal(a); err != nil {
			continue
		}
		out = append(out, journalAlert{Key: k.String(), Alert: b})
		keys = append(keys, k)
	}
	if len(out) == 0 {
		return nil
	}
	return l.commit(ctx, l.upto, nil, keys, out, nil, true)
}

// processRecord runs one batch through the engine: the alerts not raised
// before are appended to out, the events' raw JSON lines to arch, their
// keys to keys; n is the number of events.
func (l *Local) processRecord(seq uint64, data []byte, out []journalAlert, arch []byte, keys []Key) (_ []journalAlert, _ []byte, _ []Key, n int) {
	rec, err := ParseRecord(data)
	if err != nil {
		l.log.Error("spool: unreadable batch skipped", "seq", seq, "err", err)
		return out, arch, keys, 0
	}
	keys = append(keys, rec.Keys...)
	evs, raws, err := l.decoder.DecodeBatch(rec.Body)
	if err != nil {
		// The receiver decoded it before storing it: a change of decoder
		// between versions could do this. Keep the events in the archive.
		l.log.Error("spool: batch no longer decodes; its events are archived but not analysed", "seq", seq, "err", err)
		if l.archive != nil {
			arch = append(arch, compactLine(rec.Body)...)
		}
		return out, arch, keys, 0
	}
	now := time.Now()
	for i := range evs {
		ev := &evs[i]
		for _, a := range l.process(ev) {
			k := AlertKey(a.Rule, ev)
			if !l.alerted.AddNew(k, now) {
				l.m.alertsSuppressed.Inc()
				continue
			}
			a.ID = k.String()
			b, err := alertsink.Marshal(a)
			if err != nil {
				l.log.Error("alert not encodable", "rule", a.Rule, "err", err)
				continue
			}
			out = append(out, journalAlert{Key: k.String(), Alert: b})
			l.m.alerts.WithLabelValues(a.Rule, a.Severity.String()).Inc()
			l.alertCount.Add(1)
		}
		if l.archive != nil {
			arch = append(arch, ArchiveLine(raws[i], ev)...)
		}
		if !ev.StageTimestamp.IsZero() {
			l.m.lag.Observe(now.Sub(ev.StageTimestamp.Time).Seconds())
		}
	}
	return out, arch, keys, len(evs)
}

// ArchiveLine is the audit log line (newline-terminated) of an event whose
// raw JSON, as received, is raw: raw itself (on one line) unless read alone
// it would not be that one event (an unknown "items" member makes a line an
// EventList), then the event re-encoded.
func ArchiveLine(raw []byte, ev *auditv1.Event) []byte {
	if bytes.Contains(raw, []byte("items")) || bytes.Contains(raw, []byte(`\u`)) {
		d := auditlog.NewLineDecoder()
		if evs, err := d.Decode(raw, nil); err != nil || len(evs) != 1 || EventKey(&evs[0]) != EventKey(ev) {
			e := *ev
			e.Kind, e.APIVersion = "Event", "audit.k8s.io/v1"
			if b, err := json.Marshal(&e); err == nil {
				return append(b, '\n')
			}
		}
	}
	return compactLine(raw)
}

// compactLine is the JSON value as one line (newline-terminated): kept as
// is unless it spans lines.
func compactLine(raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return append(raw[:len(raw):len(raw)], '\n')
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return append(bytes.ReplaceAll(raw, []byte("\n"), []byte(" ")), '\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// process runs the engine on one event; a panic is logged and the event
// skipped rather than stopping the pipeline.
func (l *Local) process(ev *auditv1.Event) (alerts []Alert) {
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("detection engine panicked; event skipped", "auditID", ev.AuditID, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return l.cfg.Engine.Process(ev)
}

func (l *Local) flush() (alerts []Alert) {
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("detection engine panicked in Flush", "panic", p)
		}
	}()
	return l.cfg.Engine.Flush()
}

// commit makes a processed group durable: events archived, keys recorded,
// then the journal record (the checkpoint). A failure (disk full, I/O
// error) is retried with backoff until it succeeds, nothing half-done:
// each step that succeeded is not repeated. While it fails the receiver's
// /readyz says so. Returns only when committed, or ctx is done and the
// receiver stopped (the group is then processed again at the next start).
func (l *Local) commit(ctx context.Context, upto uint64, events, alerts []Key, out []journalAlert, arch []byte, flushed bool) error {
	// Order matters. The journal record is the checkpoint: once it is
	// written the group counts as processed. The events it archived are
	// written before it (a restart cuts the archive back to the size the
	// last record names), the keys after it: alert keys recorded before
	// their journal record would make a restart suppress alerts that were
	// never delivered. (Keys missing after a crash between the two are
	// recovered from the journal and from the batches, which are trimmed
	// only after the keys are written.)
	archived, journaled, keyed := len(arch) == 0 || l.archive == nil, false, false
	size := l.archived
	backoff := 50 * time.Millisecond
	var lastLog, firstFail time.Time
	suppressed := 0
	for {
		err := func() error {
			if !archived {
				if err := l.archive.Append(arch); err != nil {
					l.m.commitErrors.WithLabelValues("events-out").Inc()
					return fmt.Errorf("--events-out: %w", err)
				}
				archived = true
			}
			if !journaled {
				if l.archive != nil {
					size = l.archive.Position()
				}
				b, err := json.Marshal(journalRecord{Upto: upto, Archive: size, ArchivePath: l.cfg.EventsOut, Time: time.Now().UTC(), Alerts: out, Flushed: flushed})
				if err != nil {
					return err
				}
				if _, err := l.journal.Append(b); err != nil {
					l.m.commitErrors.WithLabelValues("journal").Inc()
					if errors.Is(err, spool.ErrFull) {
						return fmt.Errorf("journal full (%d bytes): a sink is not delivering", l.journal.Size())
					}
					return fmt.Errorf("spool journal: %w", err)
				}
				journaled = true
				l.archived = size
			}
			if !keyed && (len(events) > 0 || len(alerts) > 0) {
				if _, err := l.keys.Append(appendKeysRecord(nil, time.Now(), events, alerts)); err != nil {
					l.m.commitErrors.WithLabelValues("keys").Inc()
					return fmt.Errorf("spool keys: %w", err)
				}
				if err := l.keys.Sync(); err != nil {
					l.m.commitErrors.WithLabelValues("keys").Inc()
					return fmt.Errorf("spool keys: %w", err)
				}
				keyed = true
				l.keysLog = append(l.keysLog, keysMark{seq: l.keys.Last(), at: time.Now(), keys: len(events) + len(alerts)})
				l.keysHeld += len(events) + len(alerts)
			}
			return nil
		}()
		if err == nil {
			break
		}
		l.commitErr.Store(&err)
		if time.Since(lastLog) >= 10*time.Second {
			l.log.Error("cannot record processed events; retrying (nothing is lost: the batches stay in the spool)", "err", err, "suppressed", suppressed)
			lastLog, suppressed = time.Now(), 0
		} else {
			suppressed++
		}
		if firstFail.IsZero() {
			firstFail = time.Now()
		}
		// Keep trying while draining, but not forever: what is not
		// committed is processed again at the next start.
		if ctx.Err() != nil && time.Since(firstFail) > l.cfg.SinkDrainTimeout {
			return fmt.Errorf("shutting down with processed events not recorded (they are processed again at the next start): %w", err)
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	if l.commitErr.Load() != nil {
		l.log.Info("recording processed events works again")
		l.commitErr.Store(nil)
	}
	l.upto = upto
	if err := l.batches.Trim(upto); err != nil {
		l.log.Warn("spool: removing processed batches", "err", err)
	}
	l.trimKeys()
	l.trimJournal()
	return nil
}

// trimKeys drops keys/ records out of the window, or beyond DedupeKeys.
func (l *Local) trimKeys() {
	horizon := time.Now().Add(-l.cfg.DedupeWindow)
	var upto uint64
	n := 0
	for n < len(l.keysLog) && (l.keysLog[n].at.Before(horizon) || l.keysHeld-l.keysLog[n].keys >= l.cfg.DedupeKeys) {
		upto = l.keysLog[n].seq
		l.keysHeld -= l.keysLog[n].keys
		n++
	}
	if n == 0 {
		return
	}
	l.keysLog = append(l.keysLog[:0], l.keysLog[n:]...)
	if err := l.keys.Trim(upto); err != nil {
		l.log.Warn("spool: trimming keys", "err", err)
	}
}

// trimJournal drops the journal segments every sink has delivered.
func (l *Local) trimJournal() {
	last := l.journal.Last()
	if last == 0 {
		return
	}
	// the last record is the checkpoint (the batches processed, the size
	// of --events-out): it is never trimmed, whatever was delivered
	upto := last - 1
	for _, r := range l.runners {
		upto = min(upto, r.delivered.Load())
	}
	if err := l.journal.Trim(upto); err != nil {
		l.log.Warn("spool: trimming the journal", "err", err)
	}
}

// Alerts is the number of alerts raised since Open.
func (l *Local) Alerts() int64 { return l.alertCount.Load() }

// Close closes the spool files.
func (l *Local) Close() error {
	var errs []error
	for _, s := range []*spool.Log{l.batches, l.keys, l.journal} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if l.archive != nil {
		errs = append(errs, l.archive.Close())
	}
	return errors.Join(errs...)
}

func (l *Local) registerMetrics() {
	l.m.reg.MustRegister(
		gaugeFunc("spool_bytes", "Bytes of accepted batches held in the spool (not yet processed, or processed and not yet removed).", func() float64 { return float64(l.batches.Size()) }),
		gaugeFunc("spool_capacity_bytes", "--spool-max-bytes.", func() float64 { return float64(l.cfg.MaxBytes) }),
		gaugeFunc("spool_backlog_batches", "Accepted batches not yet processed.", func() float64 { return float64(l.batches.Last() - min(l.upto, l.batches.Last())) }),
		gaugeFunc("journal_bytes", "Bytes of the journal (alerts not yet delivered to every sink, and recent checkpoints).", func() float64 { return float64(l.journal.Size()) }),
		gaugeFunc("processing_stalled", "1 while processed events cannot be recorded (disk full, I/O error): see the log.", func() float64 {
			if l.commitErr.Load() != nil {
				return 1
			}
			return 0
		}),
	)
}

// Processed is the number of events processed since Open.
func (l *Local) Processed() int64 { return l.processed.Load() }
