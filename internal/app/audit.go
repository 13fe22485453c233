package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// What the audit commands share: the detection engine they build, the
// audit policy they read, and the alert sinks and JetStream connection of
// the streaming ones.

// DetectionOptions choose the rules of audit scan and audit serve.
type DetectionOptions struct {
	// RuleFiles are YAML files of more rules, after the built-in ones.
	RuleFiles []string
	// AllowCIDRs, PodCIDRs and NodeCIDRs (CIDR strings) enable the rules
	// about where requests and ServiceAccount tokens come from.
	AllowCIDRs, PodCIDRs, NodeCIDRs []string
	// Learn replaces the learning period of the firstSeen rules (0: each
	// rule's own).
	Learn time.Duration
}

// engine builds the detection engine: the built-in rules, the rule files
// and the CIDRs.
func (o DetectionOptions) engine() (*detect.Engine, error) {
	rules, err := loadRules(o.RuleFiles)
	if err != nil {
		return nil, err
	}
	if o.Learn < 0 {
		return nil, Input(fmt.Errorf("--learn %s: want a duration of 0 or more", o.Learn))
	}
	opts := detect.Options{Learn: o.Learn}
	for _, c := range []struct {
		flag string
		in   []string
		out  *[]netip.Prefix
	}{{"--allow-cidrs", o.AllowCIDRs, &opts.AllowCIDRs}, {"--pod-cidrs", o.PodCIDRs, &opts.PodCIDRs}, {"--node-cidrs", o.NodeCIDRs, &opts.NodeCIDRs}} {
		for _, s := range c.in {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return nil, Input(fmt.Errorf("%s %q: want a CIDR such as 10.0.0.0/8", c.flag, s))
			}
			*c.out = append(*c.out, p.Masked())
		}
	}
	e, err := detect.New(rules, opts)
	return e, Input(err)
}

// loadRules is the built-in rules and those of files.
func loadRules(files []string) ([]detect.Rule, error) {
	rules := detect.Builtin()
	for _, f := range files {
		more, err := detect.LoadRules(f)
		if err != nil {
			return nil, Input(err)
		}
		rules = append(rules, more...)
	}
	return rules, nil
}

// PolicyFile is an audit policy to read: a file, or "-" for Stdin.
type PolicyFile struct {
	Path  string
	Stdin io.Reader
}

// load reads and loads the policy.
func (f PolicyFile) load(ctx context.Context) (*auditpolicy.Policy, error) {
	var (
		data []byte
		err  error
	)
	name := f.Path
	if name == "-" {
		name = "(stdin)"
		data, err = fileinput.ReadAll(ctx, f.Stdin, name, fileinput.AuditPolicy)
	} else {
		data, err = fileinput.ReadFile(name, fileinput.AuditPolicy)
	}
	if err != nil {
		return nil, Input(err)
	}
	p, err := auditpolicy.Load(name, data)
	return p, Input(err)
}

// warnPolicy writes what loading found to w, for the commands other than
// lint (which reports it).
func warnPolicy(w io.Writer, p *auditpolicy.Policy) {
	for _, pr := range p.Problems {
		loc := p.File
		if pr.Line > 0 {
			loc += ":" + strconv.Itoa(pr.Line)
		}
		fmt.Fprintf(w, "apiguard: warning: %s: %s\n", loc, pr.Message)
	}
	if p.Refused {
		fmt.Fprintln(w, "apiguard: warning: kube-apiserver would not start with this policy; evaluating its rules as decoded")
	}
}

// AlertSinks are where the streaming audit commands deliver alerts.
type AlertSinks struct {
	// Stdout receives the alerts as JSON lines (nil: not written).
	Stdout io.Writer
	// Out is a file the JSON lines are appended to.
	Out string
	// Webhooks are http(s) URLs each alert is posted to (JSON with a
	// Slack-compatible "text"), with Headers ("Name: value").
	Webhooks []string
	Headers  []string
}

// header reads Headers.
func (s AlertSinks) header() (http.Header, error) {
	h := http.Header{}
	for _, x := range s.Headers {
		k, v, ok := strings.Cut(x, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, Input(fmt.Errorf("--webhook-header %q: want \"Name: value\"", x))
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h, nil
}

// checkWebhooks refuses a webhook that is not an http(s) URL.
func (s AlertSinks) checkWebhooks() error {
	for _, u := range s.Webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return Input(fmt.Errorf("--webhook %q: want an http(s) URL", u))
		}
	}
	return nil
}

// deliverers opens the synchronous sinks (retried until delivered) and
// returns the function that closes them.
func (s AlertSinks) deliverers() ([]alertsink.Deliverer, func(), error) {
	hdr, err := s.header()
	if err != nil {
		return nil, nil, err
	}
	var sinks []alertsink.Deliverer
	closeAll := func() {}
	if s.Stdout != nil {
		sinks = append(sinks, alertsink.NewStreamDeliverer(s.Stdout, "stdout"))
	}
	if s.Out != "" {
		f, err := alertsink.OpenFileDeliverer(s.Out)
		if err != nil {
			return nil, nil, Input(fmt.Errorf("--out: %w", err))
		}
		sinks = append(sinks, f)
		closeAll = func() { f.Close() }
	}
	if err := s.checkWebhooks(); err != nil {
		closeAll()
		return nil, nil, err
	}
	for _, u := range s.Webhooks {
		sinks = append(sinks, alertsink.NewWebhookDeliverer(u, hdr, nil))
	}
	return sinks, closeAll, nil
}

// NATSCredentials are how a nats:// stream is reached.
type NATSCredentials struct {
	CredsFile, CAFile, CertFile, KeyFile string
}

func (n NATSCredentials) options(url string, log *slog.Logger) auditstream.Options {
	return auditstream.Options{URL: url, CredsFile: n.CredsFile, CAFile: n.CAFile, CertFile: n.CertFile, KeyFile: n.KeyFile, Log: log}
}
