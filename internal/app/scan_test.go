package app

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

const (
	exampleSnapshot = "../../examples/kubeadm-1.36"
	rbacDump        = "../cli/testdata/rbac/cluster.yaml"
	eksFile         = "../cli/testdata/cloud/eks-public.json"
)

// The versions data is the embedded one: a developer's local file
// (apiguard versions update) never leaks into these tests.
func init() {
	versions.SetUserConfigDirForTest(filepath.Join("testdata", "no-user-config"))
}

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func noCluster() (*rest.Config, error) { return nil, errors.New("no kubeconfig here") }

// readOnly fails when a check that ran reads none of want.
func readOnly(t *testing.T, what string, ran []check.Metadata, want check.Input) {
	t.Helper()
	if len(ran) == 0 {
		t.Fatalf("%s: no check ran", what)
	}
	for _, m := range ran {
		if !slices.Contains(m.Inputs, want) {
			t.Errorf("%s: %s ran, reading %v: want only checks reading %s", what, m.ID, m.Inputs, want)
		}
	}
}

func TestScanInputs(t *testing.T) {
	ctx := context.Background()
	scan := func(in Inputs) (*CheckRun, error) {
		in.Cluster = noCluster
		return Scan(ctx, ScanOptions{Inputs: in, Benchmark: check.DefaultBenchmark, Now: testNow})
	}

	r, err := scan(Inputs{Snapshot: exampleSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	if r.Target != "kubeadm v1.36.3 control plane (example)" || len(r.Checks) < 50 || len(r.Findings) < len(r.Checks) || r.Benchmark != check.DefaultBenchmark {
		t.Errorf("snapshot: target %q, %d checks, %d findings, benchmark %q", r.Target, len(r.Checks), len(r.Findings), r.Benchmark)
	}

	r, err = scan(Inputs{RBAC: []string{rbacDump}})
	if err != nil {
		t.Fatal(err)
	}
	readOnly(t, "--rbac alone", r.Checks, check.InputRBAC)

	r, err = scan(Inputs{Cloud: []string{eksFile}})
	if err != nil {
		t.Fatal(err)
	}
	readOnly(t, "--cloud alone", r.Checks, check.InputCloud)

	// --cloud with another input: the other input is scanned too.
	r, err = scan(Inputs{Cloud: []string{eksFile}, Snapshot: exampleSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) < 50 {
		t.Errorf("--cloud with a snapshot: %d checks ran", len(r.Checks))
	}

	for _, c := range []struct {
		name string
		in   Inputs
		opts func(*ScanOptions)
		want string
	}{
		{"snapshot and manifest", Inputs{Snapshot: exampleSnapshot, Manifests: []string{"x.yaml"}}, nil, "--snapshot cannot be combined"},
		{"bad version", Inputs{Snapshot: exampleSnapshot, K8sVersion: "latest"}, nil, "--k8s-version"},
		{"no input", Inputs{}, nil, "no input: give --manifest, --flags-file or --snapshot, or a kubeconfig context (no kubeconfig here)"},
		{"--cloud with a chosen cluster", Inputs{Cloud: []string{eksFile}, ClusterChosen: true}, nil, "no input"},
		{"missing manifest", Inputs{Manifests: []string{"testdata/none.yaml"}}, nil, "none.yaml"},
		{"bad versions data", Inputs{Snapshot: exampleSnapshot}, func(o *ScanOptions) { o.VersionsData = "testdata/none.yaml" }, "--versions-data"},
	} {
		o := ScanOptions{Inputs: c.in, Now: testNow}
		o.Cluster = noCluster
		if c.opts != nil {
			c.opts(&o)
		}
		_, err := Scan(ctx, o)
		if !IsInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an input error saying %q", c.name, err, c.want)
		}
	}
}

// TestScanWarnsAndInterrupts: problems of the inputs are told before the
// checks run; an interrupted scan returns the context's error, not findings.
func TestScanWarnsAndInterrupts(t *testing.T) {
	var warned []inputs.Problem
	o := ScanOptions{Inputs: Inputs{FlagsFiles: []string{"../cli/testdata/ps.txt"}, Manifests: []string{"../cli/testdata/not-yaml.yaml"}}, Now: testNow,
		Warn: func(p inputs.Problem) { warned = append(warned, p) }}
	r, err := Scan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) == 0 || !slices.Equal(warned, r.Problems) {
		t.Errorf("warned %v, problems %v", warned, r.Problems)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := Scan(ctx, ScanOptions{Inputs: Inputs{Snapshot: exampleSnapshot}, Now: testNow}); !errors.Is(err, context.Canceled) || r != nil {
		t.Errorf("interrupted: %v, %v", r, err)
	}
}

func TestSnapshotThenScan(t *testing.T) {
	ctx := context.Background()
	if _, err := Snapshot(ctx, SnapshotOptions{Inputs: Inputs{Snapshot: exampleSnapshot}}); !IsInput(err) || !strings.Contains(err.Error(), "--out") {
		t.Errorf("no --out: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "snap")
	res, err := Snapshot(ctx, SnapshotOptions{Inputs: Inputs{RBAC: []string{rbacDump}}, Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Out != dir || res.APIServers != 0 || res.Target != rbacDump {
		t.Errorf("result %+v", res)
	}
	// The snapshot of RBAC dumps alone is scanned as they were.
	r, err := Scan(ctx, ScanOptions{Inputs: Inputs{Snapshot: dir}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	readOnly(t, "snapshot of --rbac alone", r.Checks, check.InputRBAC)
}
