package guardrails

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"
)

// Denial is a logged request a policy would have denied.
type Denial struct {
	Policy    string    `json:"policy"`
	Message   string    `json:"message"`
	AuditID   string    `json:"auditID"`
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Verb      string    `json:"verb"`
	Resource  string    `json:"resource"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name,omitempty"`
	// Code is the status the server answered; Refused when it answered
	// 403 (with deny policies applied, the denials it made).
	Code int `json:"code"`
}

// ReplayStats count what the replay could judge.
type ReplayStats struct {
	// Writes are the write requests in the log; Judged those with an
	// object to judge (the request body, or for a patch the response
	// body); Skipped the rest (Metadata level, patches without a response).
	Writes, Judged, Skipped int
}

// Replayer judges logged write requests with kube-apiserver's validating
// admission policy evaluator (k8s.io/apiserver, the code the server runs).
type Replayer struct {
	policies   []admissionv1.ValidatingAdmissionPolicy
	validators []validating.Validator
	// readsOld marks the policies whose expressions read oldObject, which
	// the audit log does not hold.
	readsOld []bool
}

// NewReplayer compiles the policies as kube-apiserver does.
func NewReplayer(policies []admissionv1.ValidatingAdmissionPolicy) (*Replayer, error) {
	r := &Replayer{policies: policies}
	envSet := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	for i := range policies {
		v := compile(&policies[i], envSet)
		if err := v.CompileError(); err != nil {
			return nil, fmt.Errorf("policy %s: %v", policies[i].Name, err)
		}
		r.validators = append(r.validators, v)
		r.readsOld = append(r.readsOld, readsOldObject(&policies[i]))
	}
	return r, nil
}

// compile is k8s.io/apiserver's validating plugin compilePolicy (not
// exported) for a policy without params.
func compile(p *admissionv1.ValidatingAdmissionPolicy, envSet *environment.EnvSet) validating.Validator {
	optionalVars := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true}
	exprVars := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: false}
	fc, err := cel.NewCompositedCompiler(envSet)
	if err != nil {
		return validating.NewValidator(nil, nil, nil, nil, p.Spec.FailurePolicy, err)
	}
	var vars []cel.NamedExpressionAccessor
	for i := range p.Spec.Variables {
		vars = append(vars, &validating.Variable{Name: p.Spec.Variables[i].Name, Expression: p.Spec.Variables[i].Expression})
	}
	fc.CompileAndStoreVariables(vars, optionalVars, environment.StoredExpressions)
	var matcher matchconditions.Matcher
	if len(p.Spec.MatchConditions) > 0 {
		var acc []cel.ExpressionAccessor
		for i := range p.Spec.MatchConditions {
			acc = append(acc, (*matchconditions.MatchCondition)(&p.Spec.MatchConditions[i]))
		}
		matcher = matchconditions.NewMatcher(fc.CompileCondition(acc, optionalVars, environment.StoredExpressions), p.Spec.FailurePolicy, "policy", "validate", p.Name)
	}
	var valid, msgs, audits []cel.ExpressionAccessor
	for _, v := range p.Spec.Validations {
		valid = append(valid, &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason})
		if v.MessageExpression != "" {
			msgs = append(msgs, &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression})
		} else {
			msgs = append(msgs, nil)
		}
	}
	for _, a := range p.Spec.AuditAnnotations {
		audits = append(audits, &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression})
	}
	return validating.NewValidator(
		fc.CompileCondition(valid, optionalVars, environment.StoredExpressions),
		matcher,
		fc.CompileCondition(audits, optionalVars, environment.StoredExpressions),
		fc.CompileCondition(msgs, exprVars, environment.StoredExpressions),
		p.Spec.FailurePolicy, nil)
}

func readsOldObject(p *admissionv1.ValidatingAdmissionPolicy) bool {
	var all []string
	for _, v := range p.Spec.Variables {
		all = append(all, v.Expression)
	}
	for _, v := range p.Spec.Validations {
		all = append(all, v.Expression)
	}
	for _, m := range p.Spec.MatchConditions {
		all = append(all, m.Expression)
	}
	return strings.Contains(strings.Join(all, " "), "oldObject")
}

// Verdict is what the replay says of one request.
type Verdict struct {
	// Denials are the policies that would deny it.
	Denials []Denial
	// Judged is false when the log does not hold the object admission saw.
	Judged bool
	// Undetermined names the policies that allowed it on what the log
	// holds but read the object before an update (oldObject), which the
	// log does not hold: they might have denied it.
	Undetermined []Denial
}

var operations = map[string]admission.Operation{"create": admission.Create, "update": admission.Update, "patch": admission.Update, "delete": admission.Delete}

// Judge evaluates one audit event (its final stage).
func (r *Replayer) Judge(ctx context.Context, ev *auditv1.Event) Verdict {
	op, write := operations[ev.Verb]
	if !write || ev.ObjectRef == nil || ev.ObjectRef.Resource == "" {
		return Verdict{}
	}
	ref := ev.ObjectRef
	obj, ok := objectOf(ev)
	if !ok {
		return Verdict{}
	}
	gvr := schema.GroupVersionResource{Group: ref.APIGroup, Version: ref.APIVersion, Resource: ref.Resource}
	var gvk schema.GroupVersionKind
	if obj != nil {
		gvk = obj.GroupVersionKind()
	}
	u := &user.DefaultInfo{Name: ev.User.Username, Groups: ev.User.Groups}
	if ev.ImpersonatedUser != nil {
		u = &user.DefaultInfo{Name: ev.ImpersonatedUser.Username, Groups: ev.ImpersonatedUser.Groups}
	}
	var object runtime.Object
	if obj != nil {
		object = obj
	}
	attrs := admission.NewAttributesRecord(object, nil, gvk, ref.Namespace, ref.Name, gvr, ref.Subresource, op, nil, false, u)
	va := &admission.VersionedAttributes{Attributes: attrs, VersionedObject: object, VersionedKind: gvk}
	var ns *corev1.Namespace
	if ref.Namespace != "" {
		ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ref.Namespace, Labels: map[string]string{"kubernetes.io/metadata.name": ref.Namespace}}}
	}
	out := Verdict{Judged: true}
	code := 0
	if ev.ResponseStatus != nil {
		code = int(ev.ResponseStatus.Code)
	}
	entry := func(policy, msg string) Denial {
		return Denial{Policy: policy, Message: msg, AuditID: string(ev.AuditID), Time: ev.RequestReceivedTimestamp.Time.UTC(),
			User: u.Name, Verb: ev.Verb, Resource: resourceName(ref), Namespace: ref.Namespace, Name: ref.Name, Code: code}
	}
	for i, p := range r.policies {
		if !matches(p.Spec.MatchConstraints, ref, op) {
			continue
		}
		res := r.validators[i].Validate(ctx, gvr, va, nil, ns, celconfig.RuntimeCELCostBudget, nil)
		denied := false
		for _, d := range res.Decisions {
			if d.Action == validating.ActionDeny {
				denied = true
				out.Denials = append(out.Denials, entry(p.Name, d.Message))
			}
		}
		if !denied && r.readsOld[i] && op == admission.Update {
			out.Undetermined = append(out.Undetermined, entry(p.Name, "reads the object before the update (oldObject), which the audit log does not hold"))
		}
	}
	return out
}

func resourceName(ref *auditv1.ObjectReference) string {
	s := ref.Resource
	if ref.Subresource != "" {
		s += "/" + ref.Subresource
	}
	if ref.APIGroup != "" {
		s += "." + ref.APIGroup
	}
	return s
}

// objectOf is the object admission saw: the request body of a create or
// update, the response body of a patch (the object after it, logged at
// RequestResponse), nothing for a delete. ok is false when the log does
// not hold it.
func objectOf(ev *auditv1.Event) (*unstructured.Unstructured, bool) {
	if ev.Verb == "delete" {
		return nil, true
	}
	raw := ev.RequestObject
	if ev.Verb == "patch" {
		raw = ev.ResponseObject
	}
	if raw == nil || len(raw.Raw) == 0 {
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(raw.Raw, &m); err != nil || m["kind"] == nil || m["kind"] == "Status" {
		return nil, false
	}
	return &unstructured.Unstructured{Object: m}, true
}

// matches applies the policy's resource rules and namespace selector (by
// the kubernetes.io/metadata.name label, the only one apiguard's
// guardrails use) to the request.
func matches(mr *admissionv1.MatchResources, ref *auditv1.ObjectReference, op admission.Operation) bool {
	if mr == nil {
		return false
	}
	res := ref.Resource
	if ref.Subresource != "" {
		res += "/" + ref.Subresource
	}
	if sel := mr.NamespaceSelector; sel != nil && len(sel.MatchExpressions) > 0 {
		if ref.Namespace == "" {
			return false
		}
		for _, e := range sel.MatchExpressions {
			if e.Key == "kubernetes.io/metadata.name" && e.Operator == metav1.LabelSelectorOpIn && !slices.Contains(e.Values, ref.Namespace) {
				return false
			}
		}
	}
	for _, r := range mr.ResourceRules {
		if (slices.Contains(r.APIGroups, ref.APIGroup) || slices.Contains(r.APIGroups, "*")) && slices.Contains(r.Resources, res) &&
			(slices.Contains(r.Operations, admissionv1.OperationType(op)) || slices.Contains(r.Operations, admissionv1.OperationAll)) {
			return true
		}
	}
	return false
}

// SortDenials orders denials by time, then audit ID and policy.
func SortDenials(d []Denial) {
	sort.SliceStable(d, func(i, j int) bool {
		if !d[i].Time.Equal(d[j].Time) {
			return d[i].Time.Before(d[j].Time)
		}
		if d[i].AuditID != d[j].AuditID {
			return d[i].AuditID < d[j].AuditID
		}
		return d[i].Policy < d[j].Policy
	})
}

// String is one line for people.
func (d Denial) String() string {
	where := d.Resource
	if d.Namespace != "" {
		where += " " + d.Namespace + "/" + d.Name
	} else if d.Name != "" {
		where += " " + d.Name
	}
	return fmt.Sprintf("%s %s %s %s: %s [%s]", d.Time.Format(time.RFC3339), d.User, d.Verb, strings.TrimSpace(where), d.Message, d.Policy)
}
