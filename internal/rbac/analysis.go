package rbac

import (
	"slices"
	"sort"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Analysis returns who holds cluster-admin power or can reach it, the
// escalation risks every subject holds, and the bindings that are a
// problem in themselves. It is computed once per Policy, on first use, and
// is safe for concurrent callers; the result must not be modified.
//
// How: each role's rules are classified once into capabilities (risks.go);
// capabilities reach subjects through the bindings that name them or their
// groups; a risk is reported when all its halves are held in one scope (a
// RoleBinding grants only its namespace); the capabilities that let one act
// as someone else are edges of a graph (graph.go) searched once from
// cluster-admin power backwards.
func (p *Policy) Analysis() *Analysis {
	p.analysisCache.once.Do(func() { p.analysisCache.a = newAnalyzer(p).run() })
	return p.analysisCache.a
}

// analysisCache holds the Policy's analysis (the Policy struct's field).
type analysisCache struct {
	once sync.Once
	a    *Analysis
}

// Paths lists every shortest path (at most 10) from s to cluster-admin
// power, in a stable order: direct grants first, then paths made of
// Kubernetes defaults, then by the subjects they pass. A User or
// ServiceAccount that no binding names still acts through its implicit
// groups (system:authenticated, system:serviceaccounts[:NS]). nil when s
// has no path.
func (a *Analysis) Paths(s SubjectRef) [][]Step {
	g := a.graph
	if g == nil {
		return nil
	}
	if v, ok := g.index[s]; ok {
		return g.paths(v, "", maxPaths)
	}
	// Not a node: it holds nothing of its own, only its groups' edges.
	var username string
	switch s.Kind {
	case KindUser:
		username = s.Name
	case KindServiceAccount:
		username = ServiceAccountUsername(s.Namespace, s.Name)
	default:
		return nil
	}
	best := int32(-1)
	var starts []int32
	for _, name := range EffectiveGroups(username, nil) {
		v, ok := g.index[SubjectRef{Kind: KindGroup, Name: name}]
		if !ok || g.dist[v] < 0 {
			continue
		}
		switch {
		case best < 0 || g.dist[v] < best:
			best, starts = g.dist[v], []int32{v}
		case g.dist[v] == best:
			starts = append(starts, v)
		}
	}
	var out [][]Step
	for _, v := range starts {
		if len(out) < maxPaths {
			out = append(out, g.paths(v, "as a member of "+g.nodes[v].ref.String()+", ", maxPaths-len(out))...)
		}
	}
	return out
}

type holding struct {
	b    *Binding
	subj int32
}

type capKey struct {
	kind capKind
	ns   string
}

type capAgg struct {
	capKey
	cs []contrib
}

type analyzer struct {
	p *Policy
	g *graph

	caps     []*roleCaps // by role id, classified on first use
	ruleText [][]string  // CompactString of each rule, by role id

	holdings  [][]holding          // by node
	aggs      [][]capAgg           // by node, sorted by kind then namespace
	kindStart [][numCaps + 1]int32 // by node: where each kind starts in aggs

	// ServiceAccounts and what reaches them.
	saExists   map[nsName]bool
	saNodes    map[string][]int32 // existing ServiceAccounts by namespace
	saAnyNodes map[string][]int32 // every ServiceAccount node by namespace
	saByName   map[string][]int32 // existing, by name
	saAnyName  map[string][]int32 // every node, by name
	userNodes  []int32
	groupNodes []int32
	namespaces []string // namespaces with ServiceAccount nodes, sorted

	masters int32

	adminCRs    []*Role // ClusterRoles holding */*/*, by name
	takeoverCRs []*Role // ClusterRoles that give every ServiceAccount of a namespace, by name
	nsTakeover  map[string][]*Role

	comboSeen     map[comboKey]bool
	comboEdgeSeen map[comboEdgeKey]bool

	risks  []Risk
	issues []BindingIssue
}

func newAnalyzer(p *Policy) *analyzer {
	return &analyzer{p: p, caps: make([]*roleCaps, len(p.allRoles)), ruleText: make([][]string, len(p.allRoles))}
}

func (a *analyzer) capsOf(r *Role) *roleCaps {
	if c := a.caps[r.id]; c != nil {
		return c
	}
	c := classifyCaps(r)
	a.caps[r.id] = c
	return c
}

func (a *analyzer) ruleString(r *Role, i int32) string {
	t := a.ruleText[r.id]
	if t == nil {
		t = make([]string, len(r.Rules))
		a.ruleText[r.id] = t
	}
	if i < 0 || int(i) >= len(t) {
		return ""
	}
	if t[i] == "" {
		t[i] = CompactString(r.Rules[i])
	}
	return t[i]
}

func (a *analyzer) run() *Analysis {
	a.buildNodes()
	a.collect()
	a.singleEdges()
	a.combined()
	a.g.search()
	a.singleRisks()
	a.bindingIssues()
	out := &Analysis{Admins: a.admins(), Risks: a.risks, BindingIssues: a.issues, graph: a.g}
	sortRisks(out.Risks)
	sortIssues(out.BindingIssues)
	if out.Admins == nil {
		out.Admins = []Admin{}
	}
	return out
}

// subjectRefOf is the node a binding subject stands for, as appliesToUser
// matches it: a User subject whose name is a ServiceAccount's user name
// matches that ServiceAccount; a ServiceAccount subject without a
// namespace takes the RoleBinding's, and in a ClusterRoleBinding matches
// nobody.
func subjectRefOf(b *Binding, s *rbacv1.Subject) (SubjectRef, bool) {
	switch s.Kind {
	case rbacv1.UserKind:
		if ns, name, ok := SplitServiceAccountUsername(s.Name); ok {
			return SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}, true
		}
		return SubjectRef{Kind: KindUser, Name: s.Name}, true
	case rbacv1.GroupKind:
		return SubjectRef{Kind: KindGroup, Name: s.Name}, true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = b.Namespace
		}
		if ns == "" {
			return SubjectRef{}, false
		}
		return SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: s.Name}, true
	}
	return SubjectRef{}, false
}

func refLess(a, b SubjectRef) bool {
	if a.Kind != b.Kind {
		return kindRank(a.Kind) < kindRank(b.Kind)
	}
	return lessNS(a.Namespace, a.Name, b.Namespace, b.Name)
}

// buildNodes creates a node per subject: every binding subject, every
// ServiceAccount known to exist, and system:masters.
//
// A ServiceAccount exists when it was loaded, when a pod runs as it, when
// it is the "default" of a known namespace (the ServiceAccount controller
// creates it), or, in a namespace whose ServiceAccounts were not loaded at
// all (an RBAC-only dump), when a binding or a token Secret names it.
func (a *analyzer) buildNodes() {
	p := a.p
	known := map[string]bool{}
	for _, n := range p.Namespaces {
		known[n.Name] = true
	}
	loaded := map[string]bool{}
	a.saExists = map[nsName]bool{}
	for _, s := range p.ServiceAccounts {
		loaded[s.Namespace], known[s.Namespace] = true, true
		a.saExists[nsName{s.Namespace, s.Name}] = true
	}
	for _, x := range p.Pods {
		known[x.Namespace] = true
		if x.ServiceAccountName != "" {
			a.saExists[nsName{x.Namespace, x.ServiceAccountName}] = true
		}
	}
	for _, r := range p.Roles {
		known[r.Namespace] = true
	}
	for _, x := range p.RoleBindings {
		known[x.Namespace] = true
	}
	for _, s := range p.Secrets {
		known[s.Namespace] = true
		if s.Type == SecretTypeServiceAccountToken && s.ServiceAccountName != "" && !loaded[s.Namespace] {
			a.saExists[nsName{s.Namespace, s.ServiceAccountName}] = true
		}
	}
	for ns := range known {
		a.saExists[nsName{ns, "default"}] = true
	}

	refs := map[SubjectRef]bool{{Kind: KindGroup, Name: PrivilegedGroup}: true}
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			for i := range b.Subjects {
				ref, ok := subjectRefOf(b, &b.Subjects[i])
				if !ok {
					continue
				}
				refs[ref] = true
				// An assumed built-in binding names the controllers'
				// ServiceAccounts, which kube-controller-manager creates
				// with the bindings: assumed too.
				if ref.Kind == KindServiceAccount && (!loaded[ref.Namespace] || b.Assumed) {
					a.saExists[nsName{ref.Namespace, ref.Name}] = true
				}
			}
		}
	}
	for k := range a.saExists {
		refs[SubjectRef{Kind: KindServiceAccount, Namespace: k.ns, Name: k.name}] = true
	}
	sorted := make([]SubjectRef, 0, len(refs))
	for r := range refs {
		sorted = append(sorted, r)
	}
	sort.Slice(sorted, func(i, j int) bool { return refLess(sorted[i], sorted[j]) })

	g := &graph{index: make(map[SubjectRef]int32, len(sorted)), hubs: map[string]int32{}, subjects: int32(len(sorted))}
	g.nodes = make([]gnode, 1, len(sorted)+64)
	a.saNodes, a.saAnyNodes = map[string][]int32{}, map[string][]int32{}
	a.saByName, a.saAnyName = map[string][]int32{}, map[string][]int32{}
	for _, r := range sorted {
		v := int32(len(g.nodes))
		g.nodes = append(g.nodes, gnode{ref: r})
		g.index[r] = v
		switch r.Kind {
		case KindUser:
			a.userNodes = append(a.userNodes, v)
		case KindGroup:
			a.groupNodes = append(a.groupNodes, v)
		case KindServiceAccount:
			a.saAnyNodes[r.Namespace] = append(a.saAnyNodes[r.Namespace], v)
			a.saAnyName[r.Name] = append(a.saAnyName[r.Name], v)
			if a.saExists[nsName{r.Namespace, r.Name}] {
				a.saNodes[r.Namespace] = append(a.saNodes[r.Namespace], v)
				a.saByName[r.Name] = append(a.saByName[r.Name], v)
			}
		}
	}
	for ns := range a.saAnyNodes {
		a.namespaces = append(a.namespaces, ns)
	}
	sort.Strings(a.namespaces)
	// implicit groups: a User or ServiceAccount acts with its groups' rights
	for v := int32(1); v <= g.subjects; v++ {
		var username string
		switch r := g.nodes[v].ref; r.Kind {
		case KindUser:
			username = r.Name
		case KindServiceAccount:
			username = ServiceAccountUsername(r.Namespace, r.Name)
		default:
			continue
		}
		for _, name := range EffectiveGroups(username, nil) {
			if gv, ok := g.index[SubjectRef{Kind: KindGroup, Name: name}]; ok {
				g.nodes[v].groups = append(g.nodes[v].groups, gv)
			}
		}
	}
	a.masters = g.index[SubjectRef{Kind: KindGroup, Name: PrivilegedGroup}]
	a.g = g
}

// collect attaches every bound role's capabilities to the subjects of its
// bindings: per node, per capability, per scope.
func (a *analyzer) collect() {
	p, g := a.p, a.g
	a.holdings = make([][]holding, len(g.nodes))
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			for i := range b.Subjects {
				ref, ok := subjectRefOf(b, &b.Subjects[i])
				if !ok {
					continue
				}
				v := g.index[ref]
				hs := a.holdings[v]
				if n := len(hs); n > 0 && hs[n-1].b == b {
					continue // the first matching subject entry is the one the authorizer names
				}
				a.holdings[v] = append(hs, holding{b: b, subj: int32(i)})
			}
		}
	}
	for _, r := range p.ClusterRoles {
		rc := a.capsOf(r)
		if rc.admin >= 0 {
			a.adminCRs = append(a.adminCRs, r)
		}
		if rc.takeover {
			a.takeoverCRs = append(a.takeoverCRs, r)
		}
	}
	a.aggs = make([][]capAgg, len(g.nodes))
	a.kindStart = make([][numCaps + 1]int32, len(g.nodes))
	idx := map[capKey]int{}
	for v := range a.holdings {
		clear(idx)
		var aggs []capAgg
		add := func(k capKind, ns string, c contrib) {
			key := capKey{k, ns}
			i, ok := idx[key]
			if !ok {
				i = len(aggs)
				idx[key] = i
				aggs = append(aggs, capAgg{capKey: key})
			}
			aggs[i].cs = append(aggs[i].cs, c)
		}
		for _, h := range a.holdings[v] {
			r := h.b.Role
			if r == nil {
				continue
			}
			rc := a.capsOf(r)
			ns := h.b.Namespace
			if rc.admin >= 0 {
				add(capAdmin, ns, contrib{b: h.b, subj: h.subj, f: &fact{kind: capAdmin, rule: rc.admin, all: true, admin: true}})
			}
			// Every verb on every core resource, through a RoleBinding:
			// full control of the namespace (its Secrets, pods and
			// ServiceAccount tokens), reported once, as */*/* is.
			coreAdmin := ns != "" && rc.coreAll >= 0
			if coreAdmin {
				add(capAdmin, ns, contrib{b: h.b, subj: h.subj, f: &fact{kind: capAdmin, rule: rc.coreAll, all: true, admin: true, core: true}})
			}
			for fi := range rc.facts {
				f := &rc.facts[fi]
				if coreAdmin && f.rule == rc.coreAll && !f.admin {
					nf := *f
					nf.admin = true
					f = &nf
				}
				if ns != "" {
					if capClusterOnly[f.kind] {
						continue
					}
					if f.kind == capNamespacePatch {
						// The request for Namespace N carries namespace N
						// (the request-info resolver), so a RoleBinding in N
						// reaches the Namespace object N, and no other.
						if !f.all && !slices.Contains(f.names, ns) {
							continue
						}
						nf := *f
						nf.all, nf.names = false, []string{ns}
						f = &nf
					}
				}
				add(f.kind, ns, contrib{b: h.b, subj: h.subj, f: f})
			}
		}
		sort.Slice(aggs, func(i, j int) bool {
			if aggs[i].kind != aggs[j].kind {
				return aggs[i].kind < aggs[j].kind
			}
			return aggs[i].ns < aggs[j].ns
		})
		a.aggs[v] = aggs
		if len(aggs) > 0 {
			// kindStart[v][k]: the first of v's capabilities of kind k
			ks := &a.kindStart[v]
			i := 0
			for k := capKind(0); k <= numCaps; k++ {
				for i < len(aggs) && aggs[i].kind < k {
					i++
				}
				ks[k] = int32(i)
			}
		}
	}
	// direct admins: a */*/* rule bound cluster-wide, to the node or an
	// implicit group of it; system:masters before RBAC.
	for v := int32(1); v <= g.subjects; v++ {
		if a.agg(v, capAdmin, "") != nil {
			g.nodes[v].direct = true
		}
	}
	for v := int32(1); v <= g.subjects; v++ {
		for _, gv := range g.nodes[v].groups {
			if g.nodes[gv].direct || gv == a.masters {
				g.nodes[v].direct = true
			}
		}
	}
	g.nodes[a.masters].direct = true
}

// coreOnly reports whether capAdmin contributions are all core-group
// wildcards (none is */*/*).
func coreOnly(cs []contrib) bool {
	for _, c := range cs {
		if !c.f.core {
			return false
		}
	}
	return len(cs) > 0
}

// agg returns node v's capability k in scope ns, or nil.
func (a *analyzer) agg(v int32, k capKind, ns string) *capAgg {
	aggs := a.aggs[v]
	if len(aggs) == 0 {
		return nil
	}
	ks := &a.kindStart[v]
	lo, hi := int(ks[k]), int(ks[k+1])
	if lo == hi {
		return nil
	}
	if ns == "" { // sorted first
		if aggs[lo].ns == "" {
			return &aggs[lo]
		}
		return nil
	}
	for lo < hi { // binary search by namespace
		m := int(uint(lo+hi) >> 1)
		if aggs[m].ns < ns {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < int(ks[k+1]) && aggs[lo].ns == ns {
		return &aggs[lo]
	}
	return nil
}

// held gathers what the holders hold of capability k in scope ns: in a
// namespace, that is its RoleBindings' grants plus the cluster-wide ones.
func (a *analyzer) held(holders []int32, k capKind, ns string) []contrib {
	var out []contrib
	for _, v := range holders {
		if c := a.agg(v, k, ns); c != nil {
			out = append(out, c.cs...)
		}
		if ns != "" {
			if c := a.agg(v, k, ""); c != nil {
				out = append(out, c.cs...)
			}
		}
	}
	return out
}

func (a *analyzer) grant(c contrib) Grant {
	if c.b == nil {
		return privilegedGrant()
	}
	s := c.b.Subjects[c.subj]
	if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
		s.Namespace = c.b.Namespace
	}
	g := Grant{BindingKind: c.b.Kind, BindingName: c.b.Name, BindingNamespace: c.b.Namespace, RuleIndex: -1, Subject: s, Assumed: assumedOf(c.b)}
	if r := c.b.Role; r != nil {
		g.RoleKind, g.RoleName = r.Kind, r.Name
		if c.f != nil {
			g.RuleIndex = int(c.f.rule)
			g.Rule = a.ruleString(r, c.f.rule)
		}
	}
	return g
}

// grants are the distinct grants of contributions (one per binding, subject
// entry and rule).
func (a *analyzer) grants(cs []contrib) []Grant {
	out := make([]Grant, 0, len(cs))
	for i, c := range cs {
		dup := false
		for _, d := range cs[:i] { // contributions are few: a scan beats a map
			if d.b == c.b && d.subj == c.subj && d.f.rule == c.f.rule {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a.grant(c))
		}
	}
	return out
}

// via names the grants of a step: "RoleBinding ci/deployers → ClusterRole edit".
func via(cs []contrib) string {
	var b strings.Builder
	for i, c := range cs {
		dup := false
		for _, d := range cs[:i] {
			if d.b == c.b {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(viaText(c.b))
	}
	return b.String()
}

func viaText(b *Binding) string {
	if b == nil {
		return KindPrivilegedGroup + " " + PrivilegedGroup
	}
	if b.Role == nil {
		return b.String()
	}
	return b.String() + " → " + b.Role.String() + Grant{Assumed: assumedOf(b)}.AssumedNote()
}

// anyAssumed reports whether a contribution's binding or role is an
// assumed built-in.
func anyAssumed(cs []contrib) bool {
	for _, c := range cs {
		if c.b != nil && assumedOf(c.b) != "" {
			return true
		}
	}
	return false
}

func scopeText(ns string) string {
	if ns == "" {
		return "in every namespace"
	}
	return "in namespace " + ns
}

// hubs

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
		if anyAll(cs) {
			g.addEdge(gedge{from: from, to: hub(), w: 1, def: edgeDef(cs, ""), text: text, become: become})
			return
		}
		for _, name := range namesOf(cs) {
			if ns == "" && hubKind != "" {
				h := g.hub(hubKind+":"+name, func(h int32) {
					for _, t := range targets(name) {
						g.addEdge(gedge{from: h, to: t.sa, def: true, note: t.pod})
					}
				})
				g.addEdge(gedge{from: from, to: h, w: 1, def: edgeDef(cs, name), text: text, become: become})
				continue
			}
			for _, t := range targets(name) {
				g.addEdge(gedge{from: from, to: t.sa, w: 1, def: edgeDef(cs, name), text: text, become: become, note: t.pod})
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
					g.addEdge(gedge{from: v, to: sinkNode, w: 1, admin: true, def: edgeDef(cs, ""),
						text: &edgeText{cs: cs, suffix: "holds every verb on every resource of every API group, cluster-wide"}})
				} else {
					what := "every resource"
					if coreOnly(cs) {
						what = "every resource of the core API group"
					}
					g.addEdge(gedge{from: v, to: a.hubSAs(ns, true), w: 1, def: edgeDef(cs, ""),
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
				g.addEdge(gedge{from: v, to: a.hubSAs(ns, true), w: 1, def: edgeDef(cs, ""), text: text, become: "run as"})
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
				if anyAll(cs) {
					g.addEdge(gedge{from: v, to: a.hubAllNodes(ix), w: 1, def: edgeDef(cs, ""), text: text, become: "run as"})
					continue
				}
				for _, name := range namesOf(cs) {
					if len(ix.byNode[name]) > 0 {
						g.addEdge(gedge{from: v, to: a.hubNode(ix, name), w: 1, def: edgeDef(cs, name), text: text, become: "run as"})
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
	return g.hub("pods:"+ns, func(h int32) {
		for _, x := range ix.byNS[ns] {
			g.addEdge(gedge{from: h, to: x.sa, def: true, note: x.pod})
		}
	})
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
	return g.hub("tokens:"+ns, func(h int32) {
		for _, x := range ix.byNS[ns] {
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

// isDefaultPrincipal: a subject of kube-apiserver's default bindings
// (system:masters, the control-plane components and controllers, the
// implicit groups its defaults bind).
var defaultPrincipals = sync.OnceValue(func() map[SubjectRef]bool {
	m := map[SubjectRef]bool{{Kind: KindGroup, Name: PrivilegedGroup}: true}
	b := bootstrap()
	add := func(ns string, subjects []rbacv1.Subject) {
		for i := range subjects {
			if ref, ok := subjectRefOf(&Binding{Namespace: ns}, &subjects[i]); ok {
				m[ref] = true
			}
		}
	}
	for _, x := range b.ClusterRoleBindings {
		add("", x.Subjects)
	}
	for ns, list := range b.RoleBindings {
		for _, x := range list {
			add(ns, x.Subjects)
		}
	}
	return m
})

func (a *analyzer) admins() []Admin {
	g := a.g
	var out []Admin
	for v := int32(1); v <= g.subjects; v++ {
		if g.dist[v] < 0 {
			continue
		}
		ref := g.nodes[v].ref
		ps := g.paths(v, "", 1)
		if len(ps) == 0 {
			continue
		}
		out = append(out, Admin{Subject: ref, Direct: g.nodes[v].direct, Path: ps[0],
			Builtin: defaultPrincipals()[ref] && g.defaultPath(v), DefaultPrincipal: defaultPrincipals()[ref]})
	}
	return out // node order is kind, namespace, name
}

var riskRank = func() map[RiskKind]int {
	m := map[RiskKind]int{}
	for i, k := range []RiskKind{RiskNamespaceAdmin, RiskSecretsRead, RiskWorkloadCreate, RiskPVCreate, RiskNodesProxy, RiskEscalate,
		RiskBind, RiskImpersonate, RiskCSRMint, RiskTokenRequest, RiskWebhookWrite, RiskNamespacePatch, RiskPodExec} {
		m[k] = i
	}
	return m
}()

func sortRisks(rs []Risk) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := &rs[i], &rs[j]
		if a.Kind != b.Kind {
			return riskRank[a.Kind] < riskRank[b.Kind]
		}
		if a.Subject != b.Subject {
			return refLess(a.Subject, b.Subject)
		}
		return a.Namespace < b.Namespace
	})
}

func sortIssues(is []BindingIssue) {
	rank := map[BindingIssueKind]int{IssuePublicSubject: 0, IssueMissingSubject: 1, IssueMissingRole: 2}
	sort.SliceStable(is, func(i, j int) bool {
		if is[i].Kind != is[j].Kind {
			return rank[is[i].Kind] < rank[is[j].Kind]
		}
		return is[i].Binding < is[j].Binding
	})
}

// newRisk builds a risk of subject v from contributions.
func (a *analyzer) newRisk(kind RiskKind, v int32, ns string, cs []contrib, detail string, names []string) Risk {
	ref := a.g.nodes[v].ref
	builtin := defaultPrincipals()[ref]
	for _, c := range cs {
		if !c.b.Default {
			builtin = false
			break
		}
	}
	return Risk{Kind: kind, Subject: ref, Namespace: ns, Detail: detail, Grants: a.grants(cs), Names: names, Builtin: builtin}
}

// singleRisks reports the risks one capability forms alone. A */*/* rule
// is reported once, as namespace-admin (or, cluster-wide, as a direct
// admin): the other risks of a role holding it are not repeated.
func (a *analyzer) singleRisks() {
	g := a.g
	for v := int32(1); v <= g.subjects; v++ {
		for i := range a.aggs[v] {
			ag := &a.aggs[v][i]
			kind := capRisk[ag.kind]
			if kind == "" {
				continue
			}
			if ag.kind == capAdmin {
				if ag.ns != "" {
					detail := "every verb on every resource of every API group"
					if coreOnly(ag.cs) {
						detail = "every verb on every resource of the core API group (Secrets, pods and their exec, ServiceAccount tokens)"
					}
					a.risks = append(a.risks, a.newRisk(kind, v, ag.ns, ag.cs, detail, nil))
				}
				continue
			}
			cs := nonAdmin(ag.cs)
			if len(cs) == 0 {
				continue
			}
			var names []string
			switch ag.kind {
			case capSecrets, capNodesProxy, capTokenRequest, capNamespacePatch, capPodExec:
				names = namesOf(cs)
			case capWorkload:
				// one workload-create risk per scope: writes of running
				// pods join it
				if pp := a.agg(v, capPodPatch, ag.ns); pp != nil {
					cs = append(cs[:len(cs):len(cs)], nonAdmin(pp.cs)...)
				}
			case capPodPatch:
				if w := a.agg(v, capWorkload, ag.ns); w != nil && len(nonAdmin(w.cs)) > 0 {
					continue // reported with capWorkload
				}
				names = namesOf(cs)
			}
			a.risks = append(a.risks, a.newRisk(kind, v, ag.ns, cs, detailOf(cs), names))
		}
	}
}

// bindingIssues: bindings beyond the defaults to everyone, to
// ServiceAccounts that do not exist, and to roles that do not exist.
func (a *analyzer) bindingIssues() {
	p := a.p
	loaded := map[string]bool{}
	exists := map[nsName]bool{}
	for _, s := range p.ServiceAccounts {
		loaded[s.Namespace] = true
		exists[nsName{s.Namespace, s.Name}] = true
	}
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			role := b.RoleRef.Kind + " " + b.RoleRef.Name
			if b.Role != nil {
				role = b.Role.String()
			}
			if b.Role == nil {
				what := role
				if b.RoleRef.Kind == KindRole && b.Namespace != "" {
					what = KindRole + " " + b.Namespace + "/" + b.RoleRef.Name
				}
				detail := "roleRef " + what + " " + p.MissingRoleText() + ": the binding grants nothing until someone creates it, and whoever does decides what its subjects get"
				if b.RoleRef.Kind == KindRole && b.Namespace == "" {
					detail = "a ClusterRoleBinding to a Role never resolves: it grants nothing"
				} else if b.RoleRef.Kind != KindRole && b.RoleRef.Kind != KindClusterRole {
					detail = "roleRef kind " + quote(b.RoleRef.Kind) + " is neither Role nor ClusterRole: it grants nothing"
				}
				a.issues = append(a.issues, BindingIssue{Kind: IssueMissingRole, Binding: b.String(), Role: what, Detail: detail, Source: b.Source})
			}
			if b.Default {
				continue
			}
			for i := range b.Subjects {
				s := &b.Subjects[i]
				ref, ok := subjectRefOf(b, s)
				if !ok {
					continue
				}
				switch {
				case (ref.Kind == KindUser && ref.Name == Anonymous) || (ref.Kind == KindGroup && (ref.Name == AllUnauthenticated || ref.Name == AllAuthenticated)):
					r := ref
					a.issues = append(a.issues, BindingIssue{Kind: IssuePublicSubject, Binding: b.String(), Subject: &r, Role: role,
						Detail: publicDetail(r) + " " + a.roleBrief(b.Role), Source: b.Source})
				case ref.Kind == KindServiceAccount && loaded[ref.Namespace] && !exists[nsName{ref.Namespace, ref.Name}]:
					r := ref
					a.issues = append(a.issues, BindingIssue{Kind: IssueMissingSubject, Binding: b.String(), Subject: &r, Role: role,
						Detail: "ServiceAccount " + ref.Namespace + "/" + ref.Name + " does not exist (the namespace's ServiceAccounts were read): whoever may create it there gets " + role,
						Source: b.Source})
				}
			}
		}
	}
}

func publicDetail(r SubjectRef) string {
	switch r.Name {
	case Anonymous:
		return "every unauthenticated request (system:anonymous) gets"
	case AllUnauthenticated:
		return "every unauthenticated request (system:unauthenticated) gets"
	default:
		return "every authenticated user and ServiceAccount (system:authenticated) gets"
	}
}

// roleBrief says in brief what a role grants: cluster-admin power, the
// escalation risks it carries, or its first rules.
func (a *analyzer) roleBrief(r *Role) string {
	if r == nil {
		return "nothing yet (the role does not exist)"
	}
	rc := a.capsOf(r)
	if rc.admin >= 0 {
		return "every verb on every resource (" + r.String() + ")"
	}
	var kinds []string
	seen := map[RiskKind]bool{}
	for _, f := range rc.facts {
		k := capRisk[f.kind]
		switch f.kind {
		case capEscalateRoles, capEscalateClusterRoles:
			k = RiskEscalate
		case capBindRoles, capBindClusterRoles:
			k = RiskBind
		case capImpersonateUsers, capImpersonateServiceAccounts, capImpersonateGroups:
			k = RiskImpersonate
		case capCSRApprove:
			k = RiskCSRMint
		}
		if k != "" && !seen[k] {
			seen[k] = true
			kinds = append(kinds, string(k))
		}
	}
	s := r.String()
	if len(r.Rules) == 0 {
		return s + ", which has no rules"
	}
	s += ": " + summarizeRules(r.Rules)
	if len(kinds) > 0 {
		s += "; escalation risks: " + strings.Join(kinds, ", ")
	}
	return s
}

// SecretReaders are the subjects, beyond Kubernetes' own principals by
// unmodified defaults and the direct cluster admins, that may read Secrets
// (RiskSecretsRead), sorted. Reading a legacy ServiceAccount token Secret
// makes one that ServiceAccount, so when the model holds no token Secrets
// because they could not be read (Policy.SecretsUnavailable), these are
// the subjects whose paths onwards were not assessed.
func (a *Analysis) SecretReaders() []SubjectRef {
	direct := map[SubjectRef]bool{}
	for _, ad := range a.Admins {
		if ad.Direct {
			direct[ad.Subject] = true
		}
	}
	seen := map[SubjectRef]bool{}
	var out []SubjectRef
	for _, r := range a.Risks { // sorted by kind, subject
		if r.Kind != RiskSecretsRead || r.Builtin || direct[r.Subject] || seen[r.Subject] {
			continue
		}
		seen[r.Subject] = true
		out = append(out, r.Subject)
	}
	return out
}
