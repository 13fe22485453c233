package rbacusage

import (
	"cmp"
	"slices"

	"github.com/apiguard/apiguard/internal/rbac"
)

// DefaultTrackLimit bounds the distinct requests kept for the tracked
// subject (Options.Track) before names are given up (see Used.Collapsed).
const DefaultTrackLimit = 1 << 16

// UsedRequest is one distinct authorized request shape of the tracked
// subject: a resource request (Path "") or a non-resource URL.
type UsedRequest struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Path        string `json:"path,omitempty"`
}

// UsedCount is a used request and how often it was made.
type UsedCount struct {
	UsedRequest
	Requests int64 `json:"requests"`
}

// Used is what the tracked subject did in the window that RBAC allowed
// (requests the default discovery bindings allow, refused requests and
// unattributed ones are left out: they need nothing generated, or nothing
// can be).
type Used struct {
	Subject  SubjectKey
	Requests []UsedCount // sorted
	// Groups are the groups the subject's requests carried (a User's or a
	// ServiceAccount's; for a Group, the group), to ask the model with.
	Groups []string
	// Collapsed counts requests whose name was dropped because the set
	// reached its bound; Dropped those not kept at all (the bound four
	// times over).
	Collapsed, Dropped int64
}

type usedSet struct {
	subject            SubjectKey
	limit              int
	requests           map[UsedRequest]int64
	groups             map[string]struct{}
	collapsed, dropped int64
	last               uint64 // the Engine's trackSeq when it last counted: once per request
}

// newUsedSets are the sets of the tracked subjects (nil for none).
func newUsedSets(track []SubjectKey, limit int) map[SubjectKey]*usedSet {
	if len(track) == 0 {
		return nil
	}
	if limit <= 0 {
		limit = DefaultTrackLimit
	}
	out := make(map[SubjectKey]*usedSet, len(track))
	for _, k := range track {
		out[k] = &usedSet{subject: k, limit: limit, requests: map[UsedRequest]int64{}, groups: map[string]struct{}{}}
	}
	return out
}

// track records req of who, allowed by grants, for the tracked subjects
// whose use it is: who itself, and the Groups whose bindings allowed it.
// A request only the default discovery grants allow is no one's: it
// needs nothing.
func (e *Engine) track(who SubjectKey, req rbac.Request, grants []grantRef) {
	discoveryOnly := true
	for _, g := range grants {
		if g.binding == e.privileged || !e.discovery[g.binding] {
			discoveryOnly = false
			break
		}
	}
	if discoveryOnly {
		return
	}
	e.trackSeq++
	if u := e.used[who]; u != nil {
		e.trackOne(u, req)
	}
	for _, g := range grants {
		if k := e.grantSubjects[g.subject]; k.Kind == rbac.KindGroup {
			if u := e.used[k]; u != nil {
				e.trackOne(u, req)
			}
		}
	}
}

// trackOne adds req to u, once per call of track (two grants to one
// group allow one request).
func (e *Engine) trackOne(u *usedSet, req rbac.Request) {
	if u.last == e.trackSeq {
		return
	}
	u.last = e.trackSeq
	if u.subject.Kind == rbac.KindGroup {
		u.groups[u.subject.Name] = struct{}{}
	} else if len(u.groups) < 256 {
		for _, g := range req.Groups {
			u.groups[g] = struct{}{}
		}
	}
	k := UsedRequest{Verb: req.Verb, APIGroup: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource,
		Namespace: req.Namespace, Name: req.Name, Path: req.Path}
	collapsed := false
	if _, ok := u.requests[k]; !ok && len(u.requests) >= u.limit && k.Name != "" {
		k.Name, collapsed = "", true
	}
	if _, ok := u.requests[k]; !ok && len(u.requests) >= 4*u.limit {
		u.dropped++
		return
	}
	if collapsed {
		u.collapsed++
	}
	u.requests[k]++
}

// Used returns what the tracked subject k (one of Options.Track) used, or
// nil when it is not tracked.
func (e *Engine) Used(k SubjectKey) *Used {
	u := e.used[k]
	if u == nil {
		return nil
	}
	out := &Used{Subject: u.subject, Collapsed: u.collapsed, Dropped: u.dropped, Requests: []UsedCount{}}
	for k, n := range u.requests {
		out.Requests = append(out.Requests, UsedCount{UsedRequest: k, Requests: n})
	}
	slices.SortFunc(out.Requests, func(a, b UsedCount) int { return compareUsed(a.UsedRequest, b.UsedRequest) })
	for g := range u.groups {
		out.Groups = append(out.Groups, g)
	}
	slices.Sort(out.Groups)
	return out
}

func compareUsed(a, b UsedRequest) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Path, b.Path), cmp.Compare(a.APIGroup, b.APIGroup),
		cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Subresource, b.Subresource), cmp.Compare(a.Verb, b.Verb),
		cmp.Compare(a.Name, b.Name))
}
