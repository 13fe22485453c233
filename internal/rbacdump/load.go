package rbacdump

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/srctree"
)

// MaxSize bounds one input file. `kubectl get -A -o json` of a large
// cluster's pods runs to hundreds of megabytes.
const MaxSize = fileinput.RBACDumpLimit

// ErrNoRBAC is returned (wrapped) when the inputs hold no role or binding.
var ErrNoRBAC = errors.New("no RBAC objects found")

// Load reads `kubectl get ... -o yaml|json` output: files (one or more
// YAML documents, JSON values, List documents) and directories (every
// .yaml, .yml and .json file below, in lexical order; a snapshot directory
// contributes its rbac/ folder). Each path must exist. A bad document
// becomes a Problem naming its file and line and the rest still loads; an
// error means nothing usable was found.
//
// kube-apiserver's bootstrap roles and bindings that the input does not
// define are assumed (Builder.AssumeBuiltins; Policy.Builtins says which),
// unless the input is a dump of a live model; LoadWith can turn that off.
func Load(paths ...string) (*rbac.Policy, error) { return LoadWith(rbac.FileOptions{}, paths...) }

// LoadWith is Load with options.
func LoadWith(o rbac.FileOptions, paths ...string) (*rbac.Policy, error) {
	b := rbac.NewBuilder()
	if o.NoBuiltins {
		b.NoBuiltins()
	} else {
		b.AssumeBuiltins()
	}
	for _, p := range paths {
		if err := AddPath(b, p); err != nil {
			return nil, err
		}
	}
	if b.RBACObjects() == 0 {
		return nil, noRBAC(b, strings.Join(paths, ", "))
	}
	return b.Build(), nil
}

func noRBAC(b *rbac.Builder, where string) error {
	more := ""
	if ps := b.Problems(); len(ps) > 0 {
		more = "; " + ps[0].String()
		if n := len(ps) - 1; n > 0 {
			more += fmt.Sprintf(" (and %d more problems)", n)
		}
	}
	return fmt.Errorf("%s: %w (want ClusterRole, ClusterRoleBinding, Role or RoleBinding objects, e.g. from `kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml`)%s", where, ErrNoRBAC, more)
}

// AddPath adds a file or a directory to b. It fails only when path cannot
// be read at all; problems inside files are recorded.
func AddPath(b *rbac.Builder, path string) error {
	st, err := fileinput.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		data, err := readDump(path)
		if err != nil {
			return err
		}
		return AddData(b, path, data)
	}
	root := path
	if isSnapshotDir(path) {
		root = filepath.Join(path, "rbac")
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: a snapshot without an rbac/ folder: dump RBAC with `kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts -A -o yaml > rbac.yaml` and pass that file", path)
		}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			b.Problem(p, cleanErr(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := readDump(p)
		if err != nil {
			b.Problem(p, fileinput.Reason(err))
			return nil
		}
		if err := AddData(b, p, data); err != nil {
			b.Problem(p, strings.TrimPrefix(err.Error(), p+": "))
		}
		return nil
	})
}

func isSnapshotDir(dir string) bool {
	for _, n := range []string{"snapshot.json", "snapshot.yaml"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// readDump reads one dump: a regular file (never a FIFO or a device) of
// at most MaxSize, into a buffer of its size.
func readDump(p string) ([]byte, error) { return fileinput.ReadFile(p, fileinput.RBACDump) }

func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// AddData adds the objects of one file's content to b; name is used in
// sources ("name:line"). It fails only for content that is not text.
// JSON goes through srctree's scanner, the fast path the load budget
// needs; YAML through go.yaml.in/yaml/v3 (a huge cluster is best dumped
// with -o json: docs/rbac.md, "Performance").
func AddData(b *rbac.Builder, name string, data []byte) error {
	if err := checkText(data); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		addJSON(b, name, data)
		return nil
	}
	addYAML(b, name, data)
	return nil
}

func addJSON(b *rbac.Builder, name string, data []byte) {
	c := srctree.NewJSONCursor(data)
	e := &extractor{c: c}
	for c.More() {
		if err := addValue(b, name, e); err != nil {
			b.Problem(fmt.Sprintf("%s:%d", name, syntaxLine(err, c.Line())), "not valid JSON: "+syntaxMsg(err))
			return
		}
	}
}

func syntaxLine(err error, fallback int) int {
	var se *srctree.SyntaxError
	if errors.As(err, &se) {
		return se.Line
	}
	return fallback
}

func syntaxMsg(err error) string {
	var se *srctree.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}

// addYAML reads YAML documents through go.yaml.in/yaml/v3 nodes: any
// YAML, and its error messages.
func addYAML(b *rbac.Builder, name string, data []byte) {
	docs := srctree.NewYAMLDocs(data)
	for {
		c, err := docs.Next()
		if err != nil {
			src := name
			if line := syntaxLine(err, 0); line > 0 {
				src = fmt.Sprintf("%s:%d", name, line)
			}
			b.Problem(src, "not valid YAML: "+syntaxMsg(err))
			return // the decoder cannot resynchronise after a syntax error
		}
		if c == nil {
			return
		}
		if err := addValue(b, name, &extractor{c: c}); err != nil {
			b.Problem(fmt.Sprintf("%s:%d", name, syntaxLine(err, 0)), syntaxMsg(err))
		}
	}
}

// addValue adds one top-level value: an object, a List, or an array of
// objects. Scalars and nulls (empty documents) are ignored.
func addValue(b *rbac.Builder, name string, e *extractor) error {
	switch e.c.Kind() {
	case srctree.Mapping:
		o, err := e.readObject(true)
		switch {
		case err == nil:
			addObject(b, name, o)
		case o.hasItems && (o.kind == "" || strings.HasSuffix(o.kind, "List")):
			// A syntax error inside a List's items (whose kind, in
			// kubectl's sorted JSON, comes after them): keep the items
			// read before it.
			if o.kind == "" {
				o.kind = "List"
			}
			addObject(b, name, o)
		}
		return err
	case srctree.Sequence:
		return e.c.Array(func(i int) error {
			if e.c.Kind() != srctree.Mapping {
				return e.c.Skip()
			}
			o, err := e.readObject(true)
			if err == nil {
				addObject(b, name, o)
			}
			return err
		})
	default:
		return e.c.Skip()
	}
}

// kinds maps the kinds the engine reads to their API group.
var kinds = map[string]string{
	rbac.KindClusterRole: rbacv1.GroupName, rbac.KindClusterRoleBinding: rbacv1.GroupName, rbac.KindRole: rbacv1.GroupName, rbac.KindRoleBinding: rbacv1.GroupName,
	"ServiceAccount": "", "Namespace": "", "Pod": "", "Node": "", "Secret": "",
}

var clusterScoped = map[string]bool{rbac.KindClusterRole: true, rbac.KindClusterRoleBinding: true, "Namespace": true, "Node": true}

func groupOf(apiVersion string) string {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// addObject turns an extracted object into the model. Items of a typed
// list (ClusterRoleList, as the raw API returns it) carry no kind or
// apiVersion of their own: they take the list's.
func addObject(b *rbac.Builder, file string, o *object) {
	if o.hasItems && (o.kind == "List" || strings.HasSuffix(o.kind, "List")) {
		if o.annotations[rbac.LiveDumpAnnotation] == "live" {
			b.LiveDump()
		}
		for _, it := range o.items {
			if it.kind == "" && strings.HasSuffix(o.kind, "List") && o.kind != "List" {
				it.kind = strings.TrimSuffix(o.kind, "List")
				if it.apiVersion == "" {
					it.apiVersion = o.apiVersion
				}
			}
			addObject(b, file, it)
		}
		return
	}
	group, known := kinds[o.kind]
	if !known || groupOf(o.apiVersion) != group {
		return // a kind the engine does not use
	}
	src := file + ":" + strconv.Itoa(o.line)
	// what names the object in problems; built only for one.
	what := func() string {
		switch {
		case o.name == "":
			return o.kind
		case o.namespace != "":
			return o.kind + " " + o.namespace + "/" + o.name
		default:
			return o.kind + " " + o.name
		}
	}
	if o.err != "" {
		b.Problem(fmt.Sprintf("%s:%d", file, o.errLine), what()+": "+o.err+"; the object is ignored")
		return
	}
	if o.name == "" {
		b.Problem(src, what()+": metadata.name: missing; the object is ignored")
		return
	}
	if !clusterScoped[o.kind] && o.namespace == "" {
		b.Problem(src, what()+": metadata.namespace: missing; assuming \"default\" (kubectl would use the context's namespace)")
		o.namespace = "default"
	}
	meta := metav1.ObjectMeta{Name: o.name, Namespace: o.namespace, Labels: o.labels, Annotations: o.annotations}
	switch o.kind {
	case rbac.KindClusterRole:
		b.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: meta, Rules: o.rules, AggregationRule: o.aggregationRule}, src)
	case rbac.KindRole:
		b.AddRole(&rbacv1.Role{ObjectMeta: meta, Rules: o.rules}, src)
	case rbac.KindClusterRoleBinding, rbac.KindRoleBinding:
		if !o.hasRoleRef {
			b.Problem(src, what()+": roleRef: missing; the object is ignored")
			return
		}
		if o.kind == rbac.KindClusterRoleBinding {
			b.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: meta, Subjects: o.subjects, RoleRef: o.roleRef}, src)
		} else {
			b.AddRoleBinding(&rbacv1.RoleBinding{ObjectMeta: meta, Subjects: o.subjects, RoleRef: o.roleRef}, src)
		}
	case "ServiceAccount":
		b.AddServiceAccount(rbac.ServiceAccount{Namespace: o.namespace, Name: o.name, Labels: o.labels, Annotations: o.annotations, AutomountToken: o.automount, Source: src})
	case "Namespace":
		b.AddNamespace(rbac.Namespace{Name: o.name, Labels: o.labels, Source: src})
	case "Pod":
		b.AddPod(rbac.Pod{Namespace: o.namespace, Name: o.name, ServiceAccountName: o.serviceAccount, NodeName: o.nodeName, Source: src})
	case "Node":
		b.AddNode(rbac.Node{Name: o.name, Labels: o.labels, Source: src})
	case "Secret":
		t := o.secretType
		if t == "" {
			t = string(corev1.SecretTypeOpaque)
		}
		b.AddSecret(rbac.SecretOf(&meta, t, src))
	}
}

// checkText refuses binary input with a clear message instead of a
// syntax error.
func checkText(data []byte) error {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
		for i := 0; i < utf8.UTFMax && len(head) > 0 && !utf8.Valid(head); i++ {
			head = head[:len(head)-1]
		}
	}
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head) {
		return errors.New("binary file, not YAML or JSON text")
	}
	return nil
}
