package versions

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestReadFileErrors: a data file or feed file that is missing, too large,
// a directory or a FIFO is an error naming it, at once.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "kubernetes.yaml")
	if err := os.WriteFile(big, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxDataSize+1); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{big, big + ": larger than 16 MiB (limit for versions data files)"},
		{dir, dir + ": is a directory, not a regular file"},
		{filepath.Join(dir, "nope"), filepath.Join(dir, "nope") + ": no such file or directory"},
	}
	if fifo := filepath.Join(dir, "fifo"); mkfifo(fifo) == nil {
		cases = append(cases, struct{ path, want string }{fifo, fifo + ": is a named pipe (FIFO), not a regular file"})
	}
	for _, c := range cases {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := ReadFile(c.path); err == nil || err.Error() != c.want {
				t.Errorf("ReadFile: %v, want %s", err, c.want)
			}
			if _, err := Fetch(context.Background(), c.path, time.Second, 1024); err == nil {
				t.Errorf("Fetch %s: no error", c.path)
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: blocked", c.path)
		}
	}
	if _, err := Fetch(context.Background(), big, time.Second, 1024); err == nil || err.Error() != big+": larger than 1 KiB (limit for versions feeds)" {
		t.Errorf("Fetch limit: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file must stay fs.ErrNotExist (Load falls back on it): %v", err)
	}
}
