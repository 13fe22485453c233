package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdGet reads a raw value from etcd (e.g. "/registry/secrets/default/x"),
// authenticating with kube-apiserver's etcd client certificate when etcd
// runs with TLS. Returns nil when the key does not exist. Useful to prove
// encryption at rest: encrypted Secrets start with "k8s:enc:secretbox:v1:".
func (c *Cluster) EtcdGet(t testing.TB, key string) []byte {
	t.Helper()
	cfg := clientv3.Config{Endpoints: []string{c.EtcdURL}, DialTimeout: 10 * time.Second, Logger: zap.NewNop()}
	if c.Profile.etcdTLS() {
		pool := x509.NewCertPool()
		pool.AddCert(c.pki.EtcdCA.Cert)
		cert, err := tls.X509KeyPair(c.pki.EtcdClient.certPEM(), mustPEM(c.pki.EtcdClient.keyPEM()))
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("etcd get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	return resp.Kvs[0].Value
}
