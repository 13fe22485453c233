package auditpolicy

import "github.com/apiguard/apiguard/internal/configfile"

// doc is the YAML node tree of a policy, for the lines of its fields.
type doc = configfile.Doc

func parseDoc(file string, data []byte) (*doc, error) { return configfile.Parse(file, data) }
