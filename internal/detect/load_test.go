package detect

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// TestLoadRulesFileErrors: a rules file is a regular file of at most 4
// MiB; anything else is an error naming it, at once.
func TestLoadRulesFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(big, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, fileinput.RulesFileLimit+1); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{big, big + ": larger than 4 MiB (limit for rules files)"},
		{dir, dir + ": is a directory, not a regular file"},
		{filepath.Join(dir, "nope.yaml"), filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
	}
	if fifo := filepath.Join(dir, "fifo.yaml"); mkfifo(fifo) == nil {
		cases = append(cases, struct{ path, want string }{fifo, fifo + ": is a named pipe (FIFO), not a regular file"})
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() { _, err := LoadRules(c.path); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != c.want {
				t.Errorf("LoadRules: %v, want %s", err, c.want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: blocked", c.path)
		}
	}
}
