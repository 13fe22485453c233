package check

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/inputs"
)

// FlagRule is a check of the form "flag X meets Y" written as data: a Go
// literal next to the check's Metadata, in the shape kube-bench gives its
// controls (tests: {bin_op: and, test_items: [{flag, set, compare: {op,
// value}}]}), plus the words apiguard says in each case.
//
//	var profilingRule = check.FlagRule{
//		Tests: []check.FlagTest{{Flag: "profiling", Op: check.Eq, Value: "false"}},
//		Pass:  "profiling is disabled",
//		Fail:  "profiling is enabled: /debug/pprof is served",
//	}
//	var ProfilingDisabled = profilingRule.Check(profilingMeta)
//
// Evaluate is the one function that judges every such rule.
type FlagRule struct {
	// Tests must all hold (kube-bench's bin_op: and). Two tests name flags
	// that go together, such as a certificate and its key.
	Tests []FlagTest
	// Pass is the message when every test holds; Fail when none does.
	// "{value}" stands for the first flag's effective value.
	Pass, Fail string
	// Partial, for flags that go together, is the message when some tests
	// hold and others do not: "{set}" stands for the first flag that meets
	// its test, "{unset}" for the first that does not. Without it, Fail.
	Partial string
	// Else is the status when the rule does not hold: Fail (the zero value)
	// or Warn, for a setting that is risky but has a legitimate use.
	Else Status
	// Invalid, when set, is added to the parser's own error for a value
	// kube-apiserver cannot parse ("kube-apiserver refuses to start").
	Invalid string
}

// FlagTest is one test item: a flag and what its effective value (the last
// occurrence, else the version's default) must meet.
type FlagTest struct {
	Flag  string
	Op    Op
	Value string
}

// Op compares a flag's effective value with FlagTest.Value.
type Op string

const (
	// Set: the flag is written with a non-blank value (kube-bench's
	// "set: true"); kube-apiserver treats "--etcd-cafile=" like no flag.
	Set Op = "set"
	// Eq: the value equals Value. For boolean flags both are read as
	// kube-apiserver reads them (strconv.ParseBool: "1", "t", "TRUE", a bare
	// flag), and a value it cannot read fails the rule.
	Eq Op = "eq"
	// NotEq: the value differs from Value, compared as text; NotEq "" is "the
	// flag has a value", where a value of spaces counts.
	NotEq Op = "noteq"
)

// Check is the check with metadata m and this rule: one finding per
// kube-apiserver, or one not-assessable finding when none is visible.
func (r FlagRule) Check(m Metadata) Check { return PerServer(m, r.Evaluate) }

// Evaluate judges the rule on one kube-apiserver's flags. The evidence is
// every tested flag; a finding that asks for action is placed at the flag
// written on the command line that it is about.
func (r FlagRule) Evaluate(m Metadata, a *inputs.APIServer, f *apiserverflags.Flags) Finding {
	vals := make([]apiserverflags.Value, len(r.Tests))
	ev := make([]Evidence, len(r.Tests))
	var met, unmet []apiserverflags.Value
	for i, t := range r.Tests {
		if err := t.valid(); err != nil {
			return m.Result(Error, a.Name, err.Error())
		}
		vals[i] = f.Get(t.Flag)
		ev[i] = FlagEvidence(vals[i])
		ok, err := t.holds(vals[i])
		if err != nil {
			msg := err.Error()
			if r.Invalid != "" {
				msg += ": " + r.Invalid
			}
			res := m.Result(Fail, a.Name, msg, FlagEvidence(vals[i]))
			res.Location = FlagLocation(vals[i])
			return res
		}
		if ok {
			met = append(met, vals[i])
		} else {
			unmet = append(unmet, vals[i])
		}
	}
	var value string
	if len(vals) > 0 {
		value = vals[0].Value
	}
	if len(unmet) == 0 {
		return m.Result(Pass, a.Name, strings.ReplaceAll(r.Pass, "{value}", value), ev...)
	}
	status := r.Else
	if status == "" {
		status = Fail
	}
	if len(met) > 0 && r.Partial != "" {
		msg := strings.NewReplacer("{set}", met[0].Key(), "{unset}", unmet[0].Key()).Replace(r.Partial)
		res := m.Result(status, a.Name, msg, ev...)
		res.Location = FlagLocation(met[0])
		return res
	}
	res := m.Result(status, a.Name, strings.ReplaceAll(r.Fail, "{value}", value), ev...)
	for _, v := range vals {
		if v.Set {
			res.Location = FlagLocation(v)
			break
		}
	}
	return res
}

// holds reports whether v meets the test; an error says the value is one
// kube-apiserver cannot parse.
func (t FlagTest) holds(v apiserverflags.Value) (bool, error) {
	switch {
	case t.Op == Set:
		return v.Set && strings.TrimSpace(v.Value) != "", nil
	case t.Op == NotEq:
		return v.Value != t.Value, nil
	case !apiserverflags.IsBool(t.Flag):
		return v.Value == t.Value, nil
	}
	got, err := v.Bool()
	want, _ := strconv.ParseBool(t.Value) // checked by valid
	return got == want, err
}

// valid says what is wrong with the test itself, a mistake in its literal.
func (t FlagTest) valid() error {
	switch t.Op {
	case Set, NotEq:
		return nil
	case Eq:
		if _, err := strconv.ParseBool(t.Value); err != nil && apiserverflags.IsBool(t.Flag) {
			return fmt.Errorf("flag rule: --%s is a boolean flag, but the test compares it with %q", t.Flag, t.Value)
		}
		return nil
	}
	return fmt.Errorf("flag rule: --%s: unknown op %q", t.Flag, t.Op)
}
