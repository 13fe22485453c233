package detect

import (
	"os"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/auditlog"
)

// FuzzRules: no rules file panics the loader.
func FuzzRules(f *testing.F) {
	for _, n := range []string{"rules/1-initial-access.yaml", "rules/4-privilege-escalation.yaml"} {
		data, err := builtinFS.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("rules:\n- id: x\n  condition: event.verb == 'get'\n  window: {count: 3, within: 1m, by: 'event.verb'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules("fuzz.yaml", data)
		if err == nil {
			if _, err := New(rs, Options{}); err != nil && !strings.Contains(err.Error(), "defined twice") {
				t.Fatalf("compiled rules refused by New: %v", err)
			}
		}
	})
}

// FuzzEngine: any decodable event goes through every built-in rule without
// a panic and without an evaluation error (the rules guard every field they
// read, whatever the bodies hold).
func FuzzEngine(f *testing.F) {
	data, err := os.ReadFile("../cli/testdata/auditscan/lab.log")
	if err != nil {
		f.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if i%3 == 0 && len(line) < 6000 {
			f.Add([]byte(line))
		}
	}
	f.Add([]byte(`{"auditID":"x","verb":"create","objectRef":{"resource":"pods"},"requestObject":[1,2],"annotations":{"authorization.k8s.io/decision":"allow"}}`))
	f.Add([]byte(`{"auditID":"x","verb":"patch","objectRef":{"resource":"deployments"},"requestObject":{"spec":{"template":{"spec":{"containers":"no","volumes":[1,{"hostPath":{"path":5}}]}}}},"responseObject":{"kind":"Status"},"annotations":{"authorization.k8s.io/decision":"allow"}}`))
	rules := Builtin()
	f.Fuzz(func(t *testing.T, line []byte) {
		evs, err := auditlog.NewLineDecoder().Decode(line, nil)
		if err != nil {
			return
		}
		e, err := New(rules, Options{AllowCIDRs: prefixes("10.0.0.0/8"), PodCIDRs: prefixes("10.244.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			e.Process(&evs[i])
		}
		for _, st := range e.Stats() {
			if st.Errors > 0 {
				t.Fatalf("rule %s: %s", st.Rule, st.LastError)
			}
		}
	})
}
