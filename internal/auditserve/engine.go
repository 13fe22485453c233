package auditserve

import (
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/detect"
)

// Alert is the detection engine's alert (the JSON of -o jsonl and the sinks).
type Alert = detect.Alert

// Processor is what the pipeline needs of the detection engine
// (*detect.Engine). It is called from one goroutine, events in the order
// they were accepted.
type Processor interface {
	Process(*auditv1.Event) []Alert
	Flush() []Alert
}

var _ Processor = (*detect.Engine)(nil)
