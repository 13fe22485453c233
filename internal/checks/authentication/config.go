package authentication

import (
	"fmt"
	"strconv"

	apiserver "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	apiserverv1beta1 "k8s.io/apiserver/pkg/apis/apiserver/v1beta1"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/apiserverconfig"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

const authnKind = "AuthenticationConfiguration"

// authnServedSince is the first minor whose kube-apiserver reads each
// version of AuthenticationConfiguration (k8s.io/apiserver tags).
var authnServedSince = map[string]string{"v1alpha1": "1.29", "v1beta1": "1.30", "v1": "1.34"}

// authnFile is a decoded --authentication-config file.
type authnFile struct {
	Flag       apiserverflags.Value
	Path       string
	APIVersion string
	Doc        *configfile.Doc
	Config     *apiserver.AuthenticationConfiguration
}

// loadAuthnConfig reads --authentication-config. It returns (nil, nil) when
// the flag is unset, a not-assessable finding when the file could not be
// read, and a failing finding when kube-apiserver would refuse the file
// (wrong apiVersion/kind, unknown field, invalid YAML).
func loadAuthnConfig(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) (*authnFile, *check.Finding) {
	v, file, nf := check.FileOf(m, a, f, "authentication-config")
	if nf != nil {
		return nil, nf
	}
	if file == nil {
		return nil, nil
	}
	// The path as written in the flag (inputs.File.Path is the same when
	// collected; checktest.File names it after the flag instead).
	path := v.Value
	af := &authnFile{Flag: v, Path: path}
	refuse := func(msg string, line int) (*authnFile, *check.Finding) {
		r := m.Result(check.Fail, a.Name, msg, check.FlagEvidence(v), check.Evidence{Key: "file", Value: path, Source: file.ReadFrom})
		r.Location = &check.Location{File: path, Line: line}
		return nil, &r
	}
	tm, version, bad := apiserverconfig.Type(path, file.Data, authnKind, authnServedSince, `"empty config data"`)
	if bad != nil {
		return refuse(bad.Message, bad.Line)
	}
	var (
		doc *configfile.Doc
		cfg apiserver.AuthenticationConfiguration
		err error
	)
	switch version {
	case "v1":
		var ext apiserverv1.AuthenticationConfiguration
		if doc, err = configfile.Decode(path, file.Data, &ext); err == nil {
			err = apiserverv1.Convert_v1_AuthenticationConfiguration_To_apiserver_AuthenticationConfiguration(&ext, &cfg, nil)
		}
	case "v1beta1":
		var ext apiserverv1beta1.AuthenticationConfiguration
		if doc, err = configfile.Decode(path, file.Data, &ext); err == nil {
			err = apiserverv1beta1.Convert_v1beta1_AuthenticationConfiguration_To_apiserver_AuthenticationConfiguration(&ext, &cfg, nil)
		}
	case "v1alpha1":
		var ext apiserverv1alpha1.AuthenticationConfiguration
		if doc, err = configfile.Decode(path, file.Data, &ext); err == nil {
			err = apiserverv1alpha1.Convert_v1alpha1_AuthenticationConfiguration_To_apiserver_AuthenticationConfiguration(&ext, &cfg, nil)
		}
	}
	if err != nil {
		return refuse(decodeMessage(err), configfile.ErrorLine(err))
	}
	if ver, assumed := f.Version(); !assumed && !ver.AtLeast(authnServedSince[version]) {
		return refuse(fmt.Sprintf("%s:%d: %s is not served by kube-apiserver %s (first read in v%s): it refuses to start with this file",
			path, doc.Line("apiVersion"), tm.APIVersion, ver, authnServedSince[version]), doc.Line("apiVersion"))
	}
	if ver, assumed := f.Version(); !assumed && !ver.AtLeast("1.30") && !check.FeatureGateOn(f, "StructuredAuthenticationConfiguration") {
		return refuse(fmt.Sprintf("%s: --authentication-config needs --feature-gates=StructuredAuthenticationConfiguration=true in %s (alpha, off by default): "+
			"kube-apiserver refuses to start", path, ver), 0)
	}
	af.APIVersion, af.Doc, af.Config = tm.APIVersion, doc, &cfg
	return af, nil
}

// decodeMessage explains a strict-decoding error.
func decodeMessage(err error) string {
	return err.Error() + ": kube-apiserver decodes this file strictly and refuses to start with it " +
		"(a changed file is rejected on reload and the previous configuration stays in force); " +
		"a misspelt field such as condition: for conditions: is an error, not a no-op"
}

// refusesToStart is what kube-apiserver does with a flag value it cannot parse.
const refusesToStart = "kube-apiserver refuses to start"

// flagBool reads a boolean flag; a malformed value is a failing finding
// (kube-apiserver refuses to start).
func flagBool(m check.Metadata, a *inputs.APIServer, v apiserverflags.Value) (bool, *check.Finding) {
	b, err := v.Bool()
	if err != nil {
		r := m.Result(check.Fail, a.Name, err.Error()+": "+refusesToStart, check.FlagEvidence(v))
		r.Location = check.FlagLocation(v)
		return false, &r
	}
	return b, nil
}

// fail builds a failing finding located at the flag.
func fail(m check.Metadata, a *inputs.APIServer, v apiserverflags.Value, msg string, ev ...check.Evidence) check.Finding {
	r := m.Result(check.Fail, a.Name, msg, ev...)
	r.Location = check.FlagLocation(v)
	return r
}

// idx renders a list index for configfile paths.
func idx(i int) string { return strconv.Itoa(i) }

// quote renders a string value for evidence, making "" visible.
func quote(s string) string { return strconv.Quote(s) }
