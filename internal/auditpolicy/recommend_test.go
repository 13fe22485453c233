package auditpolicy

import (
	"os"
	"strings"
	"testing"

	audit "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
)

// TestRecommended: every profile loads in kube-apiserver's own loader,
// passes lint with no finding, and logs every need at exactly its intended
// level (as a user and as a service account), omitting RequestReceived and
// managed fields.
func TestRecommended(t *testing.T) {
	for _, pr := range Profiles {
		t.Run(string(pr), func(t *testing.T) {
			data := Recommend(pr)
			if _, err := policy.LoadPolicyFromBytes(data); err != nil {
				t.Fatalf("kube-apiserver refuses it: %v\n%s", err, data)
			}
			p := mustLoad(t, string(data))
			if len(p.Problems) > 0 || p.Refused {
				t.Fatalf("problems: %+v", p.Problems)
			}
			if fs := Lint(p); len(fs) > 0 {
				t.Fatalf("lint findings:\n%s", render(fs))
			}
			want := Intended(pr)
			if len(want) != len(Needs) {
				t.Errorf("intended levels for %d needs, %d needs", len(want), len(Needs))
			}
			ev := NewEvaluator(p.Internal)
			for _, n := range Needs {
				for _, id := range []Identity{HumanUser, ServiceAccount} {
					d := ev.EvaluateRequest(n.canonical(id))
					if d.Level != want[n.ID] {
						t.Errorf("%s as %s: %s (rule %d), intended %s", n.ID, id.Name, d.Level, d.RuleIndex, want[n.ID])
					}
					if n.Min != "" && levelRank(d.Level) < levelRank(n.Min) || n.Max != "" && levelRank(d.Level) > levelRank(n.Max) {
						t.Errorf("%s: %s is outside [%s, %s]", n.ID, d.Level, n.Min, n.Max)
					}
					if d.Level != audit.LevelNone && (!d.Omits(audit.StageRequestReceived) || !d.OmitManagedFields) {
						t.Errorf("%s: %+v", n.ID, d)
					}
				}
			}
		})
	}
}

// TestKubeUpPolicy: the policy kube-up writes (GKE's) loads cleanly; lint
// finds what it is known to miss.
func TestKubeUpPolicy(t *testing.T) {
	data, err := os.ReadFile("testdata/kube-up.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, string(data))
	if len(p.Problems) > 0 {
		t.Fatalf("problems: %+v", p.Problems)
	}
	got := map[string]string{}
	for _, f := range Lint(p) {
		got[f.ID] += f.Message + "\n"
	}
	for id, want := range map[string]string{
		"AP013": "delete events web-0.17a in default", // events deletion is dropped with the events
		"AP008": "omitManagedFields is not set",
		"AP010": `group "extensions" is no longer served`,
	} {
		if !strings.Contains(got[id], want) {
			t.Errorf("%s: want %q in\n%s", id, want, got[id])
		}
	}
	// AP004: certificates.k8s.io is a known API at RequestResponse, and a
	// CSR holds no credential; Secrets, ConfigMaps and tokens are at
	// Metadata before it.
	for _, id := range []string{"AP004", "AP005", "AP006", "AP007", "AP014", "AP015"} {
		if got[id] != "" {
			t.Errorf("%s fired: %s", id, got[id])
		}
	}
}
