package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// The renderings of rbac usage: JSON (the report as it is), a table and
// markdown, both one line per rule under its subject and binding.

// RBACUsageJSON writes the report, as WriteJSON would, one subject at a
// time: a large model's report is hundreds of MiB of JSON, never held
// whole (with a *rbacusage.Usage, never built whole either).
func RBACUsageJSON(w io.Writer, r rbacusage.Subjects) error {
	if rep, ok := r.(*rbacusage.Report); ok && len(rep.Subjects) == 0 {
		return WriteJSON(w, rep) // null or [], as it is
	}
	head := r.Header()
	head.Subjects = []rbacusage.SubjectUsage{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, head); err != nil {
		return err
	}
	const mark = "\n  \"subjects\": [],\n"
	before, after, ok := bytes.Cut(buf.Bytes(), []byte(mark))
	if !ok {
		return fmt.Errorf("rbac usage JSON: no subjects in the header %q", buf.Bytes())
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(before)
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	var ind []byte
	n := 0
	err := r.Each(func(su *rbacusage.SubjectUsage) error {
		sb.Reset()
		if err := enc.Encode(su); err != nil {
			return err
		}
		if n == 0 {
			bw.WriteString("\n  \"subjects\": [")
		} else {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n    ")
		ind = indentCompact(ind[:0], bytes.TrimSuffix(sb.Bytes(), []byte("\n")), "    ", "  ")
		_, err := bw.Write(ind)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		bw.WriteString(mark)
	} else {
		bw.WriteString("\n  ],\n")
	}
	bw.Write(after)
	return bw.Flush()
}

// indentCompact appends src, compact JSON as encoding/json writes it (no
// space outside strings), indented as json.Indent would with prefix and
// indent: the same bytes, without json.Indent's validating scanner (the
// report's JSON is hundreds of MiB).
func indentCompact(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
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

// usageTableLines gives the table's lines of subject s, five cells each.
func usageTableLines(s *rbacusage.SubjectUsage, line func(c [5]string)) {
	line([5]string{s.Subject.String(), strconv.FormatInt(s.Requests, 10), usageTime(s.LastSeen)})
	if len(s.Members) > 0 {
		line([5]string{3: "members seen: " + strings.Join(s.Members, ", ")})
	}
	for _, b := range s.Bindings {
		line([5]string{3: usageBinding(b)})
		for _, ru := range b.Rules {
			line([5]string{3: "  " + usageRule(ru), 4: usageUse(ru)})
		}
	}
	if s.Unattributed > 0 {
		line([5]string{3: "authorized outside this RBAC model", 4: strconv.FormatInt(s.Unattributed, 10)})
	}
	for _, d := range s.Denied {
		line([5]string{3: "denied: " + usageDenied(d), 4: strconv.FormatInt(d.Requests, 10)})
	}
}

var usageTableHead = [5]string{"SUBJECT", "REQUESTS", "LAST SEEN", "BINDING / RULE", "USE"}

// RBACUsageTable prints the report as a table, aligned as a
// text/tabwriter (padding 2) would: one pass over the subjects measures
// the columns, a second writes, so the table is never held whole.
func RBACUsageTable(w io.Writer, r rbacusage.Subjects) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, l := range usageHeader(r.Header()) {
		bw.WriteString("# " + l + "\n")
	}
	var widths [4]int
	measure := func(c [5]string) {
		for j := range widths {
			widths[j] = max(widths[j], utf8.RuneCountInString(c[j])+2)
		}
	}
	measure(usageTableHead)
	if err := r.Each(func(s *rbacusage.SubjectUsage) error { usageTableLines(s, measure); return nil }); err != nil {
		return err
	}
	write := func(c [5]string) {
		for j, wd := range widths {
			bw.WriteString(c[j])
			for n := utf8.RuneCountInString(c[j]); n < wd; n++ {
				bw.WriteByte(' ')
			}
		}
		bw.WriteString(c[4])
		bw.WriteByte('\n')
	}
	write(usageTableHead)
	if err := r.Each(func(s *rbacusage.SubjectUsage) error { usageTableLines(s, write); return nil }); err != nil {
		return err
	}
	return bw.Flush()
}

// RBACUsageMarkdown prints the report as markdown: one section per
// subject with a table of its rules.
func RBACUsageMarkdown(w io.Writer, r rbacusage.Subjects) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	fmt.Fprintln(bw, "# RBAC usage")
	fmt.Fprintln(bw)
	for _, l := range usageHeader(r.Header()) {
		fmt.Fprintln(bw, "- "+mdText(l))
	}
	err := r.Each(func(s *rbacusage.SubjectUsage) error {
		fmt.Fprintf(bw, "\n## %s\n\n", mdText(s.Subject.String()))
		fmt.Fprintf(bw, "%d requests, last seen %s.", s.Requests, usageTime(s.LastSeen))
		if len(s.Members) > 0 {
			fmt.Fprintf(bw, " Members seen: %s.", mdText(strings.Join(s.Members, ", ")))
		}
		if s.Unattributed > 0 {
			fmt.Fprintf(bw, " %d authorized outside this RBAC model.", s.Unattributed)
		}
		fmt.Fprintln(bw)
		if len(s.Bindings) > 0 {
			fmt.Fprintln(bw, "\n| binding | rule | use |\n|---|---|---|")
			for _, b := range s.Bindings {
				for _, ru := range b.Rules {
					fmt.Fprintf(bw, "| %s | %s | %s |\n", mdCell(usageBinding(b)), mdCell(usageRule(ru)), usageUse(ru))
				}
				if len(b.Rules) == 0 {
					fmt.Fprintf(bw, "| %s | (no rules) | |\n", mdCell(usageBinding(b)))
				}
			}
		}
		if len(s.Denied) > 0 {
			fmt.Fprintln(bw, "\n| denied | requests |\n|---|---|")
			for _, d := range s.Denied {
				fmt.Fprintf(bw, "| %s | %d |\n", mdCell(usageDenied(d)), d.Requests)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
