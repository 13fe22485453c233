package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// The renderings of rbac usage: JSON (the report as it is), a table and
// markdown, both one line per rule under its subject and binding.

// RBACUsageJSON writes the report, as WriteJSON would, one subject at a
// time: a large model's report is hundreds of MiB of JSON, never held
// whole.
func RBACUsageJSON(w io.Writer, r *rbacusage.Report) error {
	head := *r
	head.Subjects = []rbacusage.SubjectUsage{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, &head); err != nil {
		return err
	}
	const mark = "\n  \"subjects\": [],\n"
	before, after, ok := bytes.Cut(buf.Bytes(), []byte(mark))
	if !ok || len(r.Subjects) == 0 {
		return WriteJSON(w, r)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(before)
	bw.WriteString("\n  \"subjects\": [")
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	for i := range r.Subjects {
		sb.Reset()
		if err := enc.Encode(&r.Subjects[i]); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(sb.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n  ],\n")
	bw.Write(after)
	return bw.Flush()
}

func usageTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// usageHeader is the window, the counts and the note, one line each.
func usageHeader(r *rbacusage.Report) []string {
	window := "no request in the window"
	if r.Window.From != nil {
		window = "window " + usageTime(r.Window.From) + " to " + usageTime(r.Window.To)
	}
	s := r.Stats
	lines := []string{fmt.Sprintf("%s: %d requests counted of %d events read (%d not final stage, %d outside the window, %d duplicates); %d denied, %d authorized outside this RBAC model",
		window, r.Events, s.Read, s.NotFinal, s.OutsideWindow, s.Duplicates, s.Denied, s.Unattributed)}
	if r.Note != "" {
		lines = append(lines, r.Note)
	}
	if len(r.Blind) > 0 {
		lines = append(lines, fmt.Sprintf("%d unused rules are blind: the audit policy does not log all they allow, so they are not judged unused", len(r.Blind)))
	}
	return lines
}

func usageRule(r rbacusage.RuleUsage) string {
	var parts []string
	parts = append(parts, strings.Join(r.Verbs, ","))
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g != "" {
				x += "." + g
			}
			res = append(res, x)
		}
	}
	if len(res) > 0 {
		parts = append(parts, strings.Join(res, ","))
	}
	if len(r.ResourceNames) > 0 {
		parts = append(parts, "["+strings.Join(r.ResourceNames, ",")+"]")
	}
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, strings.Join(r.NonResourceURLs, ","))
	}
	return strings.Join(parts, " ")
}

func usageUse(r rbacusage.RuleUsage) string {
	switch {
	case r.Used:
		return fmt.Sprintf("used %d", r.Requests)
	case r.Blind:
		return "blind (not logged)"
	}
	return "UNUSED"
}

func usageBinding(b rbacusage.BindingUsage) string {
	s := b.Kind + " "
	if b.Namespace != "" {
		s += b.Namespace + "/"
	}
	s += b.Name
	if b.RoleRef.Kind != "" {
		s += " → " + b.RoleRef.Kind + " " + b.RoleRef.Name
	}
	if b.Via != "" {
		s += " (via " + b.Via + ")"
	}
	return s
}

func usageDenied(d rbacusage.DeniedUsage) string {
	if d.Path != "" {
		return d.Verb + " " + d.Path
	}
	s := d.Verb + " " + d.Resource
	if d.Subresource != "" {
		s += "/" + d.Subresource
	}
	if d.APIGroup != "" {
		s += "." + d.APIGroup
	}
	if d.Name != "" {
		s += " " + d.Name
	}
	if d.Namespace != "" {
		s += " in " + d.Namespace
	}
	return s
}

// RBACUsageTable prints the report as a table.
func RBACUsageTable(w io.Writer, r *rbacusage.Report) error {
	for _, l := range usageHeader(r) {
		fmt.Fprintln(w, "# "+l)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tREQUESTS\tLAST SEEN\tBINDING / RULE\tUSE")
	for _, s := range r.Subjects {
		fmt.Fprintf(tw, "%s\t%d\t%s\t\t\n", s.Subject, s.Requests, usageTime(s.LastSeen))
		if len(s.Members) > 0 {
			fmt.Fprintf(tw, "\t\t\tmembers seen: %s\t\n", strings.Join(s.Members, ", "))
		}
		for _, b := range s.Bindings {
			fmt.Fprintf(tw, "\t\t\t%s\t\n", usageBinding(b))
			for _, ru := range b.Rules {
				fmt.Fprintf(tw, "\t\t\t  %s\t%s\n", usageRule(ru), usageUse(ru))
			}
		}
		if s.Unattributed > 0 {
			fmt.Fprintf(tw, "\t\t\tauthorized outside this RBAC model\t%d\n", s.Unattributed)
		}
		for _, d := range s.Denied {
			fmt.Fprintf(tw, "\t\t\tdenied: %s\t%d\n", usageDenied(d), d.Requests)
		}
	}
	return tw.Flush()
}

// RBACUsageMarkdown prints the report as markdown: one section per
// subject with a table of its rules.
func RBACUsageMarkdown(w io.Writer, r *rbacusage.Report) error {
	fmt.Fprintln(w, "# RBAC usage")
	fmt.Fprintln(w)
	for _, l := range usageHeader(r) {
		fmt.Fprintln(w, "- "+mdText(l))
	}
	for _, s := range r.Subjects {
		fmt.Fprintf(w, "\n## %s\n\n", mdText(s.Subject.String()))
		fmt.Fprintf(w, "%d requests, last seen %s.", s.Requests, usageTime(s.LastSeen))
		if len(s.Members) > 0 {
			fmt.Fprintf(w, " Members seen: %s.", mdText(strings.Join(s.Members, ", ")))
		}
		if s.Unattributed > 0 {
			fmt.Fprintf(w, " %d authorized outside this RBAC model.", s.Unattributed)
		}
		fmt.Fprintln(w)
		if len(s.Bindings) > 0 {
			fmt.Fprintln(w, "\n| binding | rule | use |\n|---|---|---|")
			for _, b := range s.Bindings {
				for _, ru := range b.Rules {
					fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(usageBinding(b)), mdCell(usageRule(ru)), usageUse(ru))
				}
				if len(b.Rules) == 0 {
					fmt.Fprintf(w, "| %s | (no rules) | |\n", mdCell(usageBinding(b)))
				}
			}
		}
		if len(s.Denied) > 0 {
			fmt.Fprintln(w, "\n| denied | requests |\n|---|---|")
			for _, d := range s.Denied {
				fmt.Fprintf(w, "| %s | %d |\n", mdCell(usageDenied(d)), d.Requests)
			}
		}
	}
	return nil
}
