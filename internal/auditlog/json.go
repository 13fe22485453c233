package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a minimal JSON reader over one line. It reads exactly the parts
// of an audit event apiguard needs and skips (while checking the structure
// of) everything else; request and response bodies are kept as raw bytes and
// decoded only when a rule asks for them. Strings are unescaped exactly as
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD).
type scanner struct {
	b       []byte
	i       int
	scratch []byte
	depth   int
}

// maxDepth bounds nesting like encoding/json does (10000).
const maxDepth = 10000

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

func (s *scanner) errf(format string, a ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, a...), off: s.i}
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.errf("unexpected end of input, want %q", c)
		}
		return s.errf("invalid character %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

// null consumes a literal null if it is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// object iterates over the members of an object: fn is called with each key
// (valid only during the call) and must consume the value.
func (s *scanner) object(fn func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	s.depth++
	if s.depth > maxDepth {
		return s.errf("exceeded max depth")
	}
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errf("want object key")
		}
		k, err := s.strBytes()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		s.ws()
		if err := fn(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.errf("want ',' or '}' in object")
		}
	}
}

// array iterates over the elements of an array; fn must consume each element.
func (s *scanner) array(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	s.depth++
	if s.depth > maxDepth {
		return s.errf("exceeded max depth")
	}
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.errf("want ',' or ']' in array")
		}
	}
}

// strBytes reads a string and returns its unescaped bytes: a sub-slice of
// the input when it holds no escape and is ASCII-clean, else s.scratch
// (valid until the next call).
func (s *scanner) strBytes() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errf("want string")
	}
	s.i++
	start := s.i
	b := s.b
	i := start
	for i+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[i:])) {
		i += 8
	}
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return b[start:i], nil
		case c == '\\' || c >= utf8.RuneSelf:
			return s.strSlow(start)
		case c < 0x20:
			s.i = i
			return nil, s.errf("invalid control character in string")
		}
	}
	s.i = len(b)
	return nil, s.errf("unterminated string")
}

// strSlow unescapes a string starting at start (just after the quote),
// mirroring encoding/json's unquote.
func (s *scanner) strSlow(start int) ([]byte, error) {
	b := s.b
	out := s.scratch[:0]
	i := start
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			s.scratch = out
			return out, nil
		case c == '\\':
			i++
			if i >= len(b) {
				s.i = i
				return nil, s.errf("unterminated string")
			}
			switch b[i] {
			case '"', '\\', '/':
				out = append(out, b[i])
				i++
			case 'b':
				out = append(out, '\b')
				i++
			case 'f':
				out = append(out, '\f')
				i++
			case 'n':
				out = append(out, '\n')
				i++
			case 'r':
				out = append(out, '\r')
				i++
			case 't':
				out = append(out, '\t')
				i++
			case 'u':
				r := hex4(b, i+1)
				if r < 0 {
					s.i = i
					return nil, s.errf("invalid \\u escape")
				}
				i += 5
				if utf16.IsSurrogate(rune(r)) {
					r2 := rune(-1)
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2 = rune(hex4(b, i+2))
					}
					if dec := utf16.DecodeRune(rune(r), r2); dec != utf8.RuneError {
						i += 6
						out = utf8.AppendRune(out, dec)
						break
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, rune(r))
			default:
				s.i = i
				return nil, s.errf("invalid escape")
			}
		case c < 0x20:
			s.i = i
			return nil, s.errf("invalid control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	s.i = len(b)
	s.scratch = out
	return nil, s.errf("unterminated string")
}

func hex4(b []byte, i int) int {
	if i+4 > len(b) {
		return -1
	}
	v := 0
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// special8 reports whether any of 8 bytes is a quote, a backslash, a
// control character or not ASCII (SWAR: eight bytes per step).
func special8(x uint64) bool {
	q := x ^ (lo8 * '"')
	bs := x ^ (lo8 * '\\')
	return ((q-lo8)&^q|(bs-lo8)&^bs|(x-lo8*0x20)|x)&hi8 != 0
}

// skipString skips a string quickly, checking only that it is terminated
// and free of raw control characters.
func (s *scanner) skipString() error {
	s.i++ // opening quote
	b := s.b
	i := s.i
	for i+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[i:])) {
		i += 8
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return nil
		case c == '\\':
			i++ // the escaped byte; \uXXXX digits are plain bytes
		case c < 0x20:
			s.i = i
			return s.errf("invalid control character in string")
		}
	}
	s.i = len(b)
	return s.errf("unterminated string")
}

// skip consumes one value of any kind, checking its structure.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '"':
		return s.skipString()
	case '{':
		return s.object(func([]byte) error { return s.skip() })
	case '[':
		return s.array(s.skip)
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case 0:
		return s.errf("unexpected end of input")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.errf("invalid character %q looking for a value", c)
	}
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return nil
	}
	return s.errf("invalid literal, want %s", lit)
}

// number consumes a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	b := s.b
	start := s.i
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return nil, s.errf("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			s.i = i
			return nil, s.errf("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			s.i = i
			return nil, s.errf("invalid number")
		}
	}
	s.i = i
	return b[start:i], nil
}

// structural classifies bytes for skipFast.
var structural = [256]uint8{'"': 1, '{': 2, '[': 2, '}': 3, ']': 3}

// rawFast returns the bytes of an object or array without checking its
// contents: only strings (for brackets inside them) and bracket depth are
// followed. Bodies are kept raw this way and decoded, strictly, only when a
// rule reads them. Other values are read with raw.
func (s *scanner) rawFast() ([]byte, error) {
	c := s.peek()
	if c != '{' && c != '[' {
		return s.raw()
	}
	b := s.b
	start := s.i
	depth := 0
	i := s.i
	for i < len(b) {
		// Eight bytes at a time to the next quote or bracket.
		for i+8 <= len(b) {
			m := structural8(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			break
		}
		switch structural[b[i]] {
		case 0:
			i++
		case 1:
			i++
			for {
				j := -1
				if i < len(b) {
					j = quoteOrBackslash(b[i:])
				}
				if j < 0 {
					s.i = len(b)
					return nil, s.errf("unterminated string")
				}
				i += j
				if b[i] == '\\' {
					i += 2 // the escaped byte
					continue
				}
				i++
				break
			}
		case 2:
			depth++
			i++
		default:
			depth--
			i++
			if depth == 0 {
				s.i = i
				return b[start:i], nil
			}
		}
	}
	s.i = len(b)
	return nil, s.errf("unexpected end of input in a body")
}

// zeroBytes marks the zero bytes of v (exact for the lowest one).
func zeroBytes(v uint64) uint64 { return (v - lo8) &^ v & hi8 }

// structural8 marks quotes and brackets among eight bytes.
func structural8(x uint64) uint64 {
	return zeroBytes(x^(lo8*'"')) | zeroBytes(x^(lo8*'{')) | zeroBytes(x^(lo8*'}')) | zeroBytes(x^(lo8*'[')) | zeroBytes(x^(lo8*']'))
}

// quoteOrBackslash returns the index of the first quote or backslash, or -1.
func quoteOrBackslash(b []byte) int {
	i := 0
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := zeroBytes(x^(lo8*'"')) | zeroBytes(x^(lo8*'\\')); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return -1
}

// raw consumes a value and returns its bytes (a sub-slice of the input).
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

var errWantInt = errors.New("want an integer")

// int32v reads a number that must be an int32 (as encoding/json would).
func (s *scanner) int32v() (int32, error) {
	if s.peek() == 0 || (s.b[s.i] != '-' && (s.b[s.i] < '0' || s.b[s.i] > '9')) {
		return 0, s.errf("want a number")
	}
	n, err := s.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		return 0, s.errf("%v: %s", errWantInt, n)
	}
	return int32(v), nil
}

// int64v reads a number that must be an int64.
func (s *scanner) int64v() (int64, error) {
	if s.peek() == 0 || (s.b[s.i] != '-' && (s.b[s.i] < '0' || s.b[s.i] > '9')) {
		return 0, s.errf("want a number")
	}
	n, err := s.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, s.errf("%v: %s", errWantInt, n)
	}
	return v, nil
}
