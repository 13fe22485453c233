package offline

import (
	"os"

	"github.com/apiguard/apiguard/internal/inputs"
)

// StatMeta reads a file's permission bits and, where the platform has them
// (setOwner), its owner.
func StatMeta(p string) *inputs.FileMeta {
	m := &inputs.FileMeta{Path: p}
	st, err := os.Stat(p)
	if err != nil {
		m.Unavailable = cleanErr(err)
		return m
	}
	m.Mode = inputs.FileMode(st.Mode().Perm())
	setOwner(m, st)
	return m
}

// noOwnership is FileMeta.Unavailable where the platform has no file owners.
const noOwnership = "file ownership is not available on this platform"
