package rbac

import (
	"sync"
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

// run's phases, one file each: analysis_nodes.go (a node per subject),
// analysis_collect.go (the capabilities that reach each subject),
// analysis_edges.go and analysis_hubs.go (the escalation graph's edges and
// the hub nodes they share), risks_combined.go (capabilities that form a
// risk or an edge together), analysis_risks.go (risks and binding
// issues), analysis_admins.go (the admins and their paths) and
// analysis_grants.go (how contributions read in results).
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
