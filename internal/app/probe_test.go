package app

import (
	"context"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

func TestProbeFilesAndErrors(t *testing.T) {
	ctx := context.Background()
	r, err := Probe(ctx, ProbeOptions{Cloud: []string{eksFile}, Cluster: noCluster})
	if err != nil {
		t.Fatal(err)
	}
	if r.Endpoint != nil || len(r.Cloud) != 1 || r.Target != eksFile {
		t.Errorf("files only: endpoint %v, %d clusters, target %q", r.Endpoint, len(r.Cloud), r.Target)
	}
	readOnly(t, "probe --cloud", r.Checks, check.InputCloud)

	for _, c := range []struct {
		name string
		o    ProbeOptions
		want string
	}{
		{"no URL", ProbeOptions{Cluster: noCluster}, "no URL to probe"},
		{"no URL, --cloud and a chosen cluster", ProbeOptions{Cloud: []string{eksFile}, ClusterChosen: true, Cluster: noCluster}, "no URL to probe"},
		{"bad cloud file", ProbeOptions{Cloud: []string{"../cli/testdata/cloud/unknown.json"}}, "unknown.json"},
		{"missing CA", ProbeOptions{URL: "https://127.0.0.1:1", CAFile: "testdata/none.pem"}, "--ca-file"},
		{"bad URL", ProbeOptions{URL: "ftp://example.test"}, "ftp"},
	} {
		if _, err := Probe(ctx, c.o); !IsInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an input error saying %q", c.name, err, c.want)
		}
	}
}
