package offline

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

// A flags file holds one kube-apiserver argv, in one of these forms:
//
//   - /proc/PID/cmdline: arguments separated by NUL bytes;
//   - text: the flags one or more per line ("--a=b --c d"), optionally
//     after the program name on the first line of the command; `ps`
//     output (the columns before the program are dropped, and a ps header
//     line is skipped); shell-style backslash continuations; blank lines
//     and # comments;
//   - a systemd unit: the command of its last non-empty ExecStart=, with
//     its continuation lines; the unit's other lines are not read.
//
// Every other word must be a flag or a flag's value: a line that is not
// (a typo without dashes, a YAML document, binary data, an unexpanded
// $VARIABLE) makes the file unusable, with its line named, as does a file
// without any flag kube-apiserver knows. Flags kube-apiserver does not know
// are reported as problems: kube-apiserver refuses to start with them.

// maxFlagsErrors bounds the problems listed in one flags-file error.
const maxFlagsErrors = 5

var (
	// yamlKey is a YAML mapping key at the start of a line ("apiVersion: v1").
	yamlKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*:(\s|$)`)
	// unitSection is a systemd section header ("[Service]").
	unitSection = regexp.MustCompile(`^\[[A-Za-z][A-Za-z0-9 -]*\]$`)
)

// ParseFlagsFile reads an argv from data; p names it in sources and
// errors. The problems are warnings (unknown flags); the error means the
// file is not a usable kube-apiserver argv.
func ParseFlagsFile(p string, data []byte) (*inputs.APIServer, []inputs.Problem, error) {
	var (
		argv []inputs.Arg
		err  error
	)
	if bytes.IndexByte(data, 0) >= 0 {
		argv, err = cmdlineArgs(p, data)
	} else {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		lines := strings.Split(string(data), "\n")
		for i, l := range lines {
			if !isText([]byte(strings.TrimSuffix(l, "\r"))) {
				return nil, nil, &LineError{i + 1, "binary data, not a kube-apiserver argv (expected text: flags, ps output, a systemd unit, or /proc/PID/cmdline)"}
			}
		}
		if isUnit(lines) {
			argv, err = unitArgs(p, lines)
		} else {
			argv, err = textArgs(p, lines)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	problems, err := checkArgv(p, argv)
	if err != nil {
		return nil, nil, err
	}
	return &inputs.APIServer{Name: p, Origin: "flags-file", Args: argv}, problems, nil
}

// cmdlineArgs splits /proc/PID/cmdline. Arguments are text: binary data
// that happens to hold NUL bytes is refused.
func cmdlineArgs(p string, data []byte) ([]inputs.Arg, error) {
	var argv []inputs.Arg
	for i, w := range bytes.Split(bytes.TrimRight(data, "\x00"), []byte{0}) {
		if !isText(w) {
			return nil, &LineError{Message: fmt.Sprintf("binary data, not a kube-apiserver argv (argument %d of the NUL-separated command line is not text)", i+1)}
		}
		argv = append(argv, inputs.Arg{Text: string(w), File: p, Line: 1})
	}
	return dropBeforeBinary(argv), nil
}

// isText: valid UTF-8 without control characters other than tab.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r != '\t' && unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// isUnit reports whether lines are a systemd unit: a section header or an
// ExecStart= line.
func isUnit(lines []string) bool {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if unitSection.MatchString(l) || strings.HasPrefix(l, "ExecStart=") {
			return true
		}
	}
	return false
}

// physical is one line of a logical line, with its number.
type physical struct {
	text string
	line int
}

// logicalLines joins backslash continuations. Comment lines end nothing
// and are dropped, as blank ones are.
func logicalLines(lines []string, comment func(string) bool) [][]physical {
	var (
		out [][]physical
		cur []physical
	)
	for i, l := range lines {
		t := strings.TrimSpace(strings.TrimSuffix(l, "\r"))
		if len(cur) == 0 && (t == "" || comment(t)) {
			continue
		}
		cont := continues(t)
		if cont {
			t = strings.TrimSpace(t[:len(t)-1])
		}
		cur = append(cur, physical{t, i + 1})
		if !cont {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// continues reports whether a line ends with an unescaped backslash.
func continues(t string) bool {
	n := 0
	for n < len(t) && t[len(t)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

func words(p string, ls []physical) []inputs.Arg {
	var out []inputs.Arg
	for _, l := range ls {
		for _, w := range shellWords(l.text) {
			out = append(out, inputs.Arg{Text: w, File: p, Line: l.line})
		}
	}
	return out
}

// unitArgs reads the command of a systemd unit's last non-empty ExecStart=
// (an empty one resets the list, as drop-ins do).
func unitArgs(p string, lines []string) ([]inputs.Arg, error) {
	var exec []physical
	for _, ll := range logicalLines(lines, func(t string) bool { return t[0] == '#' || t[0] == ';' }) {
		first := ll[0].text
		key, val, ok := strings.Cut(first, "=")
		if !ok || strings.TrimSpace(key) != "ExecStart" {
			continue
		}
		// Prefixes that change how systemd runs the command, not the argv.
		val = strings.TrimLeft(strings.TrimSpace(val), "@-:+!")
		cmd := append([]physical{{val, ll[0].line}}, ll[1:]...)
		if len(words(p, cmd)) > 0 {
			exec = cmd
		}
	}
	if exec == nil {
		return nil, &LineError{Message: "a systemd unit without a command in ExecStart=: no kube-apiserver argv to read"}
	}
	return dropBeforeBinary(words(p, exec)), nil
}

// textArgs reads flags one or more a line, `ps` output and shell-style
// command lines.
func textArgs(p string, lines []string) ([]inputs.Arg, error) {
	var argv []inputs.Arg
	for _, ll := range logicalLines(lines, func(t string) bool { return t[0] == '#' }) {
		first := ll[0]
		if len(argv) == 0 {
			if first.text == "---" || strings.HasPrefix(first.text, "{") || strings.HasPrefix(first.text, "[") || yamlKey.MatchString(first.text) {
				return nil, &LineError{first.line, "a YAML or JSON document, not a kube-apiserver argv: pass manifests with --manifest"}
			}
			if isPSHeader(first.text) {
				continue
			}
		}
		ws := words(p, ll)
		if len(argv) == 0 {
			ws = dropBeforeBinary(ws)
		}
		argv = append(argv, ws...)
	}
	return argv, nil
}

// isPSHeader matches the header line of ps output ("UID PID PPID ... CMD").
func isPSHeader(t string) bool {
	f := strings.Fields(t)
	if len(f) < 2 || strings.ToUpper(t) != t {
		return false
	}
	switch f[0] {
	case "UID", "USER", "PID":
	default:
		return false
	}
	switch f[len(f)-1] {
	case "CMD", "COMMAND", "ARGS":
		return true
	}
	return false
}

// dropBeforeBinary drops what comes before the kube-apiserver program on
// the command's line: ps columns, launchers (exec, env, sudo). Without
// the program in the first line, nothing is dropped.
func dropBeforeBinary(argv []inputs.Arg) []inputs.Arg {
	for i, a := range argv {
		if len(argv) > 0 && a.Line != argv[0].Line {
			break
		}
		if strings.HasPrefix(a.Text, "-") {
			break
		}
		if isBinary(a.Text) {
			return argv[i:]
		}
	}
	return argv
}

func isBinary(w string) bool {
	// kube-apiserver, kube-apiserver-amd64, kube-apiserver.exe; hyperkube's
	// "apiserver" subcommand.
	b := path.Base(strings.ReplaceAll(w, `\`, "/"))
	return strings.HasPrefix(b, "kube-apiserver") || b == "apiserver"
}

// LineError is a flags file that is not a usable argv, with the line (0
// when the whole file is concerned) and, for several problems, each one
// on its own line of Message.
type LineError struct {
	Line    int
	Message string
}

func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// problemOf is the Problem of a flags file's error: the file and line as
// its source.
func problemOf(p string, err error) inputs.Problem {
	var le *LineError
	if errors.As(err, &le) && le.Line > 0 {
		return inputs.Problem{Source: fmt.Sprintf("%s:%d", p, le.Line), Message: le.Message}
	}
	return inputs.Problem{Source: p, Message: err.Error()}
}

// checkArgv parses the argv as kube-apiserver would: what it would refuse
// to read (positional arguments, a flag without its value, a malformed
// flag) is an error naming its line; unknown flags are problems; without
// any known flag the file is no kube-apiserver argv.
func checkArgv(p string, argv []inputs.Arg) ([]inputs.Problem, error) {
	args := make([]apiserverflags.Arg, len(argv))
	for i, a := range argv {
		args[i] = apiserverflags.Arg{Text: a.Text, Source: fmt.Sprintf("%s:%d", a.File, a.Line), File: a.File, Line: a.Line}
	}
	f := apiserverflags.Parse(args, versions.Version{})
	var errs []LineError
	if f.Binary != "" && !isBinary(f.Binary) {
		// The first word is taken as the program: only kube-apiserver's
		// name is accepted there.
		errs = append(errs, LineError{argv[0].Line, fmt.Sprintf("%q is not a flag (expected --name=value, after the kube-apiserver program or without it)", f.Binary)})
	}
	type warning struct {
		line int
		inputs.Problem
	}
	var warnings []warning
	unknown := func(name, source string, line int) {
		warnings = append(warnings, warning{line, inputs.Problem{Source: source,
			Message: fmt.Sprintf("--%s is not a kube-apiserver flag (a typo? kube-apiserver refuses to start with an unknown flag)", name)}})
	}
	for _, pr := range f.Problems {
		msg := pr.Message
		if name := strings.ReplaceAll(strings.TrimPrefix(pr.Arg.Text, "--"), "_", "-"); strings.HasPrefix(pr.Arg.Text, "--") &&
			msg == "flag --"+name+" needs a value" && !apiserverflags.Known(name) {
			unknown(name, pr.Arg.Source, pr.Arg.Line) // whether it takes a value is unknown too
			continue
		}
		if strings.HasPrefix(pr.Arg.Text, "$") {
			msg = fmt.Sprintf("%q is a variable the shell or systemd expands (from an EnvironmentFile, say), apiguard cannot: give the expanded argv (/proc/PID/cmdline of the running kube-apiserver)", pr.Arg.Text)
		}
		errs = append(errs, LineError{pr.Arg.Line, msg})
	}
	switch {
	case len(errs) == 1:
		return nil, &errs[0]
	case len(errs) > 1:
		msgs := make([]string, 0, maxFlagsErrors+1)
		for i, e := range errs {
			if i == maxFlagsErrors {
				msgs = append(msgs, fmt.Sprintf("... and %d more", len(errs)-maxFlagsErrors))
				break
			}
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s", p, e.Line, e.Message))
		}
		return nil, &LineError{Message: fmt.Sprintf("not a kube-apiserver argv (%d problems):\n  %s", len(errs), strings.Join(msgs, "\n  "))}
	}
	known := 0
	for _, n := range f.Names() {
		if apiserverflags.Known(n) {
			known++
			continue
		}
		v := f.All(n)[0]
		unknown(n, v.Source, v.Line)
	}
	sort.SliceStable(warnings, func(i, j int) bool { return warnings[i].line < warnings[j].line })
	var problems []inputs.Problem
	for _, w := range warnings {
		problems = append(problems, w.Problem)
	}
	if known == 0 {
		return nil, &LineError{Message: "no kube-apiserver flag found (expected flags such as --anonymous-auth=false, one or more a line, or /proc/PID/cmdline)"}
	}
	return problems, nil
}
