package authentication

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var tokenFileMeta = check.Metadata{
	ID:       "AG-AUTHN-002",
	Title:    "No static token file is used",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "--token-auth-file holds bearer tokens in plain text on the control-plane disk (token,user,uid,\"groups\"). " +
		"They never expire, cannot be revoked without editing the file and restarting kube-apiserver, and anyone " +
		"who reads the file, a backup or an old node image becomes those users. A token in group system:masters " +
		"bypasses RBAC and every authorization webhook.",
	Remediation: "Remove --token-auth-file from the kube-apiserver manifest and move its users to short-lived credentials " +
		"(OIDC through --authentication-config, client certificates from a CSR flow, or ServiceAccount tokens from the TokenRequest API); " +
		"then delete the file and rotate anything that used its tokens.",
	References: []check.Reference{
		{CIS: "1.2.2", Title: "Ensure that the --token-auth-file parameter is not set"},
		{Title: "Static token file", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// NoTokenAuthFile is CIS 1.2.2. The file's tokens are never read into a
// finding: only the user, uid and groups columns are.
var NoTokenAuthFile = check.PerServer(tokenFileMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v := f.Get("token-auth-file")
	if !v.Set || v.Value == "" {
		return m.Result(check.Pass, a.Name, "no static token file is configured", check.FlagEvidence(v))
	}
	ev := []check.Evidence{check.FlagEvidence(v)}
	file := a.Files["token-auth-file"]
	switch {
	case file == nil:
		ev = append(ev, check.Evidence{Key: "content", Value: "(not collected)", Source: v.Value})
		return fail(m, a, v, "a static token file is configured ("+v.Value+"): plain-text bearer tokens that never expire; its content was not collected, so its users are unknown", ev...)
	case file.Unavailable != "":
		ev = append(ev, check.Evidence{Key: "content", Value: "(unreadable: " + file.Unavailable + ")", Source: v.Value})
		return fail(m, a, v, "a static token file is configured ("+v.Value+"): plain-text bearer tokens that never expire; its content could not be read, so its users are unknown", ev...)
	}
	rows, problems := parseTokenFile(file.Data)
	path := v.Value
	var users, masters []string
	groups := map[string]bool{}
	for _, r := range rows {
		desc := "user " + quote(r.user) + " uid " + quote(r.uid)
		if len(r.groups) > 0 {
			desc += " groups " + strings.Join(r.groups, ",")
		}
		ev = append(ev, check.Evidence{Key: fmt.Sprintf("token[%d]", r.index), Value: desc, Source: fmt.Sprintf("%s:%d", path, r.line)})
		users = append(users, r.user)
		for _, g := range r.groups {
			groups[g] = true
			if g == "system:masters" {
				masters = append(masters, r.user)
			}
		}
	}
	for _, p := range problems {
		ev = append(ev, check.Evidence{Key: "problem", Value: p, Source: path})
	}
	msg := fmt.Sprintf("a static token file is configured (%s) with %d token%s that never expire", v.Value, len(rows), plural(len(rows)))
	if len(rows) > 0 {
		msg += fmt.Sprintf(": users %s", strings.Join(users, ", "))
		if len(groups) > 0 {
			msg += fmt.Sprintf("; groups %s", strings.Join(sortedKeys(groups), ", "))
		}
	}
	if len(problems) > 0 {
		msg += "; " + strings.Join(problems, "; ")
	}
	r := fail(m, a, v, msg, ev...)
	if len(masters) > 0 {
		r.Message += fmt.Sprintf(". %s in group system:masters: a leaked token is unrevocable cluster-admin that bypasses RBAC and authorization webhooks", strings.Join(masters, ", "))
		r.Severity = check.Critical
	}
	return r
})

type tokenRow struct {
	index, line int
	user, uid   string
	groups      []string
}

// parseTokenFile reads the CSV as kube-apiserver does (k8s.io/apiserver
// pkg/authentication/token/tokenfile): rows with an empty token are skipped,
// fewer than 3 columns stop the server, groups are column 4 split on ",".
// Column 1 (the token) is never kept, and parse errors never quote content.
func parseTokenFile(data []byte) ([]tokenRow, []string) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var rows []tokenRow
	var problems []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, fmt.Sprintf("line %d is not valid CSV (%v): kube-apiserver refuses to start", pe.Line, pe.Err))
			} else {
				problems = append(problems, "the file is not valid CSV: kube-apiserver refuses to start")
			}
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 2 && rec[1] == "(unparseable row)" {
			problems = append(problems, fmt.Sprintf("line %d could not be parsed when collected: kube-apiserver refuses to start", line))
			continue
		}
		if len(rec) < 3 {
			problems = append(problems, fmt.Sprintf("line %d has %d column(s), fewer than token,user,uid: kube-apiserver refuses to start", line, len(rec)))
			continue
		}
		if rec[0] == "" {
			continue // skipped by kube-apiserver with a warning
		}
		row := tokenRow{index: len(rows), line: line, user: rec[1], uid: rec[2]}
		if len(rec) >= 4 {
			row.groups = strings.Split(rec[3], ",")
		}
		rows = append(rows, row)
	}
	return rows, problems
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
