//go:build !amd64 || purego

package auditlog

// classify64 marks the quotes, backslashes, opening brackets ('{' and '[')
// and closing brackets ('}' and ']') of a 64-byte block: bit i of each
// mask is byte i.
func classify64(blk *[64]byte) (quote, bslash, open, close uint64) {
	return classify64Go(blk)
}
