package rbacusage

import (
	"errors"
	"reflect"
	"testing"

	"github.com/apiguard/apiguard/internal/auditpolicy"
)

// TestStream: the report walked subject by subject is the report built
// whole, walk after walk; a subject alone is the same; the header counts
// the blind rules the walk marks; an error stops the walk.
func TestStream(t *testing.T) {
	pol, err := auditpolicy.Load("policy.yaml", []byte(blindPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		opts  Options
		blind bool
	}{
		{"no policy", Options{}, false},
		{"policy", Options{Policy: pol}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(loadFixture(t), tc.opts)
			e.Add(ev(evSpec{id: "1", user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"}))
			e.Add(ev(evSpec{id: "2", user: "bob", verb: "delete", what: ":secrets", ns: "dev", name: "s", code: 403}))
			whole := e.Result()
			u := e.Stream()
			for walk := 0; walk < 2; walk++ {
				var got []SubjectUsage
				marked := 0
				if err := u.Each(func(su *SubjectUsage) error {
					got = append(got, *su)
					for _, b := range su.Bindings {
						for _, r := range b.Rules {
							if r.Blind {
								marked++
							}
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, whole.Subjects) || u.Len() != len(got) {
					t.Fatalf("walk %d: %d subjects (Len %d), want the %d of Result", walk, len(got), u.Len(), len(whole.Subjects))
				}
				h := u.Header()
				if h.Subjects != nil || !reflect.DeepEqual(h.Blind, whole.Blind) || h.Events != whole.Events || h.Note != whole.Note {
					t.Errorf("header %+v, want Result's without subjects", h)
				}
				if marked != len(h.Blind) || (marked > 0) != tc.blind {
					t.Errorf("%d rules marked blind, header lists %d", marked, len(h.Blind))
				}
			}
			for i := range whole.Subjects {
				k := whole.Subjects[i].Subject
				if got := u.Subject(k); got == nil || !reflect.DeepEqual(*got, *whole.Subject(k)) {
					t.Errorf("Subject(%s) = %+v, want %+v", k, got, whole.Subject(k))
				}
			}
			if got := u.Subject(SubjectKey{Kind: "User", Name: "nobody-at-all"}); got != nil {
				t.Errorf("Subject of an unknown user = %+v, want nil", got)
			}
			stop := errors.New("stop")
			n := 0
			if err := u.Each(func(*SubjectUsage) error { n++; return stop }); err != stop || n != 1 {
				t.Errorf("Each after an error: %v after %d subjects, want stop after 1", err, n)
			}
		})
	}
}
