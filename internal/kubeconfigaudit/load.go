package kubeconfigaudit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// Load reads kubeconfig files and merges them as kubectl does
// (clientcmd.ClientConfigLoadingRules.Load): the first file that defines a
// cluster, user or context by a name wins, and so does the first
// current-context; paths inside a file are resolved against its directory.
// Each file is read through fileinput: a regular file of at most
// fileinput.KubeconfigLimit, never a FIFO or a device that would block.
//
// A file that does not exist is skipped, as kubectl skips the missing
// entries of $KUBECONFIG, unless mustExist; found lists the files read. A
// file that cannot be read, is no kubeconfig (another kind, not YAML) is an
// error naming it.
func Load(files []string, mustExist bool) (cfg *clientcmdapi.Config, found []string, err error) {
	cfg = clientcmdapi.NewConfig()
	for _, f := range files {
		if f == "" {
			continue
		}
		data, err := fileinput.ReadFile(f, fileinput.Kubeconfig)
		if errors.Is(err, fs.ErrNotExist) && !mustExist {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		c, err := parse(f, data)
		if err != nil {
			return nil, nil, err
		}
		found = append(found, f)
		merge(cfg, c)
	}
	if err := clientcmd.ResolveLocalPaths(cfg); err != nil {
		return nil, nil, err
	}
	return cfg, found, nil
}

// parse decodes one kubeconfig and records where its entries come from.
func parse(file string, data []byte) (*clientcmdapi.Config, error) {
	if len(bytes.TrimSpace(data)) > 0 {
		// The node tree, for the line of a syntax error or of the kind.
		d, err := configfile.Parse(file, data)
		if err != nil {
			return nil, err
		}
		if tm, err := configfile.Peek(data); err == nil && tm.Kind != "" && tm.Kind != "Config" {
			return nil, &configfile.Error{File: file, Line: d.Line("kind"),
				Message: fmt.Sprintf("kind %q (apiVersion %q) is not a kubeconfig: want apiVersion: v1 and kind: Config", tm.Kind, tm.APIVersion)}
		}
	}
	c, err := clientcmd.Load(data)
	if err != nil {
		return nil, &configfile.Error{File: file, Message: "not a kubeconfig: " + configfile.OneLine(err.Error())}
	}
	for _, x := range c.AuthInfos {
		x.LocationOfOrigin = file
	}
	for _, x := range c.Clusters {
		x.LocationOfOrigin = file
	}
	for _, x := range c.Contexts {
		x.LocationOfOrigin = file
	}
	return c, nil
}

// merge adds what into does not define yet: the first definition wins.
func merge(into, c *clientcmdapi.Config) {
	for k, v := range c.Clusters {
		if _, ok := into.Clusters[k]; !ok && v != nil {
			into.Clusters[k] = v
		}
	}
	for k, v := range c.AuthInfos {
		if _, ok := into.AuthInfos[k]; !ok && v != nil {
			into.AuthInfos[k] = v
		}
	}
	for k, v := range c.Contexts {
		if _, ok := into.Contexts[k]; !ok && v != nil {
			into.Contexts[k] = v
		}
	}
	for k, v := range c.Extensions {
		if _, ok := into.Extensions[k]; !ok {
			into.Extensions[k] = v
		}
	}
	if into.CurrentContext == "" {
		into.CurrentContext = c.CurrentContext
	}
}
