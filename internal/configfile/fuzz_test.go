package configfile

import (
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://a, audiences: [b]}\n"))
	f.Add([]byte("a: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c apiserverv1.AuthenticationConfiguration
		d, _ := Decode("f.yaml", data, &c)
		_ = d.Source("jwt", "0", "issuer", "url")
		_, _ = Peek(data)
	})
}
