package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
)

// benchRBAC: the RBAC scale budget. A generated cluster (default: 500
// namespaces, 2,000 ClusterRoles, 10,000 Roles, 20,000 RoleBindings, 3,000
// ClusterRoleBindings, 10,000 ServiceAccounts, 30,000 Pods, about five
// times the largest real cluster whose figures are published) is written
// as one `kubectl get ... -A -o json` dump; a fresh process then loads it
// and runs the full analysis (budget 3 s wall, 1 GiB peak RSS on the
// 2-core machine), then answers who-can questions (budget 50 ms each).
//
//	go run ./bench rbac [--namespaces N --cluster-roles N ... --keep DIR]
//
// The measured process is this binary re-run with APIGUARD_BENCH_RBAC_DUMP
// set (see init): its wall time and peak RSS (rusage) are the process's
// own, start to exit.
func benchRBAC() error {
	cfg := rbacsynth.Default()
	fs := flag.NewFlagSet("rbac", flag.ContinueOnError)
	fs.IntVar(&cfg.Namespaces, "namespaces", cfg.Namespaces, "namespaces")
	fs.IntVar(&cfg.ClusterRoles, "cluster-roles", cfg.ClusterRoles, "ClusterRoles")
	fs.IntVar(&cfg.ClusterRoleBindings, "cluster-role-bindings", cfg.ClusterRoleBindings, "ClusterRoleBindings")
	fs.IntVar(&cfg.Roles, "roles", cfg.Roles, "Roles")
	fs.IntVar(&cfg.RoleBindings, "role-bindings", cfg.RoleBindings, "RoleBindings")
	fs.IntVar(&cfg.ServiceAccounts, "service-accounts", cfg.ServiceAccounts, "ServiceAccounts")
	fs.IntVar(&cfg.Pods, "pods", cfg.Pods, "Pods")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "Nodes")
	fs.IntVar(&cfg.TokenSecrets, "token-secrets", cfg.TokenSecrets, "legacy ServiceAccount token Secrets (metadata only)")
	seed := fs.Int64("seed", 1, "generator seed")
	keep := fs.String("keep", "", "write the dump into `DIR` and keep it")
	asYAML := fs.Bool("yaml", false, "load the same cluster dumped as YAML (`kubectl get ... -o yaml`) instead of JSON")
	if err := fs.Parse(flagArgs(os.Args[1:])); err != nil {
		return err
	}

	dir, rmDir, err := workDir(*keep, "apiguard-bench-rbac")
	if err != nil {
		return err
	}
	defer rmDir()
	dump := filepath.Join(dir, "cluster.json")
	start := time.Now()
	size, err := writeDump(dump, cfg, *seed)
	if err != nil {
		return err
	}
	fmt.Printf("generated cluster: %d objects (%d namespaces, %d ClusterRoles, %d ClusterRoleBindings, %d Roles, %d RoleBindings, %d ServiceAccounts, %d Pods, %d Nodes, %d token Secrets), %.0f MiB of JSON in %v\n",
		cfg.Objects(), cfg.Namespaces, cfg.ClusterRoles, cfg.ClusterRoleBindings, cfg.Roles, cfg.RoleBindings, cfg.ServiceAccounts, cfg.Pods, cfg.Nodes, cfg.TokenSecrets,
		float64(size)/(1<<20), time.Since(start).Round(10*time.Millisecond))
	if *asYAML {
		start = time.Now()
		yamlDump := filepath.Join(dir, "cluster.yaml")
		if size, err = jsonDumpToYAML(dump, yamlDump); err != nil {
			return err
		}
		if err := os.Remove(dump); err != nil {
			return err
		}
		dump = yamlDump
		fmt.Printf("the same cluster as YAML: %.0f MiB, converted in %v\n", float64(size)/(1<<20), time.Since(start).Round(10*time.Millisecond))
	}
	if *keep != "" {
		fmt.Printf("dump kept: %s\n", dump)
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), rbacChildEnv+"="+dump)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start = time.Now()
	rssKiB, err := runPeak(cmd)
	if err != nil {
		return fmt.Errorf("measured process: %v\n%s", err, errOut.Bytes())
	}
	wall, cpu := time.Since(start), childCPU(cmd)
	var res rbacChildResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("measured process output: %v\n%s", err, out.Bytes())
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Printf("fresh process (%d objects loaded, %d problems: the generated missing roleRefs), load average %s on %d cores:\n",
		res.Objects, res.Problems, cmp.Or(loadAverage(), "unknown"), runtime.NumCPU())
	var total rbacPhase
	for _, ph := range res.Phases {
		fmt.Printf("  %-34s %8s wall %8s CPU\n", ph.What, ms(ph.Wall), ms(ph.CPU))
		total.Wall += ph.Wall
		total.CPU += ph.CPU
	}
	fmt.Printf("  %-34s %8s wall %8s CPU  (budget 3s wall)\n", "load + full analysis", ms(total.Wall), ms(total.CPU))
	fmt.Printf("  %-34s %8s wall %8s CPU\n", "process start to exit", ms(wall), ms(cpu))
	fmt.Printf("  %s\n", res.Result)
	fmt.Printf("peak RSS of that process: %.0f MiB  (budget 1024 MiB)\n", float64(rssKiB)/1024)
	sort.Slice(res.WhoCan, func(i, j int) bool { return res.WhoCan[i] < res.WhoCan[j] })
	n := len(res.WhoCan)
	fmt.Printf("who-can after loading, %d different requests (pods create per namespace, secrets get, nodes/proxy, non-resource URLs, ...): median %s, max %s (%s)  (budget 50ms)\n",
		n, res.WhoCan[n/2].Round(10*time.Microsecond), res.WhoCan[n-1].Round(10*time.Microsecond), res.Slowest)
	return nil
}

// flagArgs returns the arguments from the first flag on: the bench names
// before it are main's.
func flagArgs(args []string) []string {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[i:]
		}
	}
	return nil
}

func writeDump(path string, cfg rbacsynth.Config, seed int64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = rbacsynth.Generate(w, cfg, seed)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// jsonDumpToYAML rewrites a List dump as `kubectl get -o yaml` prints it:
// block YAML, keys sorted, the items one "- " entry each (sigs.k8s.io/yaml,
// as kubectl). Items are converted one at a time.
func jsonDumpToYAML(in, out string) (int64, error) {
	r, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	// {"apiVersion":"v1","kind":"List","items":[ ... ]}: walk to the items
	for {
		t, err := dec.Token()
		if err != nil {
			return 0, err
		}
		if t == "items" {
			break
		}
	}
	if _, err := dec.Token(); err != nil { // [
		return 0, err
	}
	fmt.Fprint(w, "apiVersion: v1\nitems:\n")
	for dec.More() {
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return 0, err
		}
		y, err := yaml.JSONToYAML(item)
		if err != nil {
			return 0, err
		}
		lines := strings.Split(strings.TrimSuffix(string(y), "\n"), "\n")
		for i, l := range lines {
			prefix := "  "
			if i == 0 {
				prefix = "- "
			}
			w.WriteString(prefix + l + "\n")
		}
	}
	fmt.Fprint(w, "kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// rbacChildEnv names the dump the measured process loads.
const rbacChildEnv = "APIGUARD_BENCH_RBAC_DUMP"

// init runs the measured process when this binary is re-run by benchRBAC,
// before main's checks: it prints an rbacChildResult and exits.
func init() {
	dump := os.Getenv(rbacChildEnv)
	if dump == "" {
		return
	}
	if err := rbacChild(dump, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// rbacPhase is one measured step of the fresh process.
type rbacPhase struct {
	What      string
	Wall, CPU time.Duration
}

type rbacChildResult struct {
	Phases   []rbacPhase // load, then the analysis steps
	Result   string
	Objects  int
	Problems int
	WhoCan   []time.Duration
	Slowest  string
}

func rbacChild(dump string, w io.Writer) error {
	var res rbacChildResult
	measure := func(what string, fn func()) {
		w0, c0 := time.Now(), cpuTime()
		fn()
		res.Phases = append(res.Phases, rbacPhase{What: what, Wall: time.Since(w0), CPU: cpuTime() - c0})
	}
	var (
		p   *rbac.Policy
		err error
	)
	measure("load (rbacdump.Load)", func() { p, err = rbacdump.Load(dump) })
	if err != nil {
		return err
	}
	res.Objects, res.Problems = p.Objects(), len(p.Problems)
	res.Result = analyse(p, measure)

	var slowest time.Duration
	for _, req := range whoCanRequests(p) {
		t := time.Now()
		p.WhoCan(req)
		d := time.Since(t)
		res.WhoCan = append(res.WhoCan, d)
		if d > slowest {
			slowest, res.Slowest = d, describe(req)
		}
	}
	return json.NewEncoder(w).Encode(res)
}

// analyse is the full analysis the budget measures after loading, each
// step timed by measure: what `apiguard rbac admins` computes with every
// path (rbac.Policy.Analysis, then Analysis.Paths of every admin), and the
// scan's findings on the loaded model (every check of the registry on a
// snapshot holding it; the authorization and admin-power checks read the
// same Analysis).
func analyse(p *rbac.Policy, measure func(string, func())) string {
	var a *rbac.Analysis
	measure("rbac.Policy.Analysis", func() { a = p.Analysis() })
	paths, longest := 0, 0
	measure("Analysis.Paths of every admin", func() {
		for _, adm := range a.Admins {
			for _, path := range a.Paths(adm.Subject) {
				paths++
				longest = max(longest, len(path))
			}
		}
	})
	var findings []check.Finding
	measure("the scan's checks (checks.All)", func() {
		snap := &inputs.Snapshot{Target: "bench", Collector: "offline", RBAC: p}
		findings = check.Run(context.Background(), checks.All(), snap)
	})
	actionable := 0
	for _, f := range findings {
		if f.Actionable() {
			actionable++
		}
	}
	return fmt.Sprintf("%d admins, %d paths (longest %d steps), %d risks, %d binding issues; %d findings, %d fail or warn",
		len(a.Admins), paths, longest, len(a.Risks), len(a.BindingIssues), len(findings), actionable)
}

// whoCanRequests are 50 different questions: pods create in 20 namespaces,
// secrets get in 10 and cluster-wide, nodes/proxy, non-resource URLs,
// impersonation, bind/escalate, CSR approval.
func whoCanRequests(p *rbac.Policy) []rbac.Request {
	reqs := []rbac.Request{
		{Verb: "get", Resource: "secrets"},
		{Verb: "list", Resource: "secrets"},
		{Verb: "get", Resource: "nodes", Subresource: "proxy", Name: "node-1"},
		{Verb: "create", Resource: "nodes", Subresource: "proxy"},
		{Verb: "get", Path: "/metrics"},
		{Verb: "get", Path: "/healthz"},
		{Verb: "get", Path: "/logs/kube-apiserver.log"},
		{Verb: "post", Path: "/api/v1/namespaces"},
		{Verb: "*", APIGroup: "*", Resource: "*"},
		{Verb: "impersonate", Resource: "serviceaccounts"},
		{Verb: "impersonate", Resource: "users", Name: "admin"},
		{Verb: "bind", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"},
		{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval"},
		{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
		{Verb: "create", Resource: "serviceaccounts", Subresource: "token"},
		{Verb: "delete", Resource: "namespaces"},
		{Verb: "list", APIGroup: "apps", Resource: "deployments"},
		{Verb: "patch", Resource: "namespaces", Name: "kube-system"},
		{Verb: "create", APIGroup: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"},
	}
	step := max(len(p.Namespaces)/20, 1)
	for i := 0; i < len(p.Namespaces) && len(reqs) < 50; i += step {
		ns := p.Namespaces[i].Name
		reqs = append(reqs, rbac.Request{Verb: "create", Resource: "pods", Namespace: ns})
		if i%(2*step) == 0 {
			reqs = append(reqs, rbac.Request{Verb: "get", Resource: "secrets", Namespace: ns, Name: "db"})
		}
	}
	return reqs
}

func describe(r rbac.Request) string {
	if r.Path != "" {
		return r.Verb + " " + r.Path
	}
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.APIGroup != "" {
		res += "." + r.APIGroup
	}
	if r.Namespace != "" {
		return r.Verb + " " + res + " -n " + r.Namespace
	}
	return r.Verb + " " + res + " (cluster-wide)"
}
