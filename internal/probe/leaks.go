package probe

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/inputs"
)

// maxListed bounds the names a leak lists (namespaces, groups, files).
const maxListed = 12

// leaks says what an anonymous 2xx answer disclosed. It never records a
// secret: for cluster-info it keeps the token IDs of the JWS signatures,
// never the signatures.
func leaks(path, contentType string, body []byte, truncated bool) []inputs.Leak {
	raw, _, _ := strings.Cut(path, "?")
	var out []inputs.Leak
	switch {
	case raw == "/version":
		out = versionLeaks(body)
	case raw == "/healthz" || raw == "/livez" || raw == "/readyz":
		out = healthLeaks(body)
	case raw == "/api":
		out = apiLeaks(body)
	case raw == "/apis":
		out = apisLeaks(body)
	case raw == "/openapi/v2" || strings.HasPrefix(raw, "/openapi/"):
		out = openAPILeaks(body, truncated)
	case raw == "/api/v1/namespaces":
		out = listLeaks("namespaces", body)
	case raw == "/.well-known/openid-configuration":
		out = oidcLeaks(body)
	case raw == "/openid/v1/jwks":
		out = jwksLeaks(body)
	case raw == "/metrics":
		out = metricsLeaks(body, truncated)
	case strings.HasPrefix(raw, "/debug/pprof"):
		out = pprofLeaks(body)
	case strings.HasPrefix(raw, "/logs"):
		out = logLeaks(body)
	case raw == ClusterInfoPath:
		out = clusterInfoLeaks(body)
	}
	if len(out) == 0 {
		ct := contentType
		if ct == "" {
			ct = "no content type"
		}
		size := fmt.Sprintf("%d bytes", len(body))
		if truncated {
			size = "more than " + size
		}
		out = append(out, inputs.Leak{Kind: "body", Value: size + " (" + bounded(ct, 60) + ")"})
	}
	return out
}

func versionLeaks(body []byte) []inputs.Leak {
	var v struct {
		GitVersion string `json:"gitVersion"`
		GoVersion  string `json:"goVersion"`
		Platform   string `json:"platform"`
		BuildDate  string `json:"buildDate"`
	}
	if json.Unmarshal(body, &v) != nil || v.GitVersion == "" {
		return nil
	}
	out := []inputs.Leak{{Kind: "version", Value: bounded(v.GitVersion, 80)}}
	if v.GoVersion != "" {
		out = append(out, inputs.Leak{Kind: "go-version", Value: bounded(v.GoVersion, 40)})
	}
	if v.Platform != "" {
		out = append(out, inputs.Leak{Kind: "platform", Value: bounded(v.Platform, 40)})
	}
	return out
}

var healthLine = regexp.MustCompile(`^\[[+-]\]([^\s]+)`)

func healthLeaks(body []byte) []inputs.Leak {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if m := healthLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			names = append(names, m[1])
		}
	}
	if len(names) == 0 {
		return []inputs.Leak{{Kind: "health", Value: bounded(string(body), 40)}}
	}
	return []inputs.Leak{{Kind: "health-checks", Value: listValue(names, 30)}}
}

func apiLeaks(body []byte) []inputs.Leak {
	var v struct {
		Versions []string `json:"versions"`
		Servers  []struct {
			ClientCIDR    string `json:"clientCIDR"`
			ServerAddress string `json:"serverAddress"`
		} `json:"serverAddressByClientCIDRs"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Versions) == 0 {
		return nil
	}
	out := []inputs.Leak{{Kind: "api-versions", Value: listValue(v.Versions, maxListed)}}
	var addrs []string
	for _, s := range v.Servers {
		addrs = append(addrs, s.ServerAddress)
	}
	if len(addrs) > 0 {
		out = append(out, inputs.Leak{Kind: "server-address", Value: listValue(addrs, maxListed)})
	}
	return out
}

func apisLeaks(body []byte) []inputs.Leak {
	var v struct {
		Groups []struct {
			Name string `json:"name"`
		} `json:"groups"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Groups) == 0 {
		return nil
	}
	// Groups outside *.k8s.io name the software installed (CRDs, aggregated APIs).
	var names []string
	for _, g := range v.Groups {
		if !strings.HasSuffix(g.Name, ".k8s.io") && !builtinGroups[g.Name] {
			names = append(names, g.Name)
		}
	}
	value := fmt.Sprintf("%d API groups", len(v.Groups))
	if len(names) > 0 {
		value += "; non-Kubernetes: " + listValue(names, maxListed)
	}
	return []inputs.Leak{{Kind: "api-groups", Value: value}}
}

// builtinGroups are the Kubernetes API groups without a .k8s.io suffix.
var builtinGroups = map[string]bool{"apps": true, "batch": true, "autoscaling": true, "policy": true, "extensions": true}

var openAPIVersion = regexp.MustCompile(`"info"\s*:\s*\{[^}]*"version"\s*:\s*"([^"]{1,80})"`)

func openAPILeaks(body []byte, truncated bool) []inputs.Leak {
	var v struct {
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if !truncated && json.Unmarshal(body, &v) == nil && len(v.Paths) > 0 {
		out := []inputs.Leak{{Kind: "openapi", Value: fmt.Sprintf("the API schema: %d paths", len(v.Paths))}}
		if v.Info.Version != "" {
			out = append(out, inputs.Leak{Kind: "version", Value: bounded(v.Info.Version, 80)})
		}
		return out
	}
	if !bytes.Contains(body, []byte(`"swagger"`)) && !bytes.Contains(body, []byte(`"openapi"`)) {
		return nil
	}
	out := []inputs.Leak{{Kind: "openapi", Value: fmt.Sprintf("the API schema (more than %d bytes)", len(body))}}
	if m := openAPIVersion.FindSubmatch(body); m != nil {
		out = append(out, inputs.Leak{Kind: "version", Value: bounded(string(m[1]), 80)})
	}
	return out
}

func listLeaks(kind string, body []byte) []inputs.Leak {
	var v struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	names := make([]string, 0, len(v.Items))
	for _, it := range v.Items {
		names = append(names, it.Metadata.Name)
	}
	sort.Strings(names)
	return []inputs.Leak{{Kind: kind, Value: fmt.Sprintf("%d %s: %s", len(names), kind, listValue(names, maxListed))}}
}

func oidcLeaks(body []byte) []inputs.Leak {
	var v struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if json.Unmarshal(body, &v) != nil || v.Issuer == "" {
		return nil
	}
	out := []inputs.Leak{{Kind: "issuer", Value: bounded(v.Issuer, 200)}}
	if v.JWKSURI != "" {
		out = append(out, inputs.Leak{Kind: "jwks-uri", Value: bounded(v.JWKSURI, 200)})
	}
	return out
}

func jwksLeaks(body []byte) []inputs.Leak {
	var v struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Keys) == 0 {
		return nil
	}
	var ids []string
	for _, k := range v.Keys {
		id := k.Kid
		if k.Alg != "" {
			id += " (" + k.Alg + ")"
		}
		ids = append(ids, bounded(id, 80))
	}
	return []inputs.Leak{{Kind: "key-ids", Value: listValue(ids, maxListed)}}
}

func metricsLeaks(body []byte, truncated bool) []inputs.Leak {
	families := map[string]bool{}
	samples := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		samples++
		name := line
		if i := strings.IndexAny(line, "{ "); i > 0 {
			name = line[:i]
		}
		families[name] = true
	}
	if samples == 0 {
		return nil
	}
	more := ""
	if truncated {
		more = "at least "
	}
	value := fmt.Sprintf("%s%d samples of %d metrics", more, samples, len(families))
	for _, n := range []string{"apiserver_storage_objects", "apiserver_request_total", "etcd_request_duration_seconds"} {
		if families[n] {
			value += ", incl. " + n
			break
		}
	}
	return []inputs.Leak{{Kind: "metrics", Value: value}}
}

var pprofProfile = regexp.MustCompile(`href=['"]?([a-z]+)\?debug=1`)

func pprofLeaks(body []byte) []inputs.Leak {
	var names []string
	seen := map[string]bool{}
	for _, m := range pprofProfile.FindAllSubmatch(body, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 && !bytes.Contains(body, []byte("pprof")) {
		return nil
	}
	if len(names) == 0 {
		return []inputs.Leak{{Kind: "profiles", Value: "the Go profiling index"}}
	}
	sort.Strings(names)
	return []inputs.Leak{{Kind: "profiles", Value: listValue(names, maxListed)}}
}

var logHref = regexp.MustCompile(`<a href="([^"?]{1,200})">`)

func logLeaks(body []byte) []inputs.Leak {
	var names []string
	for _, m := range logHref.FindAllSubmatch(body, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) == 0 {
		return nil
	}
	return []inputs.Leak{{Kind: "log-files", Value: listValue(names, maxListed)}}
}

func clusterInfoLeaks(body []byte) []inputs.Leak {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if json.Unmarshal(body, &cm) != nil {
		return nil
	}
	var out []inputs.Leak
	if kc := cm.Data["kubeconfig"]; kc != "" {
		var cfg struct {
			Clusters []struct {
				Cluster struct {
					Server string `json:"server"`
					CAData []byte `json:"certificate-authority-data"`
				} `json:"cluster"`
			} `json:"clusters"`
		}
		if yaml.Unmarshal([]byte(kc), &cfg) == nil {
			for _, c := range cfg.Clusters {
				if c.Cluster.Server != "" {
					out = append(out, inputs.Leak{Kind: "api-server-url", Value: bounded(c.Cluster.Server, 200)})
				}
				if ca := caSummary(c.Cluster.CAData); ca != "" {
					out = append(out, inputs.Leak{Kind: "ca-certificate", Value: ca})
				}
			}
		}
	}
	var ids []string
	for k := range cm.Data {
		if id, ok := strings.CutPrefix(k, "jws-kubeconfig-"); ok {
			ids = append(ids, bounded(id, 40))
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		out = append(out, inputs.Leak{Kind: "bootstrap-token-ids", Value: listValue(ids, maxListed)})
	}
	return out
}

// caSummary is the subject and fingerprint of the first certificate in PEM.
func caSummary(data []byte) string {
	b, _ := pem.Decode(data)
	if b == nil {
		return ""
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(c.Raw)
	return bounded(c.Subject.String(), 100) + " (sha256 " + hex.EncodeToString(sum[:8]) + "…)"
}

// listValue joins at most n items and says how many were left out.
func listValue(items []string, n int) string {
	if len(items) <= n {
		return bounded(strings.Join(items, ", "), 600)
	}
	return bounded(strings.Join(items[:n], ", "), 600) + fmt.Sprintf(" (+%d more)", len(items)-n)
}
