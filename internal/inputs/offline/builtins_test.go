package offline

import (
	"os"
	"path/filepath"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

const chartRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}]`

// TestRBACBuiltins: --rbac dumps get the built-ins they lack unless told
// not to; a snapshot keeps that choice for its files, and the RBAC of a
// live snapshot (the server's own) assumes nothing whatever is asked.
func TestRBACBuiltins(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(dump, []byte(chartRBAC), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Options{RBAC: []string{dump}})
	if err != nil {
		t.Fatal(err)
	}
	if s.RBAC.Builtins.Count() == 0 || s.RBAC.ClusterRole("edit") == nil || len(s.Problems) != 0 {
		t.Fatalf("assumed: %+v, problems %v", s.RBAC.Builtins, s.Problems)
	}
	s, err = Load(Options{RBAC: []string{dump}, RBACOptions: rbac.FileOptions{NoBuiltins: true}})
	if err != nil {
		t.Fatal(err)
	}
	if s.RBAC.Builtins.Count() != 0 || !s.RBAC.Builtins.Disabled || len(s.Problems) != 1 {
		t.Fatalf("alone: %+v, problems %v", s.RBAC.Builtins, s.Problems)
	}

	// an offline snapshot of that dump: the assumed ones are not saved,
	// and are assumed again when it is read
	dir := t.TempDir()
	s, _ = Load(Options{RBAC: []string{dump}})
	if err := SaveSnapshot(s, dir, nil); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.RBAC.Builtins != s.RBAC.Builtins || got.RBAC.Objects() != 1 {
		t.Errorf("offline snapshot: %+v (%d objects), want %+v", got.RBAC.Builtins, got.RBAC.Objects(), s.RBAC.Builtins)
	}
	if got, _ := LoadSnapshotWith(dir, rbac.FileOptions{NoBuiltins: true}); got.RBAC.Builtins.Count() != 0 {
		t.Errorf("offline snapshot, --no-builtin-roles: %+v", got.RBAC.Builtins)
	}

	// a live model lacking the defaults (as a fake server would): its
	// snapshot is the server's word, nothing is added
	live := inputs.New("ctx", "live")
	p := rbac.Load(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "only"}})
	p.Live = true
	live.RBAC = p
	dir = t.TempDir()
	if err := SaveSnapshot(live, dir, nil); err != nil {
		t.Fatal(err)
	}
	got, err = LoadSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RBAC.Live || got.RBAC.Builtins != (rbac.BuiltinsAssumption{}) || len(got.RBAC.ClusterRoles) != 1 {
		t.Errorf("live snapshot: live %v, %+v, %d ClusterRoles", got.RBAC.Live, got.RBAC.Builtins, len(got.RBAC.ClusterRoles))
	}
}
