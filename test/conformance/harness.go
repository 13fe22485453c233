package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Case is one of a peer's test cases and the two answers.
type Case struct {
	// ID is stable across runs: the peer's own path or name of the case.
	ID string
	// Peer and Apiguard are the answers, in words ("fail", "alert Create
	// Privileged Pod", "path to cluster-admin").
	Peer, Apiguard string
	// Agree: the answers mean the same.
	Agree bool
}

// Outcomes.
const (
	agree      = "agree"
	right      = "apiguard-right"
	defensible = "defensible"
	wrong      = "apiguard-wrong"
	unjudged   = "unjudged"
)

// verdict is the judgement of one disagreement (verdicts/<peer>.yaml).
type verdict struct {
	Verdict string `json:"verdict"` // apiguard-right, defensible, apiguard-wrong
	Why     string `json:"why"`
}

// verdictSet: peer → case ID → verdict.
type verdictSet map[string]map[string]verdict

// loadVerdicts reads dir/<peer>.yaml for every peer: case ID → verdict.
func loadVerdicts(dir string) (verdictSet, error) {
	v := verdictSet{}
	for _, p := range peers {
		path := filepath.Join(dir, p.name+".yaml")
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m := map[string]verdict{}
		if err := yaml.UnmarshalStrict(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for id, vd := range m {
			switch vd.Verdict {
			case right, defensible, wrong:
			default:
				return nil, fmt.Errorf("%s: %s: verdict %q, want apiguard-right, defensible or apiguard-wrong", path, id, vd.Verdict)
			}
			if strings.TrimSpace(vd.Why) == "" {
				return nil, fmt.Errorf("%s: %s: a verdict needs its why", path, id)
			}
		}
		v[p.name] = m
	}
	return v, nil
}

// peer is one peer's suite: how to run it through apiguard.
type peer struct {
	name string // regolibrary, falco, kubehound
	what string // one line: what is compared
	doc  string // a paragraph for docs/conformance.md: the mapping
	run  func(*env) ([]Case, error)
}

type caseResult struct {
	Case
	Outcome, Why string
}

type peerResult struct {
	peer  peer
	cases []caseResult
	stale []string
}

func (r peerResult) count(outcome string) int {
	n := 0
	for _, c := range r.cases {
		if c.Outcome == outcome {
			n++
		}
	}
	return n
}

// env is what a peer's runner gets.
type env struct {
	root string // ../shared/realworld
	bin  string // apiguard
}

// path is a path under the real-world directory.
func (e *env) path(elem ...string) string { return filepath.Join(append([]string{e.root}, elem...)...) }

// apiguard runs the binary and returns stdout, stderr and the exit code
// (an error only when it could not run).
func (e *env) apiguard(args ...string) ([]byte, []byte, int, error) {
	cmd := exec.Command(e.bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.Bytes(), errb.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, nil, -1, err
	}
	return out.Bytes(), errb.Bytes(), 0, nil
}

// finding is the part of apiguard's -o json findings the runners read.
type finding struct {
	CheckID  string `json:"checkID"`
	Status   string `json:"status"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Resource string `json:"resource"`
}

// scan runs `apiguard scan ARGS -o json --show-passed` and returns the
// findings (exit 1 is findings, not an error).
func (e *env) scan(args ...string) ([]finding, error) {
	out, errb, code, err := e.apiguard(append(append([]string{"scan"}, args...), "-o", "json", "--show-passed", "--fail-on", "none")...)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("apiguard scan %s: exit %d: %s", strings.Join(args, " "), code, bytes.TrimSpace(errb))
	}
	var rep struct {
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("apiguard scan %s: %v", strings.Join(args, " "), err)
	}
	return rep.Findings, nil
}

// statuses are the statuses of one check's findings, joined ("fail",
// "pass", "fail,warn"), or "absent".
func statuses(fs []finding, check string) string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fs {
		if f.CheckID == check && !seen[f.Status] {
			seen[f.Status] = true
			out = append(out, f.Status)
		}
	}
	if len(out) == 0 {
		return "absent"
	}
	return strings.Join(out, ",")
}

// peers is the registry, one line a peer.
var peers = []peer{
	regolibraryPeer,
	falcoPeer,
	kubehoundPeer,
}
