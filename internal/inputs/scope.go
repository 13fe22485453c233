package inputs

// Scope says what a Snapshot was built from when that is less than a
// cluster: check.Select keeps the checks that can read it, the others
// would only report that their input is missing.
type Scope string

const (
	// Full: a cluster (live or a snapshot of one) or kube-apiserver files,
	// with whatever came along (RBAC dumps, managed-cluster files).
	Full Scope = ""
	// RBACOnly: RBAC dumps alone (scan --rbac).
	RBACOnly Scope = "rbac-only"
	// CloudOnly: managed-cluster files alone (scan --cloud).
	CloudOnly Scope = "cloud-only"
	// Exposure: what apiguard probe reads: the endpoint as an anonymous
	// network client sees it, and managed-cluster files.
	Exposure Scope = "exposure"
)

// scopeReasons are the Cluster.ControlPlaneHidden texts of the scopes that
// read no kube-apiserver configuration because none was given.
var scopeReasons = map[Scope]string{
	RBACOnly:  "only RBAC objects were given (--rbac): pass --manifest, --flags-file or --snapshot to assess the kube-apiserver configuration",
	CloudOnly: "only managed-cluster files were given (--cloud): no kube-apiserver configuration was read",
}

// SetScope records the scope, and for a scope without kube-apiserver
// configuration the human reason checks that need one report.
func (s *Snapshot) SetScope(sc Scope) {
	s.Cluster.Scope = sc
	if why := scopeReasons[sc]; why != "" {
		s.Cluster.ControlPlaneHidden = why
	}
}
