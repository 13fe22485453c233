//go:build unix

package offline

import (
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/apiguard/apiguard/internal/inputs"
)

// StatMeta reads a file's permission bits and owner from the host.
func StatMeta(p string) *inputs.FileMeta {
	m := &inputs.FileMeta{Path: p}
	st, err := os.Stat(p)
	if err != nil {
		m.Unavailable = cleanErr(err)
		return m
	}
	m.Mode = inputs.FileMode(st.Mode().Perm())
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		m.UID, m.GID = int(sys.Uid), int(sys.Gid)
		if u, err := user.LookupId(strconv.Itoa(m.UID)); err == nil {
			m.Owner = u.Username
		}
		if g, err := user.LookupGroupId(strconv.Itoa(m.GID)); err == nil {
			m.Group = g.Name
		}
	} else {
		m.Unavailable = "file ownership is not available on this platform"
	}
	return m
}
