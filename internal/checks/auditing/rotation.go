package auditing

import (
	"fmt"
	"strconv"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// The three rotation checks (AG-AUDIT-002..004) share one reading of the log
// backend's flags, with kube-apiserver's own semantics:
//
//   - the values are pflag ints: strconv.ParseInt(s, 0, 64), so "0x64" is 100
//     and "030" is octal 24; anything else stops kube-apiserver at startup;
//   - negative values are refused by AuditLogOptions.Validate;
//   - the defaults depend on the version (0/0/0 before 1.36, 366/100/100
//     from 1.36: k8s.io/apiserver pkg/server/options/audit.go NewAuditOptions);
//   - before 1.36 every value went to gopkg.in/natefinch/lumberjack.v2, where
//     maxsize 0 means its default of 100 MB and maxage/maxbackup 0 mean "no
//     limit"; from 1.36 maxsize 0 bypasses lumberjack and opens the file
//     without rotation (audit.go getWriter), which makes maxage and maxbackup
//     inert.

// logLimits is the effective log backend configuration of one instance.
type logLimits struct {
	path                       apiserverflags.Value
	age, backup, size          apiserverflags.Value
	ageN, backupN, sizeN       int64
	ageErr, backupErr, sizeErr error
	// v136 is true when the instance runs 1.36 or later (or its version is
	// unknown and the newest is assumed).
	v136 bool
}

func readLimits(f *apiserverflags.Flags) logLimits {
	l := logLimits{
		path:   f.Get("audit-log-path"),
		age:    f.Get("audit-log-maxage"),
		backup: f.Get("audit-log-maxbackup"),
		size:   f.Get("audit-log-maxsize"),
	}
	l.ageN, l.ageErr = pflagInt(l.age)
	l.backupN, l.backupErr = pflagInt(l.backup)
	l.sizeN, l.sizeErr = pflagInt(l.size)
	v, _ := f.Version()
	l.v136 = v.AtLeastMinor(1, 36)
	return l
}

// limit is one of the three limits by flag name.
func (l logLimits) limit(flag string) (apiserverflags.Value, int64, error) {
	switch flag {
	case "audit-log-maxage":
		return l.age, l.ageN, l.ageErr
	case "audit-log-maxbackup":
		return l.backup, l.backupN, l.backupErr
	}
	return l.size, l.sizeN, l.sizeErr
}

// rotationDisabled reports kube-apiserver 1.36+ writing the log without rotation.
func (l logLimits) rotationDisabled() bool {
	return l.v136 && l.sizeErr == nil && l.sizeN == 0
}

// pflagInt parses a flag value as pflag's IntVar does (base prefixes and
// underscores accepted, no surrounding spaces). apiserverflags.Value.Int
// uses strconv.Atoi, which disagrees on "030", "0x64" and " 30".
func pflagInt(v apiserverflags.Value) (int64, error) {
	n, err := strconv.ParseInt(v.Value, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an integer: kube-apiserver refuses to start with it", v.Key(), v.Value)
	}
	return n, nil
}

// describe says how a value was obtained: "--audit-log-maxage=30",
// "--audit-log-maxage=030 (read as 24)" or "--audit-log-maxage is not set
// (default for v1.35: 0)".
func describe(v apiserverflags.Value, n int64) string {
	if !v.Set {
		return fmt.Sprintf("%s is not set (%s: %s)", v.Key(), v.Source, v.Value)
	}
	s := v.Key() + "=" + v.Value
	if d, err := strconv.ParseInt(v.Value, 10, 64); err != nil || d != n {
		s += fmt.Sprintf(" (kube-apiserver reads it as %d)", n)
	}
	return s
}

// limitRule is the test of one rotation check, --flag gte min, as data:
// kube-bench's threshold, with kube-apiserver's reading of the value and what
// 0 means for that flag.
type limitRule struct {
	flag string
	min  int64
	// pass words a value at or above min, below one between 1 and min (a
	// failure); both take the value as %d.
	pass, below string
	// zero judges 0, which is no threshold but a mode of the flag.
	zero zeroJudge
}

// zeroJudge judges a limit of 0: its status, message and any evidence it
// rests on beyond the flag itself.
type zeroJudge interface {
	judge(l logLimits, v apiserverflags.Value) (check.Status, string, []check.Evidence)
}

// noLimit is 0 meaning "no limit" (maxage, maxbackup): nothing is lost to
// this limit, so apiguard warns where CIS scanners fail, and says what the
// other limit still bounds.
type noLimit struct {
	// means words the unlimited setting; other names the flag of the other
	// limit and otherDoes what it deletes; cis is the recommendation.
	means, other, otherDoes, cis string
}

func (z noLimit) judge(l logLimits, _ apiserverflags.Value) (check.Status, string, []check.Evidence) {
	o, n, err := l.limit(z.other)
	return check.Warn, z.means + unboundedGrowth(o, n, err, z.otherDoes) + cisReadsZero(z.cis), []check.Evidence{check.FlagEvidence(o)}
}

// assess is the shared body of AG-AUDIT-002..004.
func (rule limitRule) assess(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	l := readLimits(f)
	v := f.Get(rule.flag)
	ev := []check.Evidence{check.FlagEvidence(l.path), check.FlagEvidence(v)}
	// Without a log file the limits act on nothing: not applicable, and the
	// missing backend is AG-AUDIT-001's failure, not this check's.
	switch {
	case l.path.Value == "":
		return m.Result(check.NotApplicable, a.Name, "no audit log file (--audit-log-path is not set), so "+v.Key()+" has no effect; see AG-AUDIT-001", ev...)
	case l.path.Value == "-":
		return m.Result(check.NotApplicable, a.Name, "no audit log file: events go to standard output (--audit-log-path=-), "+
			"where the container runtime's log rotation, not "+v.Key()+", decides what is kept; see AG-AUDIT-001", ev...)
	}
	fail := func(status check.Status, msg string) check.Finding {
		r := m.Result(status, a.Name, msg, ev...)
		if status == check.Fail || status == check.Warn {
			r.Location = check.FlagLocation(v)
		}
		return r
	}
	n, err := pflagInt(v)
	if err != nil {
		return fail(check.Fail, v.Source+": "+err.Error())
	}
	if n < 0 {
		return fail(check.Fail, describe(v, n)+": kube-apiserver refuses negative values and will not start")
	}
	var status check.Status
	var msg string
	switch {
	case n >= rule.min:
		status, msg = check.Pass, fmt.Sprintf(rule.pass, n)
	case n == 0:
		var more []check.Evidence
		status, msg, more = rule.zero.judge(l, v)
		ev = append(ev, more...)
	default:
		status, msg = check.Fail, fmt.Sprintf(rule.below, n)
	}
	msg = describe(v, n) + ": " + msg
	if rule.flag != "audit-log-maxsize" && l.rotationDisabled() {
		msg += "; note that rotation is disabled (--audit-log-maxsize=0, see AG-AUDIT-004), so this setting has no effect until rotation is re-enabled"
		ev = append(ev, check.FlagEvidence(l.size))
	}
	return fail(status, msg)
}

// unboundedGrowth completes the message for maxage or maxbackup = 0 with
// what the other limit does.
func unboundedGrowth(other apiserverflags.Value, otherN int64, otherErr error, limitedBy string) string {
	switch {
	case otherErr != nil:
		return ""
	case otherN > 0:
		return fmt.Sprintf("; only %s=%d limits them (%s)", other.Key(), otherN, limitedBy)
	default:
		return fmt.Sprintf("; with %s also 0 nothing is ever deleted: the log directory grows until the disk fills, and audit events are then lost", other.Key())
	}
}

// cisReadsZero explains why apiguard warns where CIS scanners fail.
func cisReadsZero(cis string) string {
	return "; CIS " + cis + " scanners such as kube-bench compare the literal value and fail 0 or an absent flag"
}
