package detect

import (
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/decls"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// The CEL environment rules are written in.
//
// Variables:
//
//	event   the audit.k8s.io/v1 Event, with its JSON field names
//	        (event.verb, event.user.username, event.objectRef.resource,
//	        event.annotations["authorization.k8s.io/decision"], ...).
//	        Absent objects read as empty: event.objectRef.resource is ""
//	        for a non-resource request, event.impersonatedUser.username is
//	        "" without impersonation, event.responseStatus.code is 0, and
//	        event.requestObject is {} when the level did not record it;
//	        has(event.impersonatedUser) tells whether it is present.
//	params  the scan's parameters: params.allowCIDRs, params.podCIDRs,
//	        params.nodeCIDRs (lists of CIDR strings).
//
// Functions (besides CEL's standard library, cel-go's strings, sets and
// lists extensions, and optional types):
//
//	allowed(event) bool       the authorizer allowed the request
//	                          (annotation authorization.k8s.io/decision=allow)
//	forbidden(event) bool     the authorizer denied it (decision=forbid)
//	execCommand(event) string the command of an exec request, decoded from
//	                          every command= parameter of the URI, joined by spaces
//	queryParam(uri, name) list(string)   decoded values of a query parameter
//	writtenObject(event) dyn  the object a create/update/patch writes: the
//	                          request body, or for a patch the response body
//	                          when it is the object (RequestResponse)
//	podSpecs(obj) list        the pod specs of a Pod, PodTemplate, Deployment,
//	                          DaemonSet, StatefulSet, ReplicaSet,
//	                          ReplicationController, Job or CronJob (and of
//	                          a merge patch of one)
//	containers(obj) list      containers, initContainers and
//	                          ephemeralContainers of every pod spec (and of a
//	                          pods/ephemeralcontainers body)
//	hostPaths(obj) list(string)  hostPath volume paths of every pod spec, cleaned
//	pathUnder(p, prefixes) bool  cleaned path p is one of prefixes or below one
//	ipInCIDRs(ip, cidrs) bool    ip (string) is in one of the CIDR strings
//	requestMentions(event, l) bool  the raw request body holds one of the
//	                             strings: a cheap test before decoding it
//	ipNetwork(ip, bits) string   the network of ip with a prefix of bits (an
//	                             IPv4 prefix for IPv4 and IPv4-mapped addresses,
//	                             bits+64 of IPv6 ones): "10.244.0.0/16"; "" if
//	                             ip is not an address
//	outsideCIDRs(ips, cidrs) bool  some ip of the list is in none of the CIDRs
//	peerIP(event) string      the address that connected: the last of
//	                          sourceIPs (earlier ones come from
//	                          X-Forwarded-For / X-Real-Ip and can be forged)
//	uriPath(event) string     the request path without its query, cleaned
//	                          (/healthz/../api is /api)
//	clientName(event) string  the product of the user agent, lower-cased:
//	                          "kubectl", "kubelet", "curl", "python-requests",
//	                          "go-http-client", "rakkess" (text before the
//	                          first '/' or space)
//	target(event) string      what the request is about, for messages:
//	                          "deployments.apps/scale prod/web" or the URI path
//	outcome(event) string     "" when the request succeeded, else
//	                          " (failed: 403 Forbidden)" and the like
//	identity(event) string    the identity the request acted as:
//	                          impersonatedUser.username when present, else
//	                          user.username (alerts and windows attribute to it)
//	isServiceAccount(event) bool  the user is a ServiceAccount
//	saNamespace(event) string the namespace of that ServiceAccount, else ""
//	isNode(event) bool        the user is a kubelet (system:node:NAME in group
//	                          system:nodes)
//	controlPlane(event) bool  the user is a control-plane component:
//	                          system:apiserver, system:kube-controller-manager,
//	                          system:kube-scheduler,
//	                          system:cloud-controller-manager, or a
//	                          kube-system ServiceAccount of a controller
//	                          (kube-controller-manager with
//	                          --use-service-account-credentials: names ending
//	                          in -controller and the others it uses)

// fields lists the fields rules may select on each object of the event;
// rule conditions are checked against it when they are loaded.

func stringsOf(v ref.Val) ([]string, bool) {
	switch x := v.Value().(type) {
	case []string:
		return x, true
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	n := int(l.Size().(types.Int))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		s, ok := l.Get(types.Int(i)).(types.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

func listVal(v []any) ref.Val { return types.DefaultTypeAdapter.NativeToValue(v) }

// The functions taking strings and lists of strings check their arguments
// themselves (decls.DisableTypeGuards): cel-go's generic guard allocates
// an iterator per list argument per call. isString and isStringList are
// that guard (types.Type.IsAssignableRuntimeType for string and
// list(string), which looks at a list's first element), errors and
// unknowns failing it; a failure gives the guard's error
// (decls.MaybeNoSuchOverload).
func isString(v ref.Val) bool {
	_, ok := v.(types.String)
	return ok
}

func isStringList(v ref.Val) bool {
	if types.IsUnknownOrError(v) || v.Type().TypeName() != types.ListType.TypeName() {
		return false
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return false
	}
	if l.Size() == types.IntZero {
		return true
	}
	return l.Get(types.IntZero).Type().TypeName() == types.StringType.TypeName()
}

// paramsValue is the params variable: a map of prepared lists (reading
// params.allowCIDRs neither reflects nor converts).
func paramsValue(params map[string][]string) ref.Val {
	m := make(map[ref.Val]ref.Val, len(params))
	for k, v := range params {
		m[types.String(k)] = types.NewStringList(types.DefaultTypeAdapter, v)
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, m)
}

// celEnv builds the environment (once per process).
func celEnv() (*cel.Env, error) {
	eventFn := func(name string, fn func(c *evalCtx) ref.Val, result *cel.Type, doc string) cel.EnvOption {
		return cel.Function(name, cel.FunctionDocs(doc), cel.Overload(name+"_event", []*cel.Type{cel.DynType}, result,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				c, ok := eventArg(v)
				if !ok {
					return errNotEvent
				}
				return fn(c)
			})))
	}
	decision := func(c *evalCtx) string { return c.ev.Annotations["authorization.k8s.io/decision"] }
	return cel.NewEnv(
		cel.Variable("event", cel.DynType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.ListType(cel.StringType))),
		ext.Strings(), ext.Sets(), ext.Lists(), cel.OptionalTypes(), cel.CrossTypeNumericComparisons(true),
		eventFn("allowed", func(c *evalCtx) ref.Val { return types.Bool(decision(c) == "allow") }, cel.BoolType,
			"the authorizer allowed the request"),
		eventFn("forbidden", func(c *evalCtx) ref.Val { return types.Bool(decision(c) == "forbid") }, cel.BoolType,
			"the authorizer denied the request"),
		eventFn("execCommand", func(c *evalCtx) ref.Val { return types.String(c.execCommand()) }, cel.StringType,
			"the decoded command of an exec request"),
		eventFn("writtenObject", func(c *evalCtx) ref.Val { return c.writtenObject() }, cel.DynType,
			"the object a create, update or patch writes"),
		eventFn("peerIP", func(c *evalCtx) ref.Val {
			ips := c.ev.SourceIPs
			if len(ips) == 0 {
				return types.String("")
			}
			return types.String(ips[len(ips)-1])
		}, cel.StringType, "the address that connected (the last of sourceIPs)"),
		eventFn("uriPath", func(c *evalCtx) ref.Val { return types.String(uriPath(c.ev.RequestURI)) }, cel.StringType,
			"the cleaned request path without its query"),
		eventFn("clientName", func(c *evalCtx) ref.Val { return types.String(clientName(c.ev.UserAgent)) }, cel.StringType,
			"the product of the user agent, lower-cased"),
		eventFn("target", func(c *evalCtx) ref.Val { return types.String(c.target()) }, cel.StringType,
			"what the request is about"),
		eventFn("outcome", func(c *evalCtx) ref.Val { return types.String(outcome(c.ev)) }, cel.StringType,
			"the failure of the request, or empty"),
		eventFn("identity", func(c *evalCtx) ref.Val { return types.String(identityOf(c.ev)) }, cel.StringType,
			"the identity the request acted as: the impersonated user, else the authenticated one"),
		eventFn("isServiceAccount", func(c *evalCtx) ref.Val {
			return types.Bool(strings.HasPrefix(c.ev.User.Username, saPrefix))
		}, cel.BoolType, "the user is a ServiceAccount"),
		eventFn("saNamespace", func(c *evalCtx) ref.Val {
			ns, _ := saOf(c.ev.User.Username)
			return types.String(ns)
		}, cel.StringType, "the namespace of the ServiceAccount user"),
		eventFn("isNode", func(c *evalCtx) ref.Val { return types.Bool(isNode(&c.ev.User)) }, cel.BoolType,
			"the user is a kubelet"),
		eventFn("controlPlane", func(c *evalCtx) ref.Val { return types.Bool(isControlPlane(c.ev.User.Username)) }, cel.BoolType,
			"the user is a control-plane component"),
		cel.Function("queryParam", cel.Overload("queryParam_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
			cel.BinaryBinding(func(u, n ref.Val) ref.Val {
				if !isString(u) || !isString(n) {
					return decls.MaybeNoSuchOverload("queryParam", u, n)
				}
				return types.NewStringList(types.DefaultTypeAdapter, queryValues(string(u.(types.String)), string(n.(types.String))))
			})), decls.DisableTypeGuards(true)),
		cel.Function("podSpecs", cel.Overload("podSpecs_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType),
			cel.UnaryBinding(func(v ref.Val) ref.Val { return listVal(podSpecsOf(objectArg(v))) }))),
		cel.Function("containers", cel.Overload("containers_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				obj := objectArg(v)
				return listVal(containersOf(podSpecsOf(obj)))
			}))),
		cel.Function("hostPaths", cel.Overload("hostPaths_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				return types.NewStringList(types.DefaultTypeAdapter, hostPathsOf(podSpecsOf(objectArg(v))))
			}))),
		stringListFn("pathUnder", pathUnder),
		stringListFn("ipInCIDRs", ipIn),
		cel.Function("requestMentions", cel.Overload("requestMentions_event_list", []*cel.Type{cel.DynType, cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(v, l ref.Val) ref.Val {
				c, ok := eventArg(v)
				if !ok {
					return errNotEvent
				}
				needles, ok := stringsOf(l)
				if !ok {
					return types.NewErr("requestMentions: want a list of strings")
				}
				return types.Bool(c.requestMentions(needles))
			}))),
		cel.Function("ipNetwork", cel.Overload("ipNetwork_string_int", []*cel.Type{cel.StringType, cel.IntType}, cel.StringType,
			cel.BinaryBinding(func(ip, bits ref.Val) ref.Val {
				s, ok1 := ip.(types.String)
				n, ok2 := bits.(types.Int)
				if !ok1 || !ok2 {
					return decls.MaybeNoSuchOverload("ipNetwork", ip, bits)
				}
				return types.String(ipNetwork(string(s), int(n)))
			})), decls.DisableTypeGuards(true)),
		cel.Function("outsideCIDRs", cel.Overload("outsideCIDRs_list_list", []*cel.Type{cel.ListType(cel.StringType), cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(ipl, l ref.Val) ref.Val {
				if !isStringList(ipl) || !isStringList(l) {
					return decls.MaybeNoSuchOverload("outsideCIDRs", ipl, l)
				}
				ips, ok1 := stringsOf(ipl)
				cidrs, ok2 := stringsOf(l)
				if !ok1 || !ok2 {
					return types.NewErr("outsideCIDRs: want lists of strings")
				}
				for _, ip := range ips {
					if !ipIn(ip, cidrs) {
						return types.True
					}
				}
				return types.False
			})), decls.DisableTypeGuards(true)),
	)
}

// stringListFn declares name(string, list(string)) bool, computed by f.
func stringListFn(name string, f func(s string, list []string) bool) cel.EnvOption {
	return cel.Function(name, cel.Overload(name+"_string_list", []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
		cel.BinaryBinding(func(s, l ref.Val) ref.Val {
			if !isString(s) || !isStringList(l) {
				return decls.MaybeNoSuchOverload(name, s, l)
			}
			list, ok := stringsOf(l)
			if !ok {
				return types.NewErr("%s: want a list of strings", name)
			}
			return types.Bool(f(string(s.(types.String)), list))
		})), decls.DisableTypeGuards(true))
}
