package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// KubernetesVersion is the kube-apiserver / kube-controller-manager release the lab runs.
const KubernetesVersion = "v1.36.3"

// EtcdVersion is the etcd release the lab runs.
const EtcdVersion = "v3.6.8"

// Binaries holds the paths of the control-plane binaries.
type Binaries struct {
	Dir                   string
	KubeAPIServer         string
	KubeControllerManager string
	Etcd                  string
}

var (
	binOnce sync.Once
	bins    Binaries
	binErr  error
)

// EnsureBinaries returns the control-plane binaries, building them into the
// version-keyed cache with build-binaries.sh when they are missing (the first
// cold build takes several minutes). Safe to call many times; the work is done
// once per process. APIGUARD_E2E_BIN_DIR points at a directory of prebuilt
// binaries and skips the build.
func EnsureBinaries() (Binaries, error) {
	binOnce.Do(func() { bins, binErr = ensureBinaries() })
	return bins, binErr
}

func ensureBinaries() (Binaries, error) {
	dir := os.Getenv("APIGUARD_E2E_BIN_DIR")
	if dir == "" {
		script, err := buildScript()
		if err != nil {
			return Binaries{}, err
		}
		var stdout bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stdout = &stdout
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("lab: %s failed: %w", script, err)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		dir = lines[len(lines)-1]
	}
	b := Binaries{
		Dir:                   dir,
		KubeAPIServer:         filepath.Join(dir, "kube-apiserver"),
		KubeControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Etcd:                  filepath.Join(dir, "etcd"),
	}
	for _, p := range []string{b.KubeAPIServer, b.KubeControllerManager, b.Etcd} {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("lab: binary %s missing or not executable (%v)", p, err)
		}
	}
	return b, nil
}

// buildScript finds test/e2e/build-binaries.sh: next to this package's source
// when available, else by walking up from the working directory.
func buildScript() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "..", "build-binaries.sh"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates,
				filepath.Join(d, "build-binaries.sh"),
				filepath.Join(d, "test", "e2e", "build-binaries.sh"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c), nil
		}
	}
	return "", errors.New("lab: cannot find test/e2e/build-binaries.sh; set APIGUARD_E2E_BIN_DIR")
}
