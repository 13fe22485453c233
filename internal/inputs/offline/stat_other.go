//go:build !unix

package offline

import (
	"os"

	"github.com/apiguard/apiguard/internal/inputs"
)

// StatMeta reads a file's permission bits; ownership is unix-only.
func StatMeta(p string) *inputs.FileMeta {
	m := &inputs.FileMeta{Path: p}
	st, err := os.Stat(p)
	if err != nil {
		m.Unavailable = cleanErr(err)
		return m
	}
	m.Mode = inputs.FileMode(st.Mode().Perm())
	m.Unavailable = "file ownership is not available on this platform"
	return m
}
