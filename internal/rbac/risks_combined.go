package rbac

import "sort"

// The risks made of several halves (escalate, bind, impersonate,
// csr-mint) and the graph edges they make. Halves may come from different
// bindings, and for a User or ServiceAccount from its implicit groups: the
// combination is evaluated over the subject and its groups together, and
// reported on the subject unless one of its groups holds it alone (then the
// group is reported, and its members take its edges through their
// membership).

// isComboCap: the capabilities the combined risks are made of.
func isComboCap(k capKind) bool { return k >= capEscalateRoles && k <= capSignerApprove }

type comboRisk struct {
	kind  RiskKind
	ns    string
	cs    []contrib // every half; Detail is written from them when reported
	names []contrib // the contributions whose names restrict the risk (bind: the roles)
}

type comboOut struct {
	risks []comboRisk
	edges []gedge // from is set when applied
}

func (o *comboOut) hasRisk(kind RiskKind, ns string) bool {
	for _, r := range o.risks {
		if r.kind == kind && r.ns == ns {
			return true
		}
	}
	return false
}

func (o *comboOut) hasEdge(e *gedge) bool {
	for i := range o.edges {
		if o.edges[i].to == e.to && o.edges[i].actionText() == e.actionText() {
			return true
		}
	}
	return false
}

// hasCap reports whether the holders hold capability k in scope ns (or
// cluster-wide).
func (a *analyzer) hasCap(holders []int32, k capKind, ns string) bool {
	for _, v := range holders {
		if a.agg(v, k, ns) != nil || (ns != "" && a.agg(v, k, "") != nil) {
			return true
		}
	}
	return false
}

func (a *analyzer) hasComboCaps(v int32) bool {
	for i := range a.aggs[v] {
		if isComboCap(a.aggs[v][i].kind) {
			return true
		}
	}
	return false
}

type comboKey struct {
	node int32
	kind RiskKind
	ns   string
}

type comboEdgeKey struct {
	from, to int32
	action   string
}

// combined evaluates the combined risks of every group, of every User and
// ServiceAccount that holds a half itself (or is bound to roles a group of
// it may escalate), and of the ServiceAccounts whose groups hold the halves
// between them.
func (a *analyzer) combined() {
	g := a.g
	a.comboSeen, a.comboEdgeSeen = map[comboKey]bool{}, map[comboEdgeKey]bool{}
	groupOut := map[int32]*comboOut{}
	for _, v := range a.groupNodes {
		o := a.evalCombos([]int32{v}, a.comboNamespaces([]int32{v}, nil))
		groupOut[v] = o
		a.apply(v, o, nil)
	}
	outsOf := func(groups []int32) []*comboOut {
		outs := make([]*comboOut, 0, len(groups))
		for _, gv := range groups {
			outs = append(outs, groupOut[gv])
		}
		return outs
	}
	escalating := func(v int32) bool {
		for i := range a.aggs[v] {
			if k := a.aggs[v][i].kind; k == capEscalateRoles || k == capEscalateClusterRoles {
				return true
			}
		}
		return false
	}
	for v := int32(1); v <= g.subjects; v++ {
		n := &g.nodes[v]
		if n.ref.Kind == KindGroup {
			continue
		}
		own := a.hasComboCaps(v)
		if !own && len(a.holdings[v]) > 0 {
			for _, gv := range n.groups {
				if escalating(gv) {
					own = true
					break
				}
			}
		}
		if !own {
			continue
		}
		self := []int32{v}
		a.apply(v, a.evalCombos(append(self, n.groups...), a.comboNamespaces(self, n.groups)), outsOf(n.groups))
	}
	// Every ServiceAccount is in system:serviceaccounts and
	// system:authenticated, and those of a namespace in
	// system:serviceaccounts:NS: halves these groups hold between them
	// combine for each ServiceAccount.
	var common []int32
	for _, name := range []string{AllServiceAccountsGroup, AllAuthenticated} {
		if gv, ok := g.index[SubjectRef{Kind: KindGroup, Name: name}]; ok && a.hasComboCaps(gv) {
			common = append(common, gv)
		}
	}
	if len(common) == 2 {
		o := a.evalCombos(common, a.comboNamespaces(common, nil))
		for _, ns := range a.namespaces {
			for _, v := range a.saAnyNodes[ns] {
				a.apply(v, o, outsOf(common))
			}
		}
	}
	if len(common) == 0 {
		return
	}
	for _, ns := range a.namespaces {
		gv, ok := g.index[SubjectRef{Kind: KindGroup, Name: "system:serviceaccounts:" + ns}]
		if !ok || !a.hasComboCaps(gv) {
			continue
		}
		self := []int32{gv}
		groups := append(self, common...)
		o := a.evalCombos(groups, a.comboNamespaces(self, common))
		for _, v := range a.saAnyNodes[ns] {
			a.apply(v, o, outsOf(groups))
		}
	}
}

// apply reports o's risks and adds its edges for node v, but those one of
// v's groups has alone (groupOuts) and those already applied.
func (a *analyzer) apply(v int32, o *comboOut, groupOuts []*comboOut) {
	for _, r := range o.risks {
		skip := a.comboSeen[comboKey{v, r.kind, r.ns}]
		for _, go_ := range groupOuts {
			if skip || (go_ != nil && go_.hasRisk(r.kind, r.ns)) {
				skip = true
				break
			}
		}
		if !skip {
			a.comboSeen[comboKey{v, r.kind, r.ns}] = true
			a.risks = append(a.risks, a.newRisk(r.kind, v, r.ns, r.cs, detailOf(r.cs), namesOf(r.names)))
		}
	}
	for i := range o.edges {
		e := o.edges[i]
		k := comboEdgeKey{v, e.to, e.actionText()}
		skip := a.comboEdgeSeen[k]
		for _, go_ := range groupOuts {
			if skip || (go_ != nil && go_.hasEdge(&e)) {
				skip = true
				break
			}
		}
		if !skip {
			a.comboEdgeSeen[k] = true
			e.from = v
			a.g.addEdge(e)
		}
	}
}

// comboNamespaces are the namespaces where a combined risk of own together
// with others can hold beyond what others hold alone: where own holds a
// half through a RoleBinding, or is bound by one to a Role that it or
// others may escalate; and, when own holds a half cluster-wide, wherever
// others hold one.
func (a *analyzer) comboNamespaces(own, others []int32) []string {
	seen := map[string]bool{}
	cluster := false
	addAggs := func(v int32) {
		for i := range a.aggs[v] {
			if ag := &a.aggs[v][i]; isComboCap(ag.kind) {
				if ag.ns == "" {
					cluster = true
				} else {
					seen[ag.ns] = true
				}
			}
		}
	}
	for _, v := range own {
		addAggs(v)
	}
	holders := append(append([]int32(nil), own...), others...)
	bound := func(vs []int32) {
		for _, v := range vs {
			for _, h := range a.holdings[v] {
				if ns := h.b.Namespace; ns != "" && !seen[ns] && a.hasCap(holders, capEscalateRoles, ns) {
					seen[ns] = true
				}
			}
		}
	}
	bound(own)
	if cluster {
		for _, v := range others {
			addAggs(v)
		}
		bound(others)
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

func (a *analyzer) evalCombos(holders []int32, namespaces []string) *comboOut {
	o := &comboOut{}
	cluster := map[RiskKind]bool{}
	for _, ns := range append([]string{""}, namespaces...) {
		a.escalate(o, holders, ns, cluster)
		a.bind(o, holders, ns, cluster)
		a.impersonate(o, holders, ns, cluster)
		if ns == "" {
			a.csrMint(o, holders)
		}
	}
	return o
}

func (a *analyzer) addComboRisk(o *comboOut, kind RiskKind, ns string, cluster map[RiskKind]bool, used, names []contrib) {
	if len(used) == 0 {
		return
	}
	if ns == "" {
		cluster[kind] = true
	} else if cluster[kind] {
		return // held cluster-wide: every namespace is covered
	}
	o.risks = append(o.risks, comboRisk{kind: kind, ns: ns, cs: used, names: names})
}

// escalatable reports the halves of escalate: escalate on the kind plus
// create (escalate on any name: a create request carries none) or
// update/patch on a name escalate also allows.
func escalatable(esc, create, update []contrib) []contrib {
	if len(esc) == 0 {
		return nil
	}
	var used []contrib
	if anyAll(esc) && len(create) > 0 {
		used = append(used, create...)
	}
	if overlap(esc, update) {
		used = append(used, update...)
	}
	if len(used) == 0 {
		return nil
	}
	return append(append([]contrib(nil), esc...), used...)
}

// escalate: the escalate verb lets a role be written with rules the writer
// does not hold (RoleEscalationAuthorized asks escalate with the request's
// name and namespace), so escalate plus create, update or patch on roles
// of one scope writes any rules there. A subject bound to a role it may so
// update takes everything: cluster-admin through a ClusterRoleBinding,
// every ServiceAccount of the namespace through a RoleBinding.
func (a *analyzer) escalate(o *comboOut, holders []int32, ns string, cluster map[RiskKind]bool) {
	if !a.hasCap(holders, capEscalateRoles, ns) && (ns != "" || !a.hasCap(holders, capEscalateClusterRoles, "")) {
		return
	}
	used := escalatable(nonAdmin(a.held(holders, capEscalateRoles, ns)), nonAdmin(a.held(holders, capCreateRoles, ns)), nonAdmin(a.held(holders, capUpdateRoles, ns)))
	if ns == "" {
		used = append(used, escalatable(nonAdmin(a.held(holders, capEscalateClusterRoles, "")), nonAdmin(a.held(holders, capCreateClusterRoles, "")),
			nonAdmin(a.held(holders, capUpdateClusterRoles, "")))...)
	}
	a.addComboRisk(o, RiskEscalate, ns, cluster, used, nil)

	// Edges leave out a */*/* role's grants: its own edge stands for them.
	escR, updR := nonAdmin(a.held(holders, capEscalateRoles, ns)), nonAdmin(a.held(holders, capUpdateRoles, ns))
	var escCR, updCR []contrib
	if ns == "" {
		escCR, updCR = nonAdmin(a.held(holders, capEscalateClusterRoles, "")), nonAdmin(a.held(holders, capUpdateClusterRoles, ""))
	}
	if (len(escR) == 0 || len(updR) == 0) && (len(escCR) == 0 || len(updCR) == 0) {
		return
	}
	done := map[int32]bool{}
	for _, v := range holders {
		for _, h := range a.holdings[v] {
			b, r := h.b, h.b.Role
			if r == nil {
				continue
			}
			var esc, upd []contrib
			switch {
			case ns == "" && r.Kind == KindClusterRole:
				esc, upd = escCR, updCR
			case ns != "" && b.Namespace == ns && r.Kind == KindRole:
				esc, upd = escR, updR
			default:
				continue
			}
			if !allowsName(esc, r.Name) || !allowsName(upd, r.Name) {
				continue
			}
			to := int32(sinkNode)
			if b.Namespace != "" {
				to = a.hubSAs(b.Namespace, true)
			}
			// a second binding to the same target is an alt edge: Cuts
			// must know the target stays reachable without the first
			e := gedge{to: to, w: 1, def: b.Default && edgeDef(esc, r.Name) && edgeDef(upd, r.Name), alt: done[to],
				need: []need{needName(esc, r.Name), needName(upd, r.Name), {b: b}},
				text: &edgeText{cs: append(append([]contrib(nil), esc...), upd...), assumed: r.Assumed || b.Assumed}}
			done[to] = true
			if b.Namespace == "" {
				e.text.suffix = "escalate and update " + roleText(r) + ", which " + bindingText(b) + " binds to it, to allow every verb on every resource"
			} else {
				e.text.suffix = "escalate and update " + roleText(r) + ", which " + bindingText(b) + " binds to it, to allow everything in namespace " + b.Namespace
				e.become = "act as"
			}
			o.edges = append(o.edges, e)
		}
	}
}

// roleText is "ClusterRole NAME", marked when it is an assumed built-in.
func roleText(r *Role) string {
	if r.Assumed {
		return r.String() + " (built-in, assumed)"
	}
	return r.String()
}

// bindingText is "ClusterRoleBinding NAME", marked when it is an assumed
// built-in.
func bindingText(b *Binding) string {
	if b.Assumed {
		return b.String() + " (built-in, assumed)"
	}
	return b.String()
}

// firstAllowed is the first role of list (sorted by name) whose name the
// contributions allow, or nil.
func firstAllowed(cs []contrib, list []*Role) *Role {
	if len(cs) == 0 {
		return nil
	}
	for _, r := range list {
		if allowsName(cs, r.Name) {
			return r
		}
	}
	return nil
}

// preferred: cluster-admin when it may be bound, else the first by name.
func preferAdmin(cs []contrib, list []*Role) *Role {
	for _, r := range list {
		if r.Name == "cluster-admin" && allowsName(cs, r.Name) {
			return r
		}
	}
	return firstAllowed(cs, list)
}

// takeoverRoles are the Roles of ns that give every ServiceAccount of it.
func (a *analyzer) takeoverRoles(ns string) []*Role {
	if a.nsTakeover == nil {
		a.nsTakeover = map[string][]*Role{}
		for _, r := range a.p.Roles {
			if a.capsOf(r).takeover {
				a.nsTakeover[r.Namespace] = append(a.nsTakeover[r.Namespace], r)
			}
		}
	}
	return a.nsTakeover[ns]
}

// bind: the bind verb on a role lets one write bindings to it without
// holding its rules (BindingAuthorized asks bind on the roleRef's name, in
// the namespace of the binding). It needs a binding to write: bind on roles
// or clusterroles plus create, update or patch on rolebindings, or bind on
// clusterroles plus the same on clusterrolebindings (a ClusterRoleBinding
// cannot refer to a Role). bind on a binding resource grants nothing.
func (a *analyzer) bind(o *comboOut, holders []int32, ns string, cluster map[RiskKind]bool) {
	if !a.hasCap(holders, capBindRoles, ns) && !a.hasCap(holders, capBindClusterRoles, ns) {
		return
	}
	bR, bCR := nonAdmin(a.held(holders, capBindRoles, ns)), nonAdmin(a.held(holders, capBindClusterRoles, ns))
	wRB := append(nonAdmin(a.held(holders, capCreateRoleBindings, ns)), nonAdmin(a.held(holders, capUpdateRoleBindings, ns))...)
	var used, binds []contrib
	if len(bR)+len(bCR) > 0 && len(wRB) > 0 {
		binds = append(append(binds, bR...), bCR...)
		used = append(append([]contrib(nil), binds...), wRB...)
	}
	if ns == "" && len(bCR) > 0 {
		wCRB := append(nonAdmin(a.held(holders, capCreateClusterRoleBindings, "")), nonAdmin(a.held(holders, capUpdateClusterRoleBindings, ""))...)
		if len(wCRB) > 0 {
			if len(binds) == 0 {
				binds = bCR
				used = append(used, bCR...)
			}
			used = append(used, wCRB...)
		}
	}
	a.addComboRisk(o, RiskBind, ns, cluster, used, binds)

	bRa, bCRa := bR, bCR // edges leave out a */*/* role's grants: its own edge stands for them
	if len(bRa)+len(bCRa) == 0 {
		return
	}
	cRB := nonAdmin(a.held(holders, capCreateRoleBindings, ns))
	if ns == "" {
		if len(bCRa) == 0 {
			return
		}
		if cCRB := nonAdmin(a.held(holders, capCreateClusterRoleBindings, "")); len(cCRB) > 0 {
			if r := preferAdmin(bCRa, a.adminCRs); r != nil {
				o.edges = append(o.edges, gedge{to: sinkNode, w: 1, def: edgeDef(bCRa, r.Name) && edgeDef(cCRB, ""),
					need: []need{needRoles(bCRa, a.adminCRs), needAny(cCRB)},
					text: &edgeText{cs: append(append([]contrib(nil), bCRa...), cCRB...), suffix: "bind " + roleText(r) + " to itself with a new ClusterRoleBinding", assumed: r.Assumed}})
			}
		} else if uCRB := nonAdmin(a.held(holders, capUpdateClusterRoleBindings, "")); len(uCRB) > 0 {
			alt := false // the bindings after the first are alt edges, for Cuts
			for _, x := range a.p.ClusterRoleBindings {
				if x.Role != nil && a.capsOf(x.Role).admin >= 0 && allowsName(uCRB, x.Name) && allowsName(bCRa, x.Role.Name) {
					o.edges = append(o.edges, gedge{to: sinkNode, w: 1, def: edgeDef(bCRa, x.Role.Name) && edgeDef(uCRB, x.Name), alt: alt,
						need: []need{needName(bCRa, x.Role.Name), needName(uCRB, x.Name), {b: x}},
						text: &edgeText{cs: append(append([]contrib(nil), bCRa...), uCRB...), suffix: "add itself to " + bindingText(x) + ", which binds " + roleText(x.Role), assumed: x.Assumed || x.Role.Assumed}})
					alt = true
				}
			}
		}
		if len(cRB) > 0 {
			if r := firstAllowed(bCRa, a.takeoverCRs); r != nil {
				o.edges = append(o.edges, gedge{to: a.hubSAs("", true), w: 1, def: edgeDef(bCRa, r.Name) && edgeDef(cRB, ""),
					need: []need{needRoles(bCRa, a.takeoverCRs), needAny(cRB)},
					text: &edgeText{cs: append(append([]contrib(nil), bCRa...), cRB...), suffix: "bind " + roleText(r) + " to itself with a RoleBinding in any namespace", assumed: r.Assumed}, become: "act as"})
			}
		}
		return
	}
	if len(cRB) == 0 || (len(nonAdmin(a.held(holders, capCreateRoleBindings, ""))) > 0 && firstAllowed(nonAdmin(a.held(holders, capBindClusterRoles, "")), a.takeoverCRs) != nil) {
		return // nothing to write, or the cluster-wide edge covers every namespace
	}
	r := firstAllowed(bCRa, a.takeoverCRs)
	bs := bCRa
	if r == nil {
		r, bs = firstAllowed(bRa, a.takeoverRoles(ns)), bRa
	}
	if r != nil {
		roles := needRoles(bCRa, a.takeoverCRs)
		roles.or = &need{}
		*roles.or = needRoles(bRa, a.takeoverRoles(ns))
		o.edges = append(o.edges, gedge{to: a.hubSAs(ns, true), w: 1, def: edgeDef(bs, r.Name) && edgeDef(cRB, ""),
			need: []need{roles, needAny(cRB)},
			text: &edgeText{cs: append(append([]contrib(nil), bs...), cRB...), suffix: "bind " + roleText(r) + " to itself with a RoleBinding in namespace " + ns, assumed: r.Assumed}, become: "act as"})
	}
}

// impersonate: users, groups, uids and user extras are cluster-wide
// (impersonation.go asks with no namespace); ServiceAccounts are asked in
// their namespace, so a RoleBinding grants its own. Groups, uids and extras
// are only accepted together with a user name (buildImpersonationRequests:
// "requested ... without impersonating a user"), so they count only with a
// user or ServiceAccount one may impersonate. Legacy impersonation (the
// impersonate verb) does not refuse system:masters.
func (a *analyzer) impersonate(o *comboOut, holders []int32, ns string, cluster map[RiskKind]bool) {
	if !a.hasCap(holders, capImpersonateServiceAccounts, ns) && (ns != "" || (!a.hasCap(holders, capImpersonateUsers, "") && !a.hasCap(holders, capImpersonateGroups, ""))) {
		return
	}
	groupsEtc := func(ns string) []contrib {
		if ns != "" {
			return nil
		}
		var out []contrib
		for _, k := range []capKind{capImpersonateGroups, capImpersonateExtras, capImpersonateUIDs} {
			out = append(out, nonAdmin(a.held(holders, k, ""))...)
		}
		return out
	}
	var used []contrib
	if ns == "" {
		used = append(nonAdmin(a.held(holders, capImpersonateUsers, "")), nonAdmin(a.held(holders, capImpersonateServiceAccounts, ""))...)
	} else {
		used = nonAdmin(a.held(holders, capImpersonateServiceAccounts, ns))
	}
	if len(used) > 0 {
		used = append(used, groupsEtc("")...)
	}
	a.addComboRisk(o, RiskImpersonate, ns, cluster, used, nil)

	if ns != "" {
		return
	}
	gr := nonAdmin(a.held(holders, capImpersonateGroups, ""))
	if len(gr) == 0 {
		return
	}
	// a user to impersonate with the groups: any user or ServiceAccount name
	// (a namespace-admin's ServiceAccounts too)
	var user []contrib
	for _, v := range holders {
		for i := range a.aggs[v] {
			if ag := &a.aggs[v][i]; ag.kind == capImpersonateUsers || ag.kind == capImpersonateServiceAccounts {
				user = append(user, ag.cs...)
			}
		}
	}
	if len(user) == 0 {
		return
	}
	v := via(append(append([]contrib(nil), gr...), user...))
	userDef := len(defaultsOnly(user)) > 0
	action := detailOf(gr) + ", together with a user it may impersonate"
	if anyAll(gr) {
		o.edges = append(o.edges, gedge{to: a.hubGroups(false), w: 1, def: userDef && edgeDef(gr, ""), via: v, action: action, become: "act as",
			need: []need{needAll(gr), needAny(user)}})
		for _, name := range namesOf(restricted(gr)) { // for Cuts: the named grants beside it
			if gv, ok := a.g.index[SubjectRef{Kind: KindGroup, Name: name}]; ok {
				o.edges = append(o.edges, gedge{to: gv, w: 1, def: userDef && edgeDef(gr, name), via: v, action: action, become: "act as", alt: true,
					need: []need{needName(gr, name), needAny(user)}})
			}
		}
		return
	}
	for _, name := range namesOf(gr) {
		if gv, ok := a.g.index[SubjectRef{Kind: KindGroup, Name: name}]; ok {
			o.edges = append(o.edges, gedge{to: gv, w: 1, def: userDef && edgeDef(gr, name), via: v, action: action, become: "act as",
				need: []need{needName(gr, name), needAny(user)}})
		}
	}
}

// csrMint: create a CSR for kubernetes.io/kube-apiserver-client, approve
// it (update or patch on certificatesigningrequests/approval, then the
// CertificateApproval admission plugin asks approve on signers with the
// signer's name or kubernetes.io/*), and kube-controller-manager signs a
// client certificate for any user and groups but system:masters.
func (a *analyzer) csrMint(o *comboOut, holders []int32) {
	if !a.hasCap(holders, capCSRCreate, "") {
		return
	}
	cr, ap, sg := nonAdmin(a.held(holders, capCSRCreate, "")), nonAdmin(a.held(holders, capCSRApprove, "")), nonAdmin(a.held(holders, capSignerApprove, ""))
	if len(cr) > 0 && len(ap) > 0 && len(sg) > 0 {
		a.addComboRisk(o, RiskCSRMint, "", map[RiskKind]bool{}, append(append(append([]contrib(nil), cr...), ap...), sg...), nil)
	}
	if len(cr) == 0 || len(ap) == 0 || len(sg) == 0 {
		return
	}
	o.edges = append(o.edges, gedge{to: a.hubCSR(), w: 1, need: []need{needAny(cr), needAny(ap), needAny(sg)},
		def: len(defaultsOnly(cr)) > 0 && len(defaultsOnly(ap)) > 0 && len(defaultsOnly(sg)) > 0,
		text: &edgeText{cs: append(append(append([]contrib(nil), cr...), ap...), sg...),
			suffix: "create a CertificateSigningRequest for signer kubernetes.io/kube-apiserver-client and approve it"}, become: "authenticate as"})
}
