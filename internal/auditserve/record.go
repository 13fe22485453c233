package auditserve

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Key identifies one audit event for de-duplication: the first 128 bits of
// SHA-256 over its (auditID, stage) and the fields that tell a re-sent
// event from another request that reused its Audit-ID (the timestamps,
// verb, URI, user and source IPs). A collision-resistant hash, not a seeded
// one, because keys are kept on disk and shared between receivers and
// restarts: nobody can make an event of theirs collide with another's to
// have it dropped.
type Key [16]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// EventKey is the key of ev.
func EventKey(e *auditv1.Event) Key {
	h := sha256.New()
	var buf [24]byte
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	field(string(e.AuditID))
	field(string(e.Stage))
	// At the precision of the audit format (MicroTime: microseconds), so
	// that an event keeps its key when re-encoded.
	h.Write(strconv.AppendInt(buf[:0], e.RequestReceivedTimestamp.UnixMicro(), 10))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(buf[:0], e.StageTimestamp.UnixMicro(), 10))
	h.Write([]byte{0})
	field(e.Verb)
	field(e.RequestURI)
	field(e.User.Username)
	for _, ip := range e.SourceIPs {
		field(ip)
	}
	var k Key
	copy(k[:], h.Sum(buf[:0]))
	return k
}

// AlertKey identifies an alert across restarts and processes: the rule
// and what kube-apiserver records alike in every stage of one request
// (auditID, requestReceivedTimestamp, user, verb, URI), as the engine's
// own de-duplication does, so that the stages of one request, and one
// event processed twice, alert once.
func AlertKey(rule string, e *auditv1.Event) Key {
	h := sha256.New()
	var buf [32]byte
	for _, s := range [...]string{rule, string(e.AuditID), e.User.Username, e.Verb, e.RequestURI} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(strconv.AppendInt(buf[:0], e.RequestReceivedTimestamp.UnixMicro(), 10))
	var k Key
	copy(k[:], h.Sum(buf[:0]))
	return k
}

// Batch is what one accepted webhook request stores: its events (raw JSON,
// as received) and their keys.
type Batch struct {
	Arrival time.Time
	Keys    []Key
	Raws    [][]byte // each event's JSON object
	// Body, when set, is the whole request body and holds exactly Raws
	// (nothing was dropped): stored as is, without re-assembly.
	Body []byte
}

// Record format, version 1 (little-endian):
//
//	version u8 = 1 | arrival unix ns i64 | n u32 | n × key [16] | body
//
// where body is an audit.k8s.io/v1 EventList (or a lone Event) holding the
// n events in order.
const recordVersion = 1

var errRecord = errors.New("malformed spool record")

// EncodedSize is the size of the record AppendRecord writes.
func (b *Batch) EncodedSize() int {
	n := 1 + 8 + 4 + 16*len(b.Keys)
	if b.Body != nil {
		return n + len(b.Body)
	}
	n += len(listPrefix) + len(listSuffix)
	for i, r := range b.Raws {
		if i > 0 {
			n++
		}
		n += len(r)
	}
	return n
}

const (
	listPrefix = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`
	listSuffix = `]}`
)

// AppendRecord appends b's record to dst.
func AppendRecord(dst []byte, b *Batch) []byte {
	dst = append(dst, recordVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(b.Arrival.UnixNano()))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.Keys)))
	for _, k := range b.Keys {
		dst = append(dst, k[:]...)
	}
	if b.Body != nil {
		return append(dst, b.Body...)
	}
	dst = append(dst, listPrefix...)
	for i, r := range b.Raws {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r...)
	}
	return append(dst, listSuffix...)
}

// Record is a decoded spool record: the keys, arrival time and body; the
// events are decoded from Body by the consumer.
type Record struct {
	Arrival time.Time
	Keys    []Key
	Body    []byte
}

// ParseRecord reads a record (without copying: the fields point into data).
func ParseRecord(data []byte) (Record, error) {
	if len(data) < 13 {
		return Record{}, fmt.Errorf("%w: %d bytes", errRecord, len(data))
	}
	if data[0] != recordVersion {
		return Record{}, fmt.Errorf("%w: version %d", errRecord, data[0])
	}
	at := int64(binary.LittleEndian.Uint64(data[1:9]))
	n := binary.LittleEndian.Uint32(data[9:13])
	rest := data[13:]
	if uint64(n)*16 > uint64(len(rest)) {
		return Record{}, fmt.Errorf("%w: %d keys in %d bytes", errRecord, n, len(rest))
	}
	keys := make([]Key, n)
	for i := range keys {
		copy(keys[i][:], rest[16*i:])
	}
	body := rest[16*int(n):]
	if len(bytes.TrimSpace(body)) == 0 {
		return Record{}, fmt.Errorf("%w: no body", errRecord)
	}
	return Record{Arrival: time.Unix(0, at), Keys: keys, Body: body}, nil
}

// MsgID is a stable identity of a batch record (for JetStream's
// de-duplication of re-published messages): a hash of its keys.
func MsgID(keys []Key) string {
	h := sha256.New()
	for _, k := range keys {
		h.Write(k[:])
	}
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
