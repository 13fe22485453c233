package fileinput

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("kind: Policy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 2*kib+1), 0o600); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact.yaml")
	if err := os.WriteFile(exact, bytes.Repeat([]byte("x"), 2*kib), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	k := Kind{"test files", 2 * kib}
	cases := []struct {
		name, path string
		want       string // content, or the error's text
		is         error
	}{
		{"regular", small, "kind: Policy\n", nil},
		{"symlink to a regular file", link, "kind: Policy\n", nil},
		{"exactly the limit", exact, strings.Repeat("x", 2*kib), nil},
		{"over the limit", big, big + ": larger than 2 KiB (limit for test files)", ErrTooLarge},
		{"missing", filepath.Join(dir, "nope"), filepath.Join(dir, "nope") + ": no such file or directory", fs.ErrNotExist},
		{"directory", dir, dir + ": is a directory, not a regular file", ErrNotRegular},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name, path string
			want       string
			is         error
		}{"character device", "/dev/null", "/dev/null: is a character device, not a regular file", ErrNotRegular})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := ReadFile(c.path, k)
			if c.is == nil {
				if err != nil || string(data) != c.want {
					t.Fatalf("got %q, %v; want %q", data, err, c.want)
				}
				return
			}
			if err == nil || err.Error() != c.want || !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %q (is %v)", err, c.want, c.is)
			}
		})
	}
}

func TestReadFileUnreadable(t *testing.T) {
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("root reads any file")
	}
	p := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(p, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(p, Manifest)
	if err == nil || err.Error() != p+": permission denied" || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v", err)
	}
}

func TestStat(t *testing.T) {
	dir := t.TempDir()
	if st, err := Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("a directory: %v", err)
	}
	if _, err := Stat(filepath.Join(dir, "x")); !errors.Is(err, fs.ErrNotExist) || Reason(err) != "no such file or directory" {
		t.Fatalf("missing: %v", err)
	}
}

// A file without a size (/proc) is read to its end, within the limit.
func TestReadFileWithoutSize(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	data, err := ReadFile("/proc/self/cmdline", FlagsFile)
	if err != nil || len(data) == 0 {
		t.Fatalf("got %d bytes, %v", len(data), err)
	}
	if _, err := ReadFile("/proc/self/cmdline", Kind{"tiny", 2}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit not applied: %v", err)
	}
}

func TestReadAll(t *testing.T) {
	data, err := ReadAll(context.Background(), strings.NewReader("abc"), "(stdin)", Kind{"x", 3})
	if err != nil || string(data) != "abc" {
		t.Fatalf("%q %v", data, err)
	}
	_, err = ReadAll(context.Background(), strings.NewReader("abcd"), "(stdin)", Kind{"audit policies", 3})
	if err == nil || err.Error() != "(stdin): larger than 3 bytes (limit for audit policies)" {
		t.Fatalf("err = %v", err)
	}
	// A writer that never closes: the context ends the read.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { pw.Write([]byte("partial")); time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = ReadAll(ctx, pr, "(stdin)", Manifest)
	if !errors.Is(err, ErrInterrupted) || err.Error() != "(stdin): interrupted" {
		t.Fatalf("err = %v", err)
	}
}

func TestContextReader(t *testing.T) {
	got, err := io.ReadAll(ContextReader(context.Background(), strings.NewReader(strings.Repeat("y", 200*kib))))
	if err != nil || len(got) != 200*kib {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := ContextReader(ctx, pr)
	go pw.Write([]byte("line\n"))
	buf := make([]byte, 10)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "line\n" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Read(buf); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read stayed blocked after the context ended")
	}
	if _, err := r.Read(buf); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("after the end: %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{4 * mib: "4 MiB", 64 * kib: "64 KiB", gib: "1 GiB", 1000: "1000 bytes", 1536 * kib: "1536 KiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
