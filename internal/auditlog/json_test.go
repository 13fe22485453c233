package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/testsupport/auditsynth"
)

// rawRef is the byte-by-byte definition rawFast implements: the extent of
// an object or array, following escapes (a backslash escapes the byte
// after it: in valid JSON only inside strings), strings and bracket depth
// only.
func rawRef(b []byte) (end int, ok bool) {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case inStr:
			if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(b), false
}

func TestRawFastMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte(`{}[]"\\ab:,#z 0` + "\x01\x7f\x80\xff" + `{"x":["\"]"]}\\\\\\`)
	for n := 0; n < 300000; n++ {
		l := 1 + rng.Intn(80)
		if n%10 == 0 {
			l = 1 + rng.Intn(400)
		}
		b := make([]byte, l)
		b[0] = "{["[rng.Intn(2)]
		for i := 1; i < l; i++ {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		for off := 0; off < 2; off++ {
			in := append([]byte("      ")[:off*(1+n%5)], b...)
			s := scanner{b: in}
			got, err := s.rawFast()
			o := off * (1 + n%5)
			end, ok := rawRef(in[o:])
			if ok != (err == nil) || (ok && (len(got) != end || s.i != o+end)) || (!ok && s.i != len(in)) {
				t.Fatalf("%q: rawFast = %q, %v (at %d); want end %d, ok %v", in, got, err, s.i, end, ok)
			}
		}
	}
}

// BenchmarkLineDecode: the decoder alone on in-memory lines of the
// synthetic mix (no I/O, no rule).
func BenchmarkLineDecode(b *testing.B) {
	var buf bytes.Buffer
	if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 5000, Seed: 1, AttackEvery: 500}); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	d := NewLineDecoder()
	d.NoCopy = true
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			if _, err := d.Decode(l, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawFast: finding the end of request and response bodies.
func BenchmarkRawFast(b *testing.B) {
	var buf bytes.Buffer
	if _, err := auditsynth.Write(&buf, auditsynth.Options{Events: 2000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	total := 0
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		for _, k := range []string{`"requestObject":`, `"responseObject":`} {
			if i := bytes.Index(l, []byte(k)); i >= 0 {
				s := scanner{b: l[i+len(k):]}
				raw, err := s.rawFast()
				if err != nil {
					b.Fatal(err)
				}
				bodies = append(bodies, l[i+len(k):])
				total += len(raw)
			}
		}
	}
	b.SetBytes(int64(total))
	for b.Loop() {
		for _, body := range bodies {
			s := scanner{b: body}
			if _, err := s.rawFast(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestClassify64: the assembly classifier (where there is one) agrees with
// the Go one, and both with the bytes.
func TestClassify64(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	var blk [64]byte
	for n := 0; n < 100000; n++ {
		for i := range blk {
			if rng.Intn(3) == 0 {
				blk[i] = "\"\\{}[]"[rng.Intn(6)]
			} else {
				blk[i] = byte(rng.Intn(256))
			}
		}
		q, b, o, c := classify64(&blk)
		q2, b2, o2, c2 := classify64Go(&blk)
		if q != q2 || b != b2 || o != o2 || c != c2 {
			t.Fatalf("%q: classify64 %x %x %x %x, classify64Go %x %x %x %x", blk, q, b, o, c, q2, b2, o2, c2)
		}
		for i, x := range blk {
			want := [4]bool{x == '"', x == '\\', x == '{' || x == '[', x == '}' || x == ']'}
			for k, m := range [4]uint64{q, b, o, c} {
				if (m>>i&1 == 1) != want[k] {
					t.Fatalf("%q: byte %d (%q), mask %d wrong", blk, i, x, k)
				}
			}
		}
	}
}

// TestEscapes: the escaped bytes of a block (other than backslashes)
// follow the byte-by-byte rule.
func TestEscapes(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for n := 0; n < 200000; n++ {
		var bs uint64
		switch n % 3 {
		case 0:
			bs = rng.Uint64()
		case 1:
			bs = rng.Uint64() & rng.Uint64()
		default:
			bs = rng.Uint64() | rng.Uint64()
		}
		carry := uint64(rng.Intn(2))
		got, next := escapes(bs, carry)
		var want uint64
		esc := carry == 1
		for i := 0; i < 64; i++ {
			switch {
			case esc:
				want |= 1 << i
				esc = false
			case bs>>i&1 == 1:
				esc = true
			}
		}
		want &^= bs // escaped backslashes are no quote or bracket: not marked
		if wantNext := map[bool]uint64{false: 0, true: 1}[esc]; got != want || next != wantNext {
			t.Fatalf("backslashes %064b carry %d: escaped %064b next %d, want %064b %d", bs, carry, got, next, want, wantNext)
		}
	}
}

func TestParseMicroUTC(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for n := 0; n < 200000; n++ {
		y, mo, d := rng.Intn(10000), 1+rng.Intn(12), 1+rng.Intn(31)
		if n%3 == 0 {
			y = 1960 + rng.Intn(100)
		}
		h, mi, s, us := rng.Intn(24), rng.Intn(60), rng.Intn(60), rng.Intn(1000000)
		str := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, mo, d, h, mi, s, us)
		got, ok := parseMicroUTC([]byte(str))
		want, err := time.Parse(time.RFC3339Nano, str)
		if ok != (err == nil) {
			t.Fatalf("%s: ok %v, time.Parse error %v", str, ok, err)
		}
		if ok && (!got.Equal(want) || got != want.Local()) {
			t.Fatalf("%s: %v, want %v", str, got, want.Local())
		}
	}
}

// TestStringsMatchEncodingJSON: strBytes unescapes exactly as encoding/json
// does, and accepts what it accepts; skipString ends where a string ends.
func TestStringsMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	alphabet := []string{"a", "b", "\"", "\\", "\\\"", "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\u12", "é", "\xff", "\x01", "\t", " ", "/", "\\/", "0123456789abcdef"}
	for n := 0; n < 100000; n++ {
		var sb bytes.Buffer
		sb.WriteByte('"')
		for k := rng.Intn(30); k > 0; k-- {
			sb.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		sb.WriteByte('"')
		if rng.Intn(4) == 0 {
			sb.WriteString(`,"x"`)
		}
		in := sb.Bytes()
		s := scanner{b: in}
		got, err := s.strBytes()
		end := s.i
		var want string
		werr := json.Unmarshal(in[:max(end, 1)], &want)
		if err == nil && (werr != nil || string(got) != want) {
			t.Fatalf("%q: strBytes = %q (to %d), encoding/json %q, %v", in, got, end, want, werr)
		}
		if err != nil {
			// encoding/json refuses the shortest prefix that could be a string too.
			if i := bytes.IndexByte(in[1:], '"'); i >= 0 && json.Unmarshal(in[:i+2], &want) == nil && !bytes.Contains(in[1:i+1], []byte{'\\'}) {
				t.Fatalf("%q: strBytes refused (%v) what encoding/json decodes", in, err)
			}
		}
		// skipString (which does not check escapes) takes every string
		// strBytes takes, to the same end.
		s2 := scanner{b: in}
		if serr := s2.skipString(); err == nil && (serr != nil || s2.i != end) {
			t.Fatalf("%q: skipString ends at %d (%v), strBytes at %d", in, s2.i, serr, end)
		}
	}
}
