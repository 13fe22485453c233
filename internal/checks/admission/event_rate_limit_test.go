package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

const admissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: /etc/kubernetes/pod-security.yaml
- name: EventRateLimit
  configuration:
    apiVersion: eventratelimit.admission.k8s.io/v1alpha1
    kind: Configuration
    limits:
    - type: Namespace
      qps: 50
      burst: 100
`

const admissionConfigByPath = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: EventRateLimit
  path: eventratelimit.yaml
`

const admissionConfigWithout = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: /etc/kubernetes/pod-security.yaml
`

func TestEventRateLimitEnabled(t *testing.T) {
	on := "--enable-admission-plugins=NodeRestriction,EventRateLimit"
	cfg := "--admission-control-config-file=/etc/kubernetes/admission.yaml"
	ct.Table(t, EventRateLimitEnabled, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Fail, Contains: "not rate limited"},
		{Name: "enabled with inline configuration", Snap: ct.File(ct.Snapshot(on, cfg), "admission-control-config-file", admissionConfig), Want: check.Pass, Contains: "inline configuration"},
		{Name: "enabled with configuration by path", Snap: ct.File(ct.Snapshot(on, cfg), "admission-control-config-file", admissionConfigByPath), Want: check.Pass, Contains: "eventratelimit.yaml"},
		{Name: "enabled without the config flag", Snap: ct.Snapshot(on), Want: check.Fail, Contains: "refuses to start"},
		{Name: "enabled, blank config flag", Snap: ct.Snapshot(on, "--admission-control-config-file="), Want: check.Fail, Contains: "not set"},
		{Name: "config file has no entry", Snap: ct.File(ct.Snapshot(on, cfg), "admission-control-config-file", admissionConfigWithout), Want: check.Fail, Contains: "no EventRateLimit"},
		{Name: "config file is not an AdmissionConfiguration", Snap: ct.File(ct.Snapshot(on, cfg), "admission-control-config-file", "imagePolicy:\n  kubeConfigFile: /x\n"), Want: check.Fail, Contains: "not an AdmissionConfiguration"},
		{Name: "config file has an unknown field", Snap: ct.File(ct.Snapshot(on, cfg), "admission-control-config-file", admissionConfig+"extra: 1\n"), Want: check.Fail, Contains: "cannot be decoded"},
		{Name: "config file unreadable", Snap: ct.Unavailable(ct.Snapshot(on, cfg), "admission-control-config-file", "permission denied"), Want: check.Pass, Contains: "not checked"},
		{Name: "config file not collected", Snap: ct.Snapshot(on, cfg), Want: check.Pass, Contains: "not collected"},
		{Name: "repeated flags accumulate", Snap: ct.File(ct.Snapshot("--enable-admission-plugins=EventRateLimit", "--enable-admission-plugins=NodeRestriction", cfg), "admission-control-config-file", admissionConfig), Want: check.Pass},
		{Name: "config without the plugin", Snap: ct.File(ct.Snapshot(cfg), "admission-control-config-file", admissionConfig), Want: check.Fail, Contains: "not enabled"},
		{Name: "look-alike", Snap: ct.Snapshot("--enable-admission-plugins=EventRateLimits"), Want: check.Fail, Contains: "not EventRateLimit"},
		{Name: "in both lists", Snap: ct.Snapshot("--enable-admission-plugins=EventRateLimit", "--disable-admission-plugins=EventRateLimit"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestEventRateLimitEvidence(t *testing.T) {
	s := ct.File(ct.Snapshot("--enable-admission-plugins=EventRateLimit", "--admission-control-config-file=/etc/kubernetes/admission.yaml"),
		"admission-control-config-file", admissionConfig)
	f := ct.One(t, EventRateLimitEnabled, s)
	ct.Evidence(t, f, "--admission-control-config-file")
	if e := ct.Evidence(t, f, "plugins[1].name"); e.Value != "EventRateLimit" || e.Source != "/etc/kubernetes/admission.yaml:6" {
		t.Fatalf("evidence = %+v", e)
	}
	// Missing config file flag: point at the plugin list that enables it.
	g := ct.One(t, EventRateLimitEnabled, ct.Snapshot("--profiling=false", "--enable-admission-plugins=EventRateLimit"))
	if g.Location == nil || g.Location.Line != 3 {
		t.Fatalf("location = %+v", g.Location)
	}
	// Bad file: point at the config file flag.
	h := ct.One(t, EventRateLimitEnabled, ct.File(ct.Snapshot("--enable-admission-plugins=EventRateLimit", "--admission-control-config-file=/a.yaml"),
		"admission-control-config-file", admissionConfigWithout))
	if h.Location == nil || h.Location.Line != 3 {
		t.Fatalf("location = %+v", h.Location)
	}
}
