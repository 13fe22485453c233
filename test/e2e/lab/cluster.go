// Package lab starts real, throw-away Kubernetes control planes (etcd,
// kube-apiserver, kube-controller-manager built from the Go module proxy) on
// 127.0.0.1 for apiguard's end-to-end tests.
//
// Identities: the helper itself talks to the cluster as "kubernetes-super-admin"
// (O=system:masters, like kubeadm's super-admin.conf), which works before any
// RBAC binding exists. AdminKubeconfig is kubeadm's admin.conf identity,
// CN=kubernetes-admin O=kubeadm:cluster-admins, made cluster-admin through the
// ClusterRoleBinding kubeadm:cluster-admins that the helper creates exactly as
// kubeadm init does.
package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Cluster is a running lab control plane. All fields are read-only.
type Cluster struct {
	Profile Profile
	// Dir is the cluster root. Layout (kubeadm-like, rooted at Dir):
	//   etc/kubernetes/pki/...             certificates and keys
	//   etc/kubernetes/apiserver/...       profile config files (audit policy, ...)
	//   etc/kubernetes/manifests/kube-apiserver.yaml
	//   etc/kubernetes/{admin,super-admin,controller-manager}.conf
	//   var/lib/etcd                       etcd data dir
	//   var/log/kubernetes/audit/audit.log (Hardened)
	//   logs/{etcd,kube-apiserver,kube-controller-manager}.log
	//   users/<name>.conf                  kubeconfigs from UserKubeconfig
	Dir string
	// URL is the kube-apiserver URL, https://127.0.0.1:<Port>.
	URL  string
	Port int
	// EtcdURL is the etcd client URL (https for Hardened/KubeadmLike, http for Insecure).
	EtcdURL string
	// CACertPath is the cluster CA (etc/kubernetes/pki/ca.crt).
	CACertPath string
	// AdminKubeconfig: CN=kubernetes-admin, O=kubeadm:cluster-admins (kubeadm admin.conf).
	AdminKubeconfig string
	// SuperAdminKubeconfig: CN=kubernetes-super-admin, O=system:masters (kubeadm super-admin.conf).
	SuperAdminKubeconfig string
	// AuditLogPath is the --audit-log-path, or "" when the profile has no audit log.
	AuditLogPath string
	// APIServerArgv is the exact argv kube-apiserver was started with
	// (argv[0] is the binary path); APIServerArgs is argv[1:].
	APIServerArgv []string
	APIServerArgs []string
	// ControllerManagerArgv is the exact kube-controller-manager argv.
	ControllerManagerArgv []string
	// ControllerManagerPort is kube-controller-manager's --secure-port.
	ControllerManagerPort int
	// NodeName is the Node object the mirror pod is bound to.
	NodeName string
	// ManifestPath is the kubeadm-shaped static pod manifest of kube-apiserver
	// (etc/kubernetes/manifests/kube-apiserver.yaml) and MirrorPodName the
	// name of its mirror pod in kube-system.
	ManifestPath  string
	MirrorPodName string
	// StaticTokens maps user -> bearer token of the --token-auth-file (Insecure only).
	StaticTokens map[string]string
	// Logs maps component name -> log file.
	Logs map[string]string

	bins  Binaries
	pki   *pki
	files map[string]string
	procs []*proc
	mu    sync.Mutex
	super *rest.Config
}

// Start starts a cluster for profile p and registers its teardown with
// t.Cleanup. It fails the test (t.Fatal) when the cluster cannot start,
// logging the tail of every component log.
//
// Set APIGUARD_E2E_KEEP=1 to keep the cluster directory after the test.
func Start(t testing.TB, p Profile) *Cluster {
	t.Helper()
	start := time.Now()
	b, err := EnsureBinaries()
	if err != nil {
		t.Fatal(err)
	}
	// Free ports are found by binding :0 and closing, so another process can
	// grab one before the component binds it: retry on "address already in use".
	const attempts = 3
	for attempt := 1; ; attempt++ {
		c := &Cluster{Profile: p, bins: b, files: map[string]string{}, Logs: map[string]string{}, NodeName: "lab-control-plane"}
		if os.Getenv("APIGUARD_E2E_KEEP") != "" {
			c.Dir, err = os.MkdirTemp("", "apiguard-lab-"+p.Name+"-")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("lab: APIGUARD_E2E_KEEP set, keeping %s", c.Dir)
		} else {
			c.Dir = t.TempDir() // registered before the process cleanup, so removed after it
		}
		t.Cleanup(func() { c.stop(t) })
		err := c.start(t)
		if err == nil {
			t.Logf("lab: %s cluster up at %s in %s (dir %s)", p.Name, c.URL, time.Since(start).Round(time.Millisecond), c.Dir)
			return c
		}
		if attempt < attempts && c.portConflict() {
			t.Logf("lab: port conflict starting %s cluster (attempt %d), retrying: %v", p.Name, attempt, err)
			c.stop(t)
			continue
		}
		c.dumpLogs(t)
		t.Fatalf("lab: starting %s cluster: %v", p.Name, err)
	}
}

// portConflict reports whether a component log mentions a bind failure.
func (c *Cluster) portConflict() bool {
	for _, path := range c.Logs {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), "address already in use") {
			return true
		}
	}
	return false
}

func (c *Cluster) start(t testing.TB) error {
	for _, d := range []string{"etc/kubernetes/pki/etcd", "etc/kubernetes/manifests", "var/lib/etcd", "logs", "users"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(c.Dir, "var/lib/etcd"), 0o700); err != nil {
		return err
	}
	var err error
	if c.pki, err = newPKI(filepath.Join(c.Dir, "etc", "kubernetes", "pki")); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	c.CACertPath = c.pki.CA.CertPath
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	etcdClientPort, etcdPeerPort := ports[0], ports[1]
	c.Port, c.ControllerManagerPort = ports[2], ports[3]
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", c.Port)
	scheme := "http"
	if c.Profile.etcdTLS() {
		scheme = "https"
	}
	c.EtcdURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, etcdClientPort)

	if err := c.writeProfileFiles(); err != nil {
		return err
	}
	args, err := c.Profile.apiServerArgs(c)
	if err != nil {
		return err
	}
	c.AuditLogPath = "" // the flag actually passed decides (Without/With may change it)
	for _, a := range args {
		if a.Name == "audit-log-path" {
			c.AuditLogPath = a.Value
		}
	}
	c.APIServerArgs = argStrings(args)
	c.APIServerArgv = append([]string{c.bins.KubeAPIServer}, c.APIServerArgs...)

	// etcd
	etcdArgv := []string{c.bins.Etcd,
		"--name=default",
		"--data-dir=" + filepath.Join(c.Dir, "var", "lib", "etcd"),
		"--listen-client-urls=" + c.EtcdURL,
		"--advertise-client-urls=" + c.EtcdURL,
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", etcdPeerPort),
		fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", etcdPeerPort),
		fmt.Sprintf("--initial-cluster=default=http://127.0.0.1:%d", etcdPeerPort),
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true", // throw-away test data; saves a lot of I/O wait
		"--log-level=warn",
	}
	if c.Profile.etcdTLS() {
		etcdArgv = append(etcdArgv,
			"--cert-file="+c.pki.EtcdServer.CertPath,
			"--key-file="+c.pki.EtcdServer.KeyPath,
			"--trusted-ca-file="+c.pki.EtcdCA.CertPath,
			"--client-cert-auth=true",
		)
	}
	if err := c.run("etcd", etcdArgv); err != nil {
		return err
	}
	if err := c.waitTCP("etcd", etcdClientPort, 30*time.Second); err != nil {
		return err
	}

	// kube-apiserver
	if err := c.run("kube-apiserver", c.APIServerArgv); err != nil {
		return err
	}
	if err := c.writeKubeconfig(filepath.Join(c.Dir, "etc", "kubernetes", "super-admin.conf"), "kubernetes-super-admin", c.pki.SuperAdmin); err != nil {
		return err
	}
	c.SuperAdminKubeconfig = filepath.Join(c.Dir, "etc", "kubernetes", "super-admin.conf")
	if c.super, err = clientcmd.BuildConfigFromFlags("", c.SuperAdminKubeconfig); err != nil {
		return err
	}
	if err := c.waitReady(120 * time.Second); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.bootstrap(ctx); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	c.AdminKubeconfig = filepath.Join(c.Dir, "etc", "kubernetes", "admin.conf")
	if err := c.writeKubeconfig(c.AdminKubeconfig, "kubernetes-admin", c.pki.Admin); err != nil {
		return err
	}
	if err := c.registerStaticPod(ctx); err != nil {
		return fmt.Errorf("static pod: %w", err)
	}

	// kube-controller-manager
	if err := c.startControllerManager(); err != nil {
		return err
	}
	return nil
}

// RestartAPIServer stops kube-apiserver and starts it again with args (its
// flags, without the program), waits until it is ready, and registers the
// static pod and mirror pod of the new command, as the kubelet would after
// the manifest changed. The old process's log is kept as
// kube-apiserver.log.<n>.
func (c *Cluster) RestartAPIServer(args []string) error {
	c.mu.Lock()
	var kept []*proc
	var old *proc
	for _, p := range c.procs {
		if p.name == "kube-apiserver" && old == nil {
			old = p
			continue
		}
		kept = append(kept, p)
	}
	c.procs = kept
	c.mu.Unlock()
	if old != nil {
		old.stop(10 * time.Second)
		for i := 1; ; i++ {
			dst := fmt.Sprintf("%s.%d", old.logPath, i)
			if _, err := os.Stat(dst); os.IsNotExist(err) {
				_ = os.Rename(old.logPath, dst)
				break
			}
		}
	}
	c.APIServerArgs = append([]string(nil), args...)
	c.APIServerArgv = append([]string{c.bins.KubeAPIServer}, args...)
	c.AuditLogPath = ""
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--audit-log-path="); ok {
			c.AuditLogPath = v
		}
	}
	if err := c.run("kube-apiserver", c.APIServerArgv); err != nil {
		return err
	}
	if err := c.waitReady(120 * time.Second); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.registerStaticPod(ctx)
}

func (c *Cluster) run(name string, argv []string) error {
	logPath := filepath.Join(c.Dir, "logs", name+".log")
	p, err := startProc(name, logPath, argv)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.Logs[name] = logPath
	c.mu.Unlock()
	return nil
}

func (c *Cluster) proc(name string) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// stop kills every component (reverse start order), dumping logs first if the test failed.
func (c *Cluster) stop(t testing.TB) {
	if t.Failed() {
		c.dumpLogs(t)
	}
	c.mu.Lock()
	procs := append([]*proc(nil), c.procs...)
	c.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(5 * time.Second)
	}
}

func (c *Cluster) dumpLogs(t testing.TB) {
	c.mu.Lock()
	procs := append([]*proc(nil), c.procs...)
	c.mu.Unlock()
	for _, p := range procs {
		state := "running"
		if p.exited() {
			state = fmt.Sprintf("exited: %v", p.err)
		}
		t.Logf("lab: ---- %s (%s), last lines of %s ----\n%s", p.name, state, p.logPath, p.tail(40))
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (c *Cluster) waitTCP(name string, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if p := c.proc(name); p != nil && p.exited() {
			return fmt.Errorf("%s exited: %v", name, p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %d after %s", name, port, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady polls GET /readyz as the super-admin until it returns 200.
func (c *Cluster) waitReady(timeout time.Duration) error {
	hc, err := c.httpClient(c.pki.SuperAdmin)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := hc.Get(c.URL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, lastLines(string(body), 5))
		} else {
			last = err.Error()
		}
		if p := c.proc("kube-apiserver"); p != nil && p.exited() {
			return fmt.Errorf("kube-apiserver exited: %v", p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after %s: %s", timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// httpClient returns an HTTP client trusting the cluster CA, presenting kp
// as client certificate (anonymous when kp is nil).
func (c *Cluster) httpClient(kp *keyPair) (*http.Client, error) {
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.CA.Cert)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if kp != nil {
		cert, err := tls.X509KeyPair(kp.certPEM(), mustPEM(kp.keyPEM()))
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

func mustPEM(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// AnonymousGet performs an unauthenticated GET of path (e.g. "/api/v1/namespaces")
// against the API server, verifying its certificate with the cluster CA.
func (c *Cluster) AnonymousGet(t testing.TB, path string) (status int, body []byte) {
	t.Helper()
	hc, err := c.httpClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(c.URL + path)
	if err != nil {
		t.Fatalf("anonymous GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// writeKubeconfig writes a client-certificate kubeconfig (embedded data, kubeadm style).
func (c *Cluster) writeKubeconfig(path, user string, kp *keyPair) error {
	kpem, err := kp.keyPEM()
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubernetes"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.pki.CA.certPEM()}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.certPEM(), ClientKeyData: kpem}
	ctxName := user + "@kubernetes"
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: "kubernetes", AuthInfo: user}
	cfg.CurrentContext = ctxName
	return clientcmd.WriteToFile(*cfg, path)
}

func (c *Cluster) writeTokenKubeconfig(path, user, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubernetes"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.pki.CA.certPEM()}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	ctxName := user + "@kubernetes"
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: "kubernetes", AuthInfo: user}
	cfg.CurrentContext = ctxName
	return clientcmd.WriteToFile(*cfg, path)
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// UserKubeconfig issues a client certificate for user (CN) with groups (O)
// from the cluster CA and returns the path of a kubeconfig using it. No RBAC
// is granted: bind the user or one of its groups yourself (see ApplyFile).
func (c *Cluster) UserKubeconfig(t testing.TB, user string, groups ...string) string {
	t.Helper()
	base := unsafeName.ReplaceAllString(user, "_")
	kp, err := c.pki.CA.issue(filepath.Join(c.Dir, "users"), base, certSpec{CommonName: user, Organization: groups, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Dir, "users", base+".conf")
	if err := c.writeKubeconfig(path, user, kp); err != nil {
		t.Fatal(err)
	}
	return path
}

// TokenKubeconfig returns the path of a kubeconfig authenticating with a bearer token.
func (c *Cluster) TokenKubeconfig(t testing.TB, user, token string) string {
	t.Helper()
	path := filepath.Join(c.Dir, "users", unsafeName.ReplaceAllString(user, "_")+"-token.conf")
	if err := c.writeTokenKubeconfig(path, user, token); err != nil {
		t.Fatal(err)
	}
	return path
}

// RESTConfig loads a kubeconfig file.
func RESTConfig(t testing.TB, kubeconfig string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Client returns a clientset for a kubeconfig file.
func Client(t testing.TB, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(RESTConfig(t, kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// AdminClient returns a clientset using AdminKubeconfig.
func (c *Cluster) AdminClient(t testing.TB) kubernetes.Interface {
	t.Helper()
	return Client(t, c.AdminKubeconfig)
}

// UserClient returns a clientset for a fresh client certificate of user/groups.
func (c *Cluster) UserClient(t testing.TB, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	return Client(t, c.UserKubeconfig(t, user, groups...))
}

func (c *Cluster) superClient() (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(c.super)
}
