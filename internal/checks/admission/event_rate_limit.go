package admission

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

var eventRateLimitMeta = check.Metadata{
	ID:       "AG-AUTHZ-009",
	Title:    "The EventRateLimit admission plugin is enabled",
	Layer:    check.Authorization,
	Severity: check.Low,
	Rationale: "Any workload, node or user allowed to create Events can flood the API server and etcd with " +
		"them (a crash-looping Pod does it by accident), degrading the control plane for everyone. " +
		"EventRateLimit caps Event creation per server, namespace, user or source+object. It has no built-in " +
		"limits: it needs an EventRateLimit configuration in the file named by --admission-control-config-file, " +
		"and without one kube-apiserver refuses to start (\"limits: must not be empty\"). API Priority and " +
		"Fairness also protects the server, but does not bound Events per namespace or object.",
	Remediation: "Add EventRateLimit to --enable-admission-plugins and set --admission-control-config-file to an " +
		"AdmissionConfiguration (apiserver.config.k8s.io/v1) with a plugin entry name: EventRateLimit whose " +
		"configuration (eventratelimit.admission.k8s.io/v1alpha1, kind Configuration) lists limits, e.g. " +
		"type: Namespace, qps: 50, burst: 100, cacheSize: 2000.",
	References: []check.Reference{
		{CIS: "1.2.9", Title: "Ensure that the admission control plugin EventRateLimit is set"},
		{Title: "Admission controllers reference: EventRateLimit", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#eventratelimit"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

var eventRateLimitRule = Rule{
	Plugin:  "EventRateLimit",
	Enabled: true,
	Risk:    "Event creation is not rate limited, so any client allowed to create Events can flood the API server and etcd",
	Refine:  eventRateLimitConfig,
}

// EventRateLimitEnabled is CIS 1.2.9.
var EventRateLimitEnabled = eventRateLimitRule.Check(eventRateLimitMeta)

// eventRateLimitConfig checks, when the plugin is on, that kube-apiserver can
// find an EventRateLimit configuration: without one the plugin has no limits
// and kube-apiserver refuses to start.
func eventRateLimitConfig(a *inputs.APIServer, f *apiserverflags.Flags, v View, r *check.Finding) {
	if r.Status != check.Pass {
		return
	}
	cfgFlag, file, na := check.FileOf(eventRateLimitMeta, a, f, "admission-control-config-file")
	r.Evidence = append(r.Evidence, check.FlagEvidence(cfgFlag))
	fail := func(msg string) {
		r.Status = check.Fail
		r.Message = msg
		r.Location = check.FlagLocation(cfgFlag)
		if r.Location == nil {
			r.Location = v.location("EventRateLimit", false)
		}
	}
	switch {
	case !cfgFlag.Set || cfgFlag.Value == "":
		fail("EventRateLimit is enabled but --admission-control-config-file is not set: the plugin has no limits " +
			"and kube-apiserver refuses to start (\"limits: must not be empty\")")
		return
	case na != nil:
		r.Message += "; its configuration was not checked (" + na.Message + ")"
		return
	}
	tm, err := configfile.Peek(file.Data)
	if err != nil || tm.Kind != "AdmissionConfiguration" {
		fail("EventRateLimit is enabled but " + cfgFlag.Value + " (--admission-control-config-file) is not an " +
			"AdmissionConfiguration, so the plugin gets no configuration and kube-apiserver refuses to start")
		return
	}
	var cfg apiserverv1.AdmissionConfiguration
	doc, err := configfile.Decode(cfgFlag.Value, file.Data, &cfg)
	if err != nil {
		fail("EventRateLimit is enabled but --admission-control-config-file cannot be decoded, so kube-apiserver " +
			"refuses to start: " + err.Error())
		return
	}
	for i, p := range cfg.Plugins {
		if p.Name != "EventRateLimit" {
			continue
		}
		where := "inline configuration"
		if p.Configuration == nil || len(p.Configuration.Raw) == 0 {
			where = "configuration file " + p.Path
		}
		r.Evidence = append(r.Evidence, check.Evidence{
			Key: "plugins[" + itoa(i) + "].name", Value: p.Name, Source: doc.Source("plugins", itoa(i), "name"),
		})
		r.Message += "; configured in " + cfgFlag.Value + " (" + where + ")"
		return
	}
	fail("EventRateLimit is enabled but " + cfgFlag.Value + " (--admission-control-config-file) has no EventRateLimit " +
		"plugin entry: the plugin has no limits and kube-apiserver refuses to start")
}
