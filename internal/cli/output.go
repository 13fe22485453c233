package cli

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// checkFormat is the one -o validator: got must be one of allowed.
func checkFormat(got string, allowed ...string) error {
	if slices.Contains(allowed, got) {
		return nil
	}
	return usageErr("-o %q: want one of %s", got, strings.Join(allowed, ", "))
}

// writeJSON is the one JSON writer of the commands: indented, no HTML
// escaping, newline-terminated.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
