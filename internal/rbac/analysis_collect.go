package rbac

import (
	"slices"
	"sort"
)

// Capabilities reaching subjects: every binding's role capabilities,
// aggregated per subject, kind and scope.

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
