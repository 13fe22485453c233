package network

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestEtcdTLS(t *testing.T) {
	certs := []string{"--etcd-cafile=/ca.crt", "--etcd-certfile=/c.crt", "--etcd-keyfile=/c.key"}
	with := func(args ...string) []string { return append(append([]string{}, certs...), args...) }
	ct.Table(t, EtcdTLS, []ct.Case{
		{Name: "unset: server would not start", Snap: ct.Snapshot(), Want: check.Warn, Contains: "refuses to start"},
		{Name: "https", Snap: ct.Snapshot(with("--etcd-servers=https://127.0.0.1:2379")...), Want: check.Pass},
		{Name: "several https", Snap: ct.Snapshot(with("--etcd-servers=https://10.0.0.1:2379,https://10.0.0.2:2379")...), Want: check.Pass},
		{Name: "unix socket", Snap: ct.Snapshot("--etcd-servers=unix:///var/run/etcd.sock"), Want: check.Pass},
		// The peer mistake: the certificate flags exist, yet the URL is http://.
		{Name: "http despite certificate flags", Snap: ct.Snapshot(with("--etcd-servers=http://127.0.0.1:2379")...), Want: check.Fail, Contains: "ignores the certificate flags"},
		{Name: "one http among https", Snap: ct.Snapshot(with("--etcd-servers=https://10.0.0.1:2379,http://10.0.0.2:2379")...), Want: check.Fail, Contains: "http://10.0.0.2:2379"},
		{Name: "upper-case scheme", Snap: ct.Snapshot("--etcd-servers=HTTP://10.0.0.2:2379"), Want: check.Fail},
		// Slice flag: occurrences accumulate; an http URL in the first one still counts.
		{Name: "repeated flags accumulate", Snap: ct.Snapshot(with("--etcd-servers=http://10.0.0.9:2379", "--etcd-servers=https://10.0.0.1:2379")...), Want: check.Fail, Contains: "http://10.0.0.9:2379"},
		{Name: "override over http", Snap: ct.Snapshot(with("--etcd-servers=https://10.0.0.1:2379", "--etcd-servers-overrides=/events#http://10.0.0.3:2379;https://10.0.0.4:2379")...), Want: check.Fail, Contains: "http://10.0.0.3:2379"},
		{Name: "override over https", Snap: ct.Snapshot(with("--etcd-servers=https://10.0.0.1:2379", "--etcd-servers-overrides=/events#https://10.0.0.3:2379")...), Want: check.Pass},
		{Name: "no scheme with TLS flags", Snap: ct.Snapshot(with("--etcd-servers=10.0.0.1:2379")...), Want: check.Pass, Contains: "write https://"},
		{Name: "no scheme without TLS flags", Snap: ct.Snapshot("--etcd-servers=10.0.0.1:2379"), Want: check.Fail, Contains: "plain TCP"},
		{Name: "unknown scheme", Snap: ct.Snapshot(with("--etcd-servers=tcp://10.0.0.1:2379")...), Want: check.Fail, Contains: "unrecognized scheme"},
		{Name: "https as a substring is not https", Snap: ct.Snapshot(with("--etcd-servers=http://https.example:2379")...), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestEtcdTLSEvidenceAndLocation(t *testing.T) {
	f := ct.One(t, EtcdTLS, ct.Snapshot(
		"--etcd-servers=https://10.0.0.1:2379",
		"--etcd-certfile=/c.crt",
		"--etcd-servers=http://10.0.0.2:2379",
	))
	e := ct.Evidence(t, f, "--etcd-servers")
	if e.Value != "https://10.0.0.1:2379,http://10.0.0.2:2379" || !strings.Contains(e.Source, "accumulated") {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--etcd-certfile")
	ct.Evidence(t, f, "--etcd-cafile")
	if f.Location == nil || f.Location.Line != 4 {
		t.Fatalf("location = %+v", f.Location)
	}
	o := ct.One(t, EtcdTLS, ct.Snapshot("--etcd-servers=https://10.0.0.1:2379", "--etcd-cafile=/ca.crt", "--etcd-servers-overrides=/events#http://10.0.0.3:2379"))
	ct.Evidence(t, o, "--etcd-servers-overrides")
	if o.Location == nil || o.Location.Line != 4 {
		t.Fatalf("override location = %+v", o.Location)
	}
}
