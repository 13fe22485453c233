//go:build !unix

package offline

import (
	"os"

	"github.com/apiguard/apiguard/internal/inputs"
)

// setOwner: ownership is unix-only.
func setOwner(m *inputs.FileMeta, _ os.FileInfo) {
	m.Unavailable = noOwnership
}
