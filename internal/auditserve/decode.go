package auditserve

import (
	"encoding/json"
	"fmt"
	"sync"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
)

// decoders are auditlog's line decoders (the one `apiguard audit scan` uses,
// so live and offline read events identically), one per request in flight.
var decoders = sync.Pool{New: func() any { return auditlog.NewLineDecoder() }}

// DecodeEventList decodes a webhook body: one audit.k8s.io/v1 EventList, as
// kube-apiserver's webhook backend sends in every mode (a lone Event is
// accepted too, as in a log line). Unknown fields (newer servers) are
// ignored. The events do not reference body: it can be reused.
func DecodeEventList(body []byte) ([]auditv1.Event, error) {
	d := decoders.Get().(*auditlog.LineDecoder)
	defer decoders.Put(d)
	events, err := d.DecodeEventList(body)
	if err != nil {
		return nil, fmt.Errorf("decoding EventList: %w", err)
	}
	return events, nil
}

// marshal is encoding/json's, for the small answers.
var marshal = json.Marshal
