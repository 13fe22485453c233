package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/harden"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

// FixOptions say what apiguard fix reads and where it writes.
type FixOptions struct {
	// Manifest, FlagsFile or Snapshot: exactly one is the input.
	Manifest, FlagsFile, Snapshot string
	Root, K8sVersion              string
	// Out is the directory the fixed configuration and its files go to.
	Out string
	// FilesDir is where the fixed flags expect the files on the host
	// (harden.DefaultFilesDir when empty); AuditLogDir the audit log's
	// directory.
	FilesDir, AuditLogDir string
	VersionsData          string
	Now                   time.Time
	// Random is the source of generated keys (crypto/rand when nil).
	Random io.Reader
}

// FixResult is what fix did, per kube-apiserver.
type FixResult struct {
	Servers []FixedServer `json:"servers"`
}

// FixedServer is the fixed configuration of one kube-apiserver.
type FixedServer struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Input is the file read, Output the fixed one written under --out.
	Input  string `json:"input"`
	Output string `json:"output"`
	// Version is the Kubernetes version the fix targets.
	Version string          `json:"version"`
	Changes []harden.Change `json:"changes"`
	Files   []WrittenFile   `json:"files"`
	Fixed   []string        `json:"fixed"`
	Needs   []NeedYou       `json:"needsYou"`
	Flags   []harden.Flag   `json:"flags"`
	Volumes []harden.Volume `json:"volumes,omitempty"`
	After   []check.Finding `json:"-"`
	Before  []check.Finding `json:"-"`
	plan    *harden.Plan
	prefix  []string
	lines   []harden.ArgLine
}

// WrittenFile is a file fix wrote under --out, for the host at Path.
type WrittenFile struct {
	harden.File
	Written string `json:"written"`
}

// NeedYou is what configuration alone cannot fix.
type NeedYou struct {
	Check    string         `json:"check"`
	Severity check.Severity `json:"severity,omitempty"`
	Title    string         `json:"title,omitempty"`
	What     string         `json:"what"`
	Commands []string       `json:"commands,omitempty"`
}

// Fix reads one kube-apiserver configuration, runs the checks, writes the
// fixed configuration in the same form under o.Out with the files it
// needs, and runs the checks again on the result: what still fails is
// listed under "needs you".
func Fix(ctx context.Context, o FixOptions) (*FixResult, error) {
	n := 0
	for _, s := range []string{o.Manifest, o.FlagsFile, o.Snapshot} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, Input(fmt.Errorf("give exactly one of --manifest FILE, --flags-file FILE or --snapshot DIR"))
	}
	if o.Out == "" {
		return nil, Input(fmt.Errorf("--out DIR is required"))
	}
	in := Inputs{Root: o.Root, K8sVersion: o.K8sVersion, Snapshot: o.Snapshot}
	input := o.Manifest
	if o.Manifest != "" {
		if st, err := os.Stat(o.Manifest); err == nil && st.IsDir() {
			return nil, Input(fmt.Errorf("--manifest %s: fix writes one file back: give the file, not a directory", o.Manifest))
		}
		in.Manifests = []string{o.Manifest}
	}
	if o.FlagsFile != "" {
		in.FlagsFiles, input = []string{o.FlagsFile}, o.FlagsFile
	}
	if err := outsideInputs(o.Out, input, o.Snapshot); err != nil {
		return nil, err
	}
	c, err := Collect(ctx, in)
	if err != nil {
		return nil, err
	}
	s := c.Snapshot
	if len(s.APIServers) == 0 {
		return nil, Input(fmt.Errorf("no kube-apiserver found in the input"))
	}
	d, err := loadVersions(o.VersionsData)
	if err != nil {
		return nil, err
	}
	if s.CollectedAt.IsZero() {
		s.CollectedAt = o.Now.UTC().Truncate(time.Second)
	}
	ctx = versions.WithData(ctx, d)
	before := run(ctx, s)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	res := &FixResult{}
	used := map[string]bool{}
	for _, a := range s.APIServers {
		fs, err := fixServer(ctx, o, s, a, before.Findings, input)
		if err != nil {
			return nil, err
		}
		if err := writeFixed(o, fs, used); err != nil {
			return nil, err
		}
		res.Servers = append(res.Servers, *fs)
	}
	return res, nil
}

// outsideInputs refuses an --out that would overwrite the input.
func outsideInputs(out, input, snapshot string) error {
	ao, err := filepath.Abs(out)
	if err != nil {
		return Input(err)
	}
	for _, p := range []string{input, snapshot} {
		if p == "" {
			continue
		}
		dir := p
		if snapshot == "" {
			dir = filepath.Dir(p)
		}
		if ad, err := filepath.Abs(dir); err == nil && ad == ao {
			return Input(fmt.Errorf("--out %s is where the input is: choose another directory, fix never overwrites its input", out))
		}
	}
	return nil
}

func fixServer(ctx context.Context, o FixOptions, s *inputs.Snapshot, a *inputs.APIServer, before []check.Finding, input string) (*FixedServer, error) {
	var prefix []string
	var texts []string
	var lines []harden.ArgLine
	for _, x := range a.Args {
		if len(texts) == 0 && !strings.HasPrefix(x.Text, "-") {
			prefix = append(prefix, x.Text)
			continue
		}
		texts = append(texts, x.Text)
		lines = append(lines, harden.ArgLine{Text: x.Text, Line: x.Line})
	}
	flags, _, err := harden.ParseArgv(texts, apiserverflags.IsBool)
	if err != nil {
		return nil, Input(fmt.Errorf("%s: %v", a.Name, err))
	}
	version := a.KubernetesVersion(s.Cluster)
	if o.K8sVersion != "" {
		version, _ = versions.Parse(o.K8sVersion)
	}
	if version.IsZero() {
		version, _ = a.Flags(s.Cluster).Version()
	}
	var failing []string
	for _, f := range before {
		if f.Resource == a.Name && f.Actionable() {
			failing = append(failing, f.CheckID)
		}
	}
	existing := map[string][]byte{}
	for name, f := range a.Files {
		if f != nil && f.Data != nil && !f.Redacted {
			existing[name] = f.Data
		}
	}
	policy, err := AuditPolicyRecommend(string(auditpolicy.Standard))
	if err != nil {
		return nil, err
	}
	plan, err := harden.Fix(flags, failing, harden.Options{Version: version, FilesDir: o.FilesDir, AuditLogDir: o.AuditLogDir,
		AuditPolicy: policy, Existing: existing, Random: o.Random})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", a.Name, err)
	}
	fs := &FixedServer{Name: a.Name, Origin: a.Origin, Version: version.String(), Changes: plan.Changes, Flags: plan.Flags,
		Volumes: plan.Volumes, plan: plan, Input: input, prefix: prefix, lines: lines}
	if a.Manifest != "" && o.Snapshot != "" {
		fs.Input = filepath.Join(o.Snapshot, filepath.FromSlash(a.Manifest))
	}
	if fs.Input == "" {
		fs.Input = a.Name
	}

	// Judge the fixed configuration with the same checks.
	fixed := &inputs.APIServer{Name: a.Name, Origin: a.Origin, Manifest: a.Manifest, Image: a.Image, Version: a.Version,
		ManifestFile: a.ManifestFile, Files: map[string]*inputs.File{}}
	for _, p := range prefix {
		fixed.Args = append(fixed.Args, inputs.Arg{Text: p})
	}
	for _, f := range plan.Flags {
		fixed.Args = append(fixed.Args, inputs.Arg{Text: f.String()})
	}
	written := map[string][]byte{}
	for _, f := range plan.Files {
		written[f.Path] = f.Data
	}
	ff := fixed.Flags(s.Cluster)
	for _, name := range inputs.FileFlags {
		v := ff.Get(name)
		if !v.Set || v.Value == "" {
			continue
		}
		if data, ok := written[v.Value]; ok {
			fixed.Files[name] = &inputs.File{Path: v.Value, ReadFrom: "written by apiguard fix", Data: data}
		} else if old := a.Files[name]; old != nil && old.Path == v.Value {
			fixed.Files[name] = old
		}
	}
	after := *s
	after.APIServers = []*inputs.APIServer{fixed}
	run := run(ctx, &after)
	failedBefore := map[string]bool{}
	for _, id := range failing {
		failedBefore[id] = true
	}
	stillFailing := map[string]bool{}
	for _, f := range run.Findings {
		if f.Resource != a.Name || !f.Actionable() {
			continue
		}
		stillFailing[f.CheckID] = true
		fs.After = append(fs.After, f)
	}
	for _, id := range failing {
		if !stillFailing[id] {
			fs.Fixed = append(fs.Fixed, id)
		}
	}
	sort.Strings(fs.Fixed)
	fs.Fixed = uniq(fs.Fixed)
	for _, f := range before {
		if f.Resource == a.Name {
			fs.Before = append(fs.Before, f)
		}
	}
	fs.Needs = needsYou(plan, fs.After)
	return fs, nil
}

func uniq(l []string) []string {
	var out []string
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// needsYou is what the operator must do: each check still failing on the
// fixed configuration (with its remediation and, where apiguard knows
// them, the commands), and the fixers' own notes.
func needsYou(plan *harden.Plan, after []check.Finding) []NeedYou {
	meta := map[string]check.Metadata{}
	for _, c := range checks.All() {
		meta[c.ID] = c.Metadata
	}
	var out []NeedYou
	noted := map[string]bool{}
	for _, n := range plan.Needs {
		m := meta[n.Check]
		out = append(out, NeedYou{Check: n.Check, Severity: m.Severity, Title: m.Title, What: n.What, Commands: n.Commands})
		noted[n.Check] = true
	}
	sort.SliceStable(after, func(i, j int) bool { return after[i].Severity > after[j].Severity })
	for _, f := range after {
		if noted[f.CheckID] {
			continue
		}
		noted[f.CheckID] = true
		m := meta[f.CheckID]
		out = append(out, NeedYou{Check: f.CheckID, Severity: f.Severity, Title: f.Title,
			What: f.Message + ". " + m.Remediation, Commands: harden.Commands(f.CheckID)})
	}
	return out
}

// writeFixed writes the fixed configuration (same form and file name as
// the input) and the files it points to under o.Out.
func writeFixed(o FixOptions, fs *FixedServer, used map[string]bool) error {
	var data []byte
	base := filepath.Base(fs.Input)
	switch {
	case fs.Origin == "flags-file":
		data = harden.RenderArgv(fs.prefix, fs.plan.Flags)
	default:
		orig, err := os.ReadFile(fs.Input)
		if err != nil {
			return err
		}
		switch fs.Origin {
		case "kubeadm":
			out, notes, err := harden.PatchKubeadm(orig, fs.plan)
			if err != nil {
				return Input(fmt.Errorf("%s: %v", fs.Input, err))
			}
			for _, n := range notes {
				fs.Needs = append(fs.Needs, NeedYou{What: n})
			}
			data = out
		default: // a static pod manifest, or a pod of a snapshot
			out, err := harden.PatchManifest(orig, fs.lines, fs.plan, apiserverflags.IsBool)
			if err != nil {
				// Not editable in place (an argv in flow style, a pod
				// without line positions): the fixed argv, said so.
				data = harden.RenderArgv(fs.prefix, fs.plan.Flags)
				base += ".args"
				fs.Needs = append(fs.Needs, NeedYou{What: "The manifest could not be edited in place (" + err.Error() + "): " +
					"the fixed argv is written one flag per line instead; copy it into the manifest's command and add hostPath volumes for the written files."})
			}
			if err == nil {
				data = out
			}
		}
	}
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%d-%s", i, base)
	}
	used[name] = true
	fs.Output = filepath.Join(o.Out, name)
	if err := os.WriteFile(fs.Output, data, 0o644); err != nil {
		return err
	}
	for _, f := range fs.plan.Files {
		mode := os.FileMode(0o644)
		if f.Secret {
			mode = 0o600
		}
		w := filepath.Join(o.Out, f.Name)
		if err := os.WriteFile(w, f.Data, mode); err != nil {
			return err
		}
		if err := os.Chmod(w, mode); err != nil {
			return err
		}
		fs.Files = append(fs.Files, WrittenFile{File: f, Written: w})
	}
	return nil
}
