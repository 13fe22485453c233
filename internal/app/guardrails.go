package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/guardrails"
	"github.com/apiguard/apiguard/internal/rbac"
)

// GuardrailsOptions is apiguard guardrails.
type GuardrailsOptions struct {
	// RBAC is where the admins and the powerful roles are read (dumps or
	// live); NoRBAC generates from --admins and the built-in roles alone.
	RBAC   RBACInput
	NoRBAC bool
	Admins []string
	Action string
	// StaticDir, when set, receives the static policy that keeps the
	// guardrails from being changed by anyone but the admins
	// (guardrails.SelfProtection), as apiguard-guardrails-protect.yaml.
	StaticDir string
}

// GuardrailsResult is the policies, and how they were made.
type GuardrailsResult struct {
	Set guardrails.Set
	// Admins are the exempt subjects: given, and found in RBAC.
	Admins []guardrails.Subject
	// Found are the cluster-admin holders apiguard found in the RBAC model.
	Found []rbac.Admin
	// StaticFile is the static policy written to StaticDir, and
	// AdmissionConfig the AdmissionConfiguration that loads it.
	StaticFile, AdmissionConfig string
}

// Guardrails builds the admission policies: the roles that grant
// cluster-admin power and the subjects that hold it come from the RBAC
// model (a dump or the cluster), the admins given are added.
func Guardrails(ctx context.Context, o GuardrailsOptions) (*GuardrailsResult, error) {
	action, err := guardrails.ParseAction(o.Action)
	if err != nil {
		return nil, Input(err)
	}
	res := &GuardrailsResult{}
	for _, s := range o.Admins {
		sub, err := guardrails.ParseSubject(s)
		if err != nil {
			return nil, Input(fmt.Errorf("--admins %v", err))
		}
		res.Admins = append(res.Admins, sub)
	}
	var roles []guardrails.RoleRules
	if !o.NoRBAC {
		p, err := loadRBAC(ctx, o.RBAC)
		if err != nil {
			return nil, err
		}
		for _, r := range append(append([]*rbac.Role{}, p.ClusterRoles...), p.Roles...) {
			roles = append(roles, guardrails.RoleRules{Namespace: r.Namespace, Name: r.Name, Rules: r.Rules})
		}
		for _, a := range p.Analysis().Admins {
			// Only holders of cluster-admin power are exempt: a subject that
			// could reach it by an escalation (bind, escalate, impersonate,
			// ...) is what the guardrails stop.
			if !a.Direct {
				continue
			}
			res.Found = append(res.Found, a)
			res.Admins = append(res.Admins, guardrails.Subject{Kind: a.Subject.Kind, Name: a.Subject.Name, Namespace: a.Subject.Namespace})
		}
	}
	sort.Slice(res.Admins, func(i, j int) bool {
		return res.Admins[i].Kind+res.Admins[i].Namespace+res.Admins[i].Name < res.Admins[j].Kind+res.Admins[j].Namespace+res.Admins[j].Name
	})
	opts := guardrails.Options{Action: action, Admins: res.Admins, PowerfulRoles: guardrails.PowerfulRoles(roles)}
	res.Set = guardrails.Generate(opts)
	if o.StaticDir != "" {
		if !filepath.IsAbs(o.StaticDir) {
			return nil, Input(fmt.Errorf("--static-dir %s: kube-apiserver wants an absolute path", o.StaticDir))
		}
		self := guardrails.SelfProtection(opts)
		var b bytes.Buffer
		for i, obj := range []any{self.Policies[0], self.Bindings[0]} {
			y, err := yaml.Marshal(obj)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(y)
		}
		if err := os.MkdirAll(o.StaticDir, 0o755); err != nil {
			return nil, err
		}
		res.StaticFile = filepath.Join(o.StaticDir, "apiguard-guardrails-protect.yaml")
		if err := os.WriteFile(res.StaticFile, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		res.AdmissionConfig = guardrails.StaticAdmissionConfig(o.StaticDir)
	}
	return res, nil
}

// GuardrailsTestOptions is apiguard guardrails test.
type GuardrailsTestOptions struct {
	Audit []string
	// Policies is a YAML file of ValidatingAdmissionPolicies (apiguard
	// guardrails output); without it, Generate's policies are replayed.
	Policies  string
	Generated GuardrailsOptions
}

// GuardrailsTestResult is what the policies would have denied.
type GuardrailsTestResult struct {
	Policies []string            `json:"policies"`
	Denials  []guardrails.Denial `json:"denials"`
	// Undetermined are requests allowed on what the log holds by policies
	// that also read the object before the update, which it does not.
	Undetermined []guardrails.Denial    `json:"undetermined"`
	Stats        guardrails.ReplayStats `json:"stats"`
	// BadLines counts audit lines that did not decode.
	BadLines int `json:"badLines,omitempty"`
}

// GuardrailsTest replays the logged write requests through the policies
// with kube-apiserver's own evaluator.
func GuardrailsTest(ctx context.Context, o GuardrailsTestOptions) (*GuardrailsTestResult, error) {
	if len(o.Audit) == 0 {
		return nil, Input(fmt.Errorf("--audit LOG is required"))
	}
	var policies []admissionv1.ValidatingAdmissionPolicy
	if o.Policies != "" {
		data, err := fileinput.ReadFile(o.Policies, fileinput.ConfigFile)
		if err != nil {
			return nil, Input(err)
		}
		if policies, err = guardrails.ReadPolicies(o.Policies, data); err != nil {
			return nil, Input(err)
		}
	} else {
		g, err := Guardrails(ctx, o.Generated)
		if err != nil {
			return nil, err
		}
		policies = g.Set.Policies
	}
	rp, err := guardrails.NewReplayer(policies)
	if err != nil {
		return nil, Input(fmt.Errorf("%s: %v", o.Policies, err))
	}
	r, err := auditlog.OpenWith(ctx, auditlog.OpenOptions{}, o.Audit...)
	if err != nil {
		return nil, Input(err)
	}
	defer r.Close()
	res := &GuardrailsTestResult{Denials: []guardrails.Denial{}, Undetermined: []guardrails.Denial{}}
	for _, p := range policies {
		res.Policies = append(res.Policies, p.Name)
	}
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *auditlog.LineError
		if errors.As(err, &le) {
			res.BadLines++
			continue
		}
		if err != nil {
			return nil, Input(err)
		}
		if !finalStage(ev) {
			continue
		}
		if _, write := map[string]bool{"create": true, "update": true, "patch": true, "delete": true}[ev.Verb]; !write || ev.ObjectRef == nil {
			continue
		}
		res.Stats.Writes++
		v := rp.Judge(ctx, ev)
		if !v.Judged {
			res.Stats.Skipped++
			continue
		}
		res.Stats.Judged++
		res.Denials = append(res.Denials, v.Denials...)
		res.Undetermined = append(res.Undetermined, v.Undetermined...)
	}
	guardrails.SortDenials(res.Denials)
	guardrails.SortDenials(res.Undetermined)
	return res, nil
}

// finalStage: each request is judged once, on its last logged stage.
func finalStage(ev *auditv1.Event) bool {
	return ev.Stage == auditv1.StageResponseComplete || ev.Stage == auditv1.StagePanic
}
