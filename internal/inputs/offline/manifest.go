// Package offline builds a Snapshot from files: static pod manifests and
// other workloads with a kube-apiserver container, `kubectl get -o yaml`
// output (List documents), kubeadm ClusterConfiguration, argv files, and
// saved snapshot directories. Every argument keeps its file and line, and a
// bad document is reported with its file, line and field without losing the
// other documents.
package offline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

// ErrNoAPIServer is returned (wrapped) when a file holds no kube-apiserver.
var ErrNoAPIServer = errors.New("no kube-apiserver container found")

// ParseManifest reads every YAML or JSON document in data and returns the
// kube-apiserver instances it describes. name is used in sources
// ("name:line"). Problems are per-document; a returned error means the file
// could not be read at all.
func ParseManifest(name string, data []byte) ([]*inputs.APIServer, []inputs.Problem, error) {
	if err := checkText(data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var (
		servers  []*inputs.APIServer
		problems []inputs.Problem
		docs     int
	)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, inputs.Problem{Source: yamlErrSource(name, err), Message: "not valid YAML: " + yamlErrMessage(err)})
			break // the decoder cannot resynchronise after a syntax error
		}
		if len(doc.Content) == 0 {
			continue
		}
		docs++
		p := &parser{file: name}
		p.object(doc.Content[0], "")
		servers = append(servers, p.servers...)
		problems = append(problems, p.problems...)
	}
	if len(servers) == 0 && len(problems) == 0 {
		if docs == 0 {
			return nil, nil, fmt.Errorf("%s: empty file: %w", name, ErrNoAPIServer)
		}
		return nil, nil, fmt.Errorf("%s:1: %w (looked for a Pod, Deployment, DaemonSet, StatefulSet, Job, CronJob, List or kubeadm ClusterConfiguration)", name, ErrNoAPIServer)
	}
	return servers, problems, nil
}

// checkText refuses binary input with a clear message instead of a YAML error.
func checkText(data []byte) error {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimIncompleteRune(head)) {
		return errors.New("binary file, not YAML or JSON text")
	}
	return nil
}

func trimIncompleteRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		r, _ := utf8.DecodeLastRune(b)
		if r != utf8.RuneError {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

type parser struct {
	file     string
	servers  []*inputs.APIServer
	problems []inputs.Problem
}

func (p *parser) problem(n *yaml.Node, field, msg string) {
	src := p.file
	if n != nil {
		src = fmt.Sprintf("%s:%d", p.file, n.Line)
	}
	if field != "" {
		msg = field + ": " + msg
	}
	p.problems = append(p.problems, inputs.Problem{Source: src, Message: msg})
}

// get returns the value node of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func dig(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = get(n, k)
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// object dispatches on kind.
func (p *parser) object(n *yaml.Node, field string) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		p.problem(n, field, "expected a Kubernetes object (a mapping with apiVersion and kind), got "+kindName(n))
		return
	}
	kind := scalar(get(n, "kind"))
	name := scalar(dig(n, "metadata", "name"))
	ns := scalar(dig(n, "metadata", "namespace"))
	switch kind {
	case "List", "PodList", "DeploymentList", "DaemonSetList":
		items := get(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode {
			if items != nil {
				p.problem(items, join(field, "items"), "expected a list, got "+kindName(items))
			}
			return
		}
		for i, it := range items.Content {
			p.object(it, fmt.Sprintf("%s[%d]", join(field, "items"), i))
		}
	case "Pod":
		p.podSpec(get(n, "spec"), join(field, "spec"), objName(ns, name), n)
	case "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "ReplicationController":
		p.podSpec(dig(n, "spec", "template", "spec"), join(field, "spec.template.spec"), objName(ns, name), n)
	case "CronJob":
		p.podSpec(dig(n, "spec", "jobTemplate", "spec", "template", "spec"), join(field, "spec.jobTemplate.spec.template.spec"), objName(ns, name), n)
	case "ClusterConfiguration":
		p.kubeadm(n, field)
	case "":
		p.problem(n, join(field, "kind"), "missing: not a Kubernetes object")
	default:
		// Other kinds (Services, InitConfiguration, ...) are legitimately
		// present in manifest directories and carry no apiserver flags.
	}
}

func objName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}

// podSpec finds kube-apiserver containers in a pod spec.
func (p *parser) podSpec(spec *yaml.Node, field, objname string, obj *yaml.Node) {
	if spec == nil {
		return
	}
	containers := get(spec, "containers")
	if containers == nil {
		return
	}
	if containers.Kind != yaml.SequenceNode {
		p.problem(containers, field+".containers", "expected a list, got "+kindName(containers))
		return
	}
	for i, c := range containers.Content {
		cfield := fmt.Sprintf("%s.containers[%d]", field, i)
		c = resolveAlias(c)
		if c.Kind != yaml.MappingNode {
			p.problem(c, cfield, "expected a container (a mapping), got "+kindName(c))
			continue
		}
		argv, ok := p.argv(c, cfield)
		if !ok || !isAPIServer(scalar(get(c, "name")), scalar(get(c, "image")), argv) {
			continue
		}
		argv = stripLauncher(argv)
		image := scalar(get(c, "image"))
		a := &inputs.APIServer{
			Name:    objname,
			Origin:  "manifest",
			Image:   image,
			Version: inputs.VersionFromImage(image),
			Args:    argv,
		}
		if a.Name == "" {
			a.Name = p.file
		}
		if len(containers.Content) > 1 || a.Name == "" {
			// keep names unique when a pod runs several apiservers
			if cn := scalar(get(c, "name")); cn != "" && countAPIServers(containers) > 1 {
				a.Name += "/" + cn
			}
		}
		p.servers = append(p.servers, a)
	}
}

func countAPIServers(containers *yaml.Node) int {
	n := 0
	for _, c := range containers.Content {
		if strings.Contains(scalar(get(resolveAlias(c), "name")), "apiserver") {
			n++
		}
	}
	return n
}

// argv is command followed by args, as the kubelet builds it.
func (p *parser) argv(c *yaml.Node, field string) ([]inputs.Arg, bool) {
	var out []inputs.Arg
	ok := true
	for _, key := range []string{"command", "args"} {
		list := get(c, key)
		if list == nil || (list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			p.problem(list, field+"."+key, "expected a list of strings, got "+kindName(list))
			ok = false
			continue
		}
		for i, it := range list.Content {
			it = resolveAlias(it)
			if it.Kind != yaml.ScalarNode {
				p.problem(it, fmt.Sprintf("%s.%s[%d]", field, key, i), "expected a string, got "+kindName(it))
				ok = false
				continue
			}
			out = append(out, inputs.Arg{Text: it.Value, File: p.file, Line: it.Line})
		}
	}
	return expandShell(out), ok
}

// expandShell splits `sh -c "kube-apiserver --a=b ..."` wrappers into argv.
func expandShell(argv []inputs.Arg) []inputs.Arg {
	if len(argv) >= 3 && isShell(argv[0].Text) && argv[1].Text == "-c" {
		script := argv[2]
		var out []inputs.Arg
		for _, w := range shellWords(script.Text) {
			out = append(out, inputs.Arg{Text: w, File: script.File, Line: script.Line})
		}
		return append(out, argv[3:]...)
	}
	return argv
}

func isShell(s string) bool {
	b := path.Base(s)
	return b == "sh" || b == "bash" || b == "ash" || b == "dash"
}

func isAPIServer(name, image string, argv []inputs.Arg) bool {
	if name == "kube-apiserver" || name == "apiserver" {
		return true
	}
	for i, a := range argv {
		if i > 2 {
			break
		}
		if b := path.Base(a.Text); b == "kube-apiserver" || b == "kube-apiserver.exe" {
			return true
		}
	}
	img := image
	if i := strings.LastIndex(img, "/"); i >= 0 {
		img = img[i+1:]
	}
	return strings.HasPrefix(img, "kube-apiserver:") || strings.HasPrefix(img, "kube-apiserver@") || img == "kube-apiserver"
}

// stripLauncher drops anything before the kube-apiserver binary
// ("/hyperkube kube-apiserver", "exec kube-apiserver").
func stripLauncher(argv []inputs.Arg) []inputs.Arg {
	for i, a := range argv {
		if strings.HasPrefix(a.Text, "-") {
			break
		}
		if b := path.Base(a.Text); b == "kube-apiserver" || b == "apiserver" {
			return argv[i:]
		}
	}
	return argv
}

// shellWords splits a shell command line on blanks, honouring single and
// double quotes and backslash escapes (enough for argv written in manifests
// and `ps` output; no expansion is performed).
func shellWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		in    bool
		quote rune
		esc   bool
	)
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, in = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	flush()
	return words
}

func yamlErrSource(name string, err error) string {
	if line, _ := configfile.YAMLError(err); line > 0 {
		return fmt.Sprintf("%s:%d", name, line)
	}
	return name
}

func yamlErrMessage(err error) string {
	_, msg := configfile.YAMLError(err)
	return msg
}
