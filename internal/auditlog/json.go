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
	// members counts object members and array elements read; past
	// maxMembers (when > 0) reading fails with ErrLimit.
	members, maxMembers int
}

// ErrLimit is wrapped by errors for input beyond a decoder's Limits.
var ErrLimit = errors.New("over the limit")

// member counts one object member or array element.
func (s *scanner) member() error {
	s.members++
	if s.maxMembers > 0 && s.members > s.maxMembers {
		return fmt.Errorf("%w: more than %d JSON members and elements", ErrLimit, s.maxMembers)
	}
	return nil
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
	if empty, err := s.enter('{', '}'); empty || err != nil {
		return err
	}
	for {
		if err := s.member(); err != nil {
			return err
		}
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
		if more, err := s.next('}', "want ',' or '}' in object"); !more {
			return err
		}
	}
}

// array iterates over the elements of an array; fn must consume each element.
func (s *scanner) array(fn func() error) error {
	if empty, err := s.enter('[', ']'); empty || err != nil {
		return err
	}
	for {
		if err := s.member(); err != nil {
			return err
		}
		s.ws()
		if err := fn(); err != nil {
			return err
		}
		if more, err := s.next(']', "want ',' or ']' in array"); !more {
			return err
		}
	}
}

// enter consumes open, the byte that starts an object or array, a level
// deeper; it reports whether close follows at once (an empty one, consumed
// and left).
func (s *scanner) enter(open, close byte) (empty bool, err error) {
	if err := s.expect(open); err != nil {
		return false, err
	}
	s.depth++
	if s.depth > maxDepth {
		return false, s.errf("exceeded max depth")
	}
	if s.peek() == close {
		s.i++
		s.depth--
		return true, nil
	}
	return false, nil
}

// next consumes what follows a member of an object or array: a ',' (more
// follow) or close (the end: the level is left); anything else is an error
// saying want.
func (s *scanner) next(close byte, want string) (more bool, err error) {
	switch s.peek() {
	case ',':
		s.i++
		return true, nil
	case close:
		s.i++
		s.depth--
		return false, nil
	}
	return false, s.errf("%s", want)
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
	// To the first quote, backslash, control or non-ASCII byte, eight
	// bytes at a time.
	for {
		if i+8 <= len(b) {
			if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
			continue
		}
		for i < len(b) && b[i] >= 0x20 && b[i] < utf8.RuneSelf && b[i] != '"' && b[i] != '\\' {
			i++
		}
		break
	}
	if i >= len(b) {
		s.i = len(b)
		return nil, s.errf("unterminated string")
	}
	switch c := b[i]; {
	case c == '"':
		s.i = i + 1
		return b[start:i], nil
	case c < 0x20:
		s.i = i
		return nil, s.errf("invalid control character in string")
	}
	return s.strSlow(start)
}

// unescaped is the byte each one-letter escape stands for: 'n' for \n...
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

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
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				out = append(out, unescaped[b[i]])
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
			// A run of plain ASCII, copied at once.
			j := i + 1
			for j+8 <= len(b) && special8(binary.LittleEndian.Uint64(b[j:])) == 0 {
				j += 8
			}
			for j < len(b) && b[j] >= 0x20 && b[j] < utf8.RuneSelf && b[j] != '"' && b[j] != '\\' {
				j++
			}
			out = append(out, b[i:j]...)
			i = j
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

// special8 marks the quotes, backslashes, control characters and non-ASCII
// bytes among eight (SWAR; the lowest mark is exact, higher ones may be
// false).
func special8(x uint64) uint64 {
	q := x ^ (lo8 * '"')
	bs := x ^ (lo8 * '\\')
	return ((q-lo8)&^q | (bs-lo8)&^bs | (x - lo8*0x20) | x) & hi8
}

// stringEnd8 marks the quotes, backslashes and control characters among
// eight bytes (the lowest mark is exact).
func stringEnd8(x uint64) uint64 {
	q := x ^ (lo8 * '"')
	bs := x ^ (lo8 * '\\')
	return ((q-lo8)&^q | (bs-lo8)&^bs | (x-lo8*0x20)&^x) & hi8
}

// skipString skips a string quickly, checking only that it is terminated
// and free of raw control characters.
func (s *scanner) skipString() error {
	b := s.b
	i := s.i + 1 // after the opening quote
	for {
		if i+8 <= len(b) {
			if m := stringEnd8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
			} else {
				i += 8
				continue
			}
		} else {
			for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
				i++
			}
		}
		if i >= len(b) {
			s.i = len(b)
			return s.errf("unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return nil
		case c == '\\':
			i += 2 // the escaped byte; \uXXXX digits are plain bytes
		default:
			s.i = i
			return s.errf("invalid control character in string")
		}
	}
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

// rawFast returns the bytes of an object or array without checking its
// contents: only strings (for brackets inside them), escapes (a backslash
// escapes the byte after it) and bracket depth are followed. Bodies are
// kept raw this way and decoded, strictly, only when a rule reads them.
// Other values are read with raw.
//
// The input is classified 64 bytes at a time into bit masks of quotes,
// backslashes and brackets (classify64: SSE2 on amd64), from which the
// escaped bytes, the bytes inside strings (the running parity of the
// unescaped quotes) and the depth follow with a few word operations, as
// in simdjson; only the block where the value may end is walked bracket
// by bracket.
func (s *scanner) rawFast() ([]byte, error) {
	c := s.peek()
	if c != '{' && c != '[' {
		return s.raw()
	}
	b := s.b
	start := s.i
	var st blockState
	st.depth = 0
	i := start
	for ; i+64 <= len(b); i += 64 {
		if j := st.step((*[64]byte)(b[i : i+64])); j >= 0 {
			s.i = i + j + 1
			return b[start:s.i], nil
		}
	}
	if i < len(b) {
		// The tail, padded with spaces (which change nothing).
		var tail [64]byte
		n := copy(tail[:], b[i:])
		for k := n; k < 64; k++ {
			tail[k] = ' '
		}
		if j := st.step(&tail); j >= 0 {
			s.i = i + j + 1
			return b[start:s.i], nil
		}
	}
	s.i = len(b)
	if st.inStr != 0 {
		return nil, s.errf("unterminated string")
	}
	return nil, s.errf("unexpected end of input in a body")
}

// blockState carries rawFast from one 64-byte block to the next.
type blockState struct {
	depth int
	inStr uint64 // all ones when the block starts inside a string
	esc   uint64 // 1 when the first byte of the block is escaped
}

// step reads one block; it returns the index of the bracket that brings
// the depth back to zero, or -1.
func (st *blockState) step(blk *[64]byte) int {
	quote, bslash, open, close := classify64(blk)
	var escaped uint64
	if bslash|st.esc != 0 {
		escaped, st.esc = escapes(bslash, st.esc)
	}
	quote &^= escaped
	// Bit i set: byte i is inside a string (an opening quote is, a closing
	// one is not).
	str := prefixXor(quote) ^ st.inStr
	st.inStr = uint64(int64(str) >> 63)
	open &^= str | escaped
	close &^= str | escaped
	closes := bits.OnesCount64(close)
	if closes < st.depth {
		st.depth += bits.OnesCount64(open) - closes
		return -1
	}
	for m := open | close; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		if open&(1<<j) != 0 {
			st.depth++
			continue
		}
		st.depth--
		if st.depth == 0 {
			return j
		}
	}
	return -1
}

// prefixXor sets bit i to the parity of bits 0..i of x.
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// escapes returns the escaped bytes of a block (those after an odd run of
// backslashes) from its backslashes and carry (1: its first byte is
// escaped by the block before), and the carry for the next block
// (simdjson's find_odd_backslash_sequences).
func escapes(bslash, carry uint64) (escaped, next uint64) {
	const even = 0x5555555555555555
	const odd = ^uint64(even)
	startEdges := bslash &^ (bslash << 1)
	evenStartMask := even ^ carry
	evenStarts := startEdges & evenStartMask
	oddStarts := startEdges &^ evenStartMask
	evenCarries := bslash + evenStarts
	oddCarries, over := bits.Add64(bslash, oddStarts, 0)
	oddCarries |= carry
	evenCarryEnds := evenCarries &^ bslash
	oddCarryEnds := oddCarries &^ bslash
	return evenCarryEnds&odd | oddCarryEnds&even, over
}

// classify64Go is classify64 in Go (SWAR: eight bytes per step).
func classify64Go(blk *[64]byte) (quote, bslash, open, close uint64) {
	for k := 0; k < 8; k++ {
		x := binary.LittleEndian.Uint64(blk[8*k:])
		y := x | (lo8 * 0x20) // '[' -> '{', ']' -> '}'
		quote |= pack8(eqBytes(x, '"')) << (8 * k)
		bslash |= pack8(eqBytes(x, '\\')) << (8 * k)
		open |= pack8(eqBytes(y, '{')) << (8 * k)
		close |= pack8(eqBytes(y, '}')) << (8 * k)
	}
	return
}

// pack8 gathers the high bits of the eight bytes of m into the low byte.
func pack8(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// eqBytes sets the high bit of exactly the bytes of x equal to c.
func eqBytes(x uint64, c byte) uint64 {
	v := x ^ (lo8 * uint64(c))
	return ^(((v &^ hi8) + (lo8 * 0x7f)) | v) & hi8
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
	v, err := s.intv(32)
	return int32(v), err
}

// int64v reads a number that must be an int64.
func (s *scanner) int64v() (int64, error) { return s.intv(64) }

// intv reads a number that must be an integer of bits bits.
func (s *scanner) intv(bits int) (int64, error) {
	if s.peek() == 0 || (s.b[s.i] != '-' && (s.b[s.i] < '0' || s.b[s.i] > '9')) {
		return 0, s.errf("want a number")
	}
	n, err := s.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(n), 10, bits)
	if err != nil {
		return 0, s.errf("%v: %s", errWantInt, n)
	}
	return v, nil
}
