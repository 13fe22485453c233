package rbac

import (
	"slices"
	"sort"
	"strings"
)

// Cuts: which single binding, if deleted, leaves the most subjects without
// any path to cluster-admin power. Every edge of the escalation graph
// records what it rests on (needs: the grants of each half of a combined
// step, the binding a step writes through); deleting a binding kills the
// edges one of whose needs no other grant meets, and one reachability
// search per candidate binding says who is left without a path. Only
// bindings on a shortest path can cut anything: the shortest paths of
// everyone else survive.

// need is one thing an edge rests on: a grant among cs (one allowing a
// name of names when names is set; one allowing every name when all), or
// the binding b itself; or, failing that, the alternative or.
type need struct {
	cs    []contrib
	names []string
	all   bool
	b     *Binding
	or    *need
}

// metWithout reports whether the need is still met once binding x is gone.
func (n *need) metWithout(x *Binding) bool {
	for ; n != nil; n = n.or {
		if n.b != nil {
			if n.b != x {
				return true
			}
			continue
		}
		for _, c := range n.cs {
			if c.b == x {
				continue
			}
			if n.all {
				if c.f.all {
					return true
				}
				continue
			}
			if len(n.names) == 0 || c.f.all {
				return true
			}
			for _, name := range n.names {
				if slices.Contains(c.f.names, name) {
					return true
				}
			}
		}
	}
	return false
}

// needAny: any of cs; needAll: one of cs allowing every name; needName:
// one of cs allowing name ("" for any).
func needAny(cs []contrib) need { return need{cs: cs} }
func needAll(cs []contrib) need { return need{cs: cs, all: true} }
func needName(cs []contrib, name string) need {
	if name == "" {
		return need{cs: cs}
	}
	return need{cs: cs, names: []string{name}}
}

// needRoles: one of cs allowing the name of one of roles.
func needRoles(cs []contrib, roles []*Role) need {
	n := need{cs: cs, names: make([]string, 0, len(roles))}
	for _, r := range roles {
		n.names = append(n.names, r.Name)
	}
	if len(n.names) == 0 {
		n.names = []string{"\x00none"} // no role qualifies: only "all" grants would, and there is none to bind
	}
	return n
}

// Cut is one binding whose deletion leaves subjects without any path to
// cluster-admin power.
type Cut struct {
	// Binding is "ClusterRoleBinding NAME" or "RoleBinding NS/NAME"; Role
	// what it binds ("ClusterRole NAME").
	Binding string `json:"binding"`
	Role    string `json:"role"`
	Source  string `json:"source,omitempty"`
	// Subjects lose every path when the binding is deleted (sorted).
	Subjects []SubjectRef `json:"subjects"`
	// OnPaths counts the admins whose listed shortest path (Admin.Path)
	// goes through the binding.
	OnPaths int `json:"onPaths"`
}

// maxCuts bounds Cuts' list.
const maxCuts = 25

// Cuts ranks the bindings whose deletion leaves the most subjects without
// a path to cluster-admin power (at most 25, most first; ties by
// binding). Kubernetes' unmodified default bindings and assumed built-ins
// are not candidates: deleting them breaks the control plane, and the
// privileged group system:masters is no binding at all. Subjects that hold
// the power directly through the binding count too: deleting it is what
// takes the power away.
func (a *Analysis) Cuts() []Cut {
	g := a.graph
	if g == nil || g.dist == nil {
		return nil
	}
	// candidates: the bindings the tight edges rest on
	cand := map[*Binding]bool{}
	for i := range g.edges {
		e := &g.edges[i]
		if !g.tight(e) || g.dist[e.from] < 0 {
			continue
		}
		for j := range e.need {
			for n := &e.need[j]; n != nil; n = n.or {
				if n.b != nil {
					cand[n.b] = true
				}
				for _, c := range n.cs {
					if c.b != nil {
						cand[c.b] = true
					}
				}
			}
		}
	}
	var bs []*Binding
	for b := range cand {
		if !b.Default && !b.Assumed {
			bs = append(bs, b)
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].String() < bs[j].String() })

	// reversed adjacency, once
	n := int32(len(g.nodes))
	inStart := make([]int32, n+1)
	for i := range g.edges {
		inStart[g.edges[i].to+1]++
	}
	for v := int32(0); v < n; v++ {
		inStart[v+1] += inStart[v]
	}
	inEdges := make([]int32, len(g.edges))
	fill := append([]int32(nil), inStart[:n]...)
	for i := range g.edges {
		to := g.edges[i].to
		inEdges[fill[to]] = int32(i)
		fill[to]++
	}

	admin := map[SubjectRef]bool{}
	for _, ad := range a.Admins {
		admin[ad.Subject] = true
	}
	onPaths := map[string]int{}
	for _, ad := range a.Admins {
		seen := map[string]bool{}
		for _, st := range ad.Path {
			for _, part := range splitVia(st.Via) {
				if !seen[part] {
					seen[part] = true
					onPaths[part]++
				}
			}
		}
	}

	seen := make([]bool, n)
	queue := make([]int32, 0, n)
	var out []Cut
	for _, b := range bs {
		clear(seen)
		seen[sinkNode] = true
		queue = append(queue[:0], sinkNode)
		for len(queue) > 0 {
			v := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for _, ei := range inEdges[inStart[v]:inStart[v+1]] {
				e := &g.edges[ei]
				if seen[e.from] || killedBy(e, b) {
					continue
				}
				seen[e.from] = true
				queue = append(queue, e.from)
			}
		}
		var lost []SubjectRef
		for v := int32(1); v <= g.subjects; v++ {
			if g.dist[v] >= 0 && !seen[v] && admin[g.nodes[v].ref] {
				lost = append(lost, g.nodes[v].ref)
			}
		}
		if len(lost) == 0 {
			continue
		}
		c := Cut{Binding: b.String(), Source: b.Source, Subjects: lost, OnPaths: onPaths[viaText(b)]}
		if b.Role != nil {
			c.Role = b.Role.String()
		} else {
			c.Role = b.RoleRef.Kind + " " + b.RoleRef.Name
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Subjects) != len(out[j].Subjects) {
			return len(out[i].Subjects) > len(out[j].Subjects)
		}
		return out[i].OnPaths > out[j].OnPaths
	})
	if len(out) > maxCuts {
		out = out[:maxCuts]
	}
	return out
}

// killedBy reports whether deleting binding x removes edge e.
func killedBy(e *gedge, x *Binding) bool {
	for i := range e.need {
		if !e.need[i].metWithout(x) {
			return true
		}
	}
	return false
}

// splitVia splits a Step's Via into its grants ("; " between them).
func splitVia(s string) []string { return strings.Split(s, "; ") }

// restricted is the grants of cs restricted to some names.
func restricted(cs []contrib) []contrib {
	out := cs[:0:0]
	for _, c := range cs {
		if !c.f.all {
			out = append(out, c)
		}
	}
	return out
}
