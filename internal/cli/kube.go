package cli

import (
	"fmt"

	"github.com/apiguard/apiguard/internal/app"
)

// targetName is "context <name> (<server>)" for live reads.
func (a *env) targetName(host string) string {
	raw, err := a.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return host
	}
	ctx := raw.CurrentContext
	if a.kube.Context != nil && *a.kube.Context != "" {
		ctx = *a.kube.Context
	}
	if ctx == "" {
		return host
	}
	return fmt.Sprintf("context %s (%s)", ctx, host)
}

// kubeChosen reports an explicit --kubeconfig or --context.
func (a *env) kubeChosen() bool {
	if a.kube == nil {
		return false
	}
	return (a.kube.KubeConfig != nil && *a.kube.KubeConfig != "") || (a.kube.Context != nil && *a.kube.Context != "")
}

// liveInputs completes in with how to read the kubeconfig's cluster, with
// progress on a terminal only (quiet when piped or in CI).
func (a *env) liveInputs(in app.Inputs) app.Inputs {
	in.Cluster, in.ClusterName, in.ClusterChosen = a.kube.ToRESTConfig, a.targetName, a.kubeChosen()
	in.UserAgent = probeUserAgent()
	if isTerminal(a.stderr) {
		in.Progress = a.stderr
	}
	return in
}

// probeUserAgent is sent by the network probe.
func probeUserAgent() string { return "apiguard-probe/" + Version }
