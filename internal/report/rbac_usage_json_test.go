package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// TestRBACUsageJSONStreamsAsWriteJSON: the report written one subject at a
// time is byte for byte the report encoded whole.
func TestRBACUsageJSONStreamsAsWriteJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sub := func(name string) rbacusage.SubjectUsage {
		return rbacusage.SubjectUsage{Subject: rbacusage.SubjectKey{Kind: "User", Name: name}, Requests: 3, LastSeen: &at,
			Bindings: []rbacusage.BindingUsage{{Kind: "ClusterRoleBinding", Name: "b<&>", RoleRef: rbacusage.RoleRef{Kind: "ClusterRole", Name: "view"},
				Rules: []rbacusage.RuleUsage{{Verbs: []string{"get"}, Resources: []string{"pods"}, Used: true, Requests: 3}}}},
			Denied: []rbacusage.DeniedUsage{}}
	}
	for _, tc := range []struct {
		name string
		r    rbacusage.Report
	}{
		{"no subject", rbacusage.Report{Subjects: []rbacusage.SubjectUsage{}, Blind: []rbacusage.Blind{}, Note: rbacusage.NoPolicyNote}},
		{"nil subjects", rbacusage.Report{}},
		{"one", rbacusage.Report{Events: 3, Window: rbacusage.Window{From: &at, To: &at}, Subjects: []rbacusage.SubjectUsage{sub("alice")}, Blind: []rbacusage.Blind{}}},
		{"three, blind after", rbacusage.Report{Events: 9, Subjects: []rbacusage.SubjectUsage{sub("a"), sub("b"), sub("c")},
			Blind: []rbacusage.Blind{{Subject: rbacusage.SubjectKey{Kind: "User", Name: "a"}, Binding: "x", Unlogged: []string{"get /x"}}}, Policy: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var whole, streamed bytes.Buffer
			if err := WriteJSON(&whole, &tc.r); err != nil {
				t.Fatal(err)
			}
			if err := RBACUsageJSON(&streamed, &tc.r); err != nil {
				t.Fatal(err)
			}
			if whole.String() != streamed.String() {
				t.Errorf("streamed:\n%s\nwant:\n%s", streamed.String(), whole.String())
			}
			if tc.r.Subjects == nil {
				return // only a Report has null subjects
			}
			// handed out one subject at a time, as an engine's Usage does
			var walked bytes.Buffer
			if err := RBACUsageJSON(&walked, eachOnly{&tc.r}); err != nil {
				t.Fatal(err)
			}
			if whole.String() != walked.String() {
				t.Errorf("walked:\n%s\nwant:\n%s", walked.String(), whole.String())
			}
		})
	}
}

// eachOnly is a report seen only through rbacusage.Subjects.
type eachOnly struct{ r *rbacusage.Report }

func (e eachOnly) Header() *rbacusage.Report { return e.r.Header() }
func (e eachOnly) Each(fn func(*rbacusage.SubjectUsage) error) error {
	return e.r.Each(fn)
}

// TestIndentCompact: json.Indent's bytes for what encoding/json writes.
func TestIndentCompact(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `{"a":[],"b":{},"c":[1,2,{"d":null}]}`,
		`{"s":"a,b:{c}[d]","e":"q\"u\\\"o,te\\","u":"é→\u2028<&>"}`,
		`[{"x":[["y"]],"z":true},false,-1.5e+10]`,
	} {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(src), "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentCompact(nil, []byte(src), "    ", "  "); string(got) != want.String() {
			t.Errorf("%s:\n%s\nwant:\n%s", src, got, want.String())
		}
	}
}
