package harden

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// RenderArgv writes the fixed argv one element per line: prefix (the
// program, when the input named it) then --name=value for each flag.
func RenderArgv(prefix []string, flags []Flag) []byte {
	var b strings.Builder
	for _, p := range prefix {
		b.WriteString(p + "\n")
	}
	for _, f := range flags {
		b.WriteString(f.String() + "\n")
	}
	return []byte(b.String())
}

// ArgLine is an argv element of a manifest and the line it is on.
type ArgLine struct {
	Text string
	Line int
}

// lineEdit is what happens to one line of a file (1-based): deleted,
// replaced, and/or lines inserted before or after it.
type lineEdit struct {
	del     bool
	replace *string
	before  []string
	after   []string
}

type lineEdits map[int]*lineEdit

func (m lineEdits) at(l int) *lineEdit {
	if m[l] == nil {
		m[l] = &lineEdit{}
	}
	return m[l]
}

func (m lineEdits) apply(lines []string) []string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(keys)))
	for _, l := range keys {
		e, i := m[l], l-1
		var mid []string
		if !e.del {
			if e.replace != nil {
				mid = []string{*e.replace}
			} else {
				mid = []string{lines[i]}
			}
		}
		repl := append(append(append([]string{}, e.before...), mid...), e.after...)
		lines = append(lines[:i], append(repl, lines[i+1:]...)...)
	}
	return lines
}

// PatchManifest applies the plan to a static pod manifest's text: the
// argv lines of the kube-apiserver container (args, each on its own line)
// are replaced, deleted or added in place, and hostPath volumes and mounts
// for the plan's directories are added when no mount covers them; every
// other line, comments included, is kept.
func PatchManifest(data []byte, args []ArgLine, p *Plan, isBool func(string) bool) ([]byte, error) {
	texts := make([]string, len(args))
	for i, a := range args {
		texts[i] = a.Text
	}
	orig, elems, err := ParseArgv(texts, isBool)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for _, a := range args {
		if a.Line <= 0 || seen[a.Line] {
			return nil, fmt.Errorf("the kube-apiserver arguments are not one per line (line %d): patch it by hand from the argv apiguard prints", a.Line)
		}
		seen[a.Line] = true
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("no kube-apiserver arguments found to patch")
	}
	// Line numbers come from the YAML parser, which also breaks lines at a
	// carriage return without a line feed; split on \n alone, such a file
	// has fewer lines than the parser counted, and editing it in place
	// would touch the wrong lines.
	if lf := strings.ReplaceAll(string(data), "\r\n", "\n"); strings.Contains(lf, "\r") {
		return nil, fmt.Errorf("line %d: a carriage return without a line feed: the manifest cannot be edited line by line",
			1+strings.Count(lf[:strings.Index(lf, "\r")], "\n"))
	}
	lines := strings.Split(string(data), "\n")
	final := map[string]string{}
	var order []string
	for _, f := range p.Flags {
		if _, ok := final[f.Name]; !ok {
			order = append(order, f.Name)
		}
		final[f.Name] = f.Value
	}
	edits := lineEdits{}
	written := map[string]bool{}
	lastLine := 0
	for i, f := range orig {
		first := args[elems[i][0]].Line
		for _, j := range elems[i] {
			lastLine = max(lastLine, args[j].Line)
		}
		v, keep := final[f.Name]
		if !keep || written[f.Name] {
			for _, j := range elems[i] {
				edits.at(args[j].Line).del = true
			}
			continue
		}
		written[f.Name] = true
		if v == f.Value && len(elems[i]) == 1 {
			continue
		}
		s := itemLine(lines[first-1], Flag{f.Name, v}.String())
		edits.at(first).replace = &s
		for _, j := range elems[i][1:] {
			edits.at(args[j].Line).del = true
		}
	}
	tmpl := lines[args[len(args)-1].Line-1]
	for _, name := range order {
		if written[name] {
			continue
		}
		e := edits.at(lastLine)
		e.after = append(e.after, itemLine(tmpl, Flag{name, final[name]}.String()))
	}
	if err := volumeEdits(data, p.Volumes, edits); err != nil {
		return nil, err
	}
	for l := range edits {
		if l < 1 || l > len(lines) {
			return nil, fmt.Errorf("line %d: the manifest has %d lines: it cannot be edited line by line", l, len(lines))
		}
	}
	return []byte(strings.Join(edits.apply(lines), "\n")), nil
}

// itemLine is a sequence item line like tmpl ("    - --x=y") holding s,
// with tmpl's trailing comment when it has one.
func itemLine(tmpl, s string) string {
	i := strings.Index(tmpl, "- ")
	if i < 0 {
		i = 0
	}
	comment := ""
	if j := strings.Index(tmpl, " #"); j > i {
		comment = tmpl[j:]
	}
	return tmpl[:i] + "- " + scalar(s) + comment
}

// scalar writes s as a plain YAML scalar, quoted only when it must be.
func scalar(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// volumeEdits adds a hostPath volume and a mount for each plan volume no
// mount of the kube-apiserver container covers.
func volumeEdits(data []byte, vols []Volume, edits lineEdits) error {
	if len(vols) == 0 {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return fmt.Errorf("the manifest does not parse as YAML: %v", err)
	}
	spec := child(doc.Content[0], "spec")
	if spec == nil {
		return fmt.Errorf("no spec in the manifest")
	}
	var ctr *yaml.Node
	if cs := child(spec, "containers"); cs != nil {
		for _, c := range cs.Content {
			if name := child(c, "name"); name != nil && strings.Contains(name.Value, "apiserver") || ctr == nil {
				ctr = c
			}
		}
	}
	if ctr == nil {
		return fmt.Errorf("no container in the manifest")
	}
	mounts, volumes := child(ctr, "volumeMounts"), child(spec, "volumes")
	var missing []Volume
	for _, v := range vols {
		covered := false
		if mounts != nil {
			for _, m := range mounts.Content {
				if mp := child(m, "mountPath"); mp != nil && (mp.Value == v.Path || strings.HasPrefix(v.Path, strings.TrimSuffix(mp.Value, "/")+"/")) {
					covered = covered || v.ReadOnly || !isTrue(child(m, "readOnly"))
				}
			}
		}
		if !covered {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var mountLines, volLines []string
	for _, v := range missing {
		mountLines = append(mountLines, "- mountPath: "+scalar(v.Path), "  name: "+v.Name)
		if v.ReadOnly {
			mountLines = append(mountLines, "  readOnly: true")
		}
		volLines = append(volLines, "- hostPath:", "    path: "+scalar(v.Path), "    type: DirectoryOrCreate", "  name: "+v.Name)
	}
	if err := insertItems(ctr, "volumeMounts", mounts, mountLines, edits); err != nil {
		return err
	}
	return insertItems(spec, "volumes", volumes, volLines, edits)
}

// insertItems puts sequence items (lines relative to the dash) first in
// the list seq, the value of key in mapping parent; without the list, the
// key is added to parent after one of its one-line scalar entries (so a
// mapping that opens on a "- " line stays whole).
func insertItems(parent *yaml.Node, key string, seq *yaml.Node, items []string, edits lineEdits) error {
	if seq != nil && seq.Kind == yaml.SequenceNode && len(seq.Content) > 0 {
		first := seq.Content[0]
		ind := strings.Repeat(" ", max(first.Column-3, 0))
		e := edits.at(first.Line)
		for _, l := range items {
			e.before = append(e.before, ind+l)
		}
		return nil
	}
	if seq != nil && !(seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
		return fmt.Errorf("%s is not a list: add the volumes by hand", key)
	}
	var anchor *yaml.Node
	for i := 0; i+1 < len(parent.Content); i += 2 {
		k, v := parent.Content[i], parent.Content[i+1]
		if k.Value == key {
			anchor = k // "key:" or "key: []": replaced below
			break
		}
		if v.Kind == yaml.ScalarNode && v.Line == k.Line && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			anchor = k
		}
	}
	if anchor == nil {
		return fmt.Errorf("no place to add %s: add the volumes by hand", key)
	}
	ind := strings.Repeat(" ", anchor.Column-1)
	block := []string{ind + key + ":"}
	for _, l := range items {
		block = append(block, ind+l)
	}
	e := edits.at(anchor.Line)
	if anchor.Value == key {
		e.del = true
	}
	e.after = append(e.after, block...)
	return nil
}

func isTrue(n *yaml.Node) bool { return n != nil && n.Value == "true" }

// child is the value of key in mapping n.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
