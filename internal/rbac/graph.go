package rbac

import (
	"sort"
	"strings"
)

// The escalation graph. Nodes are subjects (Users, Groups,
// ServiceAccounts), hubs (a set of subjects one edge reaches at once: "any
// ServiceAccount of namespace ci", "every pod's ServiceAccount on node
// n1"), and the sink: cluster-admin power. An edge is one step one subject
// can take to act as another (weight 1), or a free move: from a hub to its
// members, from a User or ServiceAccount into its implicit groups, whose
// edges it shares (weight 0). Hubs keep fan-out linear: a thousand
// subjects that may create pods in a namespace point at one hub, not at
// each of its ServiceAccounts.
//
// Shortest paths to the sink come from one multi-source search on the
// reversed graph (0-1 BFS: weight-0 edges stay in the current distance).

const sinkNode = 0

type gnode struct {
	ref SubjectRef // Kind "" for hubs and the sink
	// groups are the implicit groups (existing nodes) a User or
	// ServiceAccount is in.
	groups []int32
	direct bool // holds cluster-admin power itself or through an implicit group
}

type gedge struct {
	from, to int32
	w        uint8 // 1: a step; 0: hub membership or implicit group
	// def: unmodified Kubernetes defaults alone allow this edge.
	def bool
	// admin: the edge is a direct grant of cluster-admin power (to the sink).
	admin bool
	// action is what the step does ("create pods in namespace ci"); become
	// how the target is used ("run as"); note says which pod, node or
	// Secret a hub member is reached through. text, when set, gives action
	// and via instead.
	action, become, via, note string
	text                      *edgeText
	// need is what the edge rests on, for Cuts: every need must stay met
	// when a binding is removed. nil for edges no binding grants
	// (system:masters, hub membership, implicit groups).
	need []need
	// alt: another way to the same target (a second binding of an
	// escalatable role, a second binding to join), kept for Cuts alone:
	// paths and defaults never walk it.
	alt bool
}

// edgeText is an edge's action and via, written when a path is rendered:
// most edges are never on a listed path. Rendering writes nothing back, so
// concurrent Paths calls are safe.
type edgeText struct {
	cs     []contrib
	detail bool // the action is detailOf(cs) + suffix, else suffix alone
	suffix string
	// assumed: the step uses an assumed built-in besides its grants (the
	// role it binds or escalates, the binding it joins).
	assumed bool
}

func (e *gedge) actionText() string {
	switch {
	case e.text == nil:
		return e.action
	case e.text.detail:
		return detailOf(e.text.cs) + e.text.suffix
	default:
		return e.text.suffix
	}
}

func (e *gedge) viaText() string {
	if e.text != nil {
		return via(e.text.cs)
	}
	return e.via
}

// assumed: a grant of the edge is an assumed built-in.
func (e *gedge) assumed() bool { return e.text != nil && (e.text.assumed || anyAssumed(e.text.cs)) }

type graph struct {
	nodes    []gnode
	index    map[SubjectRef]int32
	subjects int32 // nodes 1..subjects are subjects; hubs follow
	edges    []gedge
	hubs     map[string]int32

	// after search
	outStart []int32 // forward CSR: edges of node v are outEdges[outStart[v]:outStart[v+1]]
	outEdges []int32
	dist     []int32 // steps to the sink, -1 when unreachable
	defOK    []int8  // 0 unknown, 1 a shortest path of default edges exists, -1 none
}

func (g *graph) isSubject(v int32) bool { return v > 0 && v <= g.subjects }

func (g *graph) addEdge(e gedge) { g.edges = append(g.edges, e) }

// hub returns the hub named key, creating it with build on first use.
func (g *graph) hub(key string, build func(h int32)) int32 {
	if h, ok := g.hubs[key]; ok {
		return h
	}
	h := int32(len(g.nodes))
	g.nodes = append(g.nodes, gnode{})
	g.hubs[key] = h
	build(h)
	return h
}

// search computes every node's distance to the sink and the forward
// adjacency used to list paths.
func (g *graph) search() {
	n := int32(len(g.nodes))
	inStart := make([]int32, n+1)
	g.outStart = make([]int32, n+1)
	for i := range g.edges {
		inStart[g.edges[i].to+1]++
		g.outStart[g.edges[i].from+1]++
	}
	for v := int32(0); v < n; v++ {
		inStart[v+1] += inStart[v]
		g.outStart[v+1] += g.outStart[v]
	}
	inEdges := make([]int32, len(g.edges))
	g.outEdges = make([]int32, len(g.edges))
	inFill := append([]int32(nil), inStart[:n]...)
	outFill := append([]int32(nil), g.outStart[:n]...)
	for i := range g.edges {
		e := &g.edges[i]
		inEdges[inFill[e.to]] = int32(i)
		inFill[e.to]++
		g.outEdges[outFill[e.from]] = int32(i)
		outFill[e.from]++
	}
	g.dist = make([]int32, n)
	for i := range g.dist {
		g.dist[i] = -1
	}
	// Dial's algorithm with two buckets: cur holds the nodes at distance d
	// (weight-0 relaxations go back into it), next those at d+1.
	done := make([]bool, n)
	g.dist[sinkNode] = 0
	cur, next := []int32{sinkNode}, []int32(nil)
	for d := int32(0); len(cur) > 0; d++ {
		for len(cur) > 0 {
			v := cur[len(cur)-1]
			cur = cur[:len(cur)-1]
			if done[v] {
				continue
			}
			done[v] = true
			for _, ei := range inEdges[inStart[v]:inStart[v+1]] {
				e := &g.edges[ei]
				u := e.from
				nd := d + int32(e.w)
				if done[u] || (g.dist[u] >= 0 && g.dist[u] <= nd) {
					continue
				}
				g.dist[u] = nd
				if e.w == 0 {
					cur = append(cur, u)
				} else {
					next = append(next, u)
				}
			}
		}
		cur, next = next, cur[:0]
	}
	// Whether a shortest path of defaults exists, for every node now: Paths
	// only reads the graph afterwards, so concurrent callers are safe.
	g.defOK = make([]int8, n)
	for v := int32(0); v < n; v++ {
		if g.dist[v] >= 0 {
			g.defaultPath(v)
		}
	}
}

// tight reports whether edge e lies on a shortest path.
func (g *graph) tight(e *gedge) bool {
	return g.dist[e.to] >= 0 && g.dist[e.from] == g.dist[e.to]+int32(e.w)
}

// defaultPath reports whether v has a shortest path made only of edges
// that unmodified defaults allow. The tight edges form a DAG (weight-0
// edges never form a cycle: they go from a subject into a group, or from a
// hub outward), so memoised recursion ends.
func (g *graph) defaultPath(v int32) bool {
	if v == sinkNode {
		return true
	}
	if g.defOK[v] != 0 {
		return g.defOK[v] > 0
	}
	g.defOK[v] = -1 // a guard; tight edges cannot lead back here
	for _, ei := range g.outEdges[g.outStart[v]:g.outStart[v+1]] {
		e := &g.edges[ei]
		if !e.alt && e.def && g.tight(e) && g.defaultPath(e.to) {
			g.defOK[v] = 1
			return true
		}
	}
	return false
}

// orderedTight lists v's tight out-edges in the order paths are listed: a
// direct grant first, then edges whose path is all defaults, then by
// target (node ids follow the sorted subjects) and insertion.
func (g *graph) orderedTight(v int32) []int32 {
	var out []int32
	for _, ei := range g.outEdges[g.outStart[v]:g.outStart[v+1]] {
		if e := &g.edges[ei]; !e.alt && g.tight(e) {
			out = append(out, ei)
		}
	}
	rank := func(ei int32) int {
		e := &g.edges[ei]
		r := 0
		switch {
		case e.admin:
		case e.w == 0 && g.isSubject(e.to) && g.nodes[e.to].direct && g.isSubject(e.from):
			r = 1 // into a group that is a direct admin
		default:
			r = 2
		}
		r *= 2
		if !(e.def && g.defaultPath(e.to)) {
			r++
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return g.edges[out[i]].to < g.edges[out[j]].to
	})
	return out
}

// maxPaths bounds Paths; maxRawPaths bounds the walk (several walks can
// read the same, e.g. two hubs to one ServiceAccount).
const (
	maxPaths    = 10
	maxRawPaths = 200
)

// paths lists up to max shortest paths from v, rendered; prefix is
// prepended to the first step (membership of a subject without a node).
func (g *graph) paths(v int32, prefix string, max int) [][]Step {
	if g.dist == nil || v < 0 || int(v) >= len(g.nodes) || g.dist[v] < 0 {
		return nil
	}
	var (
		out  [][]Step
		seen = map[string]bool{}
		raw  []int32
		walk func(u int32) bool
		n    int
	)
	walk = func(u int32) bool {
		if u == sinkNode {
			n++
			steps := g.render(raw, prefix)
			key := stepsKey(steps)
			if !seen[key] {
				seen[key] = true
				out = append(out, steps)
			}
			return len(out) < max && n < maxRawPaths
		}
		for _, ei := range g.orderedTight(u) {
			raw = append(raw, ei)
			more := walk(g.edges[ei].to)
			raw = raw[:len(raw)-1]
			if !more {
				return false
			}
		}
		return true
	}
	walk(v)
	return out
}

func stepsKey(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.Action)
		b.WriteByte(0)
		b.WriteString(s.Via)
		b.WriteByte(0)
	}
	return b.String()
}

// render turns a walk into steps: a weight-1 edge starts a step, the
// weight-0 hub edges after it name whom it reaches, and a weight-0 edge
// from a subject into a group says in whose name the next step is taken.
func (g *graph) render(raw []int32, prefix string) []Step {
	var (
		steps   []Step
		pending *gedge
		pre     string // "as a member of Group G, " for the pending step
		member  = prefix
		notes   []string
	)
	emit := func(to int32) {
		action := pre + pending.actionText() + " → " + pending.become + " " + g.nodes[to].ref.String()
		if len(notes) > 0 {
			action += " (" + strings.Join(notes, ", ") + ")"
		}
		steps = append(steps, Step{Action: action, Via: pending.viaText(), To: g.nodes[to].ref, Default: pending.def, Assumed: pending.assumed()})
		pending, notes = nil, nil
	}
	for _, ei := range raw {
		e := &g.edges[ei]
		switch {
		case e.w == 1:
			pending, pre, member, notes = e, member, "", nil
			if e.note != "" {
				notes = append(notes, e.note)
			}
			if e.to == sinkNode {
				steps = append(steps, Step{Action: pre + e.actionText(), Via: e.viaText(), To: g.nodes[e.from].ref, Default: e.def, Assumed: e.assumed()})
				pending = nil
			} else if g.isSubject(e.to) {
				emit(e.to)
			}
		case pending != nil: // inside a hub
			if e.note != "" {
				notes = append(notes, e.note)
			}
			if g.isSubject(e.to) {
				emit(e.to)
			}
		default: // a subject acting through one of its implicit groups
			member = "as a member of " + g.nodes[e.to].ref.String() + ", "
		}
	}
	return steps
}
