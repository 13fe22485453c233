package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func rec(i int) []byte {
	return []byte(fmt.Sprintf("record-%06d-%s", i, bytes.Repeat([]byte{'x'}, i%97)))
}

// readAll reads every durable record from seq 1 without waiting.
func readAll(t *testing.T, l *Log) map[uint64][]byte {
	t.Helper()
	r := l.NewReader(1)
	defer r.Close()
	got := map[uint64][]byte{}
	var last uint64
	for {
		seq, data, ok, err := r.TryNext()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return got
		}
		if seq <= last {
			t.Fatalf("seq %d after %d", seq, last)
		}
		last = seq
		got[seq] = data
	}
}

func mustOpen(t *testing.T, dir string, o Options) *Log {
	t.Helper()
	l, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 4096})
	for i := 1; i <= 300; i++ {
		seq, err := l.Append(rec(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	if n := len(readAll(t, l)); n != 300 {
		t.Fatalf("read %d records, want 300", n)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segExt))
	if len(segs) < 3 {
		t.Fatalf("%d segments: want rotation at 4 KiB", len(segs))
	}
	l.Close()
	l = mustOpen(t, dir, Options{SegmentBytes: 4096})
	defer l.Close()
	if r := l.Recovery(); r.Records != 300 || r.Truncated != 0 {
		t.Fatalf("recovery %+v", r)
	}
	got := readAll(t, l)
	for i := 1; i <= 300; i++ {
		if !bytes.Equal(got[uint64(i)], rec(i)) {
			t.Fatalf("record %d = %q", i, got[uint64(i)])
		}
	}
	if seq, _ := l.Append([]byte("after")); seq != 301 {
		t.Fatalf("seq after reopen %d, want 301", seq)
	}
}

func TestConcurrentAppendsGroupCommit(t *testing.T) {
	var syncs atomic.Int64
	l := mustOpen(t, t.TempDir(), Options{Sync: func(f *os.File) error {
		syncs.Add(1)
		time.Sleep(2 * time.Millisecond) // a slow disk: appends pile up behind an fsync
		return f.Sync()
	}})
	defer l.Close()
	const writers, each = 16, 50
	var wg sync.WaitGroup
	seen := make([]atomic.Bool, writers*each+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq, err := l.Append(rec(w*each + i))
				if err != nil {
					t.Error(err)
					return
				}
				if seen[seq].Swap(true) {
					t.Errorf("seq %d handed out twice", seq)
				}
			}
		}()
	}
	wg.Wait()
	if got := len(readAll(t, l)); got != writers*each {
		t.Fatalf("%d records, want %d", got, writers*each)
	}
	if n := syncs.Load(); n >= writers*each {
		t.Fatalf("%d fsyncs for %d appends: no group commit", n, writers*each)
	}
	t.Logf("%d appends, %d fsyncs", writers*each, syncs.Load())
}

func TestReaderWaitsForDurableRecords(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	r := l.NewReader(1)
	defer r.Close()
	got := make(chan uint64)
	go func() {
		for {
			seq, _, err := r.Next(context.Background())
			if err != nil {
				close(got)
				return
			}
			got <- seq
		}
	}()
	for i := 1; i <= 5; i++ {
		if _, err := l.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
		select {
		case seq := <-got:
			if seq != uint64(i) {
				t.Fatalf("read %d, want %d", seq, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reader did not wake")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.NewReader(6).Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on a done context: %v", err)
	}
}

func TestRecoverTornTail(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mangle  func(b []byte) []byte
		records int
	}{
		{"clean", func(b []byte) []byte { return b }, 10},
		{"half a header", func(b []byte) []byte { return append(b, 1, 2, 3) }, 10},
		{"header without data", func(b []byte) []byte { return appendRecord(b, 11, []byte("0123456789"))[:len(b)+headerLen+3] }, 10},
		{"last record cut", func(b []byte) []byte { return b[:len(b)-2] }, 9},
		{"checksum of the last record", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 9},
		{"huge length", func(b []byte) []byte {
			h := appendRecord(nil, 11, nil)
			h[3] = 0xff
			return append(b, h...)
		}, 10},
		{"sequence going back", func(b []byte) []byte { return appendRecord(b, 3, []byte("old")) }, 10},
		{"zeros (preallocated)", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, dir, Options{})
			for i := 1; i <= 10; i++ {
				if _, err := l.Append(rec(i)); err != nil {
					t.Fatal(err)
				}
			}
			l.Close()
			path := filepath.Join(dir, segName(1))
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.mangle(b), 0o600); err != nil {
				t.Fatal(err)
			}
			l = mustOpen(t, dir, Options{})
			defer l.Close()
			got := readAll(t, l)
			if len(got) != tc.records {
				t.Fatalf("%d records after recovery, want %d (%+v)", len(got), tc.records, l.Recovery())
			}
			seq, err := l.Append([]byte("new"))
			if err != nil {
				t.Fatal(err)
			}
			if seq != uint64(tc.records+1) {
				t.Fatalf("next seq %d, want %d", seq, tc.records+1)
			}
			l.Close()
			l2 := mustOpen(t, dir, Options{})
			defer l2.Close()
			if r := l2.Recovery(); r.Truncated != 0 || r.Records != int64(tc.records+1) {
				t.Fatalf("second recovery %+v", r)
			}
		})
	}
}

// A write that fails (disk full) leaves nothing of its record; earlier
// and later records are intact, and the log recovers by itself.
func TestWriteFailureRecovers(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Bool
	l := mustOpen(t, dir, Options{Write: func(f *os.File, b []byte) (int, error) {
		if fail.Load() {
			n, _ := f.Write(b[:len(b)/2]) // a partial write, then ENOSPC
			return n, syscall.ENOSPC
		}
		return f.Write(b)
	}})
	defer l.Close()
	for i := 1; i <= 3; i++ {
		if _, err := l.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	fail.Store(true)
	for range 3 {
		if _, err := l.Append(rec(99)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append on a full disk: %v", err)
		}
	}
	fail.Store(false)
	seq, err := l.Append(rec(4))
	if err != nil || seq != 4 {
		t.Fatalf("append after space returned: seq %d, %v", seq, err)
	}
	got := readAll(t, l)
	if len(got) != 4 || !bytes.Equal(got[4], rec(4)) {
		t.Fatalf("records %v", keys(got))
	}
	l.Close()
	l = mustOpen(t, dir, Options{})
	defer l.Close()
	if r := l.Recovery(); r.Truncated != 0 || r.Records != 4 {
		t.Fatalf("recovery %+v: a failed write left bytes behind", r)
	}
}

// An fsync that fails discards every record it covered: their Appends
// fail, readers never see them, and their sequence numbers are reused.
func TestSyncFailureDiscards(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Bool
	l := mustOpen(t, dir, Options{Sync: func(f *os.File) error {
		if fail.Load() {
			return syscall.EIO
		}
		return f.Sync()
	}})
	defer l.Close()
	if _, err := l.Append(rec(1)); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(rec(100 + i)); errors.Is(err, syscall.EIO) {
				failed.Add(1)
			} else {
				t.Errorf("append under a failing fsync: %v", err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 8 {
		t.Fatalf("%d of 8 appends failed", failed.Load())
	}
	if got := readAll(t, l); len(got) != 1 {
		t.Fatalf("reader sees %d records, want only the durable one", len(got))
	}
	fail.Store(false)
	if seq, err := l.Append(rec(2)); err != nil || seq != 2 {
		t.Fatalf("append after recovery: %d %v", seq, err)
	}
	l.Close()
	l = mustOpen(t, dir, Options{})
	defer l.Close()
	got := readAll(t, l)
	if len(got) != 2 || !bytes.Equal(got[2], rec(2)) || l.Recovery().Truncated != 0 {
		t.Fatalf("after reopen: %v %+v", keys(got), l.Recovery())
	}
}

func TestMaxBytesAndTrim(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{MaxBytes: 64 << 10, SegmentBytes: 8 << 10})
	defer l.Close()
	big := bytes.Repeat([]byte{'a'}, 1000)
	n := 0
	for {
		_, err := l.Append(big)
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if l.Size() > 64<<10 {
		t.Fatalf("size %d beyond MaxBytes", l.Size())
	}
	if n < 50 {
		t.Fatalf("only %d records fit in 64 KiB", n)
	}
	if err := l.Trim(uint64(n / 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(big); err != nil {
		t.Fatalf("append after trim: %v", err)
	}
	if first := l.First(); first <= 1 || first > uint64(n/2)+1 {
		t.Fatalf("first %d after trimming to %d", first, n/2)
	}
	// A reader from before the trimmed part starts at the first kept record.
	got := readAll(t, l)
	if len(got) == 0 || len(got) > n+1 {
		t.Fatalf("%d records readable", len(got))
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cursor")
	for _, v := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(v)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != v {
			t.Fatalf("%q, want %q", b, v)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".cursor*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func keys(m map[uint64][]byte) []uint64 {
	var k []uint64
	for s := range m {
		k = append(k, s)
	}
	return k
}

// FuzzRecover: whatever a segment file holds, Open keeps a valid prefix,
// never panics, and the log takes new records that survive a reopen.
func FuzzRecover(f *testing.F) {
	valid := appendRecord(appendRecord(nil, 1, []byte("a")), 2, []byte("bb"))
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		before := readAll(t, l)
		seq, err := l.Append([]byte("new"))
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		l, err = Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		after := readAll(t, l)
		if len(after) != len(before)+1 || !bytes.Equal(after[seq], []byte("new")) || l.Recovery().Truncated != 0 {
			t.Fatalf("before %d records, after %d (%+v)", len(before), len(after), l.Recovery())
		}
	})
}
