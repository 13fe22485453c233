// Package natsserver starts a real nats-server with JetStream on loopback
// for tests and benchmarks (the binary test/e2e/build-binaries.sh builds
// from the Go module proxy). Never linked into apiguard.
package natsserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Binary finds nats-server: $APIGUARD_NATS_SERVER, else the e2e cache
// ($APIGUARD_E2E_CACHE or ~/.cache/apiguard-e2e, any version directory),
// else $PATH. It returns "" when there is none.
func Binary() string {
	if p := os.Getenv("APIGUARD_NATS_SERVER"); p != "" {
		return p
	}
	root := os.Getenv("APIGUARD_E2E_CACHE")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "apiguard-e2e")
	}
	if m, _ := filepath.Glob(filepath.Join(root, "*", "nats-server")); len(m) > 0 {
		return m[len(m)-1]
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	return ""
}

// Server is a running nats-server.
type Server struct {
	Bin, Dir string
	Port     int
	cmd      *exec.Cmd
	log      *os.File
}

// URL is nats://127.0.0.1:PORT.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Port) }

// Start runs bin with JetStream storing in dir, on a free port (or port
// when > 0: a restarted server keeps its address).
func Start(bin, dir string, port int) (*Server, error) {
	if bin == "" {
		return nil, errors.New("no nats-server binary: run test/e2e/build-binaries.sh or set APIGUARD_NATS_SERVER")
	}
	if port <= 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Server{Bin: bin, Dir: dir, Port: port}
	return s, s.start()
}

func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.Dir, "nats-server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s.log = log
	s.cmd = exec.Command(s.Bin, "-a", "127.0.0.1", "-p", fmt.Sprint(s.Port), "-js", "-sd", filepath.Join(s.Dir, "jetstream"))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if ready(filepath.Join(s.Dir, "nats-server.log")) {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second); err == nil {
				c.Close()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("nats-server did not start within 30 s (log %s)", filepath.Join(s.Dir, "nats-server.log"))
}

// ready: the log says the server is ready (JetStream recovered too).
func ready(logPath string) bool {
	f, err := os.Open(logPath)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Server is ready") {
			n++
		}
	}
	return n > 0
}

// Kill ends the server with SIGKILL (a crash) and waits for it.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}

// Restart starts the killed server again on the same port and store.
func (s *Server) Restart() error {
	// A fresh "ready" line is needed: move the old log away.
	os.Rename(filepath.Join(s.Dir, "nats-server.log"), filepath.Join(s.Dir, fmt.Sprintf("nats-server.%d.log", time.Now().UnixNano())))
	return s.start()
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}
