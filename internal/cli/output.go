package cli

import (
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
