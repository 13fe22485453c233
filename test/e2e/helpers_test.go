package e2e

import (
	"bufio"
	"crypto/x509"
	"os"
	"testing"
)

// Helpers the e2e tests share.

// eachLine calls each with every line of the file at path (JSON lines: an
// audit log, --out, --events-out). Lines may be as long as the largest
// audit event (64 MiB); the line slice is valid during the call only.
func eachLine(t *testing.T, path string, each func(line []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		each(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// caPool is a certificate pool of the PEM CA certificates in the file at path.
func caPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	ca, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return pool
}
