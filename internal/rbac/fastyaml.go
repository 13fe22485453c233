package rbac

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast YAML cursor reads the block YAML that kubectl prints (and most
// hand-written manifests): block mappings and sequences, plain, single- and
// double-quoted scalars (also over several lines), literal block scalars,
// one-line flow collections of scalars, comments and document markers. It
// streams over the bytes without building a node tree, and skips unwanted
// values (pod specs, Secret data) by indentation alone, which makes a
// `kubectl get -A -o yaml` dump load several times faster than through
// go.yaml.in/yaml/v3.
//
// Anything else (anchors, aliases, tags, folded scalars, multi-line flow
// collections, tabs in indentation, complex keys, malformed input) makes
// it give up on the whole file, which is then read by go.yaml.in/yaml/v3:
// the fast path never reports syntax errors and never guesses. FuzzLoad
// checks that both readings agree.

var errFallback = errors.New("not in the fast YAML subset")

type fyLine struct {
	indent  int
	content []byte // from the first non-space byte; no line break
	num     int    // 1-based line number
	next    int    // offset of the following line
}

// fyValue is the value the cursor is on.
type fyValue struct {
	owner      int    // indent of the key or dash that owns it (-1: a document)
	compactSeq bool   // a mapping value: "- " lines at the owner's indent belong to it
	inline     []byte // text after "key:" or "- " on the owner's line
	col        int    // column of inline[0]
	line       int
	virtMap    bool // inline is the first entry of a mapping ("- key: value")
	seq        int  // identity, to tell whether it was consumed
	// a materialised scalar
	done bool
	kind vkind
	text string
}

type fastYAMLCursor struct {
	d            []byte
	pos          int // offset of the next unread line
	ln           int // its line number
	peeked       bool
	pl           fyLine
	pok          bool
	cv           fyValue
	seq          int
	lastConsumed int
	err          error
	depth        int
}

func newFastYAMLCursor(data []byte) *fastYAMLCursor { return &fastYAMLCursor{d: data, ln: 1} }

func (c *fastYAMLCursor) bail() {
	if c.err == nil {
		c.err = errFallback
	}
}

// rawLine returns the physical line at pos without consuming it.
func (c *fastYAMLCursor) rawLine() (line []byte, next int, ok bool) {
	if c.pos >= len(c.d) {
		return nil, c.pos, false
	}
	end := bytes.IndexByte(c.d[c.pos:], '\n')
	if end < 0 {
		line, next = c.d[c.pos:], len(c.d)
	} else {
		line, next = c.d[c.pos:c.pos+end], c.pos+end+1
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, next, true
}

func indentOf(line []byte) int {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	return i
}

func blank(b []byte) bool {
	for _, x := range b {
		if x != ' ' && x != '\t' {
			return false
		}
	}
	return true
}

// isMarker reports whether a line is a document marker (--- or ...).
func isMarker(line []byte) bool {
	return len(line) >= 3 && (string(line[:3]) == "---" || string(line[:3]) == "...") && (len(line) == 3 || line[3] == ' ' || line[3] == '\t')
}

// peek returns the next line with content, skipping blank and comment
// lines; ok is false at the end of input and at a document marker.
func (c *fastYAMLCursor) peek() (fyLine, bool) {
	if c.peeked {
		return c.pl, c.pok
	}
	for {
		line, next, ok := c.rawLine()
		if !ok {
			c.peeked, c.pok = true, false
			return fyLine{}, false
		}
		ind := indentOf(line)
		content := line[ind:]
		if blank(content) || content[0] == '#' {
			c.pos, c.ln = next, c.ln+1
			continue
		}
		if content[0] == '\t' {
			c.bail() // a tab in the indentation
		}
		if ind == 0 && isMarker(line) {
			c.peeked, c.pok = true, false
			return fyLine{}, false
		}
		c.pl = fyLine{indent: ind, content: content, num: c.ln, next: next}
		c.peeked, c.pok = true, true
		return c.pl, true
	}
}

func (c *fastYAMLCursor) advance() {
	c.pos, c.ln, c.peeked = c.pl.next, c.pl.num+1, false
}

// advanceRaw consumes one physical line.
func (c *fastYAMLCursor) advanceRaw(next int) {
	c.pos, c.ln, c.peeked = next, c.ln+1, false
}

func isDash(content []byte) bool {
	return content[0] == '-' && (len(content) == 1 || content[1] == ' ')
}

// splitKey splits "key: rest" (plain or quoted key). rest starts at
// column restCol relative to content (leading spaces skipped).
func splitKey(content []byte) (key string, rest []byte, restOff int, ok bool) {
	if len(content) == 0 {
		return "", nil, 0, false
	}
	var after int
	switch content[0] {
	case '"', '\'':
		s, n, ok := quotedOneLine(content)
		if !ok || n >= len(content) || content[n] != ':' {
			return "", nil, 0, false
		}
		key, after = s, n+1
	default:
		if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", content[0]) >= 0 && !(content[0] == '-' && len(content) > 1 && content[1] != ' ') {
			return "", nil, 0, false
		}
		i := bytes.Index(content, []byte(": "))
		if i < 0 {
			if content[len(content)-1] != ':' {
				return "", nil, 0, false
			}
			i = len(content) - 1
		}
		k := content[:i]
		if bytes.Contains(k, []byte(" #")) || bytes.IndexByte(k, '\t') >= 0 || len(bytes.TrimRight(k, " ")) != len(k) {
			return "", nil, 0, false
		}
		key, after = string(k), i+1
	}
	if after < len(content) && content[after] != ' ' {
		return "", nil, 0, false
	}
	for after < len(content) && content[after] == ' ' {
		after++
	}
	rest = content[after:]
	if len(rest) > 0 && rest[0] == '#' {
		rest = nil
	}
	return key, rest, after, true
}

// quotedOneLine reads a quoted scalar closed on the same line; n is the
// offset after the closing quote.
func quotedOneLine(b []byte) (string, int, bool) {
	q := b[0]
	for i := 1; i < len(b); i++ {
		switch {
		case b[i] == '\\' && q == '"':
			i++
		case b[i] == q:
			if q == '\'' && i+1 < len(b) && b[i+1] == '\'' {
				i++
				continue
			}
			s, ok := unquote(b[:i+1])
			return s, i + 1, ok
		}
	}
	return "", 0, false
}

// unquote decodes a quoted scalar (quotes included) whose line breaks have
// already been folded.
func unquote(b []byte) (string, bool) {
	if b[0] == '\'' {
		return strings.ReplaceAll(string(b[1:len(b)-1]), "''", "'"), true
	}
	in := b[1 : len(b)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return string(in), utf8.Valid(in)
	}
	var sb strings.Builder
	for i := 0; i < len(in); i++ {
		ch := in[i]
		if ch != '\\' {
			sb.WriteByte(ch)
			continue
		}
		i++
		if i >= len(in) {
			return "", false
		}
		switch in[i] {
		case '0':
			sb.WriteByte(0)
		case 'a':
			sb.WriteByte('\a')
		case 'b':
			sb.WriteByte('\b')
		case 't', '\t':
			sb.WriteByte('\t')
		case 'n':
			sb.WriteByte('\n')
		case 'v':
			sb.WriteByte('\v')
		case 'f':
			sb.WriteByte('\f')
		case 'r':
			sb.WriteByte('\r')
		case 'e':
			sb.WriteByte(0x1b)
		case ' ', '"', '/', '\\':
			sb.WriteByte(in[i])
		case 'N':
			sb.WriteString("\u0085")
		case '_':
			sb.WriteString("\u00a0")
		case 'L':
			sb.WriteString("\u2028")
		case 'P':
			sb.WriteString("\u2029")
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[in[i]]
			if i+1+n > len(in) {
				return "", false
			}
			v, err := strconv.ParseUint(string(in[i+1:i+1+n]), 16, 32)
			if err != nil || !utf8.ValidRune(rune(v)) {
				return "", false
			}
			sb.WriteRune(rune(v))
			i += n
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// yamlStyleFloat is go.yaml.in/yaml/v3's (resolve.go).
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain is the type go.yaml.in/yaml/v3 gives a plain scalar
// (resolve.go resolve, for an untagged scalar), as far as the engine
// cares: null, bool, number or string (timestamps and merge keys are
// strings here, as the node cursor reads them).
func resolvePlain(in string) vkind {
	switch in {
	case "", "~", "null", "Null", "NULL":
		return vNull
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return vBool
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return vNumber
	}
	switch ch := in[0]; {
	case ch == '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return vNumber
		}
	case ch == '+' || ch == '-' || (ch >= '0' && ch <= '9'):
		plain := strings.ReplaceAll(in, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return vNumber
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return vNumber
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return vNumber
			}
		}
		for _, p := range []struct {
			prefix string
			base   int
		}{{"0b", 2}, {"-0b", 2}, {"0o", 8}, {"-0o", 8}} {
			if rest, ok := strings.CutPrefix(plain, p.prefix); ok {
				if p.prefix[0] == '-' {
					rest = "-" + rest
				}
				if _, err := strconv.ParseInt(rest, p.base, 64); err == nil {
					return vNumber
				}
				if p.prefix[0] != '-' {
					if _, err := strconv.ParseUint(rest, p.base, 64); err == nil {
						return vNumber
					}
				}
			}
		}
	}
	return vString
}

// newValue makes v the current value.
func (c *fastYAMLCursor) newValue(v fyValue) {
	c.seq++
	v.seq = c.seq
	c.cv = v
}

func (c *fastYAMLCursor) consume() { c.lastConsumed = c.cv.seq }

// finish skips the value with identity seq if the callback left it.
func (c *fastYAMLCursor) finish(seq int) {
	if c.lastConsumed < seq && c.err == nil {
		c.bail() // the extractor always consumes; be safe, not lenient
	}
}

func (c *fastYAMLCursor) kind() vkind {
	if c.err != nil {
		return vInvalid
	}
	v := &c.cv
	if v.done {
		return v.kind
	}
	if v.virtMap {
		return vObject
	}
	if len(v.inline) > 0 {
		switch v.inline[0] {
		case '[':
			return vArray
		case '{':
			return vObject
		case '>', '&', '*', '!', '%', '@', '`', '?', ',', ']', '}', '#':
			c.bail()
			return vInvalid
		case '-':
			if len(v.inline) == 1 || v.inline[1] == ' ' {
				c.bail()
				return vInvalid
			}
		}
		c.scalar()
		if c.err != nil {
			return vInvalid
		}
		return v.kind
	}
	l, ok := c.peek()
	if c.err != nil {
		return vInvalid
	}
	if ok && l.indent > v.owner {
		if isDash(l.content) {
			return vArray
		}
		if _, _, _, isKey := splitKey(l.content); isKey {
			return vObject
		}
		c.bail() // a scalar on the next line
		return vInvalid
	}
	if ok && v.compactSeq && l.indent == v.owner && isDash(l.content) {
		return vArray
	}
	v.done, v.kind = true, vNull
	return vNull
}

func (c *fastYAMLCursor) line() int {
	v := &c.cv
	if v.done || v.virtMap || len(v.inline) > 0 {
		return v.line
	}
	if l, ok := c.peek(); ok && (l.indent > v.owner || (v.compactSeq && l.indent == v.owner && isDash(l.content))) {
		return l.num
	}
	return v.line
}

// scalar materialises the inline scalar of the current value, reading its
// continuation lines.
func (c *fastYAMLCursor) scalar() {
	v := &c.cv
	v.done = true
	switch v.inline[0] {
	case '"', '\'':
		v.kind = vString
		v.text = c.quoted(v.inline, v.owner)
	case '|':
		v.kind = vString
		v.text = c.literal(v.inline, v.owner)
	default:
		text := c.plain(v.inline, v.owner)
		v.text = text
		v.kind = resolvePlain(text)
	}
}

// stripComment cuts a " #" comment and trailing spaces.
func stripComment(b []byte) []byte {
	if i := bytes.Index(b, []byte(" #")); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, " ")
}

func (c *fastYAMLCursor) plain(first []byte, owner int) string {
	text := stripComment(first)
	if bytes.Contains(text, []byte(": ")) || bytes.HasSuffix(text, []byte(":")) || bytes.IndexByte(text, '\t') >= 0 || !utf8.Valid(text) {
		c.bail()
		return ""
	}
	if len(text) < len(first) && bytes.Contains(first[len(text):], []byte("#")) {
		// a comment ends the scalar: no continuation may follow
		if l, ok := c.peek(); ok && l.indent > owner {
			c.bail()
		}
		return string(text)
	}
	var sb []byte
	empty := 0
	for {
		line, next, ok := c.rawLine()
		if !ok {
			break
		}
		if blank(line) {
			if bytes.IndexByte(line, '\t') >= 0 {
				c.bail()
				return ""
			}
			// an empty line folds to a line break if the scalar
			// continues; otherwise it is just skipped
			empty++
			c.advanceRaw(next)
			continue
		}
		ind := indentOf(line)
		if ind <= owner {
			break
		}
		cont := line[ind:]
		if cont[0] == '#' || cont[0] == '\t' || bytes.Contains(cont, []byte(": ")) || bytes.Contains(cont, []byte(" #")) ||
			bytes.HasSuffix(cont, []byte(":")) || bytes.IndexByte(cont, '\t') >= 0 || (owner < 0 && isMarker(line)) || !utf8.Valid(cont) {
			c.bail()
			return ""
		}
		if sb == nil {
			sb = append([]byte(nil), text...)
		}
		if empty == 0 {
			sb = append(sb, ' ')
		}
		for ; empty > 0; empty-- {
			sb = append(sb, '\n')
		}
		sb = append(sb, bytes.TrimRight(cont, " ")...)
		c.advanceRaw(next)
	}
	c.peeked = false
	if sb != nil {
		return string(sb)
	}
	return string(text)
}

// quoted reads a single- or double-quoted scalar that may continue on the
// following lines (each indented more than owner).
func (c *fastYAMLCursor) quoted(first []byte, owner int) string {
	if s, n, ok := quotedOneLine(first); ok {
		if r := first[n:]; len(r) > 0 && !(r[0] == ' ' && (blank(r) || bytes.HasPrefix(bytes.TrimLeft(r, " "), []byte("#")))) {
			c.bail()
		}
		return s
	}
	if first[0] == '"' && bytes.HasSuffix(first, []byte("\\")) {
		c.bail() // escaped line breaks: leave them to yaml.v3
		return ""
	}
	// Fold: a line break between two non-empty lines is a space, each
	// empty line a line break; leading and trailing spaces of the lines
	// go.
	q := first[0]
	buf := append([]byte(nil), bytes.TrimRight(first, " ")...)
	empty := 0
	for {
		line, next, ok := c.rawLine()
		if !ok || bytes.IndexByte(line, '\t') >= 0 {
			c.bail()
			return ""
		}
		c.advanceRaw(next)
		if blank(line) {
			empty++
			continue
		}
		if indentOf(line) <= owner || isMarker(line) {
			c.bail()
			return ""
		}
		part := bytes.TrimLeft(line, " ")
		if empty == 0 {
			buf = append(buf, ' ')
		}
		for ; empty > 0; empty-- {
			buf = append(buf, '\n')
		}
		// find the closing quote on this line
		end := -1
		for i := 0; i < len(part); i++ {
			if q == '"' && part[i] == '\\' {
				i++
				continue
			}
			if part[i] == q {
				if q == '\'' && i+1 < len(part) && part[i+1] == '\'' {
					i++
					continue
				}
				end = i
				break
			}
		}
		if end < 0 {
			if q == '"' && bytes.HasSuffix(part, []byte("\\")) {
				c.bail()
				return ""
			}
			buf = append(buf, bytes.TrimRight(part, " ")...)
			continue
		}
		buf = append(buf, part[:end+1]...)
		if r := part[end+1:]; len(r) > 0 && !(r[0] == ' ' && (blank(r) || bytes.HasPrefix(bytes.TrimLeft(r, " "), []byte("#")))) {
			c.bail()
			return ""
		}
		s, ok := unquote(buf)
		if !ok {
			c.bail()
			return ""
		}
		return s
	}
}

// literal reads a literal block scalar ("|", "|-", "|+"; no explicit
// indentation indicator).
func (c *fastYAMLCursor) literal(header []byte, owner int) string {
	h := stripComment(header)
	chomp := byte(0)
	switch string(h) {
	case "|":
	case "|-":
		chomp = '-'
	case "|+":
		chomp = '+'
	default:
		c.bail()
		return ""
	}
	var (
		buf      []byte
		indent   = -1
		pending  int // empty lines not yet written
		maxEmpty int // widest leading empty line
		started  bool
	)
	for {
		line, next, ok := c.rawLine()
		if !ok {
			break
		}
		if blank(line) {
			if bytes.IndexByte(line, '\t') >= 0 || (indent >= 0 && len(line) > indent) {
				c.bail() // spaces beyond the indentation are content: leave it to yaml.v3
				return ""
			}
			if !started && len(line) > maxEmpty {
				maxEmpty = len(line)
			}
			// an empty line belongs to the scalar if content follows it
			pending++
			c.advanceRaw(next)
			continue
		}
		ind := indentOf(line)
		if indent < 0 {
			if ind <= owner || (owner < 0 && isMarker(line)) {
				break
			}
			if maxEmpty > ind {
				c.bail()
				return ""
			}
			indent = ind
		}
		if ind < indent {
			break
		}
		if !utf8.Valid(line) {
			c.bail()
			return ""
		}
		if started {
			buf = append(buf, '\n')
		}
		for ; pending > 0; pending-- {
			buf = append(buf, '\n')
		}
		buf = append(buf, line[indent:]...)
		started = true
		c.advanceRaw(next)
	}
	// The empty lines read after the content are trailing: chomping
	// decides what they become.
	c.peeked = false
	if !started && pending > 0 && chomp == '+' {
		c.bail()
		return ""
	}
	switch chomp {
	case '-':
		return string(buf)
	case '+':
		if started {
			buf = append(buf, '\n')
		}
		for ; pending > 0; pending-- {
			buf = append(buf, '\n')
		}
		return string(buf)
	default:
		if started {
			buf = append(buf, '\n')
		}
		return string(buf)
	}
}

func (c *fastYAMLCursor) str() (string, error) {
	c.consume()
	if c.kind(); c.err != nil {
		return "", c.err
	}
	return c.cv.text, nil
}

func (c *fastYAMLCursor) boolean() (bool, error) {
	c.consume()
	if c.kind(); c.err != nil {
		return false, c.err
	}
	return strings.EqualFold(c.cv.text, "true"), nil
}

func (c *fastYAMLCursor) skip() error {
	c.consume()
	if c.err != nil {
		return c.err
	}
	v := c.cv
	if v.done {
		return nil
	}
	owner := v.owner
	compact := v.compactSeq && !v.virtMap && len(v.inline) == 0
	for {
		l, ok := c.peek()
		if c.err != nil {
			return c.err
		}
		if !ok || !(l.indent > owner || (compact && l.indent == owner && isDash(l.content))) {
			return nil
		}
		c.advance()
	}
}

func (c *fastYAMLCursor) object(fn func(key string) error) error {
	c.consume()
	if c.err != nil {
		return c.err
	}
	if c.depth++; c.depth > maxDepth {
		c.bail()
		return c.err
	}
	defer func() { c.depth-- }()
	v := c.cv
	if len(v.inline) > 0 && v.inline[0] == '{' {
		return c.flowMap(v, fn)
	}
	entry := func(key string, rest []byte, col, m, line int) error {
		c.newValue(fyValue{owner: m, compactSeq: true, inline: rest, col: col, line: line})
		seq := c.seq
		if err := fn(key); err != nil {
			return err
		}
		c.finish(seq)
		return c.err
	}
	var m int
	if v.virtMap {
		m = v.col
		key, rest, off, ok := splitKey(v.inline)
		if !ok {
			c.bail()
			return c.err
		}
		if err := entry(key, rest, v.col+off, m, v.line); err != nil {
			return err
		}
	} else {
		l, ok := c.peek()
		if !ok || l.indent <= v.owner {
			c.bail()
			return c.err
		}
		m = l.indent
	}
	for {
		l, ok := c.peek()
		if c.err != nil {
			return c.err
		}
		if !ok || l.indent < m {
			return nil
		}
		key, rest, off, isKey := splitKey(l.content)
		if l.indent > m || !isKey {
			c.bail()
			return c.err
		}
		c.advance()
		if err := entry(key, rest, m+off, m, l.num); err != nil {
			return err
		}
	}
}

func (c *fastYAMLCursor) array(fn func(i int) error) error {
	c.consume()
	if c.err != nil {
		return c.err
	}
	if c.depth++; c.depth > maxDepth {
		c.bail()
		return c.err
	}
	defer func() { c.depth-- }()
	v := c.cv
	if len(v.inline) > 0 && v.inline[0] == '[' {
		return c.flowSeq(v, fn)
	}
	first, ok := c.peek()
	if !ok || !isDash(first.content) {
		c.bail()
		return c.err
	}
	s := first.indent
	for i := 0; ; i++ {
		l, ok := c.peek()
		if c.err != nil {
			return c.err
		}
		if !ok || l.indent < s {
			return nil
		}
		if l.indent > s {
			c.bail()
			return c.err
		}
		if !isDash(l.content) {
			if s == v.owner { // a compact sequence ends at the next key
				return nil
			}
			c.bail()
			return c.err
		}
		c.advance()
		rest := l.content[1:]
		off := 1
		for len(rest) > 0 && rest[0] == ' ' {
			rest, off = rest[1:], off+1
		}
		if len(rest) > 0 && rest[0] == '#' {
			rest = nil
		}
		val := fyValue{owner: s, inline: rest, col: s + off, line: l.num}
		if _, _, _, isKey := splitKey(rest); isKey {
			val.virtMap = true // "- key: value" starts a mapping at the key's column
		}
		c.newValue(val)
		seq := c.seq
		if err := fn(i); err != nil {
			return err
		}
		c.finish(seq)
		if c.err != nil {
			return c.err
		}
	}
}

// flowItems splits a one-line flow collection "[a, 'b']" or "{k: v}"
// into its items; nested collections and lines that do not close are
// left to yaml.v3.
func (c *fastYAMLCursor) flowItems(v fyValue) [][]byte {
	open, closeCh := v.inline[0], byte(']')
	if open == '{' {
		closeCh = '}'
	}
	b := v.inline
	var items [][]byte
	start := 1
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '"', '\'':
			_, n, ok := quotedOneLine(b[i:])
			if !ok {
				c.bail()
				return nil
			}
			i += n - 1
		case '[', '{', ']', '}', '\t', '#', '&', '*', '!':
			if b[i] != closeCh {
				c.bail()
				return nil
			}
			last := bytes.TrimSpace(b[start:i])
			if len(last) > 0 {
				items = append(items, last)
			} else if len(items) > 0 {
				c.bail() // a trailing comma
				return nil
			}
			if r := b[i+1:]; len(r) > 0 && !(r[0] == ' ' && (blank(r) || bytes.HasPrefix(bytes.TrimLeft(r, " "), []byte("#")))) {
				c.bail()
				return nil
			}
			// the line is consumed; nothing may continue it
			if l, ok := c.peek(); ok && l.indent > v.owner {
				c.bail()
				return nil
			}
			return items
		case ',':
			item := bytes.TrimSpace(b[start:i])
			if len(item) == 0 {
				c.bail()
				return nil
			}
			items = append(items, item)
			start = i + 1
		}
	}
	c.bail() // not closed on this line
	return nil
}

// flowScalar decodes one scalar of a flow collection.
func (c *fastYAMLCursor) flowScalar(b []byte) (string, vkind) {
	if len(b) == 0 {
		return "", vNull
	}
	if b[0] == '"' || b[0] == '\'' {
		s, n, ok := quotedOneLine(b)
		if !ok || n != len(b) {
			c.bail()
			return "", vInvalid
		}
		return s, vString
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", b[0]) >= 0 && !(b[0] == '-' && len(b) > 1 && b[1] != ' ') || bytes.Contains(b, []byte(": ")) || bytes.HasSuffix(b, []byte(":")) || !utf8.Valid(b) {
		c.bail()
		return "", vInvalid
	}
	s := string(b)
	return s, resolvePlain(s)
}

func (c *fastYAMLCursor) flowSeq(v fyValue, fn func(i int) error) error {
	items := c.flowItems(v)
	for i, it := range items {
		s, k := c.flowScalar(it)
		if c.err != nil {
			return c.err
		}
		c.newValue(fyValue{owner: v.owner, line: v.line, done: true, kind: k, text: s})
		seq := c.seq
		if err := fn(i); err != nil {
			return err
		}
		c.finish(seq)
	}
	return c.err
}

func (c *fastYAMLCursor) flowMap(v fyValue, fn func(key string) error) error {
	items := c.flowItems(v)
	for _, it := range items {
		var key, val []byte
		if it[0] == '"' || it[0] == '\'' {
			_, n, ok := quotedOneLine(it)
			if !ok {
				c.bail()
				return c.err
			}
			key, val = it[:n], it[n:]
			val = bytes.TrimLeft(val, " ")
			if len(val) == 0 || val[0] != ':' {
				c.bail()
				return c.err
			}
			val = val[1:]
		} else {
			i := bytes.IndexByte(it, ':')
			if i < 0 {
				c.bail()
				return c.err
			}
			key, val = bytes.TrimSpace(it[:i]), it[i+1:]
		}
		if len(val) > 0 && val[0] != ' ' {
			c.bail()
			return c.err
		}
		k, kk := c.flowScalar(key)
		if kk != vString || c.err != nil {
			c.bail()
			return c.err
		}
		s, vk := c.flowScalar(bytes.TrimSpace(val))
		if c.err != nil {
			return c.err
		}
		c.newValue(fyValue{owner: v.owner, line: v.line, done: true, kind: vk, text: s})
		seq := c.seq
		if err := fn(k); err != nil {
			return err
		}
		c.finish(seq)
	}
	return c.err
}

// readFastYAML reads every document of data in the fast subset; ok is
// false when the file must be read by yaml.v3 instead.
func readFastYAML(data []byte) (objs []*object, ok bool) {
	if !plainText(data) {
		return nil, false
	}
	c := newFastYAMLCursor(data)
	e := &extractor{c: c}
	needMarker := false
	for {
		l, more := c.peek()
		if c.err != nil || (more && needMarker) {
			return nil, false
		}
		if !more {
			line, next, any := c.rawLine()
			if !any {
				return objs, true
			}
			// a document marker: nothing may follow it on its line
			if r := bytes.TrimLeft(line[3:], " \t"); len(r) > 0 && r[0] != '#' {
				return nil, false
			}
			c.advanceRaw(next)
			needMarker = false
			continue
		}
		if l.indent != 0 {
			return nil, false
		}
		needMarker = true
		c.newValue(fyValue{owner: -1, line: l.num})
		switch c.kind() {
		case vObject:
			o, err := e.readObject(true)
			if err != nil || c.err != nil {
				return nil, false
			}
			objs = append(objs, o)
		case vArray:
			err := c.array(func(int) error {
				if c.kind() != vObject {
					return c.skip()
				}
				o, err := e.readObject(true)
				if err == nil {
					objs = append(objs, o)
				}
				return err
			})
			if err != nil || c.err != nil {
				return nil, false
			}
		default:
			return nil, false
		}
	}
}

// plainText reports whether data holds only what the fast path expects:
// UTF-8 without control characters, with \n or \r\n line breaks. YAML
// also breaks lines at a lone \r, NEL, LS and PS, and yaml.v3 rejects
// non-printable characters: such files go to yaml.v3.
func plainText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for i := 0; i < len(data); i++ {
		switch b := data[i]; {
		case b == '\n' || b == '\t':
		case b == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				return false
			}
		case b < 0x20 || b == 0x7f:
			return false
		case b == 0xc2:
			if i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9f { // C1 controls, NEL
				return false
			}
		case b == 0xe2:
			if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9) { // LS, PS
				return false
			}
		case b == 0xef:
			if i+2 < len(data) && ((data[i+1] == 0xbb && data[i+2] == 0xbf) || (data[i+1] == 0xbf && data[i+2] >= 0xbe)) { // BOM, U+FFFE, U+FFFF
				return false
			}
		}
	}
	return true
}
