package rbacdump

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
)

// The analysis on dumps read from files: the loader and the engine
// together.

// TestAnalysisChain: the fixture chain.yaml, a two-step and a three-step
// path, each step naming whom one becomes and the binding that allows it.
func TestAnalysisChain(t *testing.T) {
	p, err := LoadWith(rbac.FileOptions{NoBuiltins: true}, "../rbac/testdata/analysis/chain.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := p.Analysis()
	want := map[rbac.SubjectRef][]rbac.Step{
		{Kind: rbac.KindUser, Name: "alice"}: {
			{Action: "create, update, patch deployments.apps in namespace ci → run as ServiceAccount ci/deployer", Via: "RoleBinding ci/alice-deploys → ClusterRole deployer"},
			{Action: "holds every verb on every resource of every API group, cluster-wide", Via: "ClusterRoleBinding deployer-admin → ClusterRole cluster-admin"},
		},
		{Kind: rbac.KindUser, Name: "bob"}: {
			{Action: "create pods/exec in namespace web → run as ServiceAccount web/frontend (pod web/web-1)", Via: "RoleBinding web/bob-exec → ClusterRole exec"},
			{Action: "create serviceaccounts/token (named deployer) in namespace ci → authenticate as ServiceAccount ci/deployer", Via: "RoleBinding ci/frontend-tokens → ClusterRole token-minter"},
			{Action: "holds every verb on every resource of every API group, cluster-wide", Via: "ClusterRoleBinding deployer-admin → ClusterRole cluster-admin"},
		},
	}
	for s, steps := range want {
		got := a.Paths(s)
		if len(got) != 1 {
			t.Fatalf("%s: %d paths, want 1", s, len(got))
		}
		for i := range got[0] {
			got[0][i].To = rbac.SubjectRef{}
		}
		if !reflect.DeepEqual(got[0], steps) {
			t.Errorf("%s:\n got  %v\n want %v", s, got[0], steps)
		}
	}
	var names []string
	for _, ad := range a.Admins {
		names = append(names, fmt.Sprintf("%s direct=%v builtin=%v steps=%d", ad.Subject, ad.Direct, ad.Builtin, len(ad.Path)))
	}
	wantAdmins := []string{
		"User alice direct=false builtin=false steps=2",
		"User bob direct=false builtin=false steps=3",
		"Group system:masters direct=true builtin=true steps=1",
		"ServiceAccount ci/deployer direct=true builtin=false steps=1",
		"ServiceAccount web/frontend direct=false builtin=false steps=2",
	}
	if !reflect.DeepEqual(names, wantAdmins) {
		t.Errorf("admins:\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(wantAdmins, "\n"))
	}
	// rbac.Step.To names whom each step makes one act as.
	bob := a.Paths(rbac.SubjectRef{Kind: rbac.KindUser, Name: "bob"})[0]
	if bob[0].To != (rbac.SubjectRef{Kind: rbac.KindServiceAccount, Namespace: "web", Name: "frontend"}) || bob[1].To != (rbac.SubjectRef{Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "deployer"}) {
		t.Errorf("To: %+v, %+v", bob[0].To, bob[1].To)
	}
}

// TestAnalysisOnEveryDump: every dump of the test data, good or partly
// bad, analyses without panicking, and each admin's path is the first of
// its Paths.
func TestAnalysisOnEveryDump(t *testing.T) {
	for _, path := range []string{"testdata/list.yaml", "testdata/list.json", "testdata/multi.yaml", "testdata/typed-list.json",
		"testdata/bad.yaml", "testdata/bad.json", "testdata/unknown.yaml", "testdata/dir", "testdata/snapshot", "../rbac/testdata/analysis",
		"../cli/testdata/rbac/cluster.yaml"} {
		t.Run(path, func(t *testing.T) {
			p, err := Load(path)
			if err != nil {
				t.Skip(err) // a load error is the loader's test
			}
			a := p.Analysis()
			for _, ad := range a.Admins {
				ps := a.Paths(ad.Subject)
				if len(ps) == 0 || !reflect.DeepEqual(ps[0], ad.Path) {
					t.Errorf("%s: Admin.Path %v, Paths %v", ad.Subject, ad.Path, ps)
				}
			}
			for _, r := range a.Risks {
				if r.Detail == "" || len(r.Grants) == 0 {
					t.Errorf("risk without detail or grants: %+v", r)
				}
			}
		})
	}
}
