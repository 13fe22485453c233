//go:build !purego

package auditlog

// classify64 marks the quotes, backslashes, opening brackets ('{' and '[')
// and closing brackets ('}' and ']') of a 64-byte block: bit i of each
// mask is byte i (SSE2, in classify_amd64.s).
//
//go:noescape
func classify64(blk *[64]byte) (quote, bslash, open, close uint64)
