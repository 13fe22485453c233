// Package auditpolicy reads kube-apiserver audit policies the way
// kube-apiserver does, evaluates requests with kube-apiserver's own policy
// evaluator (k8s.io/apiserver/pkg/audit/policy), lints policies, reports
// which security-relevant requests they record, and writes recommended
// policies.
//
// Loading mirrors policy.LoadPolicyFromBytes: a strict decode first, then,
// on strict errors (unknown or duplicate fields), the lenient decode the
// server falls back to with only a klog warning. Every strict error is kept
// as a problem with its file and line, and the policy still evaluates
// exactly as the server would evaluate it.
package auditpolicy

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	audit "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/apis/audit/validation"
	auditinternal "k8s.io/apiserver/pkg/audit"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/configfile"
)

// Policy is a loaded audit policy.
type Policy struct {
	// File names the policy in messages.
	File string
	// Internal is the policy as kube-apiserver holds it after loading: the
	// internal audit.Policy, decoded strictly or, on strict errors, leniently.
	// Use Evaluator, never mutate it.
	Internal *audit.Policy
	// Problems are what loading found: strict decoding errors, a wrong
	// apiVersion or kind, validation errors, no rules. They are reported by
	// Lint as AP001..AP003.
	Problems []Problem
	// Refused is true when kube-apiserver would refuse the policy and not
	// start (wrong apiVersion or kind, validation errors, no rules). The
	// rules are still decoded, leniently, so the rest can be linted.
	Refused bool

	doc   *doc
	data  []byte
	lines []int // first line of each rule, 0 when unknown
}

// Problem is one loading problem.
type Problem struct {
	// ID is the lint rule reporting it (AP001, AP002 or AP003).
	ID string
	// RuleIndex is the rule it concerns, -1 for the policy as a whole.
	RuleIndex int
	Line      int
	Message   string
}

func (p Problem) String() string { return p.Message }

const (
	apiVersion = "audit.k8s.io/v1"
	kind       = "Policy"
)

var (
	strictDecoder  = serializer.NewCodecFactory(auditinternal.Scheme, serializer.EnableStrict).UniversalDecoder()
	lenientDecoder = auditinternal.Codecs.UniversalDecoder(auditv1.SchemeGroupVersion)
	policyGV       = schema.GroupVersion{Group: "audit.k8s.io", Version: "v1"}
)

// Load reads a policy as kube-apiserver's LoadPolicyFromBytes does and keeps
// every problem it meets. It returns an error only when nothing can be
// evaluated: the file is empty, is not YAML or JSON, or its rules do not
// decode even leniently. file names the policy in messages.
func Load(file string, data []byte) (*Policy, error) {
	p := &Policy{File: file, data: data}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, &configfile.Error{File: file, Message: "the file is empty (kube-apiserver refuses an empty audit policy)"}
	}
	// The node tree, for lines; the decoding itself is the server's. The
	// YAML parser refuses some documents the server's decoders accept (a
	// JSON policy with invalid UTF-8 in a string, which encoding/json
	// replaces with U+FFFD): then lines are unknown, and the parser's error,
	// with its line, is only returned when the server cannot decode either.
	d, docErr := parseDoc(file, data)
	p.doc = d
	if err := p.checkKind(); err != nil {
		return nil, err
	}
	pol, err := p.decode(data)
	if err != nil && docErr != nil {
		return nil, docErr
	}
	return pol, err
}

func (p *Policy) decode(data []byte) (*Policy, error) {
	internal := &audit.Policy{}
	_, gvk, err := strictDecoder.Decode(data, nil, internal)
	if err != nil {
		if !runtime.IsStrictDecodingError(err) {
			return p.fallback(data, err)
		}
		strictErr := err
		internal = &audit.Policy{}
		if _, gvk, err = lenientDecoder.Decode(data, nil, internal); err != nil {
			return p.fallback(data, err)
		}
		p.Internal = internal
		p.strictProblems(strictErr)
	}
	if gvk == nil || gvk.GroupVersion() != policyGV || gvk.Kind != kind {
		// Without apiVersion the scheme decodes the internal type, whose
		// fields have no JSON names: read the rules as v1 instead.
		p.Problems = nil
		return p.fallback(data, fmt.Errorf("unknown group version field %v in policy", gvk))
	}
	p.Internal = internal
	p.finish()
	return p, nil
}

// fallback handles a policy kube-apiserver cannot decode at all (a removed
// apiVersion such as audit.k8s.io/v1beta1, another kind, a type error): the
// server refuses it, but its rules are read leniently as v1 so they can
// still be linted. Only a document that is not an object with rules fails.
func (p *Policy) fallback(data []byte, decodeErr error) (*Policy, error) {
	var v1 auditv1.Policy
	if err := yaml.Unmarshal(data, &v1); err != nil {
		return nil, &configfile.Error{File: p.File, Line: configfile.ErrorLine(decodeErr), Message: "not an audit policy: " + configfile.OneLine(decodeErr.Error())}
	}
	internal := &audit.Policy{}
	if err := auditinternal.Scheme.Convert(&v1, internal, nil); err != nil {
		return nil, &configfile.Error{File: p.File, Message: "not an audit policy: " + err.Error()}
	}
	p.Internal = internal
	if v1.APIVersion != apiVersion || v1.Kind != kind {
		p.wrongType()
	} else {
		p.add(Problem{ID: "AP003", RuleIndex: -1, Line: configfile.ErrorLine(decodeErr),
			Message: "kube-apiserver cannot decode the policy and does not start: " + configfile.OneLine(decodeErr.Error())})
		p.Refused = true
	}
	p.finish()
	return p, nil
}

// checkKind refuses a document that is not an audit policy at all:
// another kind (a List, an Event, a Pod), or a Policy of another API group.
// Linting its "rules" would report findings about a file that was never
// meant as a policy. A Policy of a removed audit.k8s.io version, or
// without apiVersion, is a policy: AP002 reports it and its rules are
// linted; so is an audit.k8s.io document without kind, which kube-apiserver
// loads. A document whose type cannot be read is left to the decoders.
func (p *Policy) checkKind() error {
	tm, err := configfile.Peek(p.data)
	if err != nil {
		return nil
	}
	group, _, _ := strings.Cut(tm.APIVersion, "/")
	switch {
	case tm.Kind == kind && (tm.APIVersion == "" || group == policyGV.Group):
		return nil
	case tm.Kind == "" && group == policyGV.Group:
		return nil // kube-apiserver's decoder takes the kind from the group's only type
	}
	what := fmt.Sprintf("kind %q (apiVersion %q)", tm.Kind, tm.APIVersion)
	if tm.Kind == "" {
		what = "a document without kind"
	}
	msg := what + " is not an audit policy: want apiVersion: " + apiVersion + " and kind: " + kind
	if strings.HasSuffix(tm.Kind, "List") {
		msg += " (a list of objects is not read: give the policy file itself)"
	}
	line := p.doc.Line("kind")
	if tm.Kind == kind || tm.Kind == "" {
		line = p.doc.Line("apiVersion")
	}
	return &configfile.Error{File: p.File, Line: line, Message: msg}
}

func (p *Policy) wrongType() {
	got, _ := configfile.Peek(p.data)
	msg := fmt.Sprintf("apiVersion %q kind %q is not an %s %s: kube-apiserver refuses the policy and does not start", got.APIVersion, got.Kind, apiVersion, kind)
	switch got.APIVersion {
	case "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1":
		msg += " (" + got.APIVersion + " was removed in Kubernetes 1.24; the rules are the same in v1)"
	}
	line := p.doc.Line("apiVersion")
	if got.APIVersion == apiVersion {
		line = p.doc.Line("kind")
	}
	p.add(Problem{ID: "AP002", RuleIndex: -1, Line: line, Message: msg})
	p.Refused = true
}

func (p *Policy) finish() {
	p.lines = make([]int, len(p.Internal.Rules))
	for i := range p.Internal.Rules {
		l := p.doc.Line("rules", strconv.Itoa(i))
		if l == p.doc.Line("rules") && i > 0 {
			l = 0
		}
		p.lines[i] = l
	}
	// Duplicate keys are reported by line only: find their rule.
	for k := range p.Problems {
		if p.Problems[k].RuleIndex == -2 {
			p.Problems[k].RuleIndex = p.ruleAtLine(p.Problems[k].Line)
		}
	}
	if errs := validation.ValidatePolicy(p.Internal); len(errs) > 0 {
		p.Refused = true
		for _, e := range errs {
			p.validationProblem(e)
		}
	}
	if len(p.Internal.Rules) == 0 {
		p.Refused = true
		p.add(Problem{ID: "AP003", RuleIndex: -1, Line: p.doc.Line("rules"),
			Message: "the policy has no rules: kube-apiserver refuses it (\"loaded illegal policy with 0 rules\") and does not start"})
	}
	sort.SliceStable(p.Problems, func(i, j int) bool { return p.Problems[i].Line < p.Problems[j].Line })
}

func (p *Policy) add(pr Problem) { p.Problems = append(p.Problems, pr) }

var (
	unknownFieldRE = regexp.MustCompile(`^unknown field "([^"]+)"$`)
	yamlLineRE     = regexp.MustCompile(`line (\d+): (.*)$`)
	pathPartRE     = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)
)

// strictProblems turns a strict decoding error into one problem per field.
func (p *Policy) strictProblems(err error) {
	se, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		return
	}
	for _, e := range se.Errors() {
		for _, msg := range strings.Split(e.Error(), "\n") {
			msg = strings.TrimSpace(msg)
			if msg == "" || msg == "yaml: unmarshal errors:" {
				continue
			}
			if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
				path := splitPath(m[1])
				idx := ruleOf(path)
				text := fmt.Sprintf("unknown field %q: kube-apiserver only logs a warning, decodes the policy leniently and ignores the field", m[1])
				text += p.unknownConsequence(path, idx)
				p.add(Problem{ID: "AP001", RuleIndex: idx, Line: p.doc.Line(path...), Message: text})
				continue
			}
			if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
				line, _ := strconv.Atoi(m[1])
				text := m[2]
				if strings.Contains(text, "already set in map") {
					text = "duplicate " + strings.TrimPrefix(text, "key ") + ": kube-apiserver only logs a warning and keeps the last value"
				}
				p.add(Problem{ID: "AP001", RuleIndex: -2, Line: line, Message: text})
				continue
			}
			p.add(Problem{ID: "AP001", RuleIndex: -1, Message: "strict decoding: " + msg})
		}
	}
}

// unknownConsequence explains what ignoring a misspelled rule field does.
func (p *Policy) unknownConsequence(path []string, idx int) string {
	if idx < 0 || len(path) != 3 {
		if len(path) == 1 {
			if s := suggest(path[0], []string{"apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields"}); s != "" {
				return " (did you mean " + strconv.Quote(s) + "?)"
			}
		}
		return ""
	}
	field := path[2]
	s := suggest(field, []string{"level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs", "omitStages", "omitManagedFields"})
	out := ""
	if s != "" {
		out = " (did you mean " + strconv.Quote(s) + "?)"
	}
	var r *audit.PolicyRule
	if p.Internal != nil && idx < len(p.Internal.Rules) {
		r = &p.Internal.Rules[idx]
	}
	switch {
	case r == nil:
	case s == "omitStages":
		out += fmt.Sprintf("; rule %d omits no stage of its own", idx)
	case s == "omitManagedFields":
		out += fmt.Sprintf("; rule %d follows the policy's omitManagedFields", idx)
	case s == "level":
	case len(r.Users) == 0 && len(r.UserGroups) == 0 && len(r.Verbs) == 0 && len(r.Resources) == 0 &&
		len(r.Namespaces) == 0 && len(r.NonResourceURLs) == 0:
		out += fmt.Sprintf("; without it rule %d matches every request", idx)
	case s != "":
		out += fmt.Sprintf("; without it rule %d matches more requests than written", idx)
	}
	return out
}

// suggest returns the candidate a misspelling most likely meant.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// splitPath turns "rules[0].resources[1].group" into rules, 0, resources, 1, group.
func splitPath(s string) []string {
	var out []string
	for _, m := range pathPartRE.FindAllStringSubmatch(s, -1) {
		if m[1] != "" {
			out = append(out, m[1])
		} else {
			out = append(out, m[2])
		}
	}
	return out
}

// ruleOf returns the rule index a field path is under, or -1.
func ruleOf(path []string) int {
	if len(path) >= 2 && path[0] == "rules" {
		if i, err := strconv.Atoi(path[1]); err == nil {
			return i
		}
	}
	return -1
}

func (p *Policy) validationProblem(e *field.Error) {
	path := splitPath(e.Field)
	idx := ruleOf(path)
	line := p.doc.Line(path...)
	// validateResources names "rules[i].resources.group" without the index
	// of the entry: find the entry by its value.
	if idx >= 0 && len(path) == 4 && path[2] == "resources" && idx < len(p.Internal.Rules) {
		for k, gr := range p.Internal.Rules[idx].Resources {
			if (path[3] == "group" && fmt.Sprint(e.BadValue) == gr.Group) ||
				(path[3] == "resourceNames" && len(gr.ResourceNames) > 0 && len(gr.Resources) == 0) {
				line = p.doc.Line("rules", path[1], "resources", strconv.Itoa(k), path[3])
				break
			}
		}
	}
	msg := configfile.OneLine(e.Error())
	if idx >= 0 && len(path) == 4 && path[3] == "group" && strings.Contains(fmt.Sprint(e.BadValue), "/") {
		msg += " (a group has no version: write " + strconv.Quote(strings.SplitN(fmt.Sprint(e.BadValue), "/", 2)[0]) + ")"
	}
	p.add(Problem{ID: "AP003", RuleIndex: idx, Line: line, Message: "kube-apiserver refuses the policy and does not start: " + msg})
}

// ruleAtLine returns the rule whose text holds line, or -1.
func (p *Policy) ruleAtLine(line int) int {
	idx := -1
	for i, l := range p.lines {
		if l > 0 && l <= line {
			idx = i
		}
	}
	return idx
}

// RuleLine returns the first line of rule i, or 0.
func (p *Policy) RuleLine(i int) int {
	if i < 0 || i >= len(p.lines) {
		return 0
	}
	return p.lines[i]
}

// Line returns the line of a field path such as "rules", "3", "verbs".
func (p *Policy) Line(path ...string) int { return p.doc.Line(path...) }
