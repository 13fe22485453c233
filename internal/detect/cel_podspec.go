package detect

import (
	"path"

	"github.com/google/cel-go/common/types/ref"
)

// Reading workload objects: pod specs, containers and host paths.

// nativeOf returns the Go value behind a JSON-derived CEL value.
func nativeOf(v ref.Val) any {
	if v == nil {
		return nil
	}
	return v.Value()
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m := mapOf(v)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

// podSpecsOf collects the pod specs of an object of any workload kind, by
// shape (so merge patches without a kind work too).
func podSpecsOf(obj any) []any {
	var out []any
	add := func(v any) {
		if m := mapOf(v); m != nil {
			out = append(out, m)
		}
	}
	spec := mapOf(dig(obj, "spec"))
	if spec != nil {
		kind, _ := mapOf(obj)["kind"].(string)
		if kind == "Pod" || (kind == "" && (spec["containers"] != nil || spec["initContainers"] != nil || spec["ephemeralContainers"] != nil || spec["volumes"] != nil ||
			spec["hostPID"] != nil || spec["hostNetwork"] != nil || spec["hostIPC"] != nil)) {
			add(spec)
		}
		add(dig(spec, "template", "spec"))
		add(dig(spec, "jobTemplate", "spec", "template", "spec"))
	}
	add(dig(obj, "template", "spec")) // PodTemplate
	return out
}

// objectArg resolves the argument of podSpecs, containers and hostPaths:
// the event stands for its written object.
func objectArg(v ref.Val) any {
	if c, ok := eventArg(v); ok {
		v = c.writtenObject()
	}
	return nativeOf(v)
}

func containersOf(specs []any) []any {
	var out []any
	for _, s := range specs {
		for _, k := range []string{"containers", "initContainers", "ephemeralContainers"} {
			if l, ok := mapOf(s)[k].([]any); ok {
				out = append(out, l...)
			}
		}
	}
	return out
}

func hostPathsOf(specs []any) []string {
	var out []string
	for _, s := range specs {
		vols, _ := mapOf(s)["volumes"].([]any)
		for _, v := range vols {
			if p, ok := dig(v, "hostPath", "path").(string); ok {
				out = append(out, cleanPath(p))
			}
		}
	}
	return out
}

func cleanPath(p string) string {
	if p == "" || isClean(p) {
		return p
	}
	return path.Clean("/" + p)
}

// isClean reports whether path.Clean("/"+p) is p: rooted, without an
// empty, "." or ".." element or a trailing slash (most paths are; no
// allocation then).
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if e := p[start:i]; e == "" || e == "." || e == ".." {
				return false
			}
			start = i + 1
		}
	}
	return true
}

func pathUnder(p string, prefixes []string) bool {
	p = cleanPath(p)
	for _, pre := range prefixes {
		pre = cleanPath(pre)
		// p is pre or below it (p starts with pre+"/").
		if p == pre || (len(p) > len(pre) && p[len(pre)] == '/' && p[:len(pre)] == pre) {
			return true
		}
	}
	return false
}
