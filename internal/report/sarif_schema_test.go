package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// sarifGoldenDirs hold the golden files of the renderers and of the CLI.
var sarifGoldenDirs = []string{"testdata", filepath.Join("..", "cli", "testdata")}

// TestSARIFGoldensMatchSchema validates every SARIF golden against the SARIF
// 2.1.0 schema that github.com/owenrumney/go-sarif carries (checked with
// gojsonschema), and fails when a key of the golden is lost on the way:
// go-sarif validates its own structs, re-marshalled, so a key it does not
// know (a typo in our SARIF) would otherwise vanish unseen.
func TestSARIFGoldensMatchSchema(t *testing.T) {
	goldens := sarifGoldens(t)
	// The renderer's golden and the scan, probe and kubeconfig audit ones.
	if len(goldens) < 4 || !slices.Contains(goldens, filepath.Join("testdata", "sarif.golden")) {
		t.Fatalf("found SARIF goldens %v; want testdata/sarif.golden and the CLI's -o sarif goldens", goldens)
	}
	for _, path := range goldens {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			if err := validateSARIFFile(path); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSARIFSchemaCheckFails proves the validation rejects what it should, on
// mutated copies of the renderer's golden.
func TestSARIFSchemaCheckFails(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "sarif.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(src); err != nil {
		t.Fatalf("the unmutated golden must pass: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(result map[string]any)
		want   string
	}{
		// The schema: level is one of none, note, warning, error.
		{"level outside the enum", func(r map[string]any) { r["level"] = "critical" }, "level"},
		// The schema: a result needs a message.
		{"result without message", func(r map[string]any) { delete(r, "message") }, "message"},
		// The round trip: go-sarif drops a key it does not know, and the
		// schema never sees it.
		{"misspelt key", func(r map[string]any) {
			r["partialFingerprint"] = r["partialFingerprints"]
			delete(r, "partialFingerprints")
		}, "/runs/0/results/0/partialFingerprint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(src, &doc); err != nil {
				t.Fatal(err)
			}
			run := doc["runs"].([]any)[0].(map[string]any)
			c.mutate(run["results"].([]any)[0].(map[string]any))
			b, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "sarif.golden")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			err = validateSARIFFile(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("validation of the mutated copy = %v, want an error naming %q", err, c.want)
			}
		})
	}
}

// sarifGoldens lists the goldens that hold SARIF: every one whose output is a
// JSON object with "runs", and every CLI golden of a command run with -o sarif
// that wrote anything to stdout (which then must be SARIF).
func sarifGoldens(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range sarifGoldenDirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".golden") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			cmd, stdout := goldenOutput(b)
			var probe struct {
				Runs json.RawMessage `json:"runs"`
			}
			isSARIF := json.Unmarshal(stdout, &probe) == nil && probe.Runs != nil
			asked := slices.ContainsFunc([]string{"-o sarif", "-o=sarif", "--output sarif", "--output=sarif"}, func(s string) bool {
				return strings.Contains(cmd, s)
			})
			if isSARIF || (asked && len(bytes.TrimSpace(stdout)) > 0) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// goldenOutput splits a CLI golden ("$ apiguard …\n--- exit: N\n--- stdout:\n…
// --- stderr:\n…") into its command line and stdout; any other golden is all
// output.
func goldenOutput(b []byte) (cmd string, stdout []byte) {
	const outMark, errMark = "\n--- stdout:\n", "\n--- stderr:\n"
	if !bytes.HasPrefix(b, []byte("$ apiguard ")) {
		return "", b
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	_, rest, ok := bytes.Cut(b, []byte(outMark))
	if !ok {
		return string(first), nil
	}
	// stdout ends with a newline, which the stderr mark shares.
	if i := bytes.LastIndex(rest, []byte(errMark[1:])); i >= 0 {
		rest = rest[:i]
	}
	return string(first), rest
}

func validateSARIFFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, stdout := goldenOutput(b)
	if err := validateSARIF(stdout); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// validateSARIF checks one SARIF document against the SARIF 2.1.0 schema and
// that go-sarif's model kept every key of it.
func validateSARIF(doc []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(doc, &raw); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	want := map[string]bool{}
	jsonPaths("", raw, want)
	// go-sarif writes run.language, run.newlineSequences and
	// toolComponent.language even when a document leaves them out, as "" and
	// [], which the schema then refuses. Absent, they have the defaults SARIF
	// 2.1.0 gives them (§3.14.4, §3.14.11, §3.19.21): fill those in, only
	// where the key is absent.
	runs, _ := raw["runs"].([]any)
	for _, r := range runs {
		run, _ := r.(map[string]any)
		setDefault(run, "language", "en-US")
		setDefault(run, "newlineSequences", []any{"\r\n", "\n"})
		tool, _ := run["tool"].(map[string]any)
		driver, _ := tool["driver"].(map[string]any)
		setDefault(driver, "language", "en-US")
		exts, _ := tool["extensions"].([]any)
		for _, e := range exts {
			ext, _ := e.(map[string]any)
			setDefault(ext, "language", "en-US")
		}
	}
	filled, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	rep, err := sarif.FromBytes(filled)
	if err != nil {
		return fmt.Errorf("go-sarif cannot decode it: %w", err)
	}
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("not valid SARIF 2.1.0: %w", err)
	}
	back, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	var kept any
	if err := json.Unmarshal(back, &kept); err != nil {
		return err
	}
	have := map[string]bool{}
	jsonPaths("", kept, have)
	var lost []string
	for p := range want {
		if !have[p] {
			lost = append(lost, p)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		return fmt.Errorf("keys the SARIF 2.1.0 model does not know (misspelt?), so the schema never saw them: %s", strings.Join(lost, ", "))
	}
	return nil
}

// setDefault sets key in m (when m is an object) unless it is present.
func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok && m != nil {
		m[key] = v
	}
}

// jsonPaths records the path of every object key in v ("/runs/0/results/3/level").
func jsonPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "/" + k
			out[p] = true
			jsonPaths(p, e, out)
		}
	case []any:
		for i, e := range x {
			jsonPaths(fmt.Sprintf("%s/%d", prefix, i), e, out)
		}
	}
}
