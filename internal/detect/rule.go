package detect

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	yaml "go.yaml.in/yaml/v3"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// Tactics are the MITRE ATT&CK tactics rules are grouped by, in the order
// catalogues list them.
var Tactics = []string{
	"initial-access", "execution", "persistence", "privilege-escalation",
	"defense-evasion", "credential-access", "discovery", "lateral-movement",
	"collection", "impact",
}

// TacticTitle is the display name of a tactic.
func TacticTitle(t string) string {
	switch t {
	case "initial-access":
		return "Initial access"
	case "execution":
		return "Execution"
	case "persistence":
		return "Persistence"
	case "privilege-escalation":
		return "Privilege escalation"
	case "defense-evasion":
		return "Defense evasion"
	case "credential-access":
		return "Credential access"
	case "discovery":
		return "Discovery"
	case "lateral-movement":
		return "Lateral movement"
	case "collection":
		return "Collection"
	case "impact":
		return "Impact"
	}
	return t
}

// Levels are the audit levels in increasing order of detail.
var Levels = []string{"None", "Metadata", "Request", "RequestResponse"}

func levelRank(l string) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Params are the scan parameters rules may require (params.NAME in CEL).
var Params = []string{"allowCIDRs", "podCIDRs", "nodeCIDRs"}

// Request is a representative request of a rule: the request the rule is
// about, evaluated against an audit policy to tell whether the policy
// records it at the level the rule needs.
type Request struct {
	User        string   `yaml:"user" json:"user"`
	Groups      []string `yaml:"groups,omitempty" json:"groups,omitempty"`
	Verb        string   `yaml:"verb" json:"verb"`
	APIGroup    string   `yaml:"apiGroup,omitempty" json:"apiGroup,omitempty"`
	APIVersion  string   `yaml:"apiVersion,omitempty" json:"apiVersion,omitempty"`
	Resource    string   `yaml:"resource,omitempty" json:"resource,omitempty"`
	Subresource string   `yaml:"subresource,omitempty" json:"subresource,omitempty"`
	Namespace   string   `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Name        string   `yaml:"name,omitempty" json:"name,omitempty"`
	// Path is the URL path of a non-resource request (/api, /healthz).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
}

func (r Request) String() string {
	who := r.User
	if who == "" {
		who = "(any user)"
	}
	if r.Path != "" {
		return fmt.Sprintf("%s %s %s", who, r.Verb, r.Path)
	}
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.APIGroup != "" {
		res += "." + r.APIGroup
	}
	ns := ""
	if r.Namespace != "" {
		ns = " -n " + r.Namespace
	}
	return fmt.Sprintf("%s %s %s%s", who, r.Verb, res, ns)
}

// Window makes a rule count: it alerts when Count matching events share a
// key (By) within Within, counting each audit ID once, or when Distinct is
// set, Count distinct values of it. After alerting, a key stays quiet for
// Within. Count 1 alerts on the first event of each key, then once per
// Within at most (for rules that would otherwise alert on every request).
type Window struct {
	Count  int      `yaml:"count" json:"count"`
	Within Duration `yaml:"within" json:"within"`
	// By is a CEL expression of type string (default identity(event): the
	// impersonated user when there is one, else the authenticated one).
	By string `yaml:"by,omitempty" json:"by,omitempty"`
	// Distinct is an optional CEL expression of type string.
	Distinct string `yaml:"distinct,omitempty" json:"distinct,omitempty"`
}

// UnmarshalYAML reads a window as a mapping or, in the flat spelling, as
// its duration alone (`window: 5m`, the count given by the rule's
// threshold).
func (w *Window) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&w.Within)
	}
	type plain Window
	return n.Decode((*plain)(w))
}

// Sequence is a pattern over several events: After are the CEL conditions
// (of type bool) of the steps before the rule's condition, in order; every
// step's event gives the same By key (CEL, of type string; default
// identity(event)), all within Within of the first.
type Sequence struct {
	After  []string `yaml:"after" json:"after"`
	Within Duration `yaml:"within" json:"within"`
	By     string   `yaml:"by,omitempty" json:"by,omitempty"`
	// Absent inverts a one-step sequence: the condition alerts when no
	// event matched After[0] with its key within Within before it.
	Absent bool `yaml:"absent,omitempty" json:"absent,omitempty"`
}

// FirstSeen remembers the keys (By: CEL string, default identity(event))
// of the events matching the condition and, with Value (CEL string), the
// values seen with each key. Without Value a key never seen alerts; with
// it, a value new to a key that already had one. Nothing alerts while the
// rule is learning: the first Learn of event time it sees (Options.Learn
// overrides it).
type FirstSeen struct {
	By    string   `yaml:"by,omitempty" json:"by,omitempty"`
	Value string   `yaml:"value,omitempty" json:"value,omitempty"`
	Learn Duration `yaml:"learn" json:"learn"`
}

// Describe says what is remembered and what alerts.
func (f *FirstSeen) Describe() string {
	by := f.By
	if by == "" {
		by = DefaultBy
	}
	if f.Value == "" {
		return "a `" + by + "` never seen"
	}
	return "a `" + f.Value + "` never seen for its `" + by + "`"
}

// MaxFirstSeenValues bounds the values remembered per key of a firstSeen
// rule (beyond, an arbitrary one is forgotten).
const MaxFirstSeenValues = 64

// MaxSequenceSteps bounds Sequence.After.
const MaxSequenceSteps = 4

// Duration is a time.Duration written as "5m" in YAML and JSON.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

func (d Duration) MarshalText() ([]byte, error) { return []byte(shortDuration(time.Duration(d))), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %v", b, err)
	}
	*d = Duration(v)
	return nil
}

func shortDuration(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Rule is one detection: metadata, a CEL condition over the event, and
// optionally a window. Rules are data (embedded YAML for the built-in
// catalogue, the same format for --rules files).
type Rule struct {
	ID        string         `yaml:"id" json:"id"`
	Title     string         `yaml:"title" json:"title"`
	Severity  check.Severity `yaml:"severity" json:"severity"`
	Tactic    string         `yaml:"tactic" json:"tactic"`
	Technique string         `yaml:"technique" json:"technique"`
	// EnterpriseTechnique is a more precise ATT&CK technique outside the
	// Containers matrix Technique is from (attackmatrix.go), when there is
	// one.
	EnterpriseTechnique string `yaml:"enterpriseTechnique,omitempty" json:"enterpriseTechnique,omitempty"`
	// MSTechnique is the technique of Microsoft's Threat Matrix for
	// Kubernetes (MS-TA9xxx, msmatrix.go); required of built-in rules,
	// optional in user rule files.
	MSTechnique string `yaml:"msTechnique,omitempty" json:"msTechnique,omitempty"`
	// Level is the audit level the rule needs (Metadata, Request,
	// RequestResponse).
	Level       string  `yaml:"level" json:"level"`
	Description string  `yaml:"description" json:"description"`
	Request     Request `yaml:"request" json:"request"`
	// Sources names the peers whose detections the rule merges.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Params lists the scan parameters the rule reads; it is inactive
	// unless at least one of them is given.
	Params    []string `yaml:"params,omitempty" json:"params,omitempty"`
	Condition string   `yaml:"condition" json:"condition"`
	// Message is an optional CEL expression of type string.
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
	// Window may also be written flat: `window: 5m` with Threshold (its
	// count) and GroupBy (its by) beside it.
	Window *Window `yaml:"window,omitempty" json:"window,omitempty"`
	// Threshold is window.count written beside `window: DURATION`.
	Threshold int `yaml:"threshold,omitempty" json:"-"`
	// GroupBy is the key (by) of the rule's window, sequence or firstSeen,
	// written beside it.
	GroupBy string `yaml:"groupBy,omitempty" json:"-"`
	// Sequence makes the condition the last step of a pattern: the rule
	// alerts when events matched each of Sequence.After in order, then the
	// condition, with one key, within Sequence.Within.
	Sequence *Sequence `yaml:"sequence,omitempty" json:"sequence,omitempty"`
	// FirstSeen alerts when an event matching the condition gives its key
	// a value the key never had, once the key is known and the learning
	// period is over.
	FirstSeen *FirstSeen `yaml:"firstSeen,omitempty" json:"firstSeen,omitempty"`

	// File and Line locate the rule's definition.
	File string `yaml:"-" json:"file,omitempty"`
	Line int    `yaml:"-" json:"-"`

	compiled *compiled
}

// Technique IDs: T1234 or T1234.001.
var techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

type ruleFile struct {
	Rules []yaml.Node `yaml:"rules"`
}

// Error is a problem in a rules file, with its position.
type Error struct {
	File    string
	Line    int
	Rule    string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	b.WriteString(": " + e.Message)
	return b.String()
}

// LoadRules reads a rules file (the format of the built-in catalogue:
// a top-level "rules:" list) and compiles every rule. The file must be a
// regular file of at most fileinput.RulesFileLimit.
func LoadRules(file string) ([]Rule, error) {
	data, err := fileinput.ReadFile(file, fileinput.RulesFile)
	if err != nil {
		return nil, err
	}
	return ParseRules(file, data)
}

// ParseRules parses and compiles rules; name is used in errors.
func ParseRules(name string, data []byte) ([]Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		return nil, &Error{File: name, Message: yamlMessage(err)}
	}
	env, err := environment()
	if err != nil {
		return nil, err
	}
	var (
		rules []Rule
		errs  []error
		seen  = map[string]int{}
	)
	for i := range f.Rules {
		n := &f.Rules[i]
		var r Rule
		if err := n.Decode(&r); err != nil {
			errs = append(errs, &Error{File: name, Line: n.Line, Message: yamlMessage(err)})
			continue
		}
		// Node.Decode ignores KnownFields: check the keys.
		if line, msg := strictNode(n); msg != "" {
			errs = append(errs, &Error{File: name, Line: line, Rule: r.ID, Message: msg})
			continue
		}
		r.File, r.Line = name, n.Line
		if prev, dup := seen[r.ID]; dup && r.ID != "" {
			errs = append(errs, &Error{File: name, Line: n.Line, Rule: r.ID, Message: fmt.Sprintf("duplicate id (first at line %d)", prev)})
			continue
		}
		seen[r.ID] = n.Line
		lines := fieldLines(n)
		if err := r.unflatten(lines); err != nil {
			errs = append(errs, &Error{File: name, Line: n.Line, Rule: r.ID, Message: err.Error()})
			continue
		}
		if err := r.validate(); err != nil {
			errs = append(errs, &Error{File: name, Line: n.Line, Rule: r.ID, Message: err.Error()})
			continue
		}
		if err := r.compile(env, lines); err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	if len(f.Rules) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{File: name, Message: "no rules (want a top-level \"rules:\" list)"})
	}
	return rules, errors.Join(errs...)
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// strictNode finds an unknown key in a rule mapping (or its window or
// request) and returns its line and a message.
func strictNode(n *yaml.Node) (int, string) {
	known := map[string]map[string]bool{
		"rule":      setOf("id", "title", "severity", "tactic", "technique", "enterpriseTechnique", "msTechnique", "level", "description", "request", "sources", "params", "condition", "message", "window", "threshold", "groupBy", "sequence", "firstSeen"),
		"request":   setOf("user", "groups", "verb", "apiGroup", "apiVersion", "resource", "subresource", "namespace", "name", "path"),
		"window":    setOf("count", "within", "by", "distinct"),
		"sequence":  setOf("after", "within", "by", "absent"),
		"firstSeen": setOf("by", "value", "learn"),
	}
	var walk func(n *yaml.Node, ctx string) (int, string)
	walk = func(n *yaml.Node, ctx string) (int, string) {
		if n.Kind != yaml.MappingNode {
			return 0, ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !known[ctx][k.Value] {
				return k.Line, fmt.Sprintf("unknown field %q in %s", k.Value, ctx)
			}
			if ctx == "rule" && (k.Value == "request" || k.Value == "window" || k.Value == "sequence" || k.Value == "firstSeen") {
				if line, msg := walk(n.Content[i+1], k.Value); msg != "" {
					return line, msg
				}
			}
		}
		return 0, ""
	}
	return walk(n, "rule")
}

func setOf(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

// fieldLines maps a rule's keys to the line their value's text starts on.
func fieldLines(n *yaml.Node) map[string]int {
	out := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		line := v.Line
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			line++ // block scalars start on the next line
		}
		out[n.Content[i].Value] = line
		if v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				w := v.Content[j+1]
				l := w.Line
				if w.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					l++
				}
				out[n.Content[i].Value+"."+v.Content[j].Value] = l
				if w.Kind == yaml.SequenceNode {
					for k, x := range w.Content {
						l := x.Line
						if x.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
							l++
						}
						out[fmt.Sprintf("%s.%s[%d]", n.Content[i].Value, v.Content[j].Value, k)] = l
					}
				}
			}
		}
	}
	return out
}

// unflatten moves the flat spelling of a rule's memory (threshold and
// groupBy beside window, sequence or firstSeen) into its canonical
// fields, so the rest of the package and `audit rules -o json` see one
// form; lines learns where groupBy's expression is, for compile errors.
func (r *Rule) unflatten(lines map[string]int) error {
	if r.Threshold != 0 {
		switch {
		case r.Window == nil:
			return errors.New("threshold: needs a window (window: 5m, or window: {count, within})")
		case r.Window.Count != 0 && r.Window.Count != r.Threshold:
			return fmt.Errorf("threshold %d and window.count %d: give one", r.Threshold, r.Window.Count)
		}
		r.Window.Count = r.Threshold
	}
	if r.GroupBy != "" {
		var by *string
		kind := ""
		switch {
		case r.Window != nil:
			by, kind = &r.Window.By, "window"
		case r.Sequence != nil:
			by, kind = &r.Sequence.By, "sequence"
		case r.FirstSeen != nil:
			by, kind = &r.FirstSeen.By, "firstSeen"
		default:
			return errors.New("groupBy: needs a window, sequence or firstSeen to group")
		}
		if *by != "" && *by != r.GroupBy {
			return fmt.Errorf("groupBy and %s.by: give one", kind)
		}
		*by = r.GroupBy
		lines[kind+".by"] = lines["groupBy"]
	}
	r.Threshold, r.GroupBy = 0, ""
	return nil
}

func (r *Rule) validate() error {
	var problems []string
	if !idRE.MatchString(r.ID) {
		problems = append(problems, "id: want letters, digits, '.', '_' or '-'")
	}
	if strings.TrimSpace(r.Title) == "" {
		problems = append(problems, "title: required")
	}
	if !contains(Tactics, r.Tactic) {
		problems = append(problems, fmt.Sprintf("tactic %q: want one of %s", r.Tactic, strings.Join(Tactics, ", ")))
	}
	if !techniqueRE.MatchString(r.Technique) {
		problems = append(problems, fmt.Sprintf("technique %q: want a MITRE ATT&CK technique ID (T1234 or T1234.001)", r.Technique))
	}
	if r.EnterpriseTechnique != "" && !techniqueRE.MatchString(r.EnterpriseTechnique) {
		problems = append(problems, fmt.Sprintf("enterpriseTechnique %q: want a MITRE ATT&CK technique ID (T1234 or T1234.001)", r.EnterpriseTechnique))
	}
	if r.MSTechnique != "" {
		if _, ok := msTechniques[r.MSTechnique]; !ok {
			problems = append(problems, fmt.Sprintf("msTechnique %q: want a technique ID of the Threat Matrix for Kubernetes (MS-TA9001 to MS-TA9042)", r.MSTechnique))
		}
	}
	if levelRank(r.Level) < 1 {
		problems = append(problems, fmt.Sprintf("level %q: want Metadata, Request or RequestResponse", r.Level))
	}
	if strings.TrimSpace(r.Condition) == "" {
		problems = append(problems, "condition: required")
	}
	if r.Request.Verb == "" || (r.Request.Resource == "" && r.Request.Path == "") {
		problems = append(problems, "request: want a verb and a resource or path (the representative request)")
	}
	if r.Request.Resource != "" && r.Request.Path != "" {
		problems = append(problems, "request: resource and path are exclusive")
	}
	for _, p := range r.Params {
		if !contains(Params, p) {
			problems = append(problems, fmt.Sprintf("params: unknown %q (want %s)", p, strings.Join(Params, ", ")))
		}
	}
	if w := r.Window; w != nil {
		if w.Count < 1 || w.Count > 10000 {
			problems = append(problems, "window.count (or threshold): want 1 to 10000")
		}
		if w.Within <= 0 || time.Duration(w.Within) > 24*time.Hour {
			problems = append(problems, "window.within: want a duration up to 24h")
		}
	}
	if s := r.Sequence; s != nil {
		if r.Window != nil {
			problems = append(problems, "sequence and window: a rule has one or the other")
		}
		if len(s.After) < 1 || len(s.After) > MaxSequenceSteps {
			problems = append(problems, fmt.Sprintf("sequence.after: want 1 to %d conditions", MaxSequenceSteps))
		}
		// an absent sequence keeps one time per key, and "not seen in the
		// last month" is what it is for: it may look back 90 days
		if maxWithin := 24 * time.Hour; s.Within <= 0 || time.Duration(s.Within) > maxWithin && !(s.Absent && time.Duration(s.Within) <= 90*maxWithin) {
			problems = append(problems, "sequence.within: want a duration up to 24h (90 days with absent: true)")
		}
		if s.Absent && len(s.After) != 1 {
			problems = append(problems, "sequence.absent: want exactly one step in after")
		}
	}
	if f := r.FirstSeen; f != nil {
		if r.Window != nil || r.Sequence != nil {
			problems = append(problems, "firstSeen: a rule has one of window, sequence and firstSeen")
		}
		if f.Learn < Duration(time.Minute) || time.Duration(f.Learn) > 90*24*time.Hour {
			problems = append(problems, "firstSeen.learn: want a duration from 1m to 2160h (90 days)")
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// compiled is a rule ready to run.
type compiled struct {
	cond     cel.Program
	message  cel.Program
	by       cel.Program
	distinct cel.Program
	pre      prefilter
	// steps are a sequence's earlier steps; last is the condition's own
	// prefilter (pre is then open: the steps may be of other resources).
	steps []step
	last  prefilter
}

// step is one earlier step of a sequence.
type step struct {
	cond cel.Program
	pre  prefilter
}

var (
	envOnce sync.Once
	envVal  *cel.Env
	envErr  error
)

func environment() (*cel.Env, error) {
	envOnce.Do(func() { envVal, envErr = celEnv() })
	return envVal, envErr
}

func (r *Rule) compile(env *cel.Env, lines map[string]int) error {
	c := &compiled{}
	prog := func(field, src string, want *cel.Type) (cel.Program, *celast.AST, error) {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			line := lines[field]
			var msgs []string
			for i, e := range iss.Errors() {
				if i == 0 && e.Location != nil && e.Location.Line() > 0 {
					line += e.Location.Line() - 1
				}
				msgs = append(msgs, e.Message)
			}
			return nil, nil, &Error{File: r.File, Line: line, Rule: r.ID, Message: field + ": " + strings.Join(msgs, "; ")}
		}
		if !ast.OutputType().IsAssignableType(want) && ast.OutputType() != cel.DynType {
			return nil, nil, &Error{File: r.File, Line: lines[field], Rule: r.ID, Message: fmt.Sprintf("%s: the expression is of type %s, want %s", field, ast.OutputType(), want)}
		}
		if id, err := checkPaths(ast.NativeRep().Expr()); err != nil {
			line := lines[field]
			if loc := ast.NativeRep().SourceInfo().GetStartLocation(id); loc.Line() > 0 {
				line += loc.Line() - 1
			}
			return nil, nil, &Error{File: r.File, Line: line, Rule: r.ID, Message: field + ": " + err.Error()}
		}
		if err := checkParams(ast.NativeRep().Expr(), r.Params); err != nil {
			return nil, nil, &Error{File: r.File, Line: lines[field], Rule: r.ID, Message: field + ": " + err.Error()}
		}
		p, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			return nil, nil, &Error{File: r.File, Line: lines[field], Rule: r.ID, Message: field + ": " + err.Error()}
		}
		return p, ast.NativeRep(), nil
	}
	var (
		ast *celast.AST
		err error
	)
	if c.cond, ast, err = prog("condition", r.Condition, cel.BoolType); err != nil {
		return err
	}
	c.pre = extractPrefilter(ast.Expr())
	if r.Message != "" {
		if c.message, _, err = prog("message", r.Message, cel.StringType); err != nil {
			return err
		}
	}
	if w := r.Window; w != nil {
		by := w.By
		if by == "" {
			by = DefaultBy
		}
		if c.by, _, err = prog("window.by", by, cel.StringType); err != nil {
			return err
		}
		if w.Distinct != "" {
			if c.distinct, _, err = prog("window.distinct", w.Distinct, cel.StringType); err != nil {
				return err
			}
		}
	}
	if f := r.FirstSeen; f != nil {
		by := f.By
		if by == "" {
			by = DefaultBy
		}
		if c.by, _, err = prog("firstSeen.by", by, cel.StringType); err != nil {
			return err
		}
		if f.Value != "" {
			if c.distinct, _, err = prog("firstSeen.value", f.Value, cel.StringType); err != nil {
				return err
			}
		}
	}
	if s := r.Sequence; s != nil {
		by := s.By
		if by == "" {
			by = DefaultBy
		}
		if c.by, _, err = prog("sequence.by", by, cel.StringType); err != nil {
			return err
		}
		for k, src := range s.After {
			field := fmt.Sprintf("sequence.after[%d]", k)
			if lines[field] == 0 {
				lines[field] = lines["sequence.after"]
			}
			p, ast, err := prog(field, src, cel.BoolType)
			if err != nil {
				return err
			}
			c.steps = append(c.steps, step{cond: p, pre: extractPrefilter(ast.Expr())})
		}
		// any step may be of another resource than the last: the rule is
		// tried on every event, each step behind its own prefilter
		// (without the conjuncts on parameters: the conditions test them)
		c.last, c.pre = c.pre, prefilter{}
		c.last.withParams = nil
		for k := range c.steps {
			c.steps[k].pre.withParams = nil
		}
	}
	r.compiled = c
	return nil
}

// checkPaths rejects selections of event fields that do not exist
// (event.verbb, event.objectRef.resoruce), which would otherwise fail at
// run time on every event and never alert.
func checkPaths(e celast.Expr) (int64, error) {
	var (
		err error
		id  int64
	)
	celast.PostOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		if err != nil || x.Kind() != celast.SelectKind {
			return
		}
		sel := x.AsSelect()
		op := sel.Operand()
		switch op.Kind() {
		case celast.IdentKind:
			if op.AsIdent() == "event" && !contains(fields[kEvent], sel.FieldName()) {
				err = fmt.Errorf("event has no field %q (fields: %s)", sel.FieldName(), strings.Join(fields[kEvent], ", "))
				id = x.ID()
			}
		case celast.SelectKind:
			inner := op.AsSelect()
			if inner.Operand().Kind() == celast.IdentKind && inner.Operand().AsIdent() == "event" {
				if k, ok := subObject[inner.FieldName()]; ok && !contains(fields[k], sel.FieldName()) {
					err = fmt.Errorf("event.%s has no field %q (fields: %s)", inner.FieldName(), sel.FieldName(), strings.Join(fields[k], ", "))
					id = x.ID()
				}
			}
		}
	}))
	return id, err
}

// checkParams requires every params.X the expression reads to be a known
// parameter declared in the rule's params.
func checkParams(e celast.Expr, declared []string) error {
	var err error
	celast.PostOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		if err != nil || x.Kind() != celast.SelectKind {
			return
		}
		sel := x.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "params" {
			if !contains(Params, sel.FieldName()) {
				err = fmt.Errorf("unknown parameter params.%s (want %s)", sel.FieldName(), strings.Join(Params, ", "))
			} else if !contains(declared, sel.FieldName()) {
				err = fmt.Errorf("params.%s is read but not declared in the rule's params", sel.FieldName())
			}
		}
	}))
	return err
}

//go:embed rules/*.yaml
var builtinFS embed.FS

var (
	builtinOnce  sync.Once
	builtinRules []Rule
	builtinErr   error
)

// Builtin returns the built-in catalogue (compiled once; the slice is a
// copy the caller may modify).
func Builtin() []Rule {
	builtinOnce.Do(func() {
		names, _ := fs.Glob(builtinFS, "rules/*.yaml")
		sort.Strings(names)
		// One file per goroutine: compiling is most of apiguard's start-up.
		rules := make([][]Rule, len(names))
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data, _ := builtinFS.ReadFile(n)
				rules[i], errs[i] = ParseRules("builtin:"+strings.TrimPrefix(n, "rules/"), data)
			}()
		}
		wg.Wait()
		for i := range names {
			builtinRules = append(builtinRules, rules[i]...)
			builtinErr = errors.Join(builtinErr, errs[i])
		}
	})
	if builtinErr != nil {
		panic("detect: the built-in rules do not compile: " + builtinErr.Error())
	}
	return append([]Rule(nil), builtinRules...)
}

// SortRules orders rules by tactic (catalogue order), then ID.
func SortRules(rules []Rule) {
	rank := func(t string) int {
		for i, x := range Tactics {
			if x == t {
				return i
			}
		}
		return len(Tactics)
	}
	sort.SliceStable(rules, func(i, j int) bool {
		if a, b := rank(rules[i].Tactic), rank(rules[j].Tactic); a != b {
			return a < b
		}
		return rules[i].ID < rules[j].ID
	})
}
