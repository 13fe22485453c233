// Package cloud reads the API-endpoint exposure of managed clusters from the
// JSON their providers' CLIs print and from Terraform plans:
//
//   - EKS: `aws eks describe-cluster` ({"cluster": {...}}) or the cluster object;
//   - GKE: `gcloud container clusters describe --format json` (projects.locations.clusters.get),
//     or a list of clusters (`gcloud container clusters list --format json`);
//   - AKS: `az aks show` (flattened) or the ARM resource (with "properties"), or a list;
//   - Terraform: `terraform show -json` of a plan or a state, for aws_eks_cluster,
//     google_container_cluster and azurerm_kubernetes_cluster resources.
//
// The format is detected from the content. Every setting keeps the field it
// was read from and its line; errors name the file, the line and the field.
package cloud

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/srctree"
)

// MaxFileSize bounds a file (Terraform plans of large estates are big).
const MaxFileSize = fileinput.CloudFileLimit

// Formats.
const (
	FormatEKS     = "aws eks describe-cluster"
	FormatGKE     = "gcloud container clusters describe"
	FormatAKS     = "az aks show"
	FormatTFPlan  = "terraform plan"
	FormatTFState = "terraform state"
)

// Expected describes the accepted inputs, for error messages.
const Expected = "the JSON of `aws eks describe-cluster`, `gcloud container clusters describe --format json`, " +
	"`az aks show` (or the ARM resource), or `terraform show -json` of a plan or state"

// ErrNoCluster is returned for a recognised file that holds no cluster
// (a Terraform plan without EKS, GKE or AKS clusters).
var ErrNoCluster = errors.New("no EKS, GKE or AKS cluster in the file")

// Load reads every file. The first unusable file stops the load: its error
// names the file, the line and the field.
func Load(files []string) ([]inputs.CloudCluster, error) {
	var out []inputs.CloudCluster
	for _, f := range files {
		data, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		cs, err := Parse(f, data)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// readBounded reads a regular file of at most MaxFileSize; a directory
// is named with what was expected instead.
func readBounded(path string) ([]byte, error) {
	data, err := fileinput.ReadFile(path, fileinput.CloudFile)
	if errors.Is(err, fileinput.ErrNotRegular) {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, fmt.Errorf("%s: is a directory, want a JSON file (%s)", path, Expected)
		}
	}
	return data, err
}

// Parse reads one file's content; file names it in errors and sources.
func Parse(file string, data []byte) ([]inputs.CloudCluster, error) {
	trimmed := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff"))
	if trimmed == "" {
		return nil, fmt.Errorf("%s: empty file, want %s", file, Expected)
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return nil, fmt.Errorf("%s:1: not JSON (want %s; YAML and table output are not read: add --format json / -o json)", file, Expected)
	}
	root, err := srctree.ParseJSON(file, data)
	if err != nil {
		return nil, err
	}
	switch root.Kind {
	case srctree.Mapping:
		if isTerraform(root) {
			return parseTerraform(root)
		}
		c, ok, err := parseClusterObject(root, file)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: not a recognised managed-cluster file: want %s", file, root.Line, Expected)
		}
		return []inputs.CloudCluster{c}, nil
	case srctree.Sequence:
		var out []inputs.CloudCluster
		for _, e := range root.Items {
			c, ok, err := parseClusterObject(e, file)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%s:%d: %s: not an EKS, GKE or AKS cluster object (a list must hold clusters: %s)", file, e.Line, e.Path, Expected)
			}
			c.Resource = e.Path
			out = append(out, c)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: %w (an empty list)", file, ErrNoCluster)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s:%d: not a recognised managed-cluster file: want %s", file, root.Line, Expected)
}

// parseClusterObject detects and reads one provider cluster object.
func parseClusterObject(n *srctree.Node, file string) (inputs.CloudCluster, bool, error) {
	if n.Kind != srctree.Mapping {
		return inputs.CloudCluster{}, false, nil
	}
	if c := n.Get("cluster"); c != nil && c.Kind == srctree.Mapping && isEKS(c) {
		cl, err := parseEKS(&view{root: c, file: file})
		return cl, true, err
	}
	switch {
	case isEKS(n):
		cl, err := parseEKS(&view{root: n, file: file})
		return cl, true, err
	case isAKS(n):
		cl, err := parseAKS(n, file)
		return cl, true, err
	case isGKE(n):
		cl, err := parseGKE(&view{root: n, file: file})
		return cl, true, err
	}
	return inputs.CloudCluster{}, false, nil
}

func isEKS(n *srctree.Node) bool {
	if n.Get("resourcesVpcConfig") != nil {
		return true
	}
	arn := n.Get("arn")
	return arn != nil && arn.Kind == srctree.String && strings.Contains(arn.Text, ":eks:")
}

func isGKE(n *srctree.Node) bool {
	if sl := n.Get("selfLink"); sl != nil && sl.Kind == srctree.String && strings.Contains(sl.Text, "container.googleapis.com") {
		return true
	}
	for _, k := range []string{"privateClusterConfig", "masterAuthorizedNetworksConfig", "controlPlaneEndpointsConfig", "currentMasterVersion"} {
		if n.Get(k) != nil {
			return true
		}
	}
	return false
}

func isAKS(n *srctree.Node) bool {
	if t := n.Get("type"); t != nil && t.Kind == srctree.String && strings.EqualFold(t.Text, "Microsoft.ContainerService/ManagedClusters") {
		return true
	}
	if id := n.Get("id"); id != nil && id.Kind == srctree.String && strings.Contains(strings.ToLower(id.Text), "/providers/microsoft.containerservice/managedclusters/") {
		return true
	}
	props := n
	if p := n.GetFold("properties"); p != nil && p.Kind == srctree.Mapping {
		props = p
	}
	return props.GetFold("apiServerAccessProfile") != nil || props.GetFold("agentPoolProfiles") != nil
}

// view reads the settings of one cluster object: a CLI cluster (fields are
// shown with their path from the document root) or a Terraform resource's
// values (fields relative to the resource).
type view struct {
	root *srctree.Node
	// address is the Terraform resource address; its fields are shown
	// relative to the resource ("vpc_config[0].public_access_cidrs"), CLI
	// fields with their path from the document root.
	address string
	// unknown is the resource's after_unknown in a Terraform plan.
	unknown *srctree.Node
	fold    bool
	file    string
	// terraform: the root is a resource's values; nested blocks are lists.
	terraform bool
}

// field renders segments as a path ("vpc_config[0].public_access_cidrs").
func (v *view) field(segs ...string) string {
	p := ""
	if !v.terraform {
		p = v.root.Path
	}
	for _, s := range segs {
		if _, err := strconv.Atoi(s); err == nil {
			p += "[" + s + "]"
			continue
		}
		if p == "" {
			p = s
		} else {
			p += "." + s
		}
	}
	return p
}

// walk follows segments through objects (keys) and arrays (indexes).
func walk(n *srctree.Node, fold bool, segs ...string) *srctree.Node {
	cur := n
	for _, s := range segs {
		if cur == nil {
			return nil
		}
		switch cur.Kind {
		case srctree.Mapping:
			if fold {
				cur = cur.GetFold(s)
			} else {
				cur = cur.Get(s)
			}
		case srctree.Sequence:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(cur.Items) {
				return nil
			}
			cur = cur.Items[i]
		default:
			return nil
		}
	}
	return cur
}

func (v *view) at(segs ...string) *srctree.Node {
	n := walk(v.root, v.fold, segs...)
	if n.IsNull() {
		return nil
	}
	return n
}

// isUnknown: a Terraform plan marks the value as known only after apply.
func (v *view) isUnknown(segs ...string) bool {
	if v.unknown == nil {
		return false
	}
	for i := len(segs); i > 0; i-- {
		n := walk(v.unknown, false, segs[:i]...)
		if n != nil && n.Kind == srctree.Bool && n.Text == "true" {
			return true
		}
	}
	return false
}

// str reads an optional string (empty when absent or not a string).
func (v *view) str(segs ...string) string {
	n := v.at(segs...)
	if n == nil || n.Kind != srctree.String {
		return ""
	}
	return n.Text
}

// boolean reads a boolean setting with the provider's default.
func (v *view) boolean(def bool, segs ...string) (inputs.CloudSetting, error) {
	s := inputs.CloudSetting{Field: v.field(segs...)}
	n := v.at(segs...)
	switch {
	case n != nil:
		b, err := boolOf(n)
		if err != nil {
			return s, v.fieldErr(n, err)
		}
		s.Bool, s.Value, s.Source = b, strconv.FormatBool(b), n.Source()
	case v.isUnknown(segs...):
		s.Bool, s.Value, s.Source, s.Unknown, s.Default = def, "(known after apply)", v.file, true, true
	default:
		s.Bool, s.Value, s.Source, s.Default = def, fmt.Sprintf("(not set: default %t)", def), v.file, true
	}
	return s, nil
}

// cidrs reads a list of networks, from plain strings or objects holding
// the network under key (GKE cidrBlocks[].cidrBlock).
func (v *view) cidrs(def []string, key string, segs ...string) (inputs.CloudSetting, error) {
	s := inputs.CloudSetting{Field: v.field(segs...)}
	n := v.at(segs...)
	switch {
	case n != nil:
		if n.Kind != srctree.Sequence {
			return s, v.fieldErr(n, n.TypeError("an array"))
		}
		var list []string
		for _, e := range n.Items {
			x := e
			if key != "" {
				if e.Kind != srctree.Mapping {
					return s, v.fieldErr(e, e.TypeError("an object with "+key))
				}
				x = walk(e, v.fold, key)
				if x.IsNull() {
					continue
				}
			}
			c, err := textOf(x)
			if err != nil {
				return s, v.fieldErr(x, err)
			}
			list = append(list, strings.TrimSpace(c))
		}
		s.CIDRs, s.Value, s.Source = list, listLiteral(list), n.Source()
	case v.isUnknown(segs...):
		s.CIDRs, s.Value, s.Source, s.Unknown, s.Default = def, "(known after apply)", v.file, true, true
	default:
		s.CIDRs, s.Value, s.Source, s.Default = def, "(not set: default "+listLiteral(def)+")", v.file, true
	}
	return s, nil
}

// fieldErr rewrites a node error with the view's field naming (Terraform
// fields relative to the resource address).
func (v *view) fieldErr(n *srctree.Node, err error) error {
	if !v.terraform {
		return err
	}
	msg := err.Error()
	if rel, ok := strings.CutPrefix(n.Path, v.root.Path+"."); ok {
		msg = strings.Replace(msg, n.Path, v.address+": "+rel, 1)
	}
	return errors.New(msg)
}

func listLiteral(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// setting returns a copy with a different meaning (Bool), for settings read
// from a field of the opposite sense (enablePrivateEndpoint → public).
func inverted(s inputs.CloudSetting) inputs.CloudSetting {
	s.Bool = !s.Bool
	return s
}

// present is a boolean setting whose meaning is that a field exists.
func present(v *view, on bool, what string, segs ...string) inputs.CloudSetting {
	s := inputs.CloudSetting{Field: v.field(segs...), Bool: on}
	if n := v.at(segs...); n != nil {
		s.Value, s.Source = what, n.Source()
	} else {
		s.Value, s.Source, s.Default = "(not set)", v.file, true
	}
	return s
}

// boolOf reads a JSON boolean. Terraform and the CLIs never quote booleans;
// the strings "true"/"false" are accepted too (hand-edited files).
func boolOf(n *srctree.Node) (bool, error) {
	switch n.Kind {
	case srctree.Bool:
		return n.Text == "true", nil
	case srctree.String:
		switch strings.ToLower(n.Text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, n.TypeError("a boolean (true or false)")
}

// textOf reads a string.
func textOf(n *srctree.Node) (string, error) {
	if n.Kind != srctree.String {
		return "", n.TypeError("a string")
	}
	return n.Text, nil
}
