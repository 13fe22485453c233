// Command conformance runs apiguard over real artifacts and peers' own test
// suites with their expected answers (../shared/realworld: kubescape's
// regolibrary, Falco's k8s audit tests, KubeHound's attack fixtures), and
// compares apiguard's answer with each peer's case by case.
//
//	go run ./test/conformance                       # the table; exit 1 on any "apiguard wrong" or unjudged case
//	go run ./test/conformance -v                    # every case
//	go run ./test/conformance -o markdown -write    # regenerate docs/conformance.md
//
// Every disagreement is judged in test/conformance/verdicts/<peer>.yaml (apiguard
// right, defensible, or wrong, and why); a disagreement without a verdict
// is "unjudged" and fails the run, as does a verdict for a case that now
// agrees (stale). The data is read from where it lies and never copied
// into the project (MANIFEST.md there names each file's source and licence).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	realworld := fs.String("realworld", filepath.Join("..", "shared", "realworld"), "the real-world artifacts and peers' suites")
	bin := fs.String("apiguard", "", "apiguard binary (default: built from this checkout)")
	format := fs.String("o", "table", "table or markdown")
	write := fs.Bool("write", false, "with -o markdown: write docs/conformance.md")
	check := fs.Bool("check-doc", false, "fail when docs/conformance.md differs from what this run writes")
	verbose := fs.Bool("v", false, "print every case")
	only := fs.String("peer", "", "run one peer only")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := os.Stat(filepath.Join(*realworld, "MANIFEST.md")); err != nil {
		fmt.Fprintf(stderr, "conformance: %s has no MANIFEST.md: the real-world data is not on this machine (-realworld DIR)\n", *realworld)
		return 2
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "apiguard-conformance")
		if err != nil {
			fmt.Fprintln(stderr, "conformance:", err)
			return 2
		}
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "apiguard")
		if out, err := exec.Command("go", "build", "-o", *bin, "./cmd/apiguard").CombinedOutput(); err != nil {
			fmt.Fprintf(stderr, "conformance: building apiguard: %v\n%s", err, out)
			return 2
		}
	}
	verdicts, err := loadVerdicts(filepath.Join("test", "conformance", "verdicts"))
	if err != nil {
		fmt.Fprintln(stderr, "conformance:", err)
		return 2
	}
	env := &env{root: *realworld, bin: *bin}
	var results []peerResult
	for _, p := range peers {
		if *only != "" && p.name != *only {
			continue
		}
		cases, err := p.run(env)
		if err != nil {
			fmt.Fprintf(stderr, "conformance: %s: %v\n", p.name, err)
			return 2
		}
		results = append(results, judge(p, cases, verdicts))
	}
	var out bytes.Buffer
	switch *format {
	case "table":
		renderTable(&out, results, *verbose)
	case "markdown":
		renderMarkdown(&out, results)
	default:
		fmt.Fprintf(stderr, "conformance: -o %q: want table or markdown\n", *format)
		return 2
	}
	const doc = "docs/conformance.md"
	falcoDoc, falcoErr := falcoSuiteDoc(results)
	if falcoErr != nil {
		fmt.Fprintln(stderr, "conformance:", falcoErr)
		return 2
	}
	switch {
	case *write:
		if err := os.WriteFile(doc, out.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "conformance:", err)
			return 2
		}
		fmt.Fprintf(stdout, "wrote %s\n", doc)
		if falcoDoc != nil {
			if err := os.WriteFile(detectionDoc, falcoDoc, 0o644); err != nil {
				fmt.Fprintln(stderr, "conformance:", err)
				return 2
			}
			fmt.Fprintf(stdout, "wrote the Falco suite's table in %s\n", detectionDoc)
		}
	case *check:
		var md bytes.Buffer
		renderMarkdown(&md, results)
		old, _ := os.ReadFile(doc)
		oldDetection, _ := os.ReadFile(detectionDoc)
		if !bytes.Equal(old, md.Bytes()) || (falcoDoc != nil && !bytes.Equal(oldDetection, falcoDoc)) {
			stdout.Write(out.Bytes())
			fmt.Fprintf(stderr, "conformance: %s or the Falco table of %s is out of date: go run ./test/conformance -o markdown -write\n", doc, detectionDoc)
			return 1
		}
		stdout.Write(out.Bytes())
	default:
		stdout.Write(out.Bytes())
	}
	failed := false
	for _, r := range results {
		if r.count(wrong) > 0 || r.count(unjudged) > 0 || len(r.stale) > 0 {
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(stderr, "conformance: FAILED: a case apiguard gets wrong, a disagreement without a verdict, or a stale verdict (see above)")
		return 1
	}
	return 0
}

// renderTable prints the per-peer counts, then the disagreements (every
// case with -v).
func renderTable(w io.Writer, results []peerResult, verbose bool) {
	fmt.Fprintf(w, "%-14s %6s %6s %14s %11s %6s %9s\n", "PEER", "CASES", "AGREE", "APIGUARD-RIGHT", "DEFENSIBLE", "WRONG", "UNJUDGED")
	for _, r := range results {
		fmt.Fprintf(w, "%-14s %6d %6d %14d %11d %6d %9d\n", r.peer.name, len(r.cases), r.count(agree), r.count(right),
			r.count(defensible), r.count(wrong), r.count(unjudged))
	}
	for _, r := range results {
		fmt.Fprintf(w, "\n%s (%s):\n", r.peer.name, r.peer.what)
		for _, c := range r.cases {
			if c.Outcome == agree && !verbose {
				continue
			}
			fmt.Fprintf(w, "  %-10s %s\n             %s: %s; apiguard: %s\n", c.Outcome, c.ID, r.peer.name, c.Peer, c.Apiguard)
			if c.Why != "" {
				fmt.Fprintf(w, "             why: %s\n", c.Why)
			}
		}
		for _, id := range r.stale {
			fmt.Fprintf(w, "  STALE      %s: a verdict for a case that agrees now (remove it from verdicts/%s.yaml)\n", id, r.peer.name)
		}
	}
}

// renderMarkdown writes docs/conformance.md.
func renderMarkdown(w io.Writer, results []peerResult) {
	fmt.Fprint(w, `# Conformance: apiguard on peers' answer keys and real configurations

Generated by `+"`make conformance`"+` (`+"`go run ./test/conformance -o markdown -write`"+`) from the
real-world artifacts in `+"`../shared/realworld/`"+` (each file's source, commit and licence are in
its MANIFEST.md; the data is read from there, never copied here) and the verdicts in
[`+"`test/conformance/verdicts/`"+`](../test/conformance/verdicts). Each peer's own test
cases are run through the apiguard command that answers the same question, and the answers
compared. Where they differ, the verdict says who is right and why.

| peer | what is compared | cases | agree | apiguard right | defensible | apiguard wrong |
|---|---|---|---|---|---|---|
`)
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d |\n", r.peer.name, r.peer.what, len(r.cases), r.count(agree),
			r.count(right), r.count(defensible), r.count(wrong))
	}
	fmt.Fprint(w, "\n\"Defensible\": the two answers follow different, stated readings (a benchmark version, a\ndesign choice); \"apiguard right\": the peer's expected answer contradicts kube-apiserver's\nbehaviour or the benchmark it cites.\n")
	for _, r := range results {
		fmt.Fprintf(w, "\n## %s\n\n%s\n", r.peer.name, r.peer.doc)
		var dis []caseResult
		for _, c := range r.cases {
			if c.Outcome != agree {
				dis = append(dis, c)
			}
		}
		if len(dis) == 0 {
			fmt.Fprint(w, "\nNo disagreement.\n")
			continue
		}
		fmt.Fprint(w, "\n| case | peer | apiguard | verdict | why |\n|---|---|---|---|---|\n")
		for _, c := range dis {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", c.ID, mdCell(c.Peer), mdCell(c.Apiguard), c.Outcome, mdCell(c.Why))
		}
	}
}

// detectionDoc holds the table of Falco's test suite (every case), between
// falcoBegin and falcoEnd.
const (
	detectionDoc = "docs/audit-detection.md"
	falcoBegin   = "<!-- BEGIN GENERATED FALCO SUITE: make conformance (go run ./test/conformance -o markdown -write) -->\n"
	falcoEnd     = "<!-- END GENERATED FALCO SUITE -->\n"
)

// falcoSuiteDoc is docs/audit-detection.md with its Falco table made from
// this run (nil when the falco peer did not run).
func falcoSuiteDoc(results []peerResult) ([]byte, error) {
	var r *peerResult
	for i := range results {
		if results[i].peer.name == "falco" {
			r = &results[i]
		}
	}
	if r == nil {
		return nil, nil
	}
	data, err := os.ReadFile(detectionDoc)
	if err != nil {
		return nil, err
	}
	doc := string(data)
	i, j := strings.Index(doc, falcoBegin), strings.Index(doc, falcoEnd)
	if i < 0 || j < i {
		return nil, fmt.Errorf("%s lacks the markers %q and %q", detectionDoc, falcoBegin, falcoEnd)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d cases: %d agree, %d where apiguard is right, %d defensible, %d where apiguard is wrong.\n\n", len(r.cases),
		r.count(agree), r.count(right), r.count(defensible), r.count(wrong))
	b.WriteString("| case | Falco expects | apiguard | verdict | why they differ |\n|---|---|---|---|---|\n")
	for _, c := range r.cases {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.ID, mdCell(c.Peer), mdCell(c.Apiguard), c.Outcome, mdCell(c.Why))
	}
	return []byte(doc[:i+len(falcoBegin)] + b.String() + doc[j:]), nil
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// judge joins the cases with their verdicts.
func judge(p peer, cases []Case, v verdictSet) peerResult {
	r := peerResult{peer: p}
	seen := map[string]bool{}
	for _, c := range cases {
		cr := caseResult{Case: c}
		seen[c.ID] = true
		vd, ok := v[p.name][c.ID]
		switch {
		case c.Agree:
			cr.Outcome = agree
			if ok {
				r.stale = append(r.stale, c.ID)
			}
		case !ok:
			cr.Outcome = unjudged
		default:
			cr.Outcome, cr.Why = vd.Verdict, vd.Why
		}
		r.cases = append(r.cases, cr)
	}
	for id := range v[p.name] {
		if !seen[id] {
			r.stale = append(r.stale, id+" (no such case)")
		}
	}
	sort.Strings(r.stale)
	return r
}
