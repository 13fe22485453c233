package rbacdump

import (
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/srctree"
)

// object is one Kubernetes object as the extractor reads it: the fields
// of every kind the engine uses, whatever the kind turns out to be (kind
// may come after the other fields). Fields of other kinds, Secret data,
// pod specs and statuses are skipped while reading.
type object struct {
	apiVersion, kind string
	line             int
	name, namespace  string
	labels           map[string]string
	annotations      map[string]string
	rules            []rbacv1.PolicyRule
	aggregationRule  *rbacv1.AggregationRule
	subjects         []rbacv1.Subject
	roleRef          rbacv1.RoleRef
	hasRoleRef       bool
	serviceAccount   string // spec.serviceAccountName (or the deprecated spec.serviceAccount)
	nodeName         string
	secretType       string
	automount        *bool
	items            []*object
	hasItems         bool

	// err is the first field of the wrong type: the object is rejected
	// when its kind is one the engine uses, and ignored otherwise.
	err     string
	errLine int
}

// extractor reads objects through a cursor, keeping the path of the
// current field for messages ("rules[2].verbs"); the path is only
// rendered when a message needs it.
type extractor struct {
	c    srctree.Cursor
	path []pathElem
}

// pathElem is a field name, or a list index when name is "".
type pathElem struct {
	name  string
	index int
}

func (e *extractor) push(p string)   { e.path = append(e.path, pathElem{name: p}) }
func (e *extractor) pushIndex(i int) { e.path = append(e.path, pathElem{index: i}) }
func (e *extractor) pop()            { e.path = e.path[:len(e.path)-1] }

func (e *extractor) field() string {
	var b strings.Builder
	for i, p := range e.path {
		if p.name == "" {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.name)
	}
	return b.String()
}

// mismatch records that the current value is not what the field wants,
// and skips it.
func (e *extractor) mismatch(o *object, want string) error {
	if o.err == "" {
		o.errLine = e.c.Line()
		o.err = e.field() + ": expected " + want + ", got " + e.c.Kind().String()
	}
	return e.c.Skip()
}

// str reads a string field into dst (null leaves it empty).
func (e *extractor) str(o *object, name string, dst *string) error {
	e.push(name)
	defer e.pop()
	switch e.c.Kind() {
	case srctree.String:
		s, err := e.c.Str()
		*dst = s
		return err
	case srctree.Null:
		return e.c.Skip()
	default:
		return e.mismatch(o, "a string")
	}
}

// strings reads a list of strings (null is an empty list; a null element
// is "", as encoding/json decodes it).
func (e *extractor) strings(o *object, name string, dst *[]string) error {
	e.push(name)
	defer e.pop()
	switch e.c.Kind() {
	case srctree.Null:
		*dst = nil
		return e.c.Skip()
	case srctree.Sequence:
	default:
		return e.mismatch(o, "a list of strings")
	}
	out := []string{}
	err := e.c.Array(func(i int) error {
		switch e.c.Kind() {
		case srctree.String:
			s, err := e.c.Str()
			out = append(out, s)
			return err
		case srctree.Null:
			out = append(out, "")
			return e.c.Skip()
		default:
			e.pushIndex(i)
			defer e.pop()
			return e.mismatch(o, "a string")
		}
	})
	*dst = out
	return err
}

// stringMap reads a map of strings; keep filters keys (nil keeps all).
func (e *extractor) stringMap(o *object, name string, dst *map[string]string, keep func(string) bool) error {
	e.push(name)
	defer e.pop()
	switch e.c.Kind() {
	case srctree.Null:
		return e.c.Skip()
	case srctree.Mapping:
	default:
		return e.mismatch(o, "a map of strings")
	}
	m := map[string]string{}
	err := e.c.Object(func(k string) error {
		if keep != nil && !keep(k) {
			return e.c.Skip()
		}
		switch e.c.Kind() {
		case srctree.String:
			v, err := e.c.Str()
			m[strings.Clone(k)] = v
			return err
		case srctree.Null:
			m[strings.Clone(k)] = ""
			return e.c.Skip()
		default:
			e.push(strings.Clone(k))
			defer e.pop()
			return e.mismatch(o, "a string")
		}
	})
	*dst = m
	return err
}

// objectList reads a list of mappings, calling fn on each.
func (e *extractor) objectList(o *object, name string, fn func(i int) error) error {
	e.push(name)
	defer e.pop()
	switch e.c.Kind() {
	case srctree.Null:
		return e.c.Skip()
	case srctree.Sequence:
	default:
		return e.mismatch(o, "a list")
	}
	return e.c.Array(func(i int) error {
		e.pushIndex(i)
		defer e.pop()
		switch e.c.Kind() {
		case srctree.Mapping:
			return fn(i)
		case srctree.Null:
			return e.c.Skip()
		default:
			return e.mismatch(o, "a mapping")
		}
	})
}

// mapping reads a mapping field, calling fn for each key.
func (e *extractor) mapping(o *object, name string, fn func(key string) error) error {
	e.push(name)
	defer e.pop()
	switch e.c.Kind() {
	case srctree.Null:
		return e.c.Skip()
	case srctree.Mapping:
		return e.c.Object(fn)
	default:
		return e.mismatch(o, "a mapping")
	}
}

// readObject reads the current mapping as a Kubernetes object. Lists
// (kind List or *List) keep their items when top is set.
func (e *extractor) readObject(top bool) (*object, error) {
	o := &object{line: e.c.Line()}
	err := e.c.Object(func(key string) error {
		switch key {
		case "apiVersion":
			return e.str(o, "apiVersion", &o.apiVersion)
		case "kind":
			return e.str(o, "kind", &o.kind)
		case "metadata":
			return e.metadata(o)
		case "rules":
			o.rules = nil
			return e.objectList(o, "rules", func(int) error {
				var r rbacv1.PolicyRule
				err := e.c.Object(func(k string) error {
					switch k {
					case "verbs":
						return e.strings(o, "verbs", &r.Verbs)
					case "apiGroups":
						return e.strings(o, "apiGroups", &r.APIGroups)
					case "resources":
						return e.strings(o, "resources", &r.Resources)
					case "resourceNames":
						return e.strings(o, "resourceNames", &r.ResourceNames)
					case "nonResourceURLs":
						return e.strings(o, "nonResourceURLs", &r.NonResourceURLs)
					}
					return e.c.Skip()
				})
				o.rules = append(o.rules, r)
				return err
			})
		case "aggregationRule":
			return e.aggregationRule(o)
		case "subjects":
			o.subjects = nil
			return e.objectList(o, "subjects", func(int) error {
				var s rbacv1.Subject
				err := e.c.Object(func(k string) error {
					switch k {
					case "kind":
						return e.str(o, "kind", &s.Kind)
					case "apiGroup":
						return e.str(o, "apiGroup", &s.APIGroup)
					case "name":
						return e.str(o, "name", &s.Name)
					case "namespace":
						return e.str(o, "namespace", &s.Namespace)
					}
					return e.c.Skip()
				})
				o.subjects = append(o.subjects, s)
				return err
			})
		case "roleRef":
			o.hasRoleRef = true
			return e.mapping(o, "roleRef", func(k string) error {
				switch k {
				case "apiGroup":
					return e.str(o, "apiGroup", &o.roleRef.APIGroup)
				case "kind":
					return e.str(o, "kind", &o.roleRef.Kind)
				case "name":
					return e.str(o, "name", &o.roleRef.Name)
				}
				return e.c.Skip()
			})
		case "spec":
			var deprecatedSA string
			err := e.mapping(o, "spec", func(k string) error {
				switch k {
				case "serviceAccountName":
					return e.str(o, "serviceAccountName", &o.serviceAccount)
				case "serviceAccount":
					return e.str(o, "serviceAccount", &deprecatedSA)
				case "nodeName":
					return e.str(o, "nodeName", &o.nodeName)
				}
				return e.c.Skip()
			})
			if o.serviceAccount == "" {
				o.serviceAccount = deprecatedSA
			}
			return err
		case "type":
			return e.str(o, "type", &o.secretType)
		case "automountServiceAccountToken":
			e.push(key)
			defer e.pop()
			switch e.c.Kind() {
			case srctree.Bool:
				v, err := e.c.Bool()
				o.automount = &v
				return err
			case srctree.Null:
				return e.c.Skip()
			default:
				return e.mismatch(o, "a boolean")
			}
		case "items":
			if !top || e.c.Kind() != srctree.Sequence {
				return e.c.Skip()
			}
			o.hasItems = true
			return e.c.Array(func(i int) error {
				if e.c.Kind() != srctree.Mapping {
					return e.c.Skip()
				}
				e.push("items")
				e.pushIndex(i)
				defer func() { e.pop(); e.pop() }()
				item, err := e.readObject(false)
				if err == nil {
					o.items = append(o.items, item)
				}
				return err
			})
		}
		// data and stringData of Secrets, status, and everything else.
		return e.c.Skip()
	})
	return o, err
}

func (e *extractor) metadata(o *object) error {
	return e.mapping(o, "metadata", func(k string) error {
		switch k {
		case "name":
			return e.str(o, "name", &o.name)
		case "namespace":
			return e.str(o, "namespace", &o.namespace)
		case "labels":
			if o.kind == "Pod" {
				return e.c.Skip() // the model keeps no pod labels
			}
			return e.stringMap(o, "labels", &o.labels, nil)
		case "annotations":
			if o.kind == "Pod" {
				return e.c.Skip()
			}
			return e.stringMap(o, "annotations", &o.annotations, func(key string) bool {
				if o.kind == "Secret" {
					return key == rbac.ServiceAccountNameAnnotation
				}
				return key != rbac.LastAppliedAnnotation
			})
		}
		return e.c.Skip()
	})
}

func (e *extractor) aggregationRule(o *object) error {
	o.aggregationRule = nil
	if e.c.Kind() == srctree.Mapping {
		o.aggregationRule = &rbacv1.AggregationRule{}
	}
	return e.mapping(o, "aggregationRule", func(k string) error {
		if k != "clusterRoleSelectors" {
			return e.c.Skip()
		}
		return e.objectList(o, "clusterRoleSelectors", func(int) error {
			var sel metav1.LabelSelector
			err := e.c.Object(func(k string) error {
				switch k {
				case "matchLabels":
					return e.stringMap(o, "matchLabels", &sel.MatchLabels, nil)
				case "matchExpressions":
					return e.objectList(o, "matchExpressions", func(int) error {
						var r metav1.LabelSelectorRequirement
						err := e.c.Object(func(k string) error {
							switch k {
							case "key":
								return e.str(o, "key", &r.Key)
							case "operator":
								var op string
								err := e.str(o, "operator", &op)
								r.Operator = metav1.LabelSelectorOperator(op)
								return err
							case "values":
								return e.strings(o, "values", &r.Values)
							}
							return e.c.Skip()
						})
						sel.MatchExpressions = append(sel.MatchExpressions, r)
						return err
					})
				}
				return e.c.Skip()
			})
			o.aggregationRule.ClusterRoleSelectors = append(o.aggregationRule.ClusterRoleSelectors, sel)
			return err
		})
	})
}
