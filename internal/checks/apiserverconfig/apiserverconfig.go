// Package apiserverconfig reads the type of the apiserver.config.k8s.io files
// that kube-apiserver flags name (--authentication-config,
// --authorization-config) as kube-apiserver does before decoding them, so
// that the checks of each file refuse the same files with the same words.
package apiserverconfig

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/configfile"
)

// Group is the API group of kube-apiserver's own configuration files.
const Group = "apiserver.config.k8s.io"

// Refusal is why kube-apiserver refuses to start with a file, and the line
// it concerns (0: the whole file).
type Refusal struct {
	Message string
	Line    int
}

// Type reads the apiVersion and kind of the file at path. It returns the
// version ("v1") when the file is a kind kube-apiserver serves in that
// version (a key of served), else why kube-apiserver refuses the file.
// empty is kube-apiserver's own complaint about an empty file.
func Type(path string, data []byte, kind string, served map[string]string, empty string) (configfile.TypeMeta, string, *Refusal) {
	if len(bytes.TrimSpace(data)) == 0 {
		return configfile.TypeMeta{}, "", &Refusal{Message: path + ": the file is empty: kube-apiserver refuses to start with it (" + empty + ")"}
	}
	tm, err := configfile.Peek(data)
	if err != nil {
		return tm, "", &Refusal{Message: fmt.Sprintf("%s: not valid YAML (%v): kube-apiserver refuses to start with it", path, err)}
	}
	group, version, _ := strings.Cut(tm.APIVersion, "/")
	if group != Group || tm.Kind != kind || served[version] == "" {
		return tm, "", &Refusal{Line: 1, Message: fmt.Sprintf("%s:1: apiVersion %q kind %q is not an %s (want %s/v1, v1beta1 or v1alpha1, kind %s): kube-apiserver refuses to start with it",
			path, tm.APIVersion, tm.Kind, kind, Group, kind)}
	}
	return tm, version, nil
}
