package adminpower

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var manifestModeMeta = check.Metadata{
	ID:       "AG-ADMIN-001",
	Title:    "The kube-apiserver manifest is only writable by root",
	Layer:    check.AdminPower,
	Severity: check.Medium,
	Rationale: "The kubelet runs whatever the static pod manifest says, as root on the control plane: " +
		"anyone who can write it can add --authorization-mode=AlwaysAllow, mount the etcd and CA keys " +
		"into a pod of their own, or replace the image, and becomes cluster admin without any API " +
		"request. Read access leaks the flags and the paths of every key. CIS 1.1.1 asks for mode 600 " +
		"or more restrictive: no permission for group or others, no execute bit.",
	Remediation: "chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml on every control-plane node " +
		"(kubeadm writes it 600; tools that rewrite it may not).",
	References: []check.Reference{
		{CIS: "1.1.1", Title: "Ensure that the API server pod specification file permissions are set to 600 or more restrictive"},
	},
	Inputs: []check.Input{check.InputHostFile},
}

// ManifestMode is CIS 1.1.1.
var ManifestMode = check.PerServer(manifestModeMeta, func(m check.Metadata, a *inputs.APIServer, _ *apiserverflags.Flags) check.Finding {
	fm, na := manifestFile(m, a, "file mode")
	if na != nil {
		return *na
	}
	mode := uint32(fm.Mode) & 0o7777
	ev := check.Evidence{Key: "file mode", Value: fmt.Sprintf("%04o", mode), Source: fm.Path}
	if extra := mode &^ 0o600; extra != 0 {
		r := m.Result(check.Fail, a.Name, fmt.Sprintf("%s has mode %04o: %s (want 0600 or more restrictive)", fm.Path, mode, describeExtra(extra)), ev)
		r.Location = &check.Location{File: fm.Path}
		return r
	}
	return m.Result(check.Pass, a.Name, fmt.Sprintf("%s has mode %04o", fm.Path, mode), ev)
})

// describeExtra words the permission bits beyond 0600.
func describeExtra(extra uint32) string {
	var parts []string
	switch {
	case extra&0o022 != 0:
		parts = append(parts, "group or others can write it")
	case extra&0o044 != 0:
		parts = append(parts, "group or others can read it")
	}
	if extra&0o111 != 0 {
		parts = append(parts, "an execute bit is set")
	}
	if extra&0o7000 != 0 {
		parts = append(parts, "setuid, setgid or sticky is set")
	}
	return strings.Join(parts, ", ")
}
