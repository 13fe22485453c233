package versions

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/apiguard/apiguard/internal/fileinput"
)

type dataKey struct{}

// WithData returns a context carrying the data the patching checks use. The
// CLI sets it from --versions-data or the local file; without it checks use
// the embedded data. (Checks stay pure: the data is an input, like the
// snapshot.)
func WithData(ctx context.Context, d *Data) context.Context {
	return context.WithValue(ctx, dataKey{}, d)
}

// FromContext returns the data set by WithData, else the embedded data.
func FromContext(ctx context.Context) *Data {
	if ctx != nil {
		if d, ok := ctx.Value(dataKey{}).(*Data); ok && d != nil {
			return d
		}
	}
	return Embedded()
}

// DefaultLocalPath is where `apiguard versions update` writes and where
// scans look for a local data file: <user config dir>/apiguard/kubernetes.yaml.
func DefaultLocalPath() (string, error) {
	dir, err := userConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user configuration directory (%v): give the path explicitly", err)
	}
	return filepath.Join(dir, "apiguard", DataFileName), nil
}

// userConfigDir is os.UserConfigDir; tests replace it.
var userConfigDir = os.UserConfigDir

// SetUserConfigDirForTest points DefaultLocalPath at dir (tests only).
func SetUserConfigDirForTest(dir string) { userConfigDir = func() (string, error) { return dir, nil } }

// ReadFile reads a data file, bounded in size.
func ReadFile(path string) (*Data, error) {
	b, err := fileinput.ReadFile(path, fileinput.VersionsData)
	if err != nil {
		return nil, err
	}
	return ParseData(path, b)
}

// Load returns the data a command uses: the explicit file as it is, when a
// path is given (it must be readable); else the local file at
// DefaultLocalPath when it exists, merged over the embedded data section by
// section (the newer section wins, so a file written by an older apiguard
// never hides newer embedded releases); else the embedded data.
func Load(explicit string) (*Data, error) {
	base := Embedded()
	if explicit != "" {
		return ReadFile(explicit)
	}
	path, err := DefaultLocalPath()
	if err != nil {
		return base, nil
	}
	d, err := ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return base, nil
	case err != nil:
		return nil, fmt.Errorf("%v (delete it or run apiguard versions update again)", err)
	}
	return Merge(base, d), nil
}
