package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/versions"
)

func TestVersionsUseCases(t *testing.T) {
	r, err := VersionsCheck(VersionsCheckOptions{Version: "v1.29.3-eks-adc7111", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Failing || r.Assessment.Platform != "eks" {
		t.Errorf("v1.29.3-eks: failing %v, platform %q", r.Failing, r.Assessment.Platform)
	}
	if r, err := VersionsCheck(VersionsCheckOptions{Version: "v1.36.6", Now: testNow}); err != nil || r.Failing {
		t.Errorf("v1.36.6: %+v, %v", r, err)
	}
	for _, c := range []struct {
		name string
		o    VersionsCheckOptions
		want string
	}{
		{"version", VersionsCheckOptions{Version: "latest"}, "latest"},
		{"platform", VersionsCheckOptions{Version: "v1.36.3", Platform: "openshift"}, "--platform"},
		{"date", VersionsCheckOptions{Version: "v1.36.3", AsOf: "tomorrow"}, "--now"},
		{"data", VersionsCheckOptions{Version: "v1.36.3", Data: "testdata/none.yaml"}, "--versions-data"},
	} {
		if _, err := VersionsCheck(c.o); !IsInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bad %s: %v, want an input error saying %q", c.name, err, c.want)
		}
	}

	l, err := VersionsList(VersionsListOptions{AsOf: "2027-07-01", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if l.AsOf.String() != "2027-07-01" || len(l.Minors) < 10 || l.Describe == "" || l.Data.Age == "" {
		t.Errorf("list: %+v", l)
	}

	out := filepath.Join(t.TempDir(), "dir", "kubernetes.yaml")
	if _, err := VersionsUpdate(context.Background(), VersionsUpdateOptions{Feed: "testdata/none.json", Out: out, Now: testNow}); !IsInput(err) || !strings.Contains(err.Error(), "--feed") {
		t.Errorf("missing feed: %v", err)
	}
	u, err := VersionsUpdate(context.Background(), VersionsUpdateOptions{Feed: "../versions/testdata/feed.json", Out: out, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o644 || u.Out != out || u.Items == 0 {
		t.Fatalf("update: %+v, %v, %v", u, st, err)
	}
	if d, err := versions.ReadFile(out); err != nil || d.CVEs.AsOf != u.CVEsAsOf {
		t.Errorf("the written file: %v, %v", d, err)
	}
}
