package e2e

import (
	"bufio"
	"crypto/x509"
	"os"
	"testing"
	"time"
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

// alertLine is one alert as `apiguard audit scan -o jsonl` and `apiguard
// audit serve` print it (the same JSON).
type alertLine struct {
	Rule      string   `json:"rule"`
	Severity  string   `json:"severity"`
	AuditID   string   `json:"auditID"`
	User      string   `json:"user"`
	Identity  string   `json:"identity"`
	SourceIPs []string `json:"sourceIPs"`
	UserAgent string   `json:"userAgent"`
	Message   string   `json:"message"`
	ObjectRef *struct {
		Resource  string `json:"resource"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"objectRef"`
	Timestamp time.Time `json:"timestamp"`
	Key       string    `json:"key"`
	Count     int       `json:"count"`
}
