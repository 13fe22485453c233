package report

import (
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/apiguard/apiguard/internal/rbac"
)

// The attack-path graph of the HTML report: subjects, the identities they
// can become and cluster-admin power as nodes; each step of a shortest path
// as an edge labelled with the binding and role that allow it. The layout
// is computed here (columns by steps to cluster-admin power, the sink on
// the right), so the SVG is in the file and prints without the script; the
// script only highlights a subject's paths when it is clicked.

// graphSubject is one subject to draw with its shortest paths.
type graphSubject struct {
	Ref     rbac.SubjectRef
	Paths   [][]rbac.Step
	Direct  bool
	Builtin bool
}

type htmlGraph struct {
	Width, Height float64
	Nodes         []htmlNode
	Edges         []htmlEdge
	// Alt describes the graph in words (the SVG's title and description).
	Alt string
	// Omitted subjects are not drawn (the graph is bounded); the table
	// lists them.
	Omitted int
	// Labels: edge labels are drawn (small graphs); else they are the
	// edges' tooltips and the selected subject's path list.
	Labels bool
	Rows   []htmlPathRow
}

type htmlNode struct {
	ID         int
	X, Y, W, H float64
	Label      string // shortened to fit
	Full       string
	Kind       string // User, Group, ServiceAccount, sink
	Sink       bool
	Paths      int // the subject's paths drawn (0 for identities only passed through)
	Builtin    bool
	Direct     bool
}

type htmlEdge struct {
	ID     int
	From   int
	To     int
	D      string // SVG path data
	LX, LY float64
	Label  string
	Action string
	Via    string
}

// htmlPathRow is one subject's path in the table under the graph.
type htmlPathRow struct {
	Subject string
	Anchor  string
	How     string
	Steps   []rbac.Step
}

const (
	graphMaxSubjects = 300 // subjects drawn; the table lists all
	graphMaxLabels   = 120 // edges beyond which labels are tooltips only
	graphNodeW       = 250.0
	graphNodeH       = 30.0
	graphColW        = 440.0
	graphRowH        = 44.0
	graphMargin      = 20.0
	graphLabelRunes  = 30
	graphNodeRunes   = 32
)

// adminSubjects are the admins of p with up to 10 shortest paths each.
func adminSubjects(p *rbac.Policy) []graphSubject {
	a := p.Analysis()
	out := make([]graphSubject, 0, len(a.Admins))
	for _, ad := range a.Admins {
		paths := a.Paths(ad.Subject)
		if len(paths) == 0 {
			paths = [][]rbac.Step{ad.Path}
		}
		out = append(out, graphSubject{Ref: ad.Subject, Paths: paths, Direct: ad.Direct, Builtin: ad.Builtin})
	}
	return out
}

// attackGraph lays out the subjects' paths (the admins of p when subjects
// is nil) and returns the graph and the script's data: for each subject
// node the edges of each of its paths.
func attackGraph(p *rbac.Policy, subjects []graphSubject) (*htmlGraph, template.JS, error) {
	if subjects == nil {
		subjects = adminSubjects(p)
	}
	g := &htmlGraph{}
	for _, s := range subjects {
		how := rbacStepsWord(len(s.Paths[0]))
		if s.Direct {
			how = "direct"
		}
		if s.Builtin {
			how += ", builtin"
		}
		for i, path := range s.Paths {
			row := htmlPathRow{Subject: s.Ref.String(), How: how, Steps: path}
			if i == 0 {
				row.Anchor = subjectAnchor(s.Ref)
			} else {
				row.Subject, row.How = "", fmt.Sprintf("path %d", i+1)
			}
			g.Rows = append(g.Rows, row)
		}
	}
	drawn := subjects
	if len(drawn) > graphMaxSubjects {
		drawn = append([]graphSubject(nil), subjects...)
		sort.SliceStable(drawn, func(i, j int) bool { return !drawn[i].Builtin && drawn[j].Builtin })
		g.Omitted = len(drawn) - graphMaxSubjects
		drawn = drawn[:graphMaxSubjects]
	}

	type nodeKey = rbac.SubjectRef
	sinkKey := nodeKey{Kind: "sink"}
	idx := map[nodeKey]int{}
	col := map[int]int{}
	node := func(k nodeKey, c int) int {
		id, ok := idx[k]
		if !ok {
			id = len(g.Nodes)
			idx[k] = id
			n := htmlNode{ID: id, Kind: k.Kind, Full: k.String(), W: graphNodeW, H: graphNodeH}
			if k == sinkKey {
				n.Sink, n.Full = true, "cluster-admin power"
			}
			n.Label = shorten(strings.Replace(n.Full, "ServiceAccount ", "SA ", 1), graphNodeRunes)
			g.Nodes = append(g.Nodes, n)
		}
		col[id] = max(col[id], c)
		return id
	}
	node(sinkKey, 0)
	edgeIdx := map[string]int{}
	paths := map[int][][]int{}
	for _, s := range drawn {
		src := node(s.Ref, len(s.Paths[0]))
		n := &g.Nodes[src]
		n.Paths, n.Builtin, n.Direct = len(s.Paths), s.Builtin, s.Direct
		for _, path := range s.Paths {
			from := src
			var ids []int
			for i, st := range path {
				to := idx[sinkKey]
				if i < len(path)-1 {
					to = node(st.To, len(path)-1-i)
				}
				key := fmt.Sprintf("%d\x00%d\x00%s\x00%s", from, to, st.Action, st.Via)
				id, ok := edgeIdx[key]
				if !ok {
					id = len(g.Edges)
					edgeIdx[key] = id
					g.Edges = append(g.Edges, htmlEdge{ID: id, From: from, To: to, Action: clean(st.Action), Via: clean(st.Via)})
				}
				ids = append(ids, id)
				from = to
			}
			paths[src] = append(paths[src], ids)
		}
	}

	// columns: steps to the sink, the sink on the right
	maxCol := 0
	byCol := map[int][]int{}
	for id := range g.Nodes {
		c := col[id]
		maxCol = max(maxCol, c)
		byCol[c] = append(byCol[c], id)
	}
	rows := 1
	for _, ids := range byCol {
		rows = max(rows, len(ids))
	}
	for c, ids := range byCol {
		sort.Slice(ids, func(i, j int) bool {
			a, b := &g.Nodes[ids[i]], &g.Nodes[ids[j]]
			if a.Builtin != b.Builtin {
				return !a.Builtin
			}
			return a.Full < b.Full
		})
		off := float64(rows-len(ids)) * graphRowH / 2
		for i, id := range ids {
			n := &g.Nodes[id]
			n.X = graphMargin + float64(maxCol-c)*graphColW
			n.Y = graphMargin + off + float64(i)*graphRowH
		}
	}
	g.Width = 2*graphMargin + float64(maxCol)*graphColW + graphNodeW
	g.Height = 2*graphMargin + float64(rows-1)*graphRowH + graphNodeH
	g.Labels = len(g.Edges) <= graphMaxLabels
	outs := map[int]int{} // labels already placed at a node's right side
	for i := range g.Edges {
		e := &g.Edges[i]
		a, b := &g.Nodes[e.From], &g.Nodes[e.To]
		x1, y1 := a.X+a.W, a.Y+a.H/2
		x2, y2 := b.X, b.Y+b.H/2
		dx := (x2 - x1) / 2
		e.D = fmt.Sprintf("M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f", x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
		// labels start where their edge leaves its node, stacked when a
		// node has several: rows are apart, so they do not collide where
		// edges converge
		e.LX, e.LY = x1+6, a.Y-3+float64(outs[e.From])*11
		outs[e.From]++
		e.Label = shortenMiddle(edgeLabelReplacer.Replace(strings.SplitN(e.Via, "; ", 2)[0]), graphLabelRunes)
	}

	direct, builtin := 0, 0
	for _, s := range subjects {
		if s.Direct {
			direct++
		}
		if s.Builtin {
			builtin++
		}
	}
	g.Alt = fmt.Sprintf("Attack-path graph: %d subjects hold or can reach cluster-admin power (%d directly, %d through other identities; %d are Kubernetes' own by default bindings). %d nodes and %d steps are drawn; the table below lists every path in words.",
		len(subjects), direct, len(subjects)-direct, builtin, len(g.Nodes), len(g.Edges))
	if g.Omitted > 0 {
		g.Alt += fmt.Sprintf(" %d subjects are not drawn (the graph shows %d); the table has them all.", g.Omitted, graphMaxSubjects)
	}

	type edgeJSON struct {
		From int `json:"from"`
		To   int `json:"to"`
	}
	data := struct {
		Edges []edgeJSON         `json:"edges"`
		Paths map[string][][]int `json:"paths"`
	}{Paths: map[string][][]int{}}
	for _, e := range g.Edges {
		data.Edges = append(data.Edges, edgeJSON{e.From, e.To})
	}
	for id, ps := range paths {
		data.Paths[fmt.Sprint(id)] = ps
	}
	js, err := htmlJSON(data)
	return g, js, err
}

// subjectAnchor is the stable anchor of a subject's row.
func subjectAnchor(s rbac.SubjectRef) string {
	var b strings.Builder
	b.WriteString("subject-")
	for _, c := range strings.ToLower(s.String()) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// edgeLabelReplacer abbreviates the kinds in an edge's label; its title
// has them whole.
var edgeLabelReplacer = strings.NewReplacer("ClusterRoleBinding ", "CRB ", "RoleBinding ", "RB ", "ClusterRole ", "CR ", "PrivilegedGroup ", "")

// shortenMiddle cuts s to n runes with "…" in the middle: the ends of a
// binding's name tell bindings apart.
func shortenMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

// shorten cuts s to n runes with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

type htmlCuts struct {
	Rows []htmlCutRow
}

type htmlCutRow struct {
	Rank     int
	Binding  string
	Role     string
	Source   string
	Count    int
	Subjects string
	OnPaths  int
}

// cutsOf is the ranking of the bindings whose deletion cuts the most
// subjects off cluster-admin power.
func cutsOf(p *rbac.Policy) *htmlCuts {
	out := &htmlCuts{}
	for i, c := range p.Analysis().Cuts() {
		names := make([]string, 0, len(c.Subjects))
		for j, s := range c.Subjects {
			if j == 10 {
				names = append(names, fmt.Sprintf("and %d more", len(c.Subjects)-10))
				break
			}
			names = append(names, s.String())
		}
		out.Rows = append(out.Rows, htmlCutRow{Rank: i + 1, Binding: clean(c.Binding), Role: clean(c.Role), Source: clean(c.Source),
			Count: len(c.Subjects), Subjects: clean(strings.Join(names, ", ")), OnPaths: c.OnPaths})
	}
	return out
}
