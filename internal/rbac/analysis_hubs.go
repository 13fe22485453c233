package rbac

import (
	"sort"
	"strings"
)

// Hubs: shared nodes standing for a set of subjects (the ServiceAccounts
// of a namespace, the pods of a node, every user, ...), so that one
// capability is one edge, not one per member.

func (a *analyzer) hubSAs(ns string, existing bool) int32 {
	g := a.g
	key, members := "sa*:"+ns, a.saAnyNodes
	if existing {
		key, members = "sa:"+ns, a.saNodes
	}
	if ns == "" {
		return g.hub(key, func(h int32) {
			for _, n := range a.namespaces {
				if len(members[n]) > 0 {
					g.addEdge(gedge{from: h, to: a.hubSAs(n, existing), def: true})
				}
			}
		})
	}
	return g.hub(key, func(h int32) {
		for _, v := range members[ns] {
			g.addEdge(gedge{from: h, to: v, def: true})
		}
	})
}

// podSA is a ServiceAccount node and how it is reached: "pod NS/NAME",
// "token Secret NS/NAME".
type podSA struct {
	sa  int32
	pod string
}

// podsIndex: by namespace, by pod name, by node; each ServiceAccount once
// per namespace and node (the first pod in name order).
type podsIndex struct {
	all    []podSA
	byNS   map[string][]podSA
	byKey  map[nsName][]podSA
	byName map[string][]podSA
	byNode map[string][]podSA
	nodes  []string
}

func (a *analyzer) pods() *podsIndex {
	ix := &podsIndex{byNS: map[string][]podSA{}, byNode: map[string][]podSA{}}
	type nodeSA struct {
		node string
		sa   int32
	}
	seenNS := make([]bool, len(a.g.nodes))
	seenNode := map[nodeSA]bool{}
	lastNS := ""
	var nsSAs map[string]int32   // the namespace's ServiceAccount nodes by name
	for _, x := range a.p.Pods { // sorted by namespace, name
		if x.ServiceAccountName == "" {
			continue
		}
		if x.Namespace != lastNS || nsSAs == nil {
			lastNS, nsSAs = x.Namespace, map[string]int32{}
			for _, v := range a.saAnyNodes[x.Namespace] {
				nsSAs[a.g.nodes[v].ref.Name] = v
			}
		}
		v, ok := nsSAs[x.ServiceAccountName]
		if !ok {
			continue
		}
		ps := podSA{sa: v, pod: "pod " + x.Namespace + "/" + x.Name}
		ix.all = append(ix.all, ps)
		if !seenNS[v] {
			seenNS[v] = true
			ix.byNS[x.Namespace] = append(ix.byNS[x.Namespace], ps)
		}
		if x.NodeName != "" {
			k := nodeSA{x.NodeName, v}
			if !seenNode[k] {
				if len(ix.byNode[x.NodeName]) == 0 {
					ix.nodes = append(ix.nodes, x.NodeName)
				}
				seenNode[k] = true
				ix.byNode[x.NodeName] = append(ix.byNode[x.NodeName], ps)
			}
		}
	}
	sort.Strings(ix.nodes)
	return ix
}

// named indexes the pods by name, on first use (only resourceNames need it).
func (ix *podsIndex) named() {
	if ix.byName != nil {
		return
	}
	ix.byName, ix.byKey = map[string][]podSA{}, map[nsName][]podSA{}
	for _, ps := range ix.all {
		ns, name, _ := strings.Cut(strings.TrimPrefix(ps.pod, "pod "), "/")
		ix.byName[name] = append(ix.byName[name], ps)
		ix.byKey[nsName{ns, name}] = []podSA{ps}
	}
}

// tokensIndex: legacy token Secrets of existing ServiceAccounts.
type tokensIndex struct {
	byNS   map[string][]podSA
	byKey  map[nsName][]podSA
	byName map[string][]podSA
	nss    []string
}

func (a *analyzer) tokens() *tokensIndex {
	ix := &tokensIndex{byNS: map[string][]podSA{}, byKey: map[nsName][]podSA{}, byName: map[string][]podSA{}}
	for _, s := range a.p.Secrets {
		if s.Type != SecretTypeServiceAccountToken || s.ServiceAccountName == "" || !a.saExists[nsName{s.Namespace, s.ServiceAccountName}] {
			continue
		}
		v, ok := a.g.index[SubjectRef{Kind: KindServiceAccount, Namespace: s.Namespace, Name: s.ServiceAccountName}]
		if !ok {
			continue
		}
		t := podSA{sa: v, pod: "token Secret " + s.Namespace + "/" + s.Name}
		ix.byKey[nsName{s.Namespace, s.Name}] = []podSA{t}
		if len(ix.byNS[s.Namespace]) == 0 {
			ix.nss = append(ix.nss, s.Namespace)
		}
		ix.byNS[s.Namespace] = append(ix.byNS[s.Namespace], t)
		ix.byName[s.Name] = append(ix.byName[s.Name], t)
	}
	return ix
}

func (a *analyzer) hubUsers() int32 {
	return a.g.hub("users", func(h int32) {
		for _, v := range a.userNodes {
			a.g.addEdge(gedge{from: h, to: v, def: true})
		}
	})
}

// hubGroups: every group (system:masters too, unless noMasters).
func (a *analyzer) hubGroups(noMasters bool) int32 {
	if !noMasters {
		return a.g.hub("groups", func(h int32) {
			a.g.addEdge(gedge{from: h, to: a.hubGroups(true), def: true})
			a.g.addEdge(gedge{from: h, to: a.masters, def: true})
		})
	}
	return a.g.hub("groups-but-masters", func(h int32) {
		for _, v := range a.groupNodes {
			if v != a.masters {
				a.g.addEdge(gedge{from: h, to: v, def: true})
			}
		}
	})
}

func (a *analyzer) hubPods(ix *podsIndex, ns string) int32 {
	g := a.g
	if ns == "" {
		return g.hub("pods:", func(h int32) {
			for _, n := range a.namespaces {
				if len(ix.byNS[n]) > 0 {
					g.addEdge(gedge{from: h, to: a.hubPods(ix, n), def: true})
				}
			}
		})
	}
	return g.saHub("pods:"+ns, ix.byNS, ns)
}

func (a *analyzer) hubTokens(ix *tokensIndex, ns string) int32 {
	g := a.g
	if ns == "" {
		return g.hub("tokens:", func(h int32) {
			for _, n := range ix.nss {
				g.addEdge(gedge{from: h, to: a.hubTokens(ix, n), def: true})
			}
		})
	}
	return g.saHub("tokens:"+ns, ix.byNS, ns)
}

// saHub is the hub of one namespace's pods or token Secrets (byNS[ns]):
// an edge to the ServiceAccount of each.
func (g *graph) saHub(key string, byNS map[string][]podSA, ns string) int32 {
	return g.hub(key, func(h int32) {
		for _, x := range byNS[ns] {
			g.addEdge(gedge{from: h, to: x.sa, def: true, note: x.pod})
		}
	})
}

func (a *analyzer) hubNode(ix *podsIndex, node string) int32 {
	g := a.g
	return g.hub("node:"+node, func(h int32) {
		for _, x := range ix.byNode[node] {
			g.addEdge(gedge{from: h, to: x.sa, def: true, note: x.pod + " on node " + node})
		}
	})
}

func (a *analyzer) hubAllNodes(ix *podsIndex) int32 {
	return a.g.hub("nodes:", func(h int32) {
		for _, n := range ix.nodes {
			a.g.addEdge(gedge{from: h, to: a.hubNode(ix, n), def: true})
		}
	})
}

// hubCSR: a client certificate names any user and groups (but
// system:masters, which the CertificateSubjectRestriction admission plugin
// refuses for this signer); a ServiceAccount's user name in the CN matches
// its bindings too.
func (a *analyzer) hubCSR() int32 {
	return a.g.hub("csr", func(h int32) {
		a.g.addEdge(gedge{from: h, to: a.hubUsers(), def: true})
		a.g.addEdge(gedge{from: h, to: a.hubGroups(true), def: true})
		a.g.addEdge(gedge{from: h, to: a.hubSAs("", false), def: true})
	})
}
