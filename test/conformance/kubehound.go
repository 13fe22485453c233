package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// KubeHound's attack fixtures (kubehound/attacks/*.yaml): each file sets up
// one edge of KubeHound's attack graph in its test cluster, and KubeHound's
// system tests (test/system/graph_edge_test.go) expect the edge. The
// file's subjects are its answer key: an attack of a ROLE_BIND file whose
// subject's name ends in -fail must not work, the others must (KubeHound's
// ROLE_BIND_CASE_1..3 expectations; CASE_4, a namespaced binder binding
// ClusterRoles, is "not implemented yet" in KubeHound and keeps the
// fixture's intent). Each file is given to apiguard ALONE, as shipped: no
// cluster-admin, no default role is in it, so what apiguard finds rests on
// the built-in roles it assumes for files.
//
// What is compared, per subject of the file (one case per file):
//   - POD_CREATE, POD_PATCH, POD_EXEC, TOKEN_LIST, TOKEN_BRUTEFORCE: the
//     capability the edge stands for, as the escalation-risk finding of
//     `apiguard scan --rbac FILE` about that subject (AG-AUTHZ-013 for
//     creating or patching pods, AG-AUTHZ-023 for exec, AG-AUTHZ-012 for
//     reading Secrets) and the verb it names;
//   - ROLE_BIND_*, IDENTITY_IMPERSONATE: "cluster-admin" when `apiguard rbac
//     paths SUBJECT --from FILE -o json` finds a path to cluster-admin power
//     (KubeHound's binders of cluster-wide ClusterRoles reach its critical
//     cluster-admin PermissionSet; impersonating system:masters is
//     cluster-admin), else "bind"/"impersonate" when the scan's AG-AUTHZ-017
//     / AG-AUTHZ-018 finding holds the subject (the edge without a path to
//     cluster-admin), else "none";
//   - IDENTITY_ASSUME: the permission set the assumed identity (Group
//     system:nodes) holds, as `apiguard rbac who-can` lists it;
//   - ROLE_BIND_ALL (the admin Roles binders may bind, no subject): who
//     beyond Kubernetes' own principals holds or reaches cluster-admin
//     power (`rbac admins -o json`).

var kubehoundPeer = peer{
	name: "kubehound",
	what: "KubeHound attack fixtures (one edge each, its subjects the answer key) vs `apiguard rbac paths`/`who-can`/`admins` and `scan --rbac`, each file alone",
	doc: "Each `kubehound/attacks/<FILE>.yaml` sets up one edge of KubeHound's attack graph; its subjects are the answer key " +
		"(KubeHound's system tests expect the edge; a ROLE_BIND subject whose name ends in `-fail` must not get it). Every file is " +
		"given to apiguard alone, as shipped: none holds `cluster-admin` or another default role, so the answers rest on the " +
		"built-in roles apiguard assumes for files ([rbac](rbac.md#built-in-roles-assumed-for-files)). Per subject: POD_CREATE, " +
		"POD_PATCH, POD_EXEC, TOKEN_LIST and TOKEN_BRUTEFORCE compare the capability of the edge with the escalation-risk finding " +
		"of `apiguard scan --rbac FILE` about the subject (AG-AUTHZ-013 create or patch pods, AG-AUTHZ-023 exec, AG-AUTHZ-012 " +
		"get or list Secrets); ROLE_BIND_* and IDENTITY_IMPERSONATE compare \"cluster-admin\" (a path found by `apiguard rbac " +
		"paths SUBJECT --from FILE -o json`: KubeHound's binders of cluster-wide ClusterRoles reach its critical cluster-admin " +
		"PermissionSet, and impersonating `system:masters` is cluster-admin), else the edge alone (\"bind\", \"impersonate\": the " +
		"AG-AUTHZ-017/018 finding), else \"none\"; IDENTITY_ASSUME compares what the identity a node assumes (Group " +
		"`system:nodes`) holds, as `apiguard rbac who-can` lists it; ROLE_BIND_ALL, which holds only the `admin` Roles binders may " +
		"bind, compares who beyond Kubernetes' own principals reaches cluster-admin (`rbac admins -o json`). KubeHound's " +
		"ROLE_BIND_CASE_4 (a namespaced binder of ClusterRoles) is \"not implemented yet\" in its tests: those subjects keep the " +
		"fixture's intent (no `-fail`: the bind works), which is also kube-apiserver's.",
	run: runKubehound,
}

// khAnswer kinds: which apiguard answer a file's subjects are compared on.
const (
	khRisk        = "risk"        // the scan's finding of check, whose message holds verb
	khBind        = "bind"        // a path, else AG-AUTHZ-017, else none
	khImpersonate = "impersonate" // a path, else AG-AUTHZ-018, else none
	khWhoCan      = "who-can"     // who-can VERB RESOURCE lists the subject
	khAdmins      = "admins"      // non-builtin admins of the file
)

type khSubject struct {
	arg  string // apiguard's SUBJECT: sa:NS/NAME, user:NAME, group:NAME
	want string // KubeHound's answer
}

// resource is the subject as a finding's resource names it.
func (s khSubject) resource() string {
	kind, rest, _ := strings.Cut(s.arg, ":")
	switch kind {
	case "sa":
		return "ServiceAccount " + rest
	case "user":
		return "User " + rest
	}
	return "Group " + rest
}

type khFile struct {
	kind     string
	check    string // khRisk: the check; khWhoCan: the question ("list pods")
	verb     string // khRisk: the verb the finding's message must name ("patch pods")
	subjects []khSubject
	// companion is another attack file the fixture relies on (its roles):
	// apiguard's answer with it is shown too, not compared.
	companion string
}

// kubehoundFiles is KubeHound's answer key, file by file.
var kubehoundFiles = map[string]khFile{
	"IDENTITY_ASSUME.yaml": {kind: khWhoCan, check: "list pods", subjects: []khSubject{
		{"group:system:nodes", "list pods cluster-wide"}}},
	"IDENTITY_IMPERSONATE.yaml": {kind: khImpersonate, subjects: []khSubject{
		{"sa:default/impersonate-sa", "cluster-admin"}}},
	"POD_CREATE.yaml": {kind: khRisk, check: "AG-AUTHZ-013", verb: "create pods", subjects: []khSubject{
		{"sa:default/pod-create-sa", "create pods"}}},
	"POD_EXEC.yaml": {kind: khRisk, check: "AG-AUTHZ-023", verb: "create pods/exec", subjects: []khSubject{
		{"sa:default/pod-exec-sa", "create pods/exec"}}},
	"POD_PATCH.yaml": {kind: khRisk, check: "AG-AUTHZ-013", verb: "patch pods", subjects: []khSubject{
		{"sa:default/pod-patch-sa", "patch pods"}}},
	"TOKEN_BRUTEFORCE.yaml": {kind: khRisk, check: "AG-AUTHZ-012", verb: "get secrets", subjects: []khSubject{
		{"sa:default/tokenget-sa", "get secrets"}}},
	"TOKEN_LIST.yaml": {kind: khRisk, check: "AG-AUTHZ-012", verb: "list secrets", subjects: []khSubject{
		{"sa:default/tokenlist-sa", "list secrets"}}},
	"ROLE_BIND_ALL.yaml": {kind: khAdmins, subjects: []khSubject{{"", "none"}}},
	"ROLE_BIND_CRB_CR.yaml": {kind: khBind, subjects: []khSubject{
		{"sa:default/rolebind-sa-crb-cr-crb-cr", "cluster-admin"}, // CASE_1: any ClusterRole, cluster-wide
		{"sa:default/rolebind-sa-crb-cr-rb-cr", "cluster-admin"},  // CASE_2: edges to the cluster-wide PermissionSets
		{"sa:default/rolebind-sa-crb-cr-crb-r-fail", "none"},
		{"sa:default/rolebind-sa-crb-cr-rb-r", "bind"}, // RoleBindCrbCrR: the namespaced PermissionSets
	}},
	"ROLE_BIND_RB_CR-SA.yaml": {kind: khBind, subjects: []khSubject{
		{"sa:default/rolebind-sa-rb-cr-crb-cr-fail", "none"},
		{"sa:default/rolebind-sa-rb-cr-rb-cr", "bind"}, // CASE_4, the fixture's intent
		{"sa:default/rolebind-sa-rb-cr-rb-r", "bind"},  // CASE_3
	}},
	"ROLE_BIND_RB_R-SA.yaml": {kind: khBind, subjects: []khSubject{
		{"sa:default/rolebind-sa-rb-r-rb-r", "bind"}, // CASE_3
		{"sa:default/rolebind-sa-rb-r-crb-cr-fail", "none"},
		{"sa:default/rolebind-sa-rb-r-rb-crb", "bind"}, // CASE_4, the fixture's intent
	}},
	"ROLE_BIND_RB_R-UG.yaml": {kind: khBind, companion: "ROLE_BIND_RB_R-SA.yaml", subjects: []khSubject{
		{"group:group-rb-r-rb-r", "bind"}, {"user:user-rb-r-rb-r", "bind"}, // CASE_3
		{"group:group-rb-r-crb-cr-fail", "none"}, {"user:user-rb-r-crb-cr-fail", "none"},
		{"group:group-rb-r-rb-crb", "bind"}, {"user:user-rb-r-rb-crb", "bind"}, // CASE_4, the fixture's intent
	}},
}

func runKubehound(e *env) ([]Case, error) {
	files, err := filepath.Glob(e.path("kubehound", "attacks", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no kubehound/attacks/*.yaml under %s", e.root)
	}
	sort.Strings(files)
	var cases []Case
	for _, f := range files {
		name := filepath.Base(f)
		kf, ok := kubehoundFiles[name]
		if !ok {
			return nil, fmt.Errorf("attacks/%s: no answer key in kubehound.go (a new fixture: say what KubeHound expects of it)", name)
		}
		got, note, err := kubehoundAnswer(e, kf, f)
		if err != nil {
			return nil, fmt.Errorf("attacks/%s: %w", name, err)
		}
		var peer, mine []string
		agree := true
		for i, s := range kf.subjects {
			label := s.arg
			if label == "" {
				label = "subjects beyond Kubernetes' own reaching cluster-admin"
			}
			peer = append(peer, label+": "+s.want)
			mine = append(mine, label+": "+got[i])
			if got[i] != s.want {
				agree = false
			}
		}
		ans := strings.Join(mine, "; ")
		if note != "" {
			ans += " (" + note + ")"
		}
		if kf.companion != "" {
			with, _, err := kubehoundAnswer(e, kf, f, e.path("kubehound", "attacks", kf.companion))
			if err != nil {
				return nil, fmt.Errorf("attacks/%s with %s: %w", name, kf.companion, err)
			}
			for i := range with {
				with[i] = kf.subjects[i].arg + ": " + with[i]
			}
			ans += "; with " + kf.companion + ", which defines its Roles: " + strings.Join(with, ", ")
		}
		cases = append(cases, Case{ID: "attacks/" + name, Peer: strings.Join(peer, "; "), Apiguard: ans, Agree: agree})
	}
	return cases, nil
}

// kubehoundAnswer is apiguard's answer for each subject of kf, reading
// files, and a note (binding problems worth knowing).
func kubehoundAnswer(e *env, kf khFile, files ...string) ([]string, string, error) {
	var rbacArgs, fromArgs []string
	for _, f := range files {
		rbacArgs = append(rbacArgs, "--rbac", f)
		fromArgs = append(fromArgs, "--from", f)
	}
	var findings []finding
	if kf.kind != khWhoCan && kf.kind != khAdmins {
		fs, err := e.scan(rbacArgs...)
		if err != nil {
			return nil, "", err
		}
		findings = fs
	}
	holds := func(check, resource, verb string) bool {
		for _, f := range findings {
			if f.CheckID == check && f.Resource == resource && (f.Status == "fail" || f.Status == "warn") && strings.Contains(f.Message, verb) {
				return true
			}
		}
		return false
	}
	out := make([]string, len(kf.subjects))
	for i, s := range kf.subjects {
		switch kf.kind {
		case khRisk:
			out[i] = "none"
			if holds(kf.check, s.resource(), kf.verb) {
				out[i] = kf.verb
			}
		case khBind, khImpersonate:
			n, err := kubehoundPaths(e, s.arg, fromArgs)
			if err != nil {
				return nil, "", err
			}
			check, edge := "AG-AUTHZ-017", "bind"
			if kf.kind == khImpersonate {
				check, edge = "AG-AUTHZ-018", "impersonate"
			}
			switch {
			case n > 0:
				out[i] = "cluster-admin"
			case holds(check, s.resource(), ""):
				out[i] = edge
			default:
				out[i] = "none"
			}
		case khWhoCan:
			verb, res, _ := strings.Cut(kf.check, " ")
			stdout, stderr, code, err := e.apiguard(append([]string{"rbac", "who-can", verb, res, "-o", "json"}, fromArgs...)...)
			if err != nil || code != 0 {
				return nil, "", fmt.Errorf("rbac who-can %s: exit %d, %v: %s", kf.check, code, err, strings.TrimSpace(string(stderr)))
			}
			var subjects []struct {
				Kind, Name, Namespace string
				Via                   []struct{ Binding string }
			}
			if err := json.Unmarshal(stdout, &subjects); err != nil {
				return nil, "", err
			}
			out[i] = "none"
			for _, x := range subjects {
				if x.Kind+" "+x.Name == s.resource() && x.Namespace == "" {
					out[i] = kf.check + " cluster-wide"
				}
			}
		case khAdmins:
			stdout, stderr, code, err := e.apiguard(append([]string{"rbac", "admins", "-o", "json"}, fromArgs...)...)
			if err != nil || code != 0 {
				return nil, "", fmt.Errorf("rbac admins: exit %d, %v: %s", code, err, strings.TrimSpace(string(stderr)))
			}
			var admins []struct {
				Subject struct{ Kind, Name, Namespace string }
				Builtin bool
			}
			if err := json.Unmarshal(stdout, &admins); err != nil {
				return nil, "", err
			}
			var names []string
			for _, a := range admins {
				if !a.Builtin {
					names = append(names, a.Subject.Kind+" "+strings.TrimPrefix(a.Subject.Namespace+"/"+a.Subject.Name, "/"))
				}
			}
			out[i] = "none"
			if len(names) > 0 {
				out[i] = strings.Join(names, ", ")
			}
		}
	}
	// bindings whose role is missing: the reason a subject gets nothing
	missing := 0
	for _, f := range findings {
		if f.CheckID == "AG-AUTHZ-026" && f.Status == "warn" {
			missing++
		}
	}
	note := ""
	if missing > 0 {
		note = fmt.Sprintf("AG-AUTHZ-026: %d roleRef(s) name a Role neither in the file nor built in, so they grant nothing", missing)
	}
	return out, note, nil
}

// kubehoundPaths is the number of shortest paths `rbac paths` finds.
func kubehoundPaths(e *env, subject string, fromArgs []string) (int, error) {
	stdout, stderr, code, err := e.apiguard(append([]string{"rbac", "paths", subject, "-o", "json"}, fromArgs...)...)
	if err != nil || code != 0 {
		return 0, fmt.Errorf("rbac paths %s: exit %d, %v: %s", subject, code, err, strings.TrimSpace(string(stderr)))
	}
	var out struct {
		Paths [][]struct{ Action string } `json:"paths"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		return 0, fmt.Errorf("rbac paths %s: %v", subject, err)
	}
	return len(out.Paths), nil
}
