package rbac

import (
	"slices"
)

// The edges one capability makes on its own: acting as another subject.

// edgeDef reports whether unmodified defaults alone allow the named object
// (name "" for any).
func edgeDef(cs []contrib, name string) bool {
	for _, c := range cs {
		if c.b.Default && (c.f.all || (name != "" && slices.Contains(c.f.names, name))) {
			return true
		}
	}
	return false
}

// singleEdges adds the edges one capability makes on its own.
func (a *analyzer) singleEdges() {
	g := a.g
	// first, so that it is system:masters' first path: no binding can revoke it
	g.addEdge(gedge{from: a.masters, to: sinkNode, w: 1, admin: true, def: true, via: viaText(nil),
		action: "is in system:masters, which kube-apiserver allows every request before asking RBAC"})
	var pix *podsIndex
	var tix *tokensIndex
	podIx := func() *podsIndex {
		if pix == nil {
			pix = a.pods()
		}
		return pix
	}
	tokIx := func() *tokensIndex {
		if tix == nil {
			tix = a.tokens()
		}
		return tix
	}
	userByName := map[string]int32{}
	for _, v := range a.userNodes {
		userByName[g.nodes[v].ref.Name] = v
	}
	// named targets: every member through a hub, or the objects of the
	// names. Cluster-wide, a name stands for one object per namespace, so
	// it gets a hub of its own (keyed by hubKind) and fan-out stays linear.
	toNamed := func(from int32, cs []contrib, ns, hubKind string, text *edgeText, become string, hub func() int32, targets func(name string) []podSA) {
		names, alt := namesOf(cs), false
		if anyAll(cs) {
			g.addEdge(gedge{from: from, to: hub(), w: 1, def: edgeDef(cs, ""), text: text, become: become, need: []need{needAll(cs)}})
			// the named grants beside it, for Cuts: they stay when the
			// grant of every name goes
			names, alt = namesOf(restricted(cs)), true
		}
		for _, name := range names {
			nd := []need{needName(cs, name)}
			if ns == "" && hubKind != "" {
				h := g.hub(hubKind+":"+name, func(h int32) {
					for _, t := range targets(name) {
						g.addEdge(gedge{from: h, to: t.sa, def: true, note: t.pod})
					}
				})
				g.addEdge(gedge{from: from, to: h, w: 1, def: edgeDef(cs, name), text: text, become: become, need: nd, alt: alt})
				continue
			}
			for _, t := range targets(name) {
				g.addEdge(gedge{from: from, to: t.sa, w: 1, def: edgeDef(cs, name), text: text, become: become, note: t.pod, need: nd, alt: alt})
			}
		}
	}
	saTargets := func(ns string, existing bool) func(string) []podSA {
		return func(name string) []podSA {
			if ns != "" {
				v, ok := g.index[SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}]
				if !ok || (existing && !a.saExists[nsName{ns, name}]) {
					return nil
				}
				return []podSA{{sa: v}}
			}
			byName := a.saAnyName
			if existing {
				byName = a.saByName
			}
			out := make([]podSA, 0, len(byName[name]))
			for _, v := range byName[name] {
				out = append(out, podSA{sa: v})
			}
			return out
		}
	}
	for v := int32(1); v <= g.subjects; v++ {
		for i := range a.aggs[v] {
			ag := &a.aggs[v][i]
			cs, ns := ag.cs, ag.ns
			if ag.kind == capAdmin {
				// One edge stands for everything a */*/* rule allows: the
				// grant itself cluster-wide, every ServiceAccount of the
				// namespace through a RoleBinding.
				if ns == "" {
					g.addEdge(gedge{from: v, to: sinkNode, w: 1, admin: true, def: edgeDef(cs, ""), need: []need{needAny(cs)},
						text: &edgeText{cs: cs, suffix: "holds every verb on every resource of every API group, cluster-wide"}})
				} else {
					what := "every resource"
					if coreOnly(cs) {
						what = "every resource of the core API group"
					}
					g.addEdge(gedge{from: v, to: a.hubSAs(ns, true), w: 1, def: edgeDef(cs, ""), need: []need{needAny(cs)},
						text: &edgeText{cs: cs, suffix: "holds every verb on " + what + " in namespace " + ns}, become: "act as"})
				}
				continue
			}
			if cs = nonAdmin(cs); len(cs) == 0 {
				continue
			}
			text := &edgeText{cs: cs, detail: true, suffix: " " + scopeText(ns)}
			switch ag.kind {
			case capWorkload:
				g.addEdge(gedge{from: v, to: a.hubSAs(ns, true), w: 1, def: edgeDef(cs, ""), text: text, become: "run as", need: []need{needAny(cs)}})
			case capTokenRequest:
				toNamed(v, cs, ns, "sa-named", text, "authenticate as",
					func() int32 { return a.hubSAs(ns, true) }, saTargets(ns, true))
			case capImpersonateServiceAccounts:
				// impersonation does not look the ServiceAccount up: any
				// user name system:serviceaccount:NS:NAME will do
				toNamed(v, cs, ns, "sa*-named", text, "act as",
					func() int32 { return a.hubSAs(ns, false) }, saTargets(ns, false))
			case capImpersonateUsers:
				text.suffix = ""
				toNamed(v, cs, ns, "", text, "act as", a.hubUsers, func(name string) []podSA {
					if u, ok := userByName[name]; ok {
						return []podSA{{sa: u}}
					}
					return nil
				})
			case capPodExec, capPodPatch:
				ix := podIx()
				become := "run as"
				if ag.kind == capPodPatch {
					become = "run a new container image as"
				}
				toNamed(v, cs, ns, "pod-named", text, become, func() int32 { return a.hubPods(ix, ns) }, func(name string) []podSA {
					ix.named()
					if ns != "" {
						return ix.byKey[nsName{ns, name}]
					}
					return ix.byName[name]
				})
			case capSecrets:
				ix := tokIx()
				toNamed(v, cs, ns, "token-named", text, "authenticate as", func() int32 { return a.hubTokens(ix, ns) }, func(name string) []podSA {
					if ns != "" {
						return ix.byKey[nsName{ns, name}]
					}
					return ix.byName[name]
				})
			case capNodesProxy:
				ix := podIx()
				text.suffix = " (the kubelet API: exec in any pod of the node)"
				names, alt := namesOf(cs), false
				if anyAll(cs) {
					g.addEdge(gedge{from: v, to: a.hubAllNodes(ix), w: 1, def: edgeDef(cs, ""), text: text, become: "run as", need: []need{needAll(cs)}})
					names, alt = namesOf(restricted(cs)), true // for Cuts, as in toNamed
				}
				for _, name := range names {
					if len(ix.byNode[name]) > 0 {
						g.addEdge(gedge{from: v, to: a.hubNode(ix, name), w: 1, def: edgeDef(cs, name), text: text, become: "run as",
							need: []need{needName(cs, name)}, alt: alt})
					}
				}
			}
		}
		// a User or ServiceAccount takes its implicit groups' edges
		for _, gv := range g.nodes[v].groups {
			g.addEdge(gedge{from: v, to: gv, def: true})
		}
	}
}
