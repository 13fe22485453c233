// Command flagdump prints kube-apiserver's real flag set as JSON, exactly as
// k8s.io/kubernetes/cmd/kube-apiserver builds it (app.NewAPIServerCommand,
// with the global normalization cli.Run installs): for each flag its name,
// pflag Value.Type(), DefValue, NoOptDefVal (the value of a bare --flag), and
// whether repeated occurrences accumulate, found by calling Set twice on the
// real flag.Value. It also prints the admission plugins that are on by
// default (AllOrderedPlugins minus DefaultOffAdmissionPlugins).
//
// It lives under testdata/ so that `go test ./...` and `go vet ./...` skip
// it. TestFlagTables builds it with the flags build-binaries.sh uses
// (-trimpath, CGO_ENABLED=0), so that the compiled kube-apiserver packages
// come from the build cache.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	kubeoptions "k8s.io/kubernetes/pkg/kubeapiserver/options"

	// The same blank imports as cmd/kube-apiserver/apiserver.go.
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
)

type flagInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	DefValue    string `json:"defValue"`
	NoOptDefVal string `json:"noOptDefVal,omitempty"`
	Deprecated  bool   `json:"deprecated,omitempty"`
	Hidden      bool   `json:"hidden,omitempty"`
	// Accumulates is true when a second occurrence adds to the first
	// (stringSlice, stringArray, maps...), false when it replaces it, and
	// absent when no probe value was accepted by the flag.
	Accumulates *bool `json:"accumulates,omitempty"`
	// Probe is the pair of values used to decide Accumulates.
	Probe string `json:"probe,omitempty"`
}

type dump struct {
	Flags []flagInfo `json:"flags"`
	// UnderscoreNormalized is true when "--a_b" is read as "--a-b".
	UnderscoreNormalized      bool     `json:"underscoreNormalized"`
	DefaultOnAdmissionPlugins []string `json:"defaultOnAdmissionPlugins"`
}

// probes are value pairs tried in order; the first pair both of whose values
// the flag accepts decides whether the flag accumulates.
var probes = [][2]string{
	{"probeaaa", "probebbb"},
	{"probeaaa=1", "probebbb=2"},
	{"probeaaa.crt,probeaaa.key", "probebbb.crt,probebbb.key"},
	{"11s", "22s"},
	{"11", "22"},
	{"10.0.0.11", "10.0.0.22"},
	{"1000-1011", "1000-1022"},
	{"true", "false"},
}

func marker(v string) string {
	v, _, _ = strings.Cut(v, "=")
	v, _, _ = strings.Cut(v, ",")
	return v
}

func main() {
	cmd := app.NewAPIServerCommand()
	// cli.Run does this before executing the command.
	cmd.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	// cobra adds --help lazily when the command executes.
	cmd.InitDefaultHelpFlag()

	var d dump
	seen := map[string]bool{}
	collect := func(f *pflag.Flag) {
		if seen[f.Name] {
			return
		}
		seen[f.Name] = true
		d.Flags = append(d.Flags, flagInfo{
			Name: f.Name, Type: f.Value.Type(), DefValue: f.DefValue, NoOptDefVal: f.NoOptDefVal,
			Deprecated: f.Deprecated != "", Hidden: f.Hidden,
		})
	}
	cmd.Flags().VisitAll(collect)
	cmd.PersistentFlags().VisitAll(collect)
	cmd.LocalFlags().VisitAll(collect)
	sort.Slice(d.Flags, func(i, j int) bool { return d.Flags[i].Name < d.Flags[j].Name })

	fs := cmd.Flags()
	fs.SetOutput(io.Discard) // deprecation notices printed by Set
	d.UnderscoreNormalized = fs.Lookup("anonymous_auth") != nil && fs.Lookup("anonymous_auth").Name == "anonymous-auth"

	// Probe accumulation on the real flag.Values. Each flag is set at most
	// twice; nothing runs afterwards, so the options' state does not matter.
	for i := range d.Flags {
		fi := &d.Flags[i]
		f := fs.Lookup(fi.Name)
		for _, p := range probes {
			if f.Value.Set(p[0]) != nil || f.Value.Set(p[1]) != nil {
				continue
			}
			s := f.Value.String()
			acc := strings.Contains(s, marker(p[0])) && strings.Contains(s, marker(p[1]))
			fi.Accumulates, fi.Probe = &acc, p[0]+" then "+p[1]+" -> "+s
			break
		}
	}

	off := kubeoptions.DefaultOffAdmissionPlugins()
	for _, p := range kubeoptions.AllOrderedPlugins {
		if !off.Has(p) {
			d.DefaultOnAdmissionPlugins = append(d.DefaultOnAdmissionPlugins, p)
		}
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
