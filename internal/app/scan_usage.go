package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacusage"
	"github.com/apiguard/apiguard/internal/report"
)

// AuditLogs are the audit logs a judgement of use reads (scan --audit,
// rbac usage, rbac minimize) and the window counted in them.
type AuditLogs struct {
	// Logs are files, .gz files, directories of rotated logs, or "-".
	Logs []string
	// Since and Until are RFC 3339 times or durations back from now.
	Since, Until string
}

// options are the usage engine's options for a's window, durations counted
// back from now.
func (a AuditLogs) options(now time.Time) (rbacusage.Options, error) {
	var opts rbacusage.Options
	for _, b := range []struct {
		flag, v string
		t       *time.Time
	}{{"--since", a.Since, &opts.Since}, {"--until", a.Until, &opts.Until}} {
		if b.v == "" {
			continue
		}
		t, err := rbacusage.ParseTime(b.v, now)
		if err != nil {
			return opts, Input(fmt.Errorf("%s %v", b.flag, err))
		}
		*b.t = t
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since) {
		return opts, Input(fmt.Errorf("--until %s is before --since %s", a.Until, a.Since))
	}
	return opts, nil
}

// scanMinimizeLines bounds the minimized roles embedded in a finding:
// longer ones are left to the command (a report of thousands of findings
// stays readable).
const scanMinimizeLines = 150

// auditUsage runs the usage engine over s's RBAC model and the logs, under
// the audit policy the scanned kube-apiserver names (when read), and puts
// the result on s.
func auditUsage(ctx context.Context, s *inputs.Snapshot, a AuditLogs, now time.Time) error {
	u := &inputs.AuditUsage{Logs: a.Logs}
	s.AuditUsage = u
	opts, err := a.options(now)
	if err != nil {
		return err
	}
	if s.RBAC == nil {
		why := s.RBACUnavailable
		if why == "" {
			why = "no RBAC objects were read"
		}
		u.Unavailable = "the audit logs cannot be judged without the RBAC model: " + why
		return nil
	}
	opts.Policy, u.Policy = snapshotAuditPolicy(s)
	engine := rbacusage.New(s.RBAC, opts)
	if err := readAudit(ctx, a.Logs, s, engine.Add); err != nil {
		return err
	}
	r := engine.Result()
	u.Events, u.From, u.To = r.Events, r.Window.From, r.Window.To
	if !r.Policy {
		u.Note = "no audit policy read (--audit-policy-file of the scanned kube-apiserver): the judgement assumes every request is logged"
	}
	defaults := defaultBindings(s.RBAC)
	var flagged []rbacusage.SubjectKey
	for _, su := range r.Subjects {
		us := inputs.UsageSubject{Kind: su.Subject.Kind, Name: su.Subject.Name, Namespace: su.Subject.Namespace,
			Requests: su.Requests, LastSeen: su.LastSeen}
		unused := false
		for _, b := range su.Bindings {
			if b.Via != "" || b.Kind == rbac.KindPrivilegedGroup {
				continue // a group's bindings are judged on the group; system:masters is not a binding
			}
			ub := inputs.UsageBinding{Binding: bindingName(b), Role: b.RoleRef.Kind + " " + b.RoleRef.Name,
				Default: defaults[bindingName(b)]}
			for _, rule := range b.Rules {
				ub.Rules = append(ub.Rules, inputs.UsageRule{Rule: report.UsageRuleText(rule), Requests: rule.Requests, Blind: rule.Blind})
				unused = unused || (!rule.Used && !rule.Blind)
			}
			us.Bindings = append(us.Bindings, ub)
		}
		if unused {
			flagged = append(flagged, su.Subject)
		}
		u.Subjects = append(u.Subjects, us)
	}
	return minimizeFlagged(ctx, s, a.Logs, opts, r, flagged)
}

// minimizeFlagged embeds rbac minimize's roles in the subjects with unused
// rules: one more pass over the logs (not possible from stdin), tracking
// every flagged subject in one engine.
func minimizeFlagged(ctx context.Context, s *inputs.Snapshot, logs []string, opts rbacusage.Options, r *rbacusage.Report, flagged []rbacusage.SubjectKey) error {
	if len(flagged) == 0 {
		return nil
	}
	subjects := make(map[rbacusage.SubjectKey]*inputs.UsageSubject, len(s.AuditUsage.Subjects))
	for i := range s.AuditUsage.Subjects {
		us := &s.AuditUsage.Subjects[i]
		subjects[rbacusage.SubjectKey{Kind: us.Kind, Name: us.Name, Namespace: us.Namespace}] = us
	}
	if slices.Contains(logs, "-") {
		for _, k := range flagged {
			subjects[k].MinimizedNote = "(The minimized roles are not shown: the audit log came from stdin, read once.)"
		}
		return nil
	}
	opts.Track = flagged
	engine := rbacusage.New(s.RBAC, opts)
	if err := readAudit(ctx, logs, nil, engine.Add); err != nil {
		return err
	}
	for _, k := range flagged {
		us := subjects[k]
		m := rbacusage.Minimize(rbacusage.MinimizeInput{Policy: s.RBAC, Used: engine.Used(k), Usage: r.Subject(k), Window: r.Window})
		if m.Empty() {
			us.MinimizedNote = "(`rbac minimize` finds nothing it needs: the bindings can go.)"
			continue
		}
		var b bytes.Buffer
		if err := report.RBACMinimizeYAML(&b, m); err != nil {
			return err
		}
		if n := strings.Count(b.String(), "\n"); n > scanMinimizeLines {
			us.MinimizedNote = fmt.Sprintf("(The minimized roles, %d lines of YAML, are not shown: run the command.)", n)
			continue
		}
		us.Minimized = b.String()
		if len(m.NotHeld) > 0 {
			us.MinimizedNote = fmt.Sprintf("(%d used request(s) are left out: see rbac minimize.)", len(m.NotHeld))
		}
	}
	return nil
}

// readAudit streams the logs' events to add; with s, the problems of the
// logs become the scan's input problems (the second pass reads them again
// quietly).
func readAudit(ctx context.Context, logs []string, s *inputs.Snapshot, add func(*auditv1.Event)) error {
	return readAuditLogs(ctx, logs, func(msg string) {
		if s != nil {
			s.Problems = append(s.Problems, inputs.Problem{Source: "--audit", Message: msg})
		}
	}, add)
}

// readAuditLogs streams the events of audit logs (files, .gz, directories,
// "-") to add, in input order, decoding on every CPU. Problems (a log that
// cannot be opened, undecodable lines, the first scanMaxProblems of them)
// go to problem; no event at all is an input error.
func readAuditLogs(ctx context.Context, logs []string, problem func(string), add func(*auditv1.Event)) error {
	r, openErr := auditlog.OpenWith(ctx, auditlog.OpenOptions{}, logs...)
	failed := openErr != nil
	if failed {
		for _, e := range splitErrors(openErr) {
			problem(e.Error())
		}
	}
	if r == nil {
		return Input(fmt.Errorf("no audit log could be read: %w", openErr))
	}
	defer r.Close()
	next := r.Next
	if workers := runtime.GOMAXPROCS(0); workers > 1 {
		// decoding on every CPU, counting in this goroutine in input order
		p := auditlog.NewParallel(r, workers, func() func(*auditv1.Event) struct{} {
			return func(*auditv1.Event) struct{} { return struct{}{} }
		})
		defer p.Close()
		next = func() (*auditv1.Event, error) {
			d, err := p.Next()
			if err != nil {
				return nil, err
			}
			return d.Event, d.Err
		}
	}
	bad := 0
	for {
		ev, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var le *auditlog.LineError
			if !errors.As(err, &le) {
				failed = true
				problem(err.Error())
			} else if bad++; bad <= scanMaxProblems {
				problem(err.Error())
			}
			continue
		}
		add(ev)
	}
	if bad > scanMaxProblems {
		problem(fmt.Sprintf("... and %d more undecodable lines", bad-scanMaxProblems))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if st := r.Stats(); st.Events == 0 {
		if failed || st.BadLines > 0 {
			return Input(errors.New("no audit event could be read"))
		}
		return Input(fmt.Errorf("no usable input: no audit event in %s", strings.Join(logs, ", ")))
	}
	return nil
}

// snapshotAuditPolicy loads the audit policy the first kube-apiserver of
// s names with --audit-policy-file, when it was read, and says where it
// came from.
func snapshotAuditPolicy(s *inputs.Snapshot) (*auditpolicy.Policy, string) {
	for _, a := range s.APIServers {
		v := a.Flags(s.Cluster).Get("audit-policy-file")
		f := a.Files["audit-policy-file"]
		if !v.Set || v.Value == "" || f == nil || f.Unavailable != "" {
			continue
		}
		if p, err := auditpolicy.Load(f.Path, f.Data); err == nil {
			return p, f.Path + " (" + a.Name + ")"
		}
	}
	return nil, ""
}

func bindingName(b rbacusage.BindingUsage) string {
	if b.Namespace != "" {
		return b.Kind + " " + b.Namespace + "/" + b.Name
	}
	return b.Kind + " " + b.Name
}

// defaultBindings are the model's kube-apiserver default bindings, by
// bindingName.
func defaultBindings(p *rbac.Policy) map[string]bool {
	out := map[string]bool{}
	for _, l := range [][]*rbac.Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range l {
			if b.Default || b.Assumed {
				out[b.String()] = true
			}
		}
	}
	return out
}
