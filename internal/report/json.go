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
	return encodeJSON(b, jsonOf(r))
}

// jsonOf is the report's JSON document.
func jsonOf(r *Report) jsonReport {
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
	return out
}

// document writes v as JSON when format is json, else text's rendering,
// in one write: the documents of the commands other than scan.
func document(w io.Writer, format string, v any, text func(b *bytes.Buffer)) error {
	var b bytes.Buffer
	if format == FormatJSON {
		if err := encodeJSON(&b, v); err != nil {
			return err
		}
	} else {
		text(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteJSON is apiguard's one JSON writer: v indented by two spaces,
// newline-terminated, map keys sorted, <, > and & written as they are (the
// commands' -o json documents, SARIF).
func WriteJSON(w io.Writer, v any) error { return writeJSON(w, v, false) }

// encodeJSON is WriteJSON with <, > and & escaped as encoding/json does by
// default: the json report and report's other documents (probe, versions,
// checks), byte for byte as they always were.
func encodeJSON(w io.Writer, v any) error { return writeJSON(w, v, true) }

func writeJSON(w io.Writer, v any, escapeHTML bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(escapeHTML)
	return enc.Encode(v)
}
