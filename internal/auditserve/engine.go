package auditserve

import (
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/detect"
)

// Alert is the detection engine's alert (the JSON of -o jsonl and the sinks).
type Alert = detect.Alert

// Processor is what the receiver needs of the detection engine
// (*detect.Engine). It is called from one goroutine, events in the order
// they were queued.
type Processor interface {
	Process(*auditv1.Event) []Alert
	Flush() []Alert
}

// Matching is what a Processor may also offer to spread its work over
// cores (*detect.Engine does): rule conditions are matched by the request
// goroutines, each with its own matcher, as batches arrive; the worker
// commits the matches in queue order (windows and de-duplication need the
// order), exactly as Process would.
type Matching interface {
	NewMatcher() *detect.Matcher
	Commit(*auditv1.Event, []detect.Match) []Alert
}

// Emitter receives the alerts (the sinks). It is called from the worker
// goroutine; Sync is called after each batch that raised an alert, and when
// draining ends.
type Emitter interface {
	Emit(Alert)
	Sync()
}

// Archiver keeps the processed events (apiguard audit serve --events-out).
type Archiver interface {
	Write(*auditv1.Event)
	Flush()
}

var (
	_ Processor = (*detect.Engine)(nil)
	_ Matching  = (*detect.Engine)(nil)
)
