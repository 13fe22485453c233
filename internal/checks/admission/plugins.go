package admission

import (
	"sort"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// EffectiveKey is the evidence key of the computed plugin set.
const EffectiveKey = "effective admission plugins"

// View is the admission-plugin configuration of one kube-apiserver.
type View struct {
	// Effective is the set of plugins that run.
	Effective map[string]bool
	// Enable, Disable and Legacy are --enable-admission-plugins,
	// --disable-admission-plugins and the deprecated --admission-control.
	Enable, Disable, Legacy apiserverflags.Value
	f                       *apiserverflags.Flags
}

// Plugins computes the view for one instance.
func Plugins(f *apiserverflags.Flags) View {
	return View{
		Effective: apiserverflags.EffectiveAdmissionPlugins(f),
		Enable:    f.Get("enable-admission-plugins"),
		Disable:   f.Get("disable-admission-plugins"),
		Legacy:    f.Get("admission-control"),
		f:         f,
	}
}

// legacy reports whether --admission-control (which replaces the defaults) is in use.
func (p View) legacy() bool { return p.f.IsSet("admission-control") }

// Evidence is the flags plus the computed set, sorted.
func (p View) Evidence() []check.Evidence {
	ev := []check.Evidence{check.FlagEvidence(p.Enable), check.FlagEvidence(p.Disable)}
	names := make([]string, 0, len(p.Effective))
	for n := range p.Effective {
		names = append(names, n)
	}
	sort.Strings(names)
	var src string
	if p.legacy() {
		ev = append(ev, check.FlagEvidence(p.Legacy))
		src = "computed: --admission-control (replaces the defaults)"
	} else {
		ver, assumed := p.f.Version()
		src = "computed: defaults for v" + ver.MinorString() + " + enable − disable"
		if assumed {
			src += " (version unknown, newest assumed)"
		}
	}
	return append(ev, check.Evidence{Key: EffectiveKey, Value: strings.Join(names, ","), Source: src})
}

// Conflict reports whether plugin is in both --enable-admission-plugins and
// --disable-admission-plugins: kube-apiserver refuses to start then.
func (p View) Conflict(plugin string) bool { return p.Enable.Has(plugin) && p.Disable.Has(plugin) }

// reason says why plugin is on or off.
func (p View) reason(plugin string) string {
	switch {
	case p.legacy() && p.Legacy.Has(plugin):
		return "listed in the deprecated --admission-control, which replaces the default list"
	case p.legacy():
		return "the deprecated --admission-control replaces the default list and does not include it"
	case p.Conflict(plugin):
		return "it is in both --enable-admission-plugins and --disable-admission-plugins: kube-apiserver " +
			"refuses to start (\"overlapped\")"
	case p.Disable.Has(plugin):
		return "disabled by --disable-admission-plugins"
	case p.Enable.Has(plugin):
		return "enabled by --enable-admission-plugins"
	case defaultOn(plugin):
		return "on by default"
	}
	return "off by default and not in --enable-admission-plugins"
}

func defaultOn(plugin string) bool {
	for _, d := range apiserverflags.DefaultOnAdmissionPlugins {
		if d == plugin {
			return true
		}
	}
	return false
}

// notes are remarks that do not change the status: look-alike names (which
// never count: names are matched exactly) and flag combinations
// kube-apiserver refuses.
func (p View) notes(plugin string) []string {
	var out []string
	for _, v := range []apiserverflags.Value{p.Enable, p.Disable, p.Legacy} {
		for _, item := range v.List() {
			if item != plugin && (strings.EqualFold(item, plugin) || strings.Contains(strings.ToLower(item), strings.ToLower(plugin))) {
				out = append(out, v.Key()+" lists \""+item+"\", which is not "+plugin+
					" (plugin names are matched exactly; kube-apiserver rejects unknown names)")
			}
		}
	}
	if p.legacy() && (p.f.IsSet("enable-admission-plugins") || p.f.IsSet("disable-admission-plugins")) {
		out = append(out, "--admission-control cannot be combined with --enable-admission-plugins or "+
			"--disable-admission-plugins: kube-apiserver refuses to start")
	}
	return out
}

// location is the flag occurrence a failing finding should point at.
func (p View) location(plugin string, wantEnabled bool) *check.Location {
	names := []string{"enable-admission-plugins"}
	switch {
	case p.legacy():
		names = []string{"admission-control"}
	case p.Conflict(plugin) || (wantEnabled && p.Disable.Has(plugin)):
		names = []string{"disable-admission-plugins"}
	}
	for _, n := range names {
		occ := p.f.All(n)
		for i := len(occ) - 1; i >= 0; i-- {
			if occ[i].Has(plugin) {
				return check.FlagLocation(occ[i])
			}
		}
		if len(occ) > 0 {
			return check.FlagLocation(occ[len(occ)-1])
		}
	}
	return nil
}

// Rule is one admission-plugin check: a plugin and its secure state.
type Rule struct {
	Plugin string
	// Enabled is the secure state: true when the plugin must run, false when it must not.
	Enabled bool
	// Risk says what the insecure state allows; it ends failing messages.
	Risk string
	// Refine, when set, adjusts the finding after the plugin state is known
	// (EventRateLimit also needs its configuration file).
	Refine func(a *inputs.APIServer, f *apiserverflags.Flags, v View, r *check.Finding)
}

// Evaluate judges one instance.
func (rule Rule) Evaluate(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v := Plugins(f)
	on := v.Effective[rule.Plugin]
	state := "is not enabled"
	if on {
		state = "is enabled"
	}
	msg := rule.Plugin + " " + state + " (" + v.reason(rule.Plugin) + ")"
	status := check.Pass
	if on != rule.Enabled || v.Conflict(rule.Plugin) {
		status = check.Fail
		if on != rule.Enabled && rule.Risk != "" {
			msg += ": " + rule.Risk
		}
	}
	if n := v.notes(rule.Plugin); len(n) > 0 {
		msg += "; " + strings.Join(n, "; ")
	}
	r := m.Result(status, a.Name, msg, v.Evidence()...)
	if status == check.Fail {
		r.Location = v.location(rule.Plugin, rule.Enabled)
	}
	if rule.Refine != nil {
		rule.Refine(a, f, v, &r)
	}
	return r
}

// Check is the check with metadata m and this rule.
func (rule Rule) Check(m check.Metadata) check.Check { return check.PerServer(m, rule.Evaluate) }

func itoa(n int) string { return strconv.Itoa(n) }
