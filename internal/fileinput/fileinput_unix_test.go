//go:build unix

package fileinput

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO is refused at once: neither the check nor the open waits for a writer.
func TestFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 2)
	go func() { _, err := ReadFile(p, Manifest); done <- err }()
	go func() { _, err := Open(p); done <- err }()
	for range 2 {
		select {
		case err := <-done:
			if err == nil || err.Error() != p+": is a named pipe (FIFO), not a regular file" || !errors.Is(err, ErrNotRegular) {
				t.Fatalf("err = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reading a FIFO blocked")
		}
	}
	if _, err := Stat(p); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Stat: %v", err)
	}
}

// The check after the open refuses what the check before it could not see.
func TestOpenChecksTheOpenedFile(t *testing.T) {
	dir, err := os.MkdirTemp("", "fi")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("unix socket:", err)
	}
	defer l.Close()
	if _, err := ReadFile(sock, Manifest); err == nil || !strings.HasSuffix(err.Error(), "is a socket, not a regular file") {
		t.Fatalf("err = %v", err)
	}
}
