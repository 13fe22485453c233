package auditserve

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names, all prefixed apiguard_audit_.
const metricPrefix = "apiguard_audit_"

// metrics is the receiver's Prometheus instrumentation, on its own registry.
type metrics struct {
	reg *prometheus.Registry

	received   prometheus.Counter     // events decoded from well-formed requests
	queued     prometheus.Counter     // events queued (acknowledged)
	processed  prometheus.Counter     // events the engine processed
	rejected   *prometheus.CounterVec // events refused, by reason (queue_full, shutting_down)
	duplicate  prometheus.Counter     // events dropped as re-sent
	requests   *prometheus.CounterVec // requests by HTTP status code
	latency    *prometheus.HistogramVec
	batchSize  prometheus.Histogram
	alerts     *prometheus.CounterVec // by rule and severity
	sinkErrors *prometheus.CounterVec // by sink
	lag        prometheus.Histogram   // stageTimestamp to processing
}

func newMetrics(q *queue, maxEvents, maxBytes int64) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.received = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_received_total",
		Help: "Audit events decoded from well-formed webhook requests (queued, duplicate or refused)."})
	m.queued = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_queued_total",
		Help: "Audit events queued and acknowledged to the API server."})
	m.processed = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_processed_total",
		Help: "Audit events processed by the detection engine."})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "events_rejected_total",
		Help: "Decoded audit events refused with their batch (the API server retries them), by reason: queue_full, shutting_down."},
		[]string{"reason"})
	m.duplicate = prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "events_duplicate_total",
		Help: "Audit events dropped because the same event was already queued (a re-sent batch)."})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "webhook_requests_total",
		Help: "Webhook requests by HTTP status code."}, []string{"code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricPrefix + "webhook_request_duration_seconds",
		Help:    "Time from request start to response, by HTTP status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"code"})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricPrefix + "webhook_batch_events",
		Help: "Events per decoded webhook request.", Buckets: []float64{1, 10, 50, 100, 200, 400, 1000}})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "alerts_total",
		Help: "Alerts raised, by rule and severity."}, []string{"rule", "severity"})
	m.sinkErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "sink_errors_total",
		Help: "Alerts a sink failed to deliver (after its retries), by sink."}, []string{"sink"})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricPrefix + "event_lag_seconds",
		Help:    "Time from an event's stageTimestamp to its processing by the engine.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900}})
	queueEvents := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricPrefix + "queue_events",
		Help: "Events queued or being processed (queue depth)."},
		func() float64 { e, _ := q.depth(); return float64(e) })
	queueBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricPrefix + "queue_bytes",
		Help: "Request bytes of the events queued or being processed."},
		func() float64 { _, b := q.depth(); return float64(b) })
	capEvents := prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "queue_capacity_events", Help: "--queue-events."})
	capEvents.Set(float64(maxEvents))
	capBytes := prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "queue_capacity_bytes", Help: "--queue-bytes."})
	capBytes.Set(float64(maxBytes))
	dedupeKeys := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricPrefix + "dedupe_keys",
		Help: "Event keys remembered for de-duplication."}, func() float64 { return float64(q.dedupeLen()) })
	m.reg.MustRegister(m.received, m.queued, m.processed, m.rejected, m.duplicate, m.requests, m.latency,
		m.batchSize, m.alerts, m.sinkErrors, m.lag, queueEvents, queueBytes, capEvents, capBytes, dedupeKeys,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"queue_full", "shutting_down"} {
		m.rejected.WithLabelValues(r) // export zeros: alerts on rate() need the series
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
