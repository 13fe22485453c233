package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// jsonReport is the `-o json` contract (DESIGN.md, "Output contracts"). Field
// names and order are public: add fields, never rename or remove them.
type jsonReport struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Target  string `json:"target"`
	// Benchmark: the CIS benchmark version judged by where versions differ.
	Benchmark check.Benchmark  `json:"benchmark,omitempty"`
	Findings  []check.Finding  `json:"findings"`
	Summary   check.Summary    `json:"summary"`
	Problems  []inputs.Problem `json:"problems"`
}

// renderJSON writes the report with two-space indentation and a trailing
// newline. findings, problems and every finding's evidence and path are
// arrays, never null (check.Finding.MarshalJSON sees to the last two).
func renderJSON(b *bytes.Buffer, r *Report, _ Options) error {
	out := jsonReport{
		Tool:      r.Tool,
		Version:   r.Version,
		Target:    r.Target,
		Benchmark: r.Benchmark,
		Findings:  r.Findings,
		Summary:   r.Summary,
		Problems:  r.Problems,
	}
	if out.Findings == nil {
		out.Findings = []check.Finding{}
	}
	if out.Problems == nil {
		out.Problems = []inputs.Problem{}
	}
	if out.Summary.FailBySeverity == nil {
		out.Summary.FailBySeverity = map[string]int{}
	}
	return encodeJSON(b, out)
}

// encodeJSON writes v indented by two spaces, newline-terminated, map keys
// sorted: the json report and the other documents of report (probe,
// versions, checks), byte for byte as they always were (<, > and & escaped
// as encoding/json does by default).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
