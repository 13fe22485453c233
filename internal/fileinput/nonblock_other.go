//go:build !unix

package fileinput

// nonBlock: only unix systems have FIFOs that block an open.
const nonBlock = 0
