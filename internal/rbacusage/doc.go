// Package rbacusage compares what RBAC grants with what the audit log shows
// was used: for every subject that holds a grant (User, Group,
// ServiceAccount) and every identity seen in the log, each binding it holds
// and each rule of the bound role, whether the rule allowed a request in the
// window and how often.
//
// Attribution is kube-apiserver's own: each request is put to
// (*rbac.Policy).Allowed, the engine of rbac who-can, and counted against
// every grant that allows it (a rule is "used" when it allowed at least one
// observed request, so an unused rule is one whose removal changes no
// observed request's outcome). Requests that a default discovery binding
// (system:discovery, system:basic-user, system:public-info-viewer, as
// kube-apiserver bootstraps them) allows are counted against those grants
// only: they need nothing, and must not make other grants look used.
//
// The engine streams: Add takes one event at a time and keeps counters per
// (subject, binding, rule), never the events; Allowed answers are cached per
// distinct request; duplicate deliveries are recognised by auditID within a
// bounded window.
package rbacusage
