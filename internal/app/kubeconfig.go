package app

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/kubeconfigaudit"
)

// KubeconfigAuditOptions: the kubeconfig to judge.
type KubeconfigAuditOptions struct {
	// File is the kubeconfig; "" means the files kubectl reads ($KUBECONFIG,
	// merged as kubectl does, else ~/.kube/config).
	File string
	// AsOf is the date certificate expiry is judged at, YYYY-MM-DD ("": Now).
	AsOf string
	Now  time.Time
}

// KubeconfigAuditResult is what the kubeconfig's credentials are worth to
// whoever copies the file.
type KubeconfigAuditResult struct {
	// Source names the files read.
	Source   string
	Rules    []check.Metadata
	Findings []check.Finding
}

// KubeconfigAudit judges the credentials in a kubeconfig.
func KubeconfigAudit(o KubeconfigAuditOptions) (*KubeconfigAuditResult, error) {
	t, err := asOf(o.AsOf, o.Now)
	if err != nil {
		return nil, err
	}
	// The files kubectl would read, each read as a regular file of at most
	// 4 MiB (kubeconfigaudit.Load), merged as kubectl does.
	files := clientcmd.NewDefaultClientConfigLoadingRules().GetLoadingPrecedence()
	if o.File != "" {
		files = []string{o.File}
	}
	cfg, existing, err := kubeconfigaudit.Load(files, o.File != "")
	if err != nil {
		return nil, Input(err)
	}
	if len(existing) == 0 {
		return nil, Input(fmt.Errorf("no kubeconfig: give a FILE, or set KUBECONFIG (looked in %s)", strings.Join(files, ", ")))
	}
	source := strings.Join(existing, ", ")
	if len(cfg.AuthInfos) == 0 && len(cfg.Clusters) == 0 {
		return nil, Input(fmt.Errorf("%s: no users and no clusters: not a kubeconfig", source))
	}
	return &KubeconfigAuditResult{Source: source, Rules: kubeconfigaudit.Rules, Findings: kubeconfigaudit.Audit(cfg, source, t)}, nil
}
