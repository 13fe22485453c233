// Package srctree reads YAML and JSON keeping the file and line of every
// value, so that messages and findings name where a field is
// ("authn.yaml:14", "eks.json:9: cluster.endpoint: want a string"). It is
// apiguard's one position-aware reader, on one YAML library
// (go.yaml.in/yaml/v3, which also reads JSON's superset):
//
//   - Node: a document as a tree (ParseYAML, ParseJSON), with lookups by
//     field path, typed accessors whose errors name file, line and field,
//     and Decode into Go types with sigs.k8s.io/yaml's semantics (YAML →
//     JSON → encoding/json, strict on request), for the configuration
//     files kube-apiserver reads and managed-cluster JSON;
//   - Cursor: a streaming walk without a tree of its own (NewJSONCursor,
//     NewYAMLDocs), for kubectl dumps of whole clusters, where the JSON
//     scanner keeps the load budget (docs/rbac.md, "Performance").
//
// Bad input never panics: nesting is bounded (MaxDepth), aliases cannot
// expand without bound, and every error carries a line.
package srctree
