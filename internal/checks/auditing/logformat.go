package auditing

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var logFormatMeta = check.Metadata{
	ID:       "AG-AUDIT-006",
	Title:    "Audit events are logged as JSON audit.k8s.io/v1 events",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "--audit-log-format=json (the default) writes one audit.k8s.io/v1 Event per line, with the user's " +
		"groups, the object reference, annotations and bodies, which log pipelines, SIEMs and audit detections parse. " +
		"\"legacy\" writes one line of text per event without groups, bodies or annotations: detections that match " +
		"on them are blind and events cannot be replayed against a policy. kube-apiserver refuses to start with any " +
		"other format, or with an --audit-log-version other than audit.k8s.io/v1.",
	Remediation: "Remove --audit-log-format or set --audit-log-format=json, and leave --audit-log-version unset " +
		"(kubeadm: apiServer.extraArgs).",
	References: []check.Reference{
		{Title: "Kubernetes auditing: log backend", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// LogFormat checks --audit-log-format and --audit-log-version.
var LogFormat = check.PerServer(logFormatMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	path := f.Get("audit-log-path")
	format := auditFlag(f, "audit-log-format")
	version := auditFlag(f, "audit-log-version")
	ev := []check.Evidence{check.FlagEvidence(path), check.FlagEvidence(format), check.FlagEvidence(version)}
	if path.Value == "" {
		return m.Result(check.NotApplicable, a.Name, "no audit log file (--audit-log-path is not set), so "+format.Key()+" has no effect; see AG-AUDIT-001", ev...)
	}
	fail := func(v apiserverflags.Value, msg string) check.Finding {
		r := m.Result(check.Fail, a.Name, msg, ev...)
		r.Location = check.FlagLocation(v)
		return r
	}
	switch format.Value {
	case "json":
	case "legacy":
		return fail(format, "--audit-log-format=legacy writes one line of text per event, without groups, bodies or annotations: "+
			"log pipelines and audit detections cannot parse it, and events cannot be replayed against a policy")
	default:
		return fail(format, "--audit-log-format="+format.Value+" is not a format (json, legacy): kube-apiserver refuses to start with it")
	}
	if version.Value != "audit.k8s.io/v1" {
		return fail(version, "--audit-log-version="+version.Value+": kube-apiserver only knows audit.k8s.io/v1 and refuses to start")
	}
	return m.Result(check.Pass, a.Name, "audit events are logged as JSON audit.k8s.io/v1 events ("+format.Source+")", ev...)
})
