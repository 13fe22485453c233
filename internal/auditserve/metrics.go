package auditserve

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/apiguard/apiguard/internal/spool"
)

// Metric names, all prefixed apiguard_audit_.
const metricPrefix = "apiguard_audit_"

// Metrics is the Prometheus instrumentation of the receiver and of the
// pipeline behind it, on their own registry.
type Metrics struct {
	reg *prometheus.Registry

	// receiver
	received    prometheus.Counter     // events decoded from well-formed requests
	accepted    prometheus.Counter     // events stored durably and acknowledged
	rejected    *prometheus.CounterVec // events refused with their batch, by reason
	duplicate   prometheus.Counter     // events dropped as re-sent
	requests    *prometheus.CounterVec // requests by HTTP status code
	latency     *prometheus.HistogramVec
	batchSize   prometheus.Histogram
	spoolErrors *prometheus.CounterVec // failed spool appends, by reason
	writable    prometheus.Gauge       // 1 while the spool takes batches
	// pipeline
	processed        prometheus.Counter
	alerts           *prometheus.CounterVec // by rule and severity
	alertsSuppressed prometheus.Counter     // alerts already raised (another stage, a replay)
	commitErrors     *prometheus.CounterVec // failed commit steps, by what
	sinkErrors       *prometheus.CounterVec // failed deliveries, by sink
	sinkDelivered    *prometheus.CounterVec // alerts delivered, by sink
	lag              prometheus.Histogram   // stageTimestamp to processing
}

// NewMetrics makes the registry (with Go and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.received = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_received_total",
		Help: "Audit events decoded from well-formed, authenticated webhook requests (accepted, duplicate or refused)."})
	m.accepted = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_accepted_total",
		Help: "Audit events stored in the durable spool and acknowledged to the API server."})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "events_rejected_total",
		Help: "Decoded audit events refused with their batch (the API server retries them), by reason: spool_full, spool_error, conflict, shutting_down."},
		[]string{"reason"})
	m.duplicate = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_duplicate_total",
		Help: "Audit events dropped because the same event was already accepted (a re-sent batch)."})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "webhook_requests_total",
		Help: "Webhook requests by HTTP status code."}, []string{"code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricPrefix + "webhook_request_duration_seconds",
		Help:    "Time from request start to response, by HTTP status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"code"})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricPrefix + "webhook_batch_events",
		Help: "Events per decoded webhook request.", Buckets: []float64{1, 10, 50, 100, 200, 400, 1000, 5000}})
	m.spoolErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "spool_errors_total",
		Help: "Batches that could not be stored (answered 503), by reason: full, error."}, []string{"reason"})
	m.writable = prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "spool_writable",
		Help: "1 while the spool stores batches, 0 after a failed store until the next success."})
	m.writable.Set(1)
	m.processed = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_processed_total",
		Help: "Audit events processed by the detection engine."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "alerts_total",
		Help: "Alerts raised, by rule and severity."}, []string{"rule", "severity"})
	m.alertsSuppressed = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "alerts_suppressed_total",
		Help: "Alerts not raised again: already raised for the same rule and request (another stage, or events processed again after a restart)."})
	m.commitErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "commit_errors_total",
		Help: "Failed attempts to record processed events (retried), by step: events-out, keys, journal."}, []string{"step"})
	m.sinkErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "sink_errors_total",
		Help: "Failed attempts to deliver alerts (retried: nothing is dropped), by sink."}, []string{"sink"})
	m.sinkDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "sink_delivered_total",
		Help: "Alerts delivered, by sink."}, []string{"sink"})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricPrefix + "event_lag_seconds",
		Help:    "Time from an event's stageTimestamp to its processing by the engine.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900}})
	m.reg.MustRegister(m.received, m.accepted, m.rejected, m.duplicate, m.requests, m.latency, m.batchSize,
		m.spoolErrors, m.writable, m.processed, m.alerts, m.alertsSuppressed, m.commitErrors, m.sinkErrors,
		m.sinkDelivered, m.lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"spool_full", "spool_error", "conflict", "shutting_down"} {
		m.rejected.WithLabelValues(r) // export zeros: alerts on rate() need the series
	}
	for _, r := range []string{"full", "error"} {
		m.spoolErrors.WithLabelValues(r)
	}
	return m
}

// Registry is where more collectors go (the JetStream spool's).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func gaugeFunc(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricPrefix + name, Help: help}, f)
}

func gaugeFuncLabels(name, help string, labels map[string]string, f func() float64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricPrefix + name, Help: help, ConstLabels: labels}, f)
}

var spoolWriteFile = spool.WriteFileAtomic

// Processed counts events processed (for pipelines outside this package).
func (m *Metrics) Processed(n int) { m.processed.Add(float64(n)) }

// Alert counts an alert raised.
func (m *Metrics) Alert(a Alert) { m.alerts.WithLabelValues(a.Rule, a.Severity.String()).Inc() }

// Suppressed counts an alert not raised again.
func (m *Metrics) Suppressed() { m.alertsSuppressed.Inc() }

// SinkError counts a failed delivery attempt to sink.
func (m *Metrics) SinkError(sink string) { m.sinkErrors.WithLabelValues(sink).Inc() }

// SinkDelivered counts n alerts delivered to sink.
func (m *Metrics) SinkDelivered(sink string, n int) {
	m.sinkDelivered.WithLabelValues(sink).Add(float64(n))
}

// Lag observes the time from an event's stageTimestamp to its processing.
func (m *Metrics) Lag(seconds float64) { m.lag.Observe(seconds) }
