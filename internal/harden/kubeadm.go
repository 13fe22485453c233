package harden

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// PatchKubeadm applies the plan to a kubeadm ClusterConfiguration (in a
// file that may hold other documents): every flag the plan set goes into
// apiServer.extraArgs (a map in v1beta3, a list of {name, value} in
// v1beta4), a flag it removed leaves extraArgs, and the plan's directories
// are added to apiServer.extraVolumes. Comments and other fields are kept;
// the documents are re-encoded with two-space indentation. The strings
// returned are removals kubeadm cannot express (it always writes its own
// defaults), for the "needs you" list.
func PatchKubeadm(data []byte, p *Plan) ([]byte, []string, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var d yaml.Node
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("the kubeadm configuration does not parse as YAML: %v", err)
		}
		docs = append(docs, &d)
	}
	var cc *yaml.Node
	for _, d := range docs {
		if len(d.Content) == 1 && d.Content[0].Kind == yaml.MappingNode &&
			child(d.Content[0], "kind") != nil && child(d.Content[0], "kind").Value == "ClusterConfiguration" &&
			strings.HasPrefix(scalarOf(child(d.Content[0], "apiVersion")), "kubeadm.k8s.io/") {
			cc = d.Content[0]
		}
	}
	if cc == nil {
		return nil, nil, fmt.Errorf("no kubeadm ClusterConfiguration in the file")
	}
	api := ensureMap(cc, "apiServer")
	extra := child(api, "extraArgs")
	v1beta3 := strings.HasSuffix(scalarOf(child(cc, "apiVersion")), "/v1beta3")
	if extra == nil || extra.Tag == "!!null" {
		extra = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v1beta3 {
			extra = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		setChild(api, "extraArgs", extra)
	}
	final := map[string]string{}
	for _, f := range p.Flags {
		final[f.Name] = f.Value
	}
	if extra.Kind != yaml.MappingNode && extra.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("apiServer.extraArgs is neither a map (v1beta3) nor a list (v1beta4)")
	}
	var notes []string
	done := map[string]bool{}
	for _, c := range p.Changes {
		name := strings.TrimPrefix(c.Flag, "--")
		if done[name] {
			continue
		}
		done[name] = true
		if v, ok := final[name]; ok {
			setArg(extra, name, v)
		} else if !deleteArg(extra, name) {
			notes = append(notes, fmt.Sprintf("kubeadm writes --%s itself and extraArgs cannot remove it: %s", name, c.Why))
		}
	}
	if len(p.Volumes) > 0 {
		vols := child(api, "extraVolumes")
		if vols == nil || vols.Tag == "!!null" {
			vols = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			setChild(api, "extraVolumes", vols)
		}
		if vols.Kind != yaml.SequenceNode {
			return nil, nil, fmt.Errorf("apiServer.extraVolumes is not a list")
		}
		for _, v := range p.Volumes {
			if hasVolume(vols, v.Path) {
				continue
			}
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			setChild(m, "name", str(v.Name))
			setChild(m, "hostPath", str(v.Path))
			setChild(m, "mountPath", str(v.Path))
			setChild(m, "readOnly", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v.ReadOnly)})
			setChild(m, "pathType", str("DirectoryOrCreate"))
			vols.Content = append(vols.Content, m)
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), notes, nil
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func scalarOf(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

func ensureMap(n *yaml.Node, key string) *yaml.Node {
	if c := child(n, key); c != nil && c.Kind == yaml.MappingNode {
		return c
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	setChild(n, key, m)
	return m
}

// setChild sets key in mapping n (replacing its value, else appending).
func setChild(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, str(key), v)
}

// setArg sets a flag in extraArgs: the map's key, or the list's one entry
// of that name (later entries of the same name dropped).
func setArg(extra *yaml.Node, name, value string) {
	if extra.Kind == yaml.MappingNode {
		if old := child(extra, name); old != nil && old.Kind == yaml.ScalarNode {
			old.Value, old.Tag, old.Style = value, "!!str", 0 // keeps its comment
			return
		}
		setChild(extra, name, str(value))
		return
	}
	var kept []*yaml.Node
	placed := false
	for _, it := range extra.Content {
		if scalarOf(child(it, "name")) == name {
			if placed {
				continue
			}
			if old := child(it, "value"); old != nil && old.Kind == yaml.ScalarNode {
				old.Value, old.Tag, old.Style = value, "!!str", 0
			} else {
				setChild(it, "value", str(value))
			}
			placed = true
		}
		kept = append(kept, it)
	}
	if !placed {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setChild(m, "name", str(name))
		setChild(m, "value", str(value))
		kept = append(kept, m)
	}
	extra.Content = kept
}

// deleteArg removes a flag from extraArgs and says whether it was there.
func deleteArg(extra *yaml.Node, name string) bool {
	found := false
	if extra.Kind == yaml.MappingNode {
		var kept []*yaml.Node
		for i := 0; i+1 < len(extra.Content); i += 2 {
			if extra.Content[i].Value == name {
				found = true
				continue
			}
			kept = append(kept, extra.Content[i], extra.Content[i+1])
		}
		extra.Content = kept
		return found
	}
	var kept []*yaml.Node
	for _, it := range extra.Content {
		if scalarOf(child(it, "name")) == name {
			found = true
			continue
		}
		kept = append(kept, it)
	}
	extra.Content = kept
	return found
}

func hasVolume(vols *yaml.Node, p string) bool {
	for _, v := range vols.Content {
		if scalarOf(child(v, "mountPath")) == p {
			return true
		}
	}
	return false
}
