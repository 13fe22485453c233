package report

import (
	"encoding/json"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// rbacMinimizeList is the minimized roles and bindings as a v1 List, in
// apply order (an empty List when there is nothing to grant).
func rbacMinimizeList(m *rbacusage.Minimized) (*corev1.List, error) {
	l := &corev1.List{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}, Items: []runtime.RawExtension{}}
	for _, o := range m.Objects() {
		raw, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, runtime.RawExtension{Raw: raw})
	}
	return l, nil
}

// RBACMinimizeJSON writes the List as indented JSON.
func RBACMinimizeJSON(w io.Writer, m *rbacusage.Minimized) error {
	l, err := rbacMinimizeList(m)
	if err != nil {
		return err
	}
	return WriteJSON(w, l)
}

// RBACMinimizeYAML writes the List as YAML, for kubectl apply -f.
func RBACMinimizeYAML(w io.Writer, m *rbacusage.Minimized) error {
	l, err := rbacMinimizeList(m)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(l)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
