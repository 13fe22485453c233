package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// FuzzConfigFiles feeds arbitrary content to every config-file parser the
// checks use (authentication, authorization, encryption, audit policy,
// admission, token file): no input may make a check panic (the runner turns
// a panic into an error finding, which this target treats as a crash).
func FuzzConfigFiles(f *testing.F) {
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous: {enabled: true}\n"))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: ['*.*']\n  providers: [{identity: {}}]\n"))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: [{type: Webhook, name: w}]\n"))
	f.Add([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n"))
	f.Add([]byte("REDACTED,admin,1,\"system:masters\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		args := []inputs.Arg{{Text: "kube-apiserver"}}
		files := map[string]*inputs.File{}
		for _, flag := range inputs.FileFlags {
			args = append(args, inputs.Arg{Text: "--" + flag + "=/etc/kubernetes/" + flag})
			files[flag] = &inputs.File{Path: "/etc/kubernetes/" + flag, Data: data}
		}
		args = append(args, inputs.Arg{Text: "--enable-admission-plugins=EventRateLimit"})
		s := inputs.New("fuzz", "offline")
		s.APIServers = []*inputs.APIServer{{Name: "x", Origin: "manifest", Version: "v1.36.3", Args: args, Files: files}}
		for _, fd := range check.Run(context.Background(), All(), s) {
			if fd.Status == check.Error && strings.Contains(fd.Message, "internal error") {
				t.Fatalf("%s panicked: %s", fd.CheckID, fd.Message)
			}
		}
	})
}
