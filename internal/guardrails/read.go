package guardrails

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
)

// ReadPolicies reads the ValidatingAdmissionPolicies of a YAML stream
// (bindings and other documents are skipped).
func ReadPolicies(name string, data []byte) ([]admissionv1.ValidatingAdmissionPolicy, error) {
	d := yamlutil.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []admissionv1.ValidatingAdmissionPolicy
	for i := 1; ; i++ {
		var p admissionv1.ValidatingAdmissionPolicy
		err := d.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", name, i, err)
		}
		if p.Kind == "ValidatingAdmissionPolicy" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no ValidatingAdmissionPolicy", name)
	}
	return out, nil
}
