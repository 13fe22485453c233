package adminpower

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

var encryptionProviderMeta = check.Metadata{
	ID:       "AG-ADMIN-004",
	Title:    "Encryption at rest uses a strong provider for Secrets",
	Layer:    check.AdminPower,
	Severity: check.High,
	Rationale: "In an EncryptionConfiguration the entry that covers secrets is found as kube-apiserver " +
		"does: an exact \"secrets\" entry first, else \"*.\" (every core resource), else \"*.*\" " +
		"(everything); a wildcard listed before a specific entry makes kube-apiserver refuse the file. " +
		"The FIRST provider of that entry encrypts every write; the others only decrypt older data. " +
		"identity first means Secrets are written in plaintext. aescbc and secretbox are accepted by " +
		"CIS; aescbc is no longer recommended upstream (CBC is exposed to padding-oracle attacks), and " +
		"both keep their key in this file on the control-plane host, so a stolen disk image or backup " +
		"of that host decrypts etcd. aesgcm uses a random nonce with a static key: the key must be " +
		"rotated every 200,000 writes, which nothing enforces. kms v1 is deprecated and disabled by " +
		"default since 1.29. kms v2 keeps the key-encryption key in an external KMS and is preferred. " +
		"apiguard decodes the file strictly (kube-apiserver ignores unknown fields) and never prints " +
		"key material, only provider types and key names.",
	Remediation: "Make the first provider of the entry that covers secrets kms (apiVersion: v2), or at " +
		"least secretbox or aescbc with a random 32-byte key; keep identity only last, while existing " +
		"Secrets are rewritten (kubectl get secrets -A -o json | kubectl replace -f -).",
	References: []check.Reference{
		{CIS: "1.2.28", Title: "Ensure that encryption providers are appropriately configured"},
		{Title: "Encrypting confidential data at rest: providers", URL: "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#providers"},
		{Title: "Using a KMS provider for data encryption", URL: "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// EncryptionProvider is CIS 1.2.28.
var EncryptionProvider = check.PerServer(encryptionProviderMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	return assessEncryption(m, a, f)
})

func assessEncryption(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v, file, na := check.FileOf(m, a, f, "encryption-provider-config")
	if na != nil {
		return *na
	}
	ev := []check.Evidence{check.FlagEvidence(v)}
	if file == nil {
		r := m.Result(check.Fail, a.Name, "Secrets are not encrypted at rest: --encryption-provider-config is not set (see AG-ADMIN-003)", ev...)
		r.Location = check.FlagLocation(v)
		return r
	}
	fail := func(msg string, line int) check.Finding {
		r := m.Result(check.Fail, a.Name, msg, ev...)
		r.Location = &check.Location{File: file.Path, Line: line}
		return r
	}
	if strings.TrimSpace(string(file.Data)) == "" {
		return fail(file.Path+" is empty: kube-apiserver refuses it and does not start", 0)
	}
	var cfg apiserverv1.EncryptionConfiguration
	doc, err := configfile.Decode(file.Path, file.Data, &cfg)
	if err != nil {
		msg := redact(configfile.OneLine(err.Error()), file.Data)
		r := fail("the encryption configuration does not decode strictly: "+msg, 0)
		if strings.Contains(msg, "unknown field") {
			r.Message += " (kube-apiserver ignores unknown fields: a misspelled field is silently dropped)"
		}
		r.Location = &check.Location{File: file.Path, Line: configfile.ErrorLine(err)}
		return r
	}
	if cfg.APIVersion != "apiserver.config.k8s.io/v1" || cfg.Kind != "EncryptionConfiguration" {
		return fail(fmt.Sprintf("%s is apiVersion %q kind %q, not an apiserver.config.k8s.io/v1 EncryptionConfiguration: kube-apiserver refuses it and does not start",
			file.Path, cfg.APIVersion, cfg.Kind), doc.Line("apiVersion"))
	}

	// Keys are validated in every provider of every entry, as kube-apiserver
	// does before it starts: one bad key anywhere stops it.
	if msg, path := invalidKey(&cfg); msg != "" {
		return fail(file.Path+": "+msg+": kube-apiserver refuses this configuration and does not start", doc.Line(path...))
	}

	// Every entry, as evidence of what else is encrypted and how.
	for i, rc := range cfg.Resources {
		ev = append(ev, check.Evidence{
			Key:    fmt.Sprintf("resources[%d]", i),
			Value:  strings.Join(rc.Resources, ", ") + ": " + describeChain(rc.Providers),
			Source: doc.Source("resources", strconv.Itoa(i)),
		})
	}

	cov, masked, err := secretsCoverage(&cfg)
	if err != nil {
		return fail(file.Path+": "+err.Error(), doc.Line("resources", strconv.Itoa(masked.entry), "resources", strconv.Itoa(masked.res)))
	}
	if cov == nil {
		return fail(file.Path+" has no entry for secrets (nor \"*.\" or \"*.*\"): Secrets are written unencrypted", doc.Line("resources"))
	}
	rc := cfg.Resources[cov.entry]
	entry := strconv.Itoa(cov.entry)
	ev = append(ev, check.Evidence{
		Key:    "secrets",
		Value:  fmt.Sprintf("covered by %q in resources[%d]; writes with %s", rc.Resources[cov.res], cov.entry, describeChain(rc.Providers)),
		Source: doc.Source("resources", entry, "resources", strconv.Itoa(cov.res)),
	})
	providersLine := doc.Line("resources", entry, "providers", "0")
	where := fmt.Sprintf("resources[%d] (%q)", cov.entry, rc.Resources[cov.res])
	if len(rc.Providers) == 0 {
		return fail(where+" has no providers: kube-apiserver refuses this configuration", doc.Line("resources", entry))
	}
	first := classify(rc.Providers[0])
	stale := ""
	for _, p := range rc.Providers[1:] {
		if classify(p).kind == "identity" {
			stale = "; identity is still listed after it, so Secrets written before encryption was enabled stay in plaintext until they are rewritten"
		}
	}
	switch first.kind {
	case "":
		return fail(where+": the first provider names no provider type (or more than one): kube-apiserver refuses this configuration", providersLine)
	case "identity":
		msg := "Secrets are not encrypted: identity is the first provider of " + where + ", so every Secret is written in plaintext"
		if len(rc.Providers) > 1 {
			msg += " (the providers after it only decrypt data written earlier)"
		}
		return fail(msg, providersLine)
	}
	if first.invalid != "" {
		return fail(where+": "+first.invalid+": kube-apiserver refuses this configuration", providersLine)
	}
	writes := "Secrets are encrypted with " + first.describe() + ", the first provider of " + where
	switch first.kind {
	case "kms":
		if first.kmsVersion == "v2" {
			return m.Result(check.Pass, a.Name, writes+stale, ev...)
		}
		msg := writes + ": KMS v1 is deprecated and only receives security fixes; migrate to apiVersion: v2"
		if ver, assumed := f.Version(); ver.AtLeastMinor(1, 29) && !gateEnabled(f, "KMSv1") {
			server := "kube-apiserver " + ver.MinorString()
			if assumed {
				server = "kube-apiserver (version unknown, assumed 1.29 or later)"
			}
			msg += "; since 1.29 KMS v1 is disabled unless --feature-gates=KMSv1=true, so " + server + " refuses this configuration"
		}
		r := m.Result(check.Warn, a.Name, msg+stale, ev...)
		r.Location = &check.Location{File: file.Path, Line: providersLine}
		return r
	case "aesgcm":
		r := m.Result(check.Warn, a.Name, writes+": AES-GCM with a static key and random nonces is only safe if the key is rotated "+
			"every 200,000 writes, which kube-apiserver does not do; prefer kms v2 (or secretbox)"+stale, ev...)
		r.Location = &check.Location{File: file.Path, Line: providersLine}
		return r
	case "aescbc":
		return m.Result(check.Pass, a.Name, writes+" (accepted by CIS, but no longer recommended upstream: CBC is exposed to padding-oracle attacks "+
			"and the key sits in this file on the control-plane host; prefer kms v2)"+stale, ev...)
	default: // secretbox
		return m.Result(check.Pass, a.Name, writes+" (the key sits in this file on the control-plane host; kms v2 keeps it in an external KMS)"+stale, ev...)
	}
}

// keySizes are the decoded key lengths kube-apiserver accepts per provider
// (k8s.io/apiserver pkg/apis/apiserver/validation validation_encryption.go:
// aesKeySizes for aescbc and aesgcm, secretBoxKeySizes).
var keySizes = map[string][]int{"aescbc": {16, 24, 32}, "aesgcm": {16, 24, 32}, "secretbox": {32}}

// invalidKey finds the first key kube-apiserver's validation refuses
// (validateKey: a name, a secret, standard base64 that decodes to one of the
// provider's key sizes) and returns why, naming the key by its name and
// position (never its material), with the YAML path of the key.
func invalidKey(cfg *apiserverv1.EncryptionConfiguration) (string, []string) {
	for i, rc := range cfg.Resources {
		for j, p := range rc.Providers {
			for _, kc := range []struct {
				kind string
				keys []apiserverv1.Key
			}{{"aescbc", aesKeys(p.AESCBC)}, {"aesgcm", aesKeys(p.AESGCM)}, {"secretbox", boxKeys(p.Secretbox)}} {
				for k, key := range kc.keys {
					path := []string{"resources", strconv.Itoa(i), "providers", strconv.Itoa(j), kc.kind, "keys", strconv.Itoa(k)}
					where := fmt.Sprintf("resources[%d].providers[%d].%s.keys[%d]", i, j, kc.kind, k)
					if key.Name != "" {
						where += fmt.Sprintf(" (%q)", key.Name)
					}
					if why := keyProblem(key, kc.kind); why != "" {
						return where + ": " + why, path
					}
				}
			}
		}
	}
	return "", nil
}

func keyProblem(key apiserverv1.Key, kind string) string {
	if key.Name == "" {
		return "the key has no name"
	}
	if key.Secret == "" {
		return "the key has no secret"
	}
	raw, err := base64.StdEncoding.DecodeString(key.Secret)
	if err != nil {
		return "the secret is not standard (padded) base64"
	}
	if !slices.Contains(keySizes[kind], len(raw)) {
		want := "32"
		if kind != "secretbox" {
			want = "16, 24 or 32"
		}
		return fmt.Sprintf("the secret decodes to %d bytes; %s takes %s-byte keys", len(raw), kind, want)
	}
	return ""
}

func aesKeys(c *apiserverv1.AESConfiguration) []apiserverv1.Key {
	if c == nil {
		return nil
	}
	return c.Keys
}

func boxKeys(c *apiserverv1.SecretboxConfiguration) []apiserverv1.Key {
	if c == nil {
		return nil
	}
	return c.Keys
}

// coverage locates the resource string that makes an entry cover secrets.
type coverage struct{ entry, res int }

var (
	secretsGR  = schema.GroupResource{Group: "", Resource: "secrets"}
	anyCoreGR  = schema.GroupResource{Group: "", Resource: "*"}
	anyGroupGR = schema.GroupResource{Group: "*", Resource: "*"}
)

// secretsCoverage finds the entry kube-apiserver uses for secrets, as
// k8s.io/apiserver pkg/server/options/encryptionconfig/config.go does:
// getTransformerOverridesAndKMSPluginProbes refuses a resource listed after
// "<group>.*"'s wildcard or "*.*", and for the same resource listed twice
// appends the later providers (the first entry writes); transformerFromOverrides
// looks up the exact group/resource, then "*.<group>", then "*.*".
func secretsCoverage(cfg *apiserverv1.EncryptionConfiguration) (cov, masked *coverage, err error) {
	seen := map[schema.GroupResource]coverage{}
	for i, rc := range cfg.Resources {
		for j, r := range rc.Resources {
			gr := schema.ParseGroupResource(r)
			for _, mask := range []schema.GroupResource{{Group: gr.Group, Resource: "*"}, anyGroupGR} {
				if c, masked := seen[mask]; masked {
					return nil, &coverage{i, j}, fmt.Errorf("resources[%d].resources[%d] %q is masked by %q in resources[%d]: kube-apiserver refuses this configuration",
						i, j, r, cfg.Resources[c.entry].Resources[c.res], c.entry)
				}
			}
			if _, dup := seen[gr]; !dup {
				seen[gr] = coverage{i, j}
			}
		}
	}
	for _, gr := range []schema.GroupResource{secretsGR, anyCoreGR, anyGroupGR} {
		if c, ok := seen[gr]; ok {
			return &c, nil, nil
		}
	}
	return nil, nil, nil
}

// provider is one provider's type and key names (never key material).
type provider struct {
	kind       string // aescbc, aesgcm, secretbox, identity, kms; "" when none or several
	keys       []string
	kmsName    string
	kmsVersion string
	invalid    string // why kube-apiserver's validation refuses it
}

func classify(p apiserverv1.ProviderConfiguration) provider {
	var out []provider
	keyNames := func(ks []apiserverv1.Key) []string {
		names := make([]string, len(ks))
		for i, k := range ks {
			names[i] = k.Name
		}
		return names
	}
	if p.AESCBC != nil {
		out = append(out, provider{kind: "aescbc", keys: keyNames(p.AESCBC.Keys)})
	}
	if p.AESGCM != nil {
		out = append(out, provider{kind: "aesgcm", keys: keyNames(p.AESGCM.Keys)})
	}
	if p.Secretbox != nil {
		out = append(out, provider{kind: "secretbox", keys: keyNames(p.Secretbox.Keys)})
	}
	if p.Identity != nil {
		out = append(out, provider{kind: "identity"})
	}
	if p.KMS != nil {
		// An empty apiVersion defaults to v1 (apis/apiserver/v1 defaults.go).
		ver := p.KMS.APIVersion
		if ver == "" {
			ver = "v1"
		}
		k := provider{kind: "kms", kmsName: p.KMS.Name, kmsVersion: ver}
		if ver != "v1" && ver != "v2" {
			k.invalid = fmt.Sprintf("kms apiVersion %q is neither v1 nor v2", ver)
		}
		out = append(out, k)
	}
	if len(out) != 1 {
		return provider{}
	}
	pr := out[0]
	if (pr.kind == "aescbc" || pr.kind == "aesgcm" || pr.kind == "secretbox") && len(pr.keys) == 0 {
		pr.invalid = pr.kind + " has no keys"
	}
	return pr
}

func (p provider) describe() string {
	switch {
	case p.kind == "":
		return "(invalid provider)"
	case p.kind == "kms":
		return fmt.Sprintf("kms %s (name %q)", p.kmsVersion, p.kmsName)
	case len(p.keys) > 0:
		return p.kind + " (keys " + strings.Join(p.keys, ", ") + ")"
	default:
		return p.kind
	}
}

// describeChain is "aescbc (keys k1, k2) → identity".
func describeChain(ps []apiserverv1.ProviderConfiguration) string {
	if len(ps) == 0 {
		return "(no providers)"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = classify(p).describe()
	}
	return strings.Join(parts, " → ")
}

// gateEnabled reads a feature gate from --feature-gates (a map flag: the last
// occurrence of a gate wins).
func gateEnabled(f *apiserverflags.Flags, gate string) bool {
	on := false
	for _, kv := range f.Get("feature-gates").List() {
		k, val, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) == gate {
			on, _ = strconv.ParseBool(strings.TrimSpace(val))
		}
	}
	return on
}

// redact removes every key secret of the file from a message. The decode
// errors apiguard produces do not quote values, but a message must never be
// the way key material leaves the host. Secrets are found both by a lenient
// decode and line by line, so a file that does not parse is covered too.
func redact(msg string, data []byte) string {
	var secrets []string
	var cfg apiserverv1.EncryptionConfiguration
	if yaml.Unmarshal(data, &cfg) == nil {
		for _, rc := range cfg.Resources {
			for _, p := range rc.Providers {
				for _, c := range []*apiserverv1.AESConfiguration{p.AESCBC, p.AESGCM} {
					if c != nil {
						for _, k := range c.Keys {
							secrets = append(secrets, k.Secret)
						}
					}
				}
				if p.Secretbox != nil {
					for _, k := range p.Secretbox.Keys {
						secrets = append(secrets, k.Secret)
					}
				}
			}
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		if _, val, ok := strings.Cut(line, "secret:"); ok {
			secrets = append(secrets, strings.Trim(strings.TrimSpace(val), `"'`))
		}
	}
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	return msg
}
