package rbacsynth

import (
	"io"
	"strconv"
)

// jsonWriter streams indented JSON the way kubectl prints it
// (json.MarshalIndent with four spaces, HTML characters escaped). Callers
// write keys in sorted order, as kubectl's unstructured objects have them.
type jsonWriter struct {
	w     io.Writer
	buf   []byte
	depth int
	first bool // the next element is the first of its container
	n     int64
	err   error
}

const indent = "\n                                                                                                "

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{w: w, buf: make([]byte, 0, 1<<17)}
}

func (j *jsonWriter) flushIfFull() {
	if len(j.buf) >= 1<<16 {
		j.flush()
	}
}

func (j *jsonWriter) flush() {
	if j.err == nil && len(j.buf) > 0 {
		var n int
		n, j.err = j.w.Write(j.buf)
		j.n += int64(n)
	}
	j.buf = j.buf[:0]
}

func (j *jsonWriter) newline(depth int) {
	n := 1 + 4*depth
	if n <= len(indent) {
		j.buf = append(j.buf, indent[:n]...)
		return
	}
	j.buf = append(j.buf, indent...)
	for n -= len(indent); n > 0; n-- {
		j.buf = append(j.buf, ' ')
	}
}

// elem starts an array element or an object member.
func (j *jsonWriter) elem() {
	if !j.first {
		j.buf = append(j.buf, ',')
	}
	j.first = false
	j.newline(j.depth)
}

func (j *jsonWriter) open(c byte) {
	j.buf = append(j.buf, c)
	j.depth++
	j.first = true
}

func (j *jsonWriter) close(c byte) {
	j.depth--
	if !j.first {
		j.newline(j.depth)
	}
	j.buf = append(j.buf, c)
	j.first = false
}

func (j *jsonWriter) key(k string) {
	j.elem()
	j.buf = appendString(j.buf, k)
	j.buf = append(j.buf, ':', ' ')
}

// Object and array members.

func (j *jsonWriter) obj(k string) { j.key(k); j.open('{') }
func (j *jsonWriter) arr(k string) { j.key(k); j.open('[') }
func (j *jsonWriter) end()         { j.close('}') }
func (j *jsonWriter) endArr()      { j.close(']') }
func (j *jsonWriter) itemObj()     { j.elem(); j.open('{') }
func (j *jsonWriter) str(k, v string) {
	j.key(k)
	j.buf = appendString(j.buf, v)
}
func (j *jsonWriter) num(k string, v int64) {
	j.key(k)
	j.buf = strconv.AppendInt(j.buf, v, 10)
}
func (j *jsonWriter) boolean(k string, v bool) {
	j.key(k)
	j.buf = strconv.AppendBool(j.buf, v)
}
func (j *jsonWriter) null(k string) {
	j.key(k)
	j.buf = append(j.buf, "null"...)
}

// strs writes a list of strings.
func (j *jsonWriter) strs(k string, vs []string) {
	j.arr(k)
	for _, v := range vs {
		j.elem()
		j.buf = appendString(j.buf, v)
	}
	j.endArr()
}

// strMap writes a map of strings; keys must be sorted.
func (j *jsonWriter) strMap(k string, kv []string) {
	j.obj(k)
	for i := 0; i+1 < len(kv); i += 2 {
		j.str(kv[i], kv[i+1])
	}
	j.end()
}

const hex = "0123456789abcdef"

// appendString quotes s as encoding/json does (HTML escaping on).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
