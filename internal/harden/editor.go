package harden

import (
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/versions"
)

// editor edits an ordered flag list and records each change against the
// check being fixed.
type editor struct {
	flags   []Flag
	opts    Options
	check   string
	changes []Change
	files   map[string]*File
	needs   []Need
	wrote   map[string]bool
}

// get is a flag's effective value (its last occurrence, as pflag reads it).
func (e *editor) get(name string) (string, bool) {
	v, ok := "", false
	for _, f := range e.flags {
		if f.Name == name {
			v, ok = f.Value, true
		}
	}
	return v, ok
}

// set writes --name=value: in place of the flag's first occurrence (the
// others are dropped: the last one won and would win again), else at the
// end.
func (e *editor) set(name, value, why string) {
	old, had := e.get(name)
	if had && old == value && e.count(name) == 1 {
		return
	}
	out := e.flags[:0]
	placed := false
	for _, f := range e.flags {
		if f.Name == name {
			if placed {
				continue
			}
			f.Value, placed = value, true
		}
		out = append(out, f)
	}
	if !placed {
		out = append(out, Flag{Name: name, Value: value})
	}
	e.flags = out
	e.record(Change{Flag: "--" + name, Old: old, New: value, Action: "set", Why: why}, had)
	if e.wrote == nil {
		e.wrote = map[string]bool{}
	}
	e.wrote[name] = true
}

// remove drops every occurrence of a flag.
func (e *editor) remove(name, why string) {
	old, had := e.get(name)
	if !had {
		return
	}
	out := e.flags[:0]
	for _, f := range e.flags {
		if f.Name != name {
			out = append(out, f)
		}
	}
	e.flags = out
	e.record(Change{Flag: "--" + name, Old: old, Action: "removed", Why: why}, true)
}

func (e *editor) count(name string) int {
	n := 0
	for _, f := range e.flags {
		if f.Name == name {
			n++
		}
	}
	return n
}

func (e *editor) record(c Change, had bool) {
	c.Check = e.check
	if !had {
		c.Old = ""
	}
	e.changes = append(e.changes, c)
}

// listAdd adds item to a comma-list flag (kept in order, not duplicated).
func (e *editor) listAdd(name, item, why string) {
	v, _ := e.get(name)
	items := apiserverflags.SplitList(v)
	for _, x := range items {
		if x == item {
			return
		}
	}
	e.set(name, strings.Join(append(items, item), ","), why)
}

// listRemove removes item from a comma-list flag; the flag goes when it
// is left empty.
func (e *editor) listRemove(name, item, why string) {
	v, ok := e.get(name)
	if !ok {
		return
	}
	var kept []string
	for _, x := range apiserverflags.SplitList(v) {
		if x != item {
			kept = append(kept, x)
		}
	}
	if len(kept) == len(apiserverflags.SplitList(v)) {
		return
	}
	if len(kept) == 0 {
		e.remove(name, why)
		return
	}
	e.set(name, strings.Join(kept, ","), why)
}

// file records a file to write under FilesDir and returns its host path.
func (e *editor) file(name string, data []byte, why string, secret bool) string {
	f := e.files[name]
	if f == nil {
		f = &File{Name: name, Path: e.opts.filePath(name), Why: why, Secret: secret}
		e.files[name] = f
	}
	f.Data = data
	f.Checks = append(f.Checks, e.check)
	return f.Path
}

// need records what the operator has to do.
func (e *editor) need(what string, commands ...string) {
	e.needs = append(e.needs, Need{Check: e.check, What: what, Commands: commands})
}

// admissionFlag is the flag that lists the enabled admission plugins:
// the deprecated --admission-control replaces the whole list when set.
func (e *editor) admissionFlag() string {
	if _, ok := e.get("admission-control"); ok {
		return "admission-control"
	}
	return "enable-admission-plugins"
}

// enablePlugin turns an admission plugin on (and out of the disabled list).
func (e *editor) enablePlugin(plugin, why string) {
	e.listRemove("disable-admission-plugins", plugin, why)
	on := e.admissionFlag()
	if on == "enable-admission-plugins" && isDefaultOn(plugin) {
		return // on by default, now that it is not disabled
	}
	e.listAdd(on, plugin, why)
}

func isDefaultOn(plugin string) bool {
	for _, p := range apiserverflags.DefaultOnAdmissionPlugins {
		if p == plugin {
			return true
		}
	}
	return false
}

// dropRemoved drops the flags the target version no longer has: a
// kube-apiserver refuses to start with an unknown flag.
func (e *editor) dropRemoved() {
	for _, r := range apiserverflags.RemovedFlags {
		in, err := versions.Parse(r.In)
		if err != nil || e.opts.Version.IsZero() || e.opts.Version.Compare(in) < 0 {
			continue
		}
		e.remove(r.Flag, "removed in Kubernetes "+r.In+" ("+r.Note+"): kube-apiserver "+e.opts.Version.MinorString()+" refuses to start with it")
	}
}
