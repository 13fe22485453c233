package checks

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md")

const docPath = "../../docs/checks.md"

// TestChecksDoc keeps docs/checks.md generated from the metadata.
func TestChecksDoc(t *testing.T) {
	want := Markdown(All())
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/checks -run TestChecksDoc -update)", err)
	}
	if string(got) != want {
		t.Fatal("docs/checks.md is out of date: run go test ./internal/checks -run TestChecksDoc -update")
	}
}

var idRE = regexp.MustCompile(`^AG-(NET|AUTHN|AUTHZ|AUDIT|PATCH|ADMIN)-\d{3}$`)

// TestMetadata enforces the house rules on every check's metadata.
func TestMetadata(t *testing.T) {
	seen := map[string]bool{}
	layers := map[check.Layer]bool{}
	for _, l := range check.Layers {
		layers[l] = true
	}
	for _, c := range All() {
		if !idRE.MatchString(c.ID) {
			t.Errorf("%s: ID must match %s", c.ID, idRE)
		}
		if seen[c.ID] {
			t.Errorf("%s: duplicate ID", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || len(c.Inputs) == 0 || c.Run == nil {
			t.Errorf("%s: title, rationale, remediation, inputs and Run are required", c.ID)
		}
		if !layers[c.Layer] {
			t.Errorf("%s: unknown layer %q", c.ID, c.Layer)
		}
		if strings.HasSuffix(c.Title, ".") {
			t.Errorf("%s: title ends with a period", c.ID)
		}
	}
}

// TestCISCoverage: every kube-apiserver check of CIS 1.12 named by the
// foundation issue is implemented by some check.
func TestCISCoverage(t *testing.T) {
	want := []string{"1.1.1", "1.1.2", "3.2.1"}
	for i := 1; i <= 30; i++ {
		want = append(want, "1.2."+strconv.Itoa(i))
	}
	have := map[string]bool{}
	for _, c := range All() {
		for _, r := range c.References {
			if r.CIS != "" {
				have[r.CIS] = true
			}
		}
	}
	for _, id := range want {
		if !have[id] {
			t.Errorf("CIS %s has no check", id)
		}
	}
}
