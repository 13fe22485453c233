//go:build unix

package offline

import (
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/apiguard/apiguard/internal/inputs"
)

// setOwner reads the file's owner and group from the host.
func setOwner(m *inputs.FileMeta, st os.FileInfo) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		m.Unavailable = noOwnership
		return
	}
	m.UID, m.GID = int(sys.Uid), int(sys.Gid)
	if u, err := user.LookupId(strconv.Itoa(m.UID)); err == nil {
		m.Owner = u.Username
	}
	if g, err := user.LookupGroupId(strconv.Itoa(m.GID)); err == nil {
		m.Group = g.Name
	}
}
