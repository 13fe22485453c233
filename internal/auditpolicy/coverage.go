package auditpolicy

import (
	audit "k8s.io/apiserver/pkg/apis/audit"
)

// Row is one line of the coverage table: a need and what the policy does
// with its request.
type Row struct {
	Need     Need     `json:"-"`
	ID       string   `json:"id"`
	Category string   `json:"category"`
	Request  string   `json:"request"`
	User     string   `json:"user"`
	Decision Decision `json:"-"`
	// Level, OmitStages and RuleIndex (nil when no rule matches) as JSON.
	Level      audit.Level   `json:"level"`
	OmitStages []audit.Stage `json:"omitStages"`
	RuleIndex  *int          `json:"ruleIndex"`
	Min        audit.Level   `json:"needs,omitempty"`
	Max        audit.Level   `json:"max,omitempty"`
	// Status: ok, degraded (below what detections need), blind (not
	// logged), leak (above the most credentials may be logged at), or
	// info (nothing needed).
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Coverage evaluates every need's request as id (the rows with a fixed
// identity, anonymous and unauthenticated, keep theirs).
func Coverage(p *Policy, id Identity) []Row {
	ev := NewEvaluator(p.Internal)
	rows := make([]Row, 0, len(Needs))
	for _, n := range Needs {
		req := n.canonical(id)
		d := ev.EvaluateRequest(req)
		who := n.identity(id)
		user := who.User
		if who.NoUser {
			user = "(none: authentication failed)"
		}
		row := Row{Need: n, ID: n.ID, Category: n.Category, Request: n.Request.Verb + " " + n.Request.Target(), User: user,
			Decision: d, Level: d.Level, OmitStages: d.OmitStages, Min: n.Min, Max: n.Max, Note: n.Note}
		if row.OmitStages == nil {
			row.OmitStages = []audit.Stage{}
		}
		if d.RuleIndex >= 0 {
			i := d.RuleIndex
			row.RuleIndex = &i
		}
		row.Status = status(n, d.Level)
		rows = append(rows, row)
	}
	return rows
}

func status(n Need, l audit.Level) string {
	switch {
	case n.Max != "" && levelRank(l) > levelRank(n.Max):
		return "leak"
	case n.Min == "":
		return "info"
	case l == audit.LevelNone && levelRank(n.Min) > 0:
		return "blind"
	case levelRank(l) < levelRank(n.Min):
		return "degraded"
	}
	return "ok"
}
