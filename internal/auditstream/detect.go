package auditstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/detect"
)

// DetectOptions configure a detector consuming the stream.
type DetectOptions struct {
	// Consumer is the durable consumer's name: processes using the same
	// name share the messages (each is processed by one of them).
	Consumer string
	// Engine runs the rules (windows and de-duplication are per process).
	Engine auditserve.Processor
	// Sinks receive the alerts; a message is acknowledged only once all of
	// them delivered its alerts.
	Sinks []alertsink.Deliverer
	// Archive, when set, receives every processed event as a JSON line
	// before the message is acknowledged.
	Archive *alertsink.FileDeliverer
	// OnAlert sees every alert delivered (e.g. for a summary).
	OnAlert func(detect.Alert)
	// DedupeWindow and DedupeKeys bound what is remembered to recognise a
	// redelivered event or alert (default 5 min, 1,000,000).
	DedupeWindow time.Duration
	DedupeKeys   int
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering (default 60 s; kept alive while sinks are retried).
	AckWait time.Duration
	Metrics *auditserve.Metrics
	Log     *slog.Logger
}

// Detector is a running consumer.
type Detector struct {
	s         *Stream
	o         DetectOptions
	cons      jetstream.Consumer
	kv        jetstream.KeyValue
	events    *auditserve.KeySet // events processed here (a redelivery skips them)
	alerts    *auditserve.KeySet // alerts raised here
	dec       *auditlog.LineDecoder
	processed atomic.Int64
	alertsN   atomic.Int64
}

// AlertBucket is the key-value bucket recording the alerts delivered for a stream.
func AlertBucket(stream string) string { return "apiguard-alerts-" + stream }

// NewDetector creates (or joins) the durable consumer.
func (s *Stream) NewDetector(ctx context.Context, o DetectOptions) (*Detector, error) {
	if o.Consumer == "" {
		return nil, errors.New("--consumer is required: the durable consumer's name")
	}
	if !streamName.MatchString(o.Consumer) {
		return nil, fmt.Errorf("--consumer %q: want letters, digits, - and _", o.Consumer)
	}
	if o.Engine == nil {
		return nil, errors.New("auditstream: Engine is required")
	}
	orDefault(&o.DedupeWindow, 5*time.Minute)
	orDefault(&o.DedupeKeys, 1_000_000)
	orDefault(&o.AckWait, 60*time.Second)
	if o.Log == nil {
		o.Log = s.log
	}
	if o.Metrics == nil {
		o.Metrics = auditserve.NewMetrics()
	}
	d := &Detector{s: s, o: o, events: auditserve.NewKeySet(o.DedupeWindow, o.DedupeKeys),
		alerts: auditserve.NewKeySet(o.DedupeWindow, o.DedupeKeys), dec: auditlog.NewLineDecoder()}
	var err error
	d.cons, err = s.js.CreateOrUpdateConsumer(ctx, s.t.Stream, jetstream.ConsumerConfig{
		Durable:       o.Consumer,
		Description:   "apiguard detectors",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 64,
		FilterSubject: s.subject,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s on %s: %w", o.Consumer, s.t.Stream, err)
	}
	d.kv, err = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      AlertBucket(s.t.Stream),
		Description: "alerts apiguard delivered (de-duplication across consumers and redeliveries)",
		TTL:         max(o.DedupeWindow, time.Hour),
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("alert bucket %s: %w", AlertBucket(s.t.Stream), err)
	}
	return d, nil
}

// Processed and Alerts count the events processed and alerts delivered.
func (d *Detector) Processed() int64 { return d.processed.Load() }
func (d *Detector) Alerts() int64    { return d.alertsN.Load() }

// Run consumes until ctx is done. Each message is processed, its alerts
// delivered to every sink (retried until they are) and recorded in the
// alert bucket, its events archived, and only then acknowledged. A message
// whose processing is cut by ctx is not acknowledged: it is redelivered.
func (d *Detector) Run(ctx context.Context) error {
	var lastErr time.Time
	for ctx.Err() == nil {
		batch, err := d.cons.Fetch(16, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if time.Since(lastErr) > 10*time.Second {
				d.o.Log.Warn("JetStream fetch failed; retrying", "stream", d.s.t.Stream, "consumer", d.o.Consumer, "err", err)
				lastErr = time.Now()
			}
			sleep(ctx, time.Second)
			continue
		}
		for msg := range batch.Messages() {
			if err := d.handle(ctx, msg); err != nil {
				if ctx.Err() != nil {
					break
				}
				d.o.Log.Warn("message not acknowledged; it will be redelivered", "err", err)
			}
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoMessages) {
			if time.Since(lastErr) > 10*time.Second {
				d.o.Log.Warn("JetStream fetch interrupted; retrying", "err", err)
				lastErr = time.Now()
			}
			sleep(ctx, time.Second)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// handle processes one message and acknowledges it.
func (d *Detector) handle(ctx context.Context, msg jetstream.Msg) error {
	rec, err := auditserve.ParseRecord(msg.Data())
	if err != nil {
		d.o.Log.Error("message is not an apiguard spool record; terminated (never redelivered)", "err", err)
		return msg.Term()
	}
	evs, raws, err := d.dec.DecodeBatch(rec.Body)
	if err != nil || len(evs) != len(rec.Keys) {
		d.o.Log.Error("spool record does not decode; terminated", "err", err)
		return msg.Term()
	}
	var (
		keyed  []keyedAlert
		arch   []byte
		fresh  []auditserve.Key
		now    = time.Now()
		events = 0
	)
	for i := range evs {
		if d.events.Has(rec.Keys[i]) {
			continue // a redelivery of what this process already did
		}
		ev := &evs[i]
		fresh = append(fresh, rec.Keys[i])
		events++
		for _, a := range d.process(ev) {
			k := auditserve.AlertKey(a.Rule, ev)
			if d.alerts.Has(k) {
				d.o.Metrics.Suppressed()
				continue
			}
			a.ID = k.String()
			keyed = append(keyed, keyedAlert{k, a})
		}
		if d.o.Archive != nil {
			arch = append(arch, auditserve.ArchiveLine(raws[i], ev)...)
		}
		if !ev.StageTimestamp.IsZero() {
			d.o.Metrics.Lag(now.Sub(ev.StageTimestamp.Time).Seconds())
		}
	}
	// Alerts another consumer (or this one before a restart) delivered.
	out := keyed[:0]
	for _, ka := range keyed {
		var seen bool
		if err := retry(ctx, d.o.Log, "look up "+AlertBucket(d.s.t.Stream), func() error {
			octx, cancel := context.WithTimeout(ctx, opTimeout)
			defer cancel()
			_, err := d.kv.Get(octx, ka.k.String())
			switch {
			case err == nil:
				seen = true
			case errors.Is(err, jetstream.ErrKeyNotFound):
			default:
				return err
			}
			return nil
		}); err != nil {
			return err
		}
		if seen {
			d.alerts.AddNew(ka.k, now)
			d.o.Metrics.Suppressed()
			continue
		}
		out = append(out, ka)
	}
	keyed = out
	alerts := make([]detect.Alert, len(keyed))
	for i, ka := range keyed {
		alerts[i] = ka.a
	}
	stopKeepAlive := keepAlive(msg, d.o.AckWait)
	defer stopKeepAlive()
	for _, sink := range d.o.Sinks {
		if err := d.deliver(ctx, sink, alerts); err != nil {
			return err
		}
	}
	if err := retry(ctx, d.o.Log, "record alerts in "+AlertBucket(d.s.t.Stream), func() error {
		for _, ka := range keyed {
			octx, cancel := context.WithTimeout(ctx, opTimeout)
			_, err := d.kv.Put(octx, ka.k.String(), []byte(ka.a.Rule))
			cancel()
			if err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, ka := range keyed {
		d.alerts.AddNew(ka.k, now)
		d.alertsN.Add(1)
		d.o.Metrics.Alert(ka.a)
		if d.o.OnAlert != nil {
			d.o.OnAlert(ka.a)
		}
	}
	if len(arch) > 0 {
		if err := retry(ctx, d.o.Log, "--events-out", func() error { return d.o.Archive.Append(arch) }); err != nil {
			return err
		}
	}
	for _, k := range fresh {
		d.events.AddNew(k, now)
	}
	d.processed.Add(int64(events))
	d.o.Metrics.Processed(events)
	// Acknowledged once the server confirms. When it does not (the server
	// restarted and no longer holds this delivery) the message may come
	// back: its events are then skipped here, and its alerts found in the
	// bucket elsewhere. Retrying the acknowledgement would wait forever.
	actx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		d.o.Log.Warn("acknowledgement not confirmed; the message may be delivered again (its events are skipped then)", "err", err)
	}
	return nil
}

// opTimeout bounds each request to the server: a request sent just before
// the connection dropped never gets its answer.
const opTimeout = 10 * time.Second

type keyedAlert struct {
	k auditserve.Key
	a detect.Alert
}

// keepAlive tells the server the message is being worked on, so that a
// slow sink does not make it redeliver the message to another consumer.
func keepAlive(msg jetstream.Msg, ackWait time.Duration) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

func (d *Detector) deliver(ctx context.Context, sink alertsink.Deliverer, alerts []detect.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	done := 0
	return retry(ctx, d.o.Log, "alert sink "+sink.Name(), func() error {
		n, err := sink.Deliver(ctx, alerts[done:])
		done += n
		if err != nil {
			d.o.Metrics.SinkError(sink.Name())
			return err
		}
		d.o.Metrics.SinkDelivered(sink.Name(), len(alerts))
		return nil
	})
}

// retry runs f until it succeeds or ctx is done, with backoff from 100 ms
// to 10 s, logging at most every 10 s.
func retry(ctx context.Context, log *slog.Logger, what string, f func() error) error {
	backoff := 100 * time.Millisecond
	var lastLog time.Time
	for fails := 0; ; fails++ {
		err := f()
		if err == nil {
			if fails > 0 {
				log.Info(what+": works again", "failures", fails)
			}
			return nil
		}
		var ra *alertsink.RetryAfterError
		wait := backoff
		if errors.As(err, &ra) && ra.Wait > 0 {
			wait = ra.Wait
		}
		if time.Since(lastLog) >= 10*time.Second {
			log.Error(what+" failed; retrying (the message is not acknowledged until it succeeds)", "err", err, "failures", fails+1)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (stopped)", what, err)
		case <-time.After(wait):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (d *Detector) process(ev *auditv1.Event) (alerts []detect.Alert) {
	defer func() {
		if p := recover(); p != nil {
			d.o.Log.Error("detection engine panicked; event skipped", "auditID", ev.AuditID, "panic", p)
		}
	}()
	return d.o.Engine.Process(ev)
}

// truncateEvent drops an event's request and response bodies and marks it
// truncated (the annotation kube-apiserver's truncating backend sets).
func truncateEvent(raw []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "requestObject")
	delete(m, "responseObject")
	anns := map[string]string{}
	if a, ok := m["annotations"]; ok {
		json.Unmarshal(a, &anns)
	}
	anns["audit.k8s.io/truncated"] = "true"
	b, _ := json.Marshal(anns)
	m["annotations"] = b
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}
