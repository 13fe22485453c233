package auditlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// FuzzDecode: no input panics the decoder or the reader, and whatever
// kube-apiserver's own machinery (case-sensitive encoding/json into the v1
// types) decodes as an audit event, apiguard's decoder decodes identically.
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"testdata/mixed.log", "../cli/testdata/auditscan/lab.log"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			if i < 40 && len(line) < 8000 {
				f.Add(line)
			}
		}
	}
	f.Add([]byte(`{"auditID":"a","user":{"username":"x"},"user":{"uid":"y"},"annotations":{"a":"1"},"annotations":{"b":"2"}}`))
	f.Add([]byte(`{"kind":"EventList","items":[{"auditID":"a","sourceIPs":["1.1.1.1"]},null,{"verb":"get","requestObject":[1,{"a":"\u00e9\"}"}]}]}`))
	// Bodies whose strings, escapes and brackets straddle the 64-byte
	// blocks rawFast classifies.
	f.Add([]byte(`{"auditID":"b","verb":"create","requestObject":{"metadata":{"annotations":{"last-applied":"{\"a\":[\"}\\\\\",{\"b\":\"]\"}]}\\\\"}},"spec":[{"x":"` + strings.Repeat(`\\\"{[`, 20) + `"},[],{}]},"responseObject":[[[[{"k":"}\u0022"}]]]],"stageTimestamp":"2026-11-27T10:00:00.000001Z"}`))
	f.Add([]byte(`{"auditID":"c","requestURI":"/api?a=1\u0026b=` + strings.Repeat("é", 40) + `","user":{"username":"\u0073ystem:anonymous","groups":["g\n"]},"sourceIPs":["10.0.0.1","::1"],"annotations":{"a":"\ud83d\ude00"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		d := NewLineDecoder()
		got, err := d.Decode(line, nil)
		if want, rerr := reference(bytes.TrimSpace(line)); rerr == nil && err == nil && !sameEvents(got, want) {
			t.Fatalf("decoding differs from encoding/json:\n got %+v\nwant %+v", got, want)
		} else if trimmed := bytes.TrimSpace(line); rerr == nil && err != nil && !errors.Is(err, ErrNotAudit) &&
			len(trimmed) > 0 && trimmed[0] == '{' {
			// The reference accepts it: only our stricter audit checks may
			// refuse. (encoding/json also takes a bare null, which is no
			// event: refusing that is right.)
			t.Fatalf("refused what encoding/json decodes: %v", err)
		}
		// The same bytes through the stream reader, twice (cache hits).
		r := NewDecoder(io.MultiReader(bytes.NewReader(line), bytes.NewReader([]byte("\n")), bytes.NewReader(line)), "fuzz")
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					break
				}
			}
		}
	})
}
