package authentication

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func managed() ct.Case {
	return ct.Case{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable, Contains: "AKS"}
}

func TestClientCA(t *testing.T) {
	ct.Table(t, ClientCA, []ct.Case{
		{Name: "unset", Snap: ct.Snapshot(), Want: check.Fail},
		{Name: "set", Snap: ct.Snapshot("--client-ca-file=/etc/kubernetes/pki/ca.crt"), Want: check.Pass, Contains: "cannot be revoked"},
		{Name: "last one wins (empty)", Snap: ct.Snapshot("--client-ca-file=/etc/kubernetes/pki/ca.crt", "--client-ca-file="), Want: check.Fail},
		managed(),
	})
}

func TestServiceAccountLookup(t *testing.T) {
	ct.Table(t, ServiceAccountLookup, []ct.Case{
		{Name: "default true", Snap: ct.Snapshot(), Want: check.Pass},
		{Name: "false", Snap: ct.Snapshot("--service-account-lookup=false"), Want: check.Fail},
		{Name: "bare is true", Snap: ct.Snapshot("--service-account-lookup"), Want: check.Pass},
		{Name: "last one wins", Snap: ct.Snapshot("--service-account-lookup=true", "--service-account-lookup=false"), Want: check.Fail},
		{Name: "malformed", Snap: ct.Snapshot("--service-account-lookup=yes"), Want: check.Fail, Contains: "not a boolean"},
		managed(),
	})
	f := ct.One(t, ServiceAccountLookup, ct.Snapshot())
	if e := ct.Evidence(t, f, "--service-account-lookup"); e.Source != "default for v1.36" {
		t.Fatalf("evidence = %+v", e)
	}
}

func TestServiceAccountKeyFile(t *testing.T) {
	ct.Table(t, ServiceAccountKeyFile, []ct.Case{
		{Name: "unset", Snap: ct.Snapshot("--tls-private-key-file=/pki/apiserver.key"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "set", Snap: ct.Snapshot("--service-account-key-file=/pki/sa.pub"), Want: check.Pass, Contains: "/pki/sa.pub"},
		{Name: "repeated, both kept", Snap: ct.Snapshot("--service-account-key-file=/pki/sa.pub", "--service-account-key-file=/pki/old.pub"), Want: check.Pass, Contains: "/pki/sa.pub, /pki/old.pub"},
		{Name: "external signer", Snap: ct.Snapshot("--service-account-signing-endpoint=/run/signer.sock"), Want: check.Pass, Contains: "external signer"},
		{Name: "both is refused", Snap: ct.Snapshot("--service-account-key-file=/pki/sa.pub", "--service-account-signing-endpoint=/run/signer.sock"), Want: check.Fail, Contains: "mutually exclusive"},
		managed(),
	})
}

func TestServiceAccountExtendExpiration(t *testing.T) {
	ct.Table(t, ServiceAccountExtendExpiration, []ct.Case{
		{Name: "default true", Snap: ct.Snapshot(), Want: check.Fail, Contains: "1 year"},
		{Name: "false", Snap: ct.Snapshot("--service-account-extend-token-expiration=false"), Want: check.Pass},
		{Name: "last one wins", Snap: ct.Snapshot("--service-account-extend-token-expiration=false", "--service-account-extend-token-expiration"), Want: check.Fail},
		{Name: "malformed", Snap: ct.Snapshot("--service-account-extend-token-expiration=nope"), Want: check.Fail, Contains: "not a boolean"},
		managed(),
	})
	if f := ct.One(t, ServiceAccountExtendExpiration, ct.Snapshot()); f.Severity != check.Low {
		t.Fatalf("severity = %s", f.Severity)
	}
}

func TestKubeletClientCert(t *testing.T) {
	ct.Table(t, KubeletClientCert, []ct.Case{
		{Name: "unset", Snap: ct.Snapshot(), Want: check.Fail},
		{Name: "both", Snap: ct.Snapshot("--kubelet-client-certificate=/pki/k.crt", "--kubelet-client-key=/pki/k.key"), Want: check.Pass},
		{Name: "cert only", Snap: ct.Snapshot("--kubelet-client-certificate=/pki/k.crt"), Want: check.Fail, Contains: "--kubelet-client-key is not set"},
		{Name: "key only", Snap: ct.Snapshot("--kubelet-client-key=/pki/k.key"), Want: check.Fail, Contains: "--kubelet-client-certificate is not set"},
		managed(),
	})
}

func TestBootstrapTokenAuth(t *testing.T) {
	ct.Table(t, BootstrapTokenAuth, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Pass},
		{Name: "on", Snap: ct.Snapshot("--enable-bootstrap-token-auth=true"), Want: check.Warn, Contains: "expiration"},
		{Name: "bare is on", Snap: ct.Snapshot("--enable-bootstrap-token-auth"), Want: check.Warn},
		{Name: "last one wins", Snap: ct.Snapshot("--enable-bootstrap-token-auth", "--enable-bootstrap-token-auth=false"), Want: check.Pass},
		managed(),
	})
	if f := ct.One(t, BootstrapTokenAuth, ct.Snapshot("--enable-bootstrap-token-auth")); f.Severity != check.Low {
		t.Fatalf("severity = %s", f.Severity)
	}
}

func TestRequestHeaderAllowedNames(t *testing.T) {
	rh := "--requestheader-client-ca-file=/pki/front-proxy-ca.crt"
	same := "--requestheader-client-ca-file=/pki/ca.crt"
	ca := "--client-ca-file=/pki/ca.crt"
	ct.Table(t, RequestHeaderAllowedNames, []ct.Case{
		{Name: "not configured", Snap: ct.Snapshot(ca), Want: check.Pass},
		{Name: "kubeadm", Snap: ct.Snapshot(ca, rh, "--requestheader-allowed-names=front-proxy-client"), Want: check.Pass},
		{Name: "no allowed names", Snap: ct.Snapshot(ca, rh), Want: check.Fail, Contains: "system:masters"},
		{Name: "explicitly empty allowed names", Snap: ct.Snapshot(ca, rh, "--requestheader-allowed-names="), Want: check.Fail},
		{Name: "allowed names accumulate", Snap: ct.Snapshot(ca, rh, "--requestheader-allowed-names=", "--requestheader-allowed-names=front-proxy-client"), Want: check.Pass},
		{Name: "same CA, no names, 1.36 refuses", Snap: ct.Snapshot(ca, same), Want: check.Fail, Contains: "v1.36.3 refuses to start"},
		{Name: "same CA, no names, 1.34 silent", Snap: ct.Version(ct.Snapshot(ca, same), "v1.34.2"), Want: check.Fail, Contains: "accepts this silently"},
		{Name: "same CA, no names, version unknown", Snap: ct.Version(ct.Snapshot(ca, same), ""), Want: check.Fail, Contains: "v1.35 and later"},
		{Name: "same CA with names", Snap: ct.Snapshot(ca, same, "--requestheader-allowed-names=front-proxy-client"), Want: check.Warn, Contains: "dedicated front-proxy CA"},
		managed(),
	})
}
