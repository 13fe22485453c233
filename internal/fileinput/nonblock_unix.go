//go:build unix

package fileinput

import "syscall"

// nonBlock makes an open of a FIFO return at once instead of waiting for a
// writer; regular files ignore it.
const nonBlock = syscall.O_NONBLOCK
