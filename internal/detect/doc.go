package detect

import (
	"fmt"
	"strings"
	"time"
)

// FunctionDoc documents one CEL function rules may call.
type FunctionDoc struct {
	Signature string
	Doc       string
}

// Functions are the functions apiguard adds to CEL for rules (besides the
// standard library, cel-go's strings, sets and lists extensions and
// optional types: obj.?field.orValue(default)).
var Functions = []FunctionDoc{
	{"allowed(event) bool", "the authorizer allowed the request (annotation `authorization.k8s.io/decision` is `allow`)"},
	{"forbidden(event) bool", "the authorizer denied it (`forbid`); 403s from admission are not denials"},
	{"execCommand(event) string", "the command of an exec request: every `command=` parameter of the URI, URL-decoded, joined by spaces"},
	{"queryParam(uri, name) list(string)", "the decoded values of a query parameter"},
	{"writtenObject(event) dyn", "the object a create, update or patch writes: the request body, or for a patch the response body when it is the object (RequestResponse)"},
	{"podSpecs(obj) list", "the pod specs of a Pod, PodTemplate, Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job or CronJob (and of a merge patch of one); `podSpecs(event)` reads `writtenObject(event)`"},
	{"containers(obj) list", "containers, initContainers and ephemeralContainers of every pod spec"},
	{"hostPaths(obj) list(string)", "the hostPath volume paths of every pod spec, cleaned (`/var/../etc/` is `/etc`)"},
	{"pathUnder(path, prefixes) bool", "the cleaned path is one of the prefixes or below one"},
	{"ipInCIDRs(ip, cidrs) bool", "the address is in one of the CIDRs"},
	{"requestMentions(event, strings) bool", "the raw request body contains one of the strings: a cheap test that spares decoding bodies that cannot match"},
	{"ipNetwork(ip, bits) string", "the network of the address, `10.244.0.0/16` for `ipNetwork(\"10.244.3.7\", 16)` (IPv6 addresses keep `bits`+64 bits); `\"\"` when it is not an address"},
	{"outsideCIDRs(ips, cidrs) bool", "some address of the list is in none of the CIDRs"},
	{"peerIP(event) string", "the address that connected: the last of sourceIPs (earlier ones come from X-Forwarded-For or X-Real-Ip and can be forged)"},
	{"uriPath(event) string", "the request path without its query, cleaned"},
	{"clientName(event) string", "the product of the user agent, lower-cased: the text before the first `/` or space (`kubectl`, `curl`, `rakkess`)"},
	{"target(event) string", "what the request is about, for messages: `deployments.apps/scale prod/web`, or the path"},
	{"outcome(event) string", "`\"\"` when the request succeeded, else ` (failed: 403 Forbidden)` and the like"},
	{"identity(event) string", "the identity the request acted as: `impersonatedUser.username` when present, else `user.username`; alerts and windows (default `by`) are attributed to it"},
	{"isServiceAccount(event) bool", "the user is a ServiceAccount"},
	{"saNamespace(event) string", "the namespace of that ServiceAccount"},
	{"isNode(event) bool", "the user is a kubelet (`system:node:NAME` in `system:nodes`)"},
	{"controlPlane(event) bool", "the user is a control-plane component: `system:apiserver`, `system:kube-controller-manager`, `system:kube-scheduler`, `system:cloud-controller-manager`, or a kube-system ServiceAccount of kube-controller-manager's controllers (`--use-service-account-credentials`)"},
}

// EventFields lists the event fields rules may select, as
// "event.objectRef.resource"; requestObject, responseObject, annotations
// and user.extra are maps of any content.
func EventFields() []string {
	var out []string
	for _, f := range fields[kEvent] {
		if k, ok := subObject[f]; ok {
			for _, g := range fields[k] {
				out = append(out, "event."+f+"."+g)
			}
			continue
		}
		out = append(out, "event."+f)
	}
	return out
}

// CatalogueMarkdown renders the rules (sorted by tactic) as the catalogue
// section of docs/audit-detection.md.
func CatalogueMarkdown(rules []Rule) string {
	rules = append([]Rule(nil), rules...)
	SortRules(rules)
	var b strings.Builder
	count := map[string]int{}
	for _, r := range rules {
		count[r.Tactic]++
	}
	fmt.Fprintf(&b, "%d rules:\n\n| tactic | rules |\n|---|---|\n", len(rules))
	for _, t := range Tactics {
		if count[t] > 0 {
			fmt.Fprintf(&b, "| [%s](#%s) | %d |\n", TacticTitle(t), anchor(TacticTitle(t)), count[t])
		}
	}
	tactic := ""
	for _, r := range rules {
		if r.Tactic != tactic {
			tactic = r.Tactic
			fmt.Fprintf(&b, "\n### %s\n\n", TacticTitle(tactic))
			fmt.Fprintf(&b, "| ID | severity | needs | technique | Threat Matrix for Kubernetes | title |\n|---|---|---|---|---|---|\n")
			for _, x := range rules {
				if x.Tactic == tactic {
					fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", x.ID, anchor(x.ID), x.Severity, x.Level, techniquesText(x), msTechniqueText(x.MSTechnique), x.Title)
				}
			}
		}
		fmt.Fprintf(&b, "\n#### %s\n\n**%s** (%s, %s; %s). Needs the **%s** level for `%s`.", r.ID, r.Title, r.Severity, techniquesText(r), msTechniqueText(r.MSTechnique), r.Level, r.Request)
		if len(r.Sources) > 0 {
			fmt.Fprintf(&b, " Merged from: %s.", strings.Join(r.Sources, ", "))
		}
		if len(r.Params) > 0 {
			var flags []string
			for _, p := range r.Params {
				flags = append(flags, "`--"+flagOfParam(p)+"`")
			}
			fmt.Fprintf(&b, " Active with %s.", strings.Join(flags, " or "))
		}
		if w := r.Window; w != nil {
			by := w.By
			if by == "" {
				by = DefaultBy
			}
			what := "events"
			if w.Distinct != "" {
				what = "distinct `" + w.Distinct + "`"
			}
			fmt.Fprintf(&b, " Window: %d %s within %s per `%s`.", w.Count, what, shortDuration(timeDuration(w.Within)), by)
		}
		if s := r.Sequence; s != nil {
			by := s.By
			if by == "" {
				by = DefaultBy
			}
			fmt.Fprintf(&b, " Sequence: %d step(s) then the condition, within %s per `%s`.", len(s.After), shortDuration(timeDuration(s.Within)), by)
		}
		if f := r.FirstSeen; f != nil {
			fmt.Fprintf(&b, " First seen: %s, after learning for %s.", f.Describe(), shortDuration(timeDuration(f.Learn)))
		}
		fmt.Fprintf(&b, "\n\n%s\n\n", strings.TrimSpace(r.Description))
		if s := r.Sequence; s != nil {
			for k, step := range s.After {
				fmt.Fprintf(&b, "Step %d:\n\n```cel\n%s\n```\n\nthen:\n\n", k+1, strings.TrimRight(step, "\n"))
			}
		}
		fmt.Fprintf(&b, "```cel\n%s\n```\n", strings.TrimRight(r.Condition, "\n"))
	}
	b.WriteString("\n### Event fields\n\n")
	for _, f := range EventFields() {
		fmt.Fprintf(&b, "`%s` ", f)
	}
	b.WriteString("\n\n### Functions\n\n| function | |\n|---|---|\n")
	for _, f := range Functions {
		fmt.Fprintf(&b, "| `%s` | %s |\n", f.Signature, f.Doc)
	}
	return b.String()
}

func anchor(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// msTechniqueText is "MS-TA9018 Privileged container", or "-".
func msTechniqueText(id string) string {
	t, ok := msTechniques[id]
	if !ok {
		return "-"
	}
	return id + " " + t.Name
}

// techniquesText links the rule's Containers-matrix technique and, when
// it names one, its Enterprise technique ("T1543.005, Enterprise T1546").
func techniquesText(r Rule) string {
	s := techniqueLink(r.Technique)
	if r.EnterpriseTechnique != "" {
		s += ", Enterprise " + techniqueLink(r.EnterpriseTechnique)
	}
	return s
}

func techniqueLink(t string) string {
	return fmt.Sprintf("[%s](https://attack.mitre.org/techniques/%s/)", t, strings.ReplaceAll(t, ".", "/"))
}

func timeDuration(d Duration) time.Duration { return time.Duration(d) }
