// Package apiserverflags turns a kube-apiserver argv into typed flags with the
// semantics kube-apiserver (spf13/pflag) applies: "--f=v" and "--f v", bare
// booleans, the last occurrence wins, comma lists, and defaults that depend on
// the Kubernetes version. Every value remembers where it was written.
package apiserverflags

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/versions"
)

// Arg is one argv element and where it was written.
type Arg struct {
	Text string
	// Source is a human location: "file.yaml:12", "pod kube-system/x", "argv[3]".
	Source string
	// File and Line locate the argument in a file when it came from one.
	File string
	Line int
}

// Value is the effective value of one flag.
type Value struct {
	Name  string // without dashes
	Value string
	// Set is true when the flag was written on the command line; false means
	// Value is the version's default (or "" when there is none).
	Set bool
	// Source says where the value came from, e.g. "kube-apiserver.yaml:23" or
	// "default for v1.36".
	Source string
	File   string
	Line   int
}

// Key is the flag as it is written, with dashes: the evidence key.
func (v Value) Key() string { return "--" + v.Name }

// List splits a comma-separated value, dropping blanks.
func (v Value) List() []string { return SplitList(v.Value) }

// Has reports whether the comma list contains item (exact, case-sensitive,
// as kube-apiserver compares plugin and mode names).
func (v Value) Has(item string) bool {
	for _, x := range v.List() {
		if x == item {
			return true
		}
	}
	return false
}

// Bool parses the value as pflag does (strconv.ParseBool).
func (v Value) Bool() (bool, error) {
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		return false, fmt.Errorf("%s: %s=%q is not a boolean", v.Source, v.Key(), v.Value)
	}
	return b, nil
}

// Int parses an integer value as pflag's IntVar does (strconv.ParseInt with
// base 0: "030" is octal 24, "0x1e" is 30, blanks are refused).
func (v Value) Int() (int, error) {
	n, err := strconv.ParseInt(v.Value, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %s=%q is not an integer", v.Source, v.Key(), v.Value)
	}
	return int(n), nil
}

// SplitList splits a comma list as pflag's StringSlice does: items are not
// trimmed (kube-apiserver rejects "Node, RBAC" because " RBAC" is no mode,
// so apiguard must not see RBAC there either); empty items are dropped.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Problem is an argv element that kube-apiserver would not accept as written.
type Problem struct {
	Arg     Arg
	Message string
}

func (p Problem) Error() string { return p.Arg.Source + ": " + p.Message }

// Flags is a parsed kube-apiserver command line.
type Flags struct {
	occurrences map[string][]Value
	order       []string
	// Binary is argv[0] when it named the program ("kube-apiserver").
	Binary   string
	Problems []Problem
	version  versions.Version
	assumed  bool
}

// Parse reads argv. args[0] is taken as the binary when it does not start
// with "-". Version selects the defaults; a zero version means "unknown" and
// defaults are taken from the newest version apiguard knows, said so in Source.
func Parse(args []Arg, version versions.Version) *Flags {
	f := &Flags{occurrences: map[string][]Value{}}
	f.SetVersion(version)
	i := 0
	if len(args) > 0 && !strings.HasPrefix(args[0].Text, "-") {
		f.Binary = args[0].Text
		i = 1
	}
	for ; i < len(args); i++ {
		a := args[i]
		text := a.Text
		switch {
		case text == "":
			// kube-apiserver's command accepts empty positional arguments
			// (its Args check refuses only non-empty ones).
			continue
		case text == "--":
			for _, rest := range args[i+1:] {
				if rest.Text == "" {
					continue
				}
				f.Problems = append(f.Problems, Problem{rest, fmt.Sprintf("positional argument %q: kube-apiserver takes none", rest.Text)})
			}
			return f
		case strings.HasPrefix(text, "--"):
			name, val, hasVal := strings.Cut(text[2:], "=")
			// kube-apiserver's cli.Run normalises "_" to "-" in flag names:
			// --authorization_mode is --authorization-mode.
			name = strings.ReplaceAll(name, "_", "-")
			if name == "" || strings.HasPrefix(name, "-") {
				f.Problems = append(f.Problems, Problem{a, fmt.Sprintf("malformed flag %q", text)})
				continue
			}
			if !hasVal {
				if IsBool(name) {
					val = "true"
				} else if i+1 < len(args) && !looksLikeFlag(args[i+1].Text) {
					i++
					val = args[i].Text
				} else {
					f.Problems = append(f.Problems, Problem{a, fmt.Sprintf("flag --%s needs a value", name)})
					continue
				}
			}
			f.add(name, val, a)
		case strings.HasPrefix(text, "-") && len(text) > 1:
			// Shorthand flags: kube-apiserver has only -v (klog verbosity).
			name, val, hasVal := strings.Cut(text[1:], "=")
			if !hasVal {
				if i+1 < len(args) && !looksLikeFlag(args[i+1].Text) {
					i++
					val = args[i].Text
				}
			}
			f.add(name, val, a)
		default:
			f.Problems = append(f.Problems, Problem{a, fmt.Sprintf("positional argument %q: kube-apiserver takes none (a flag written without its leading dashes?)", text)})
		}
	}
	return f
}

func looksLikeFlag(s string) bool { return strings.HasPrefix(s, "-") && len(s) > 1 }

func (f *Flags) add(name, val string, a Arg) {
	if _, seen := f.occurrences[name]; !seen {
		f.order = append(f.order, name)
	}
	f.occurrences[name] = append(f.occurrences[name], Value{Name: name, Value: val, Set: true, Source: a.Source, File: a.File, Line: a.Line})
}

// SetVersion changes the version whose defaults apply.
func (f *Flags) SetVersion(v versions.Version) {
	f.assumed = v.IsZero()
	if f.assumed {
		v = NewestKnown
	}
	f.version = v
}

// Version is the version whose defaults apply, and whether it was assumed.
func (f *Flags) Version() (versions.Version, bool) { return f.version, f.assumed }

// Names lists the flags written, in first-seen order.
func (f *Flags) Names() []string { return append([]string(nil), f.order...) }

// IsSet reports whether the flag was written at all.
func (f *Flags) IsSet(name string) bool { return len(f.occurrences[name]) > 0 }

// All returns every occurrence of a flag in order.
func (f *Flags) All(name string) []Value { return append([]Value(nil), f.occurrences[name]...) }

// Repeated lists flags written more than once, sorted.
func (f *Flags) Repeated() []string {
	var out []string
	for n, occ := range f.occurrences {
		if len(occ) > 1 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Get returns the effective value as kube-apiserver computes it: for scalar
// flags the last occurrence wins; for list flags (stringSlice, stringArray,
// mapStringBool) pflag appends every occurrence after the first, so the values
// are joined. Unset flags get the version's default, said so in Source.
func (f *Flags) Get(name string) Value {
	if occ := f.occurrences[name]; len(occ) > 0 {
		v := occ[len(occ)-1]
		if len(occ) > 1 {
			if IsAccumulating(name) {
				vals := make([]string, len(occ))
				srcs := make([]string, len(occ))
				for i, o := range occ {
					vals[i], srcs[i] = o.Value, o.Source
				}
				v.Value = strings.Join(vals, ",")
				v.Source = strings.Join(srcs, " + ") + fmt.Sprintf(" (%d occurrences, accumulated)", len(occ))
			} else {
				v.Source += fmt.Sprintf(" (last of %d occurrences)", len(occ))
			}
		}
		return v
	}
	def, ok := DefaultFor(name, f.version)
	src := "default for v" + f.version.MinorString()
	if f.assumed {
		src += " (version unknown, newest assumed)"
	}
	if !ok {
		return Value{Name: name, Source: "no default"}
	}
	return Value{Name: name, Value: def, Source: src}
}

// GetRepeatable returns every value of a flag that kube-apiserver accumulates
// (string arrays such as --service-account-issuer or --oidc-required-claim).
func (f *Flags) GetRepeatable(name string) []Value { return f.All(name) }
