package adminpower

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	apiserver "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiservervalidation "k8s.io/apiserver/pkg/apis/apiserver/validation"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const encFlag = "--encryption-provider-config=/etc/kubernetes/enc/config.yaml"

// Key material that must never appear in a finding; valid sizes (32, 16 and
// 32 bytes), so that the fixtures are files kube-apiserver would accept.
const (
	cbcSecret = "YXBpZ3VhcmQtdGVzdC1hZXNjYmMta2V5LTMyYnl0ZXM="
	gcmSecret = "YXBpZ3VhcmQtZ2NtLTE2Yg=="
	boxSecret = "YXBpZ3VhcmQtdGVzdC1zZWNyZXRib3gta2V5LTMyYnk="
)

func enc(body string) *inputs.Snapshot {
	return ct.File(ct.Snapshot(encFlag), "encryption-provider-config",
		"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"+body)
}

const aescbcFirst = `resources:
- resources: ["secrets"]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: ` + cbcSecret + `
  - identity: {}
`

const identityFirst = `resources:
- resources: ["secrets", "configmaps"]
  providers:
  - identity: {}
  - aescbc:
      keys:
      - name: key1
        secret: ` + cbcSecret + `
`

const kmsV1 = `resources:
- resources: ["secrets"]
  providers:
  - kms:
      name: vault
      endpoint: unix:///var/run/kms.sock
      cachesize: 100
`

const kmsV2 = `resources:
- resources: ["secrets"]
  providers:
  - kms:
      apiVersion: v2
      name: vault
      endpoint: unix:///var/run/kms.sock
`

const aesgcmFirst = `resources:
- resources: ["secrets"]
  providers:
  - aesgcm:
      keys:
      - name: gcm1
        secret: ` + gcmSecret + `
`

const secretboxWildcard = `resources:
- resources: ["configmaps"]
  providers:
  - identity: {}
- resources: ["*."]
  providers:
  - secretbox:
      keys:
      - name: box1
        secret: ` + boxSecret + `
`

const allWildcard = `resources:
- resources: ["deployments.apps"]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: ` + cbcSecret + `
- resources: ["*.*"]
  providers:
  - identity: {}
`

// An exact entry wins over a wildcard listed after it.
const exactBeforeWildcard = `resources:
- resources: ["secrets"]
  providers:
  - kms:
      apiVersion: v2
      name: vault
      endpoint: unix:///var/run/kms.sock
- resources: ["*.*"]
  providers:
  - identity: {}
`

// A wildcard before a specific entry: kube-apiserver refuses the file.
const maskedEntry = `resources:
- resources: ["*."]
  providers:
  - identity: {}
- resources: ["secrets"]
  providers:
  - secretbox:
      keys:
      - name: box1
        secret: ` + boxSecret + `
`

const noSecrets = `resources:
- resources: ["configmaps", "*.apps"]
  providers:
  - aesgcm:
      keys:
      - name: gcm1
        secret: ` + gcmSecret + `
`

const typo = `resources:
- resources: ["secrets"]
  providers:
  - aescbc:
      keys:
      - name: key1
        secrett: ` + cbcSecret + `
`

func TestEncryptionAtRest(t *testing.T) {
	ct.Table(t, EncryptionAtRest, []ct.Case{
		{Name: "not set", Snap: ct.Snapshot(), Want: check.Fail, Contains: "unencrypted"},
		{Name: "empty", Snap: ct.Snapshot("--encryption-provider-config="), Want: check.Fail},
		{Name: "set", Snap: ct.Snapshot(encFlag), Want: check.Pass, Contains: "AG-ADMIN-004"},
		{Name: "last one wins", Snap: ct.Snapshot(encFlag, "--encryption-provider-config="), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestEncryptionProvider(t *testing.T) {
	ct.Table(t, EncryptionProvider, []ct.Case{
		{Name: "flag unset", Snap: ct.Snapshot(), Want: check.Fail, Contains: "AG-ADMIN-003"},
		{Name: "aescbc first", Snap: enc(aescbcFirst), Want: check.Pass, Contains: "padding-oracle"},
		{Name: "aescbc first, identity after", Snap: enc(aescbcFirst), Want: check.Pass, Contains: "stay in plaintext until they are rewritten"},
		{Name: "identity first", Snap: enc(identityFirst), Want: check.Fail, Contains: "identity is the first provider"},
		{Name: "kms v1 by default apiVersion", Snap: enc(kmsV1), Want: check.Warn, Contains: "KMS v1 is deprecated"},
		{Name: "kms v1 refused on 1.36 without gate", Snap: enc(kmsV1), Want: check.Warn, Contains: "kube-apiserver 1.36 refuses"},
		{Name: "kms v1 with gate", Snap: ct.File(ct.Snapshot(encFlag, "--feature-gates=KMSv1=true"), "encryption-provider-config",
			"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"+kmsV1), Want: check.Warn, Contains: "migrate to apiVersion: v2"},
		{Name: "kms v2", Snap: enc(kmsV2), Want: check.Pass, Contains: "kms v2"},
		{Name: "aesgcm", Snap: enc(aesgcmFirst), Want: check.Warn, Contains: "200,000 writes"},
		{Name: "core wildcard with secretbox", Snap: enc(secretboxWildcard), Want: check.Pass, Contains: `"*."`},
		{Name: "all wildcard with identity", Snap: enc(allWildcard), Want: check.Fail, Contains: `"*.*"`},
		{Name: "exact entry beats later wildcard", Snap: enc(exactBeforeWildcard), Want: check.Pass},
		{Name: "wildcard masks later entry", Snap: enc(maskedEntry), Want: check.Fail, Contains: "masked"},
		{Name: "no entry for secrets", Snap: enc(noSecrets), Want: check.Fail, Contains: "no entry for secrets"},
		{Name: "unknown field", Snap: enc(typo), Want: check.Fail, Contains: "config.yaml:9"},
		{Name: "wrong kind", Snap: ct.File(ct.Snapshot(encFlag), "encryption-provider-config", "apiVersion: v1\nkind: EncryptionConfig\nresources: []\n"), Want: check.Fail, Contains: "refuses it"},
		{Name: "empty file", Snap: ct.File(ct.Snapshot(encFlag), "encryption-provider-config", ""), Want: check.Fail, Contains: "empty"},
		{Name: "no providers", Snap: enc("resources:\n- resources: [secrets]\n"), Want: check.Fail, Contains: "no providers"},
		{Name: "aescbc without keys", Snap: enc("resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {}\n"), Want: check.Fail, Contains: "no keys"},
		{Name: "provider with two types", Snap: enc("resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n    aescbc: {keys: [{name: k, secret: " + cbcSecret + "}]}\n"), Want: check.Fail, Contains: "more than one"},
		{Name: "unreadable", Snap: ct.Unavailable(ct.Snapshot(encFlag), "encryption-provider-config", "permission denied"), Want: check.NotAssessable, Contains: "permission denied"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

// keyCase is an EncryptionConfiguration with one provider and one key.
func keyCase(kind, secret string) string {
	return "resources:\n- resources: [secrets]\n  providers:\n  - " + kind + ":\n      keys:\n      - name: k1\n        secret: " + secret + "\n"
}

// b64 is the standard base64 of n bytes of test key material.
func b64(n int) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n))) }

// TestEncryptionProviderKeySizes: kube-apiserver refuses an aescbc or aesgcm
// key that is not 16, 24 or 32 bytes after base64 decoding, and a secretbox
// key that is not 32 (k8s.io/apiserver validation_encryption.go), in any
// entry; an aescbc key of another size used to pass.
func TestEncryptionProviderKeySizes(t *testing.T) {
	ct.Table(t, EncryptionProvider, []ct.Case{
		{Name: "aescbc 16 bytes", Snap: enc(keyCase("aescbc", b64(16))), Want: check.Pass},
		{Name: "aescbc 24 bytes", Snap: enc(keyCase("aescbc", b64(24))), Want: check.Pass},
		{Name: "aescbc 32 bytes", Snap: enc(keyCase("aescbc", b64(32))), Want: check.Pass},
		{Name: "aescbc 20 bytes", Snap: enc(keyCase("aescbc", b64(20))), Want: check.Fail,
			Contains: `resources[0].providers[0].aescbc.keys[0] ("k1"): the secret decodes to 20 bytes; aescbc takes 16, 24 or 32-byte keys: kube-apiserver refuses`},
		{Name: "aescbc 34 bytes", Snap: enc(keyCase("aescbc", b64(34))), Want: check.Fail, Contains: "decodes to 34 bytes"},
		{Name: "aescbc 0 bytes after decoding", Snap: enc(keyCase("aescbc", `""`)), Want: check.Fail, Contains: "no secret"},
		{Name: "aesgcm 33 bytes", Snap: enc(keyCase("aesgcm", b64(33))), Want: check.Fail, Contains: "aesgcm takes 16, 24 or 32-byte keys"},
		{Name: "secretbox 16 bytes", Snap: enc(keyCase("secretbox", b64(16))), Want: check.Fail, Contains: "secretbox takes 32-byte keys"},
		{Name: "secretbox 32 bytes", Snap: enc(keyCase("secretbox", b64(32))), Want: check.Pass},
		{Name: "not base64", Snap: enc(keyCase("aescbc", "not*base64")), Want: check.Fail, Contains: "not standard (padded) base64"},
		{Name: "unpadded base64", Snap: enc(keyCase("aescbc", strings.TrimRight(b64(16), "="))), Want: check.Fail, Contains: "base64"},
		{Name: "no key name", Snap: enc("resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - secret: " + b64(32) + "\n"), Want: check.Fail, Contains: "no name"},
		// A bad key in an entry that does not cover secrets still stops kube-apiserver.
		{Name: "bad key in another entry", Snap: enc(aescbcFirst + "- resources: [configmaps]\n  providers:\n  - aesgcm:\n      keys:\n      - name: g\n        secret: " + b64(20) + "\n"),
			Want: check.Fail, Contains: "resources[1].providers[0].aesgcm.keys[0]"},
		// A second, older key of the wrong size in the writing provider.
		{Name: "bad second key", Snap: enc(aescbcFirst[:strings.Index(aescbcFirst, "  - identity")] + "      - name: old\n        secret: " + b64(8) + "\n"), Want: check.Fail, Contains: `keys[1] ("old"): the secret decodes to 8 bytes`},
	})
	f := ct.One(t, EncryptionProvider, enc(keyCase("aescbc", b64(20))))
	if f.Location == nil || f.Location.Line != 8 {
		t.Fatalf("location = %+v, want the key's line 8", f.Location)
	}
}

// TestEncryptionProviderKeysAgreeWithKubeAPIServer: apiguard refuses a key
// exactly when kube-apiserver's own validation does.
func TestEncryptionProviderKeysAgreeWithKubeAPIServer(t *testing.T) {
	for _, kind := range []string{"aescbc", "aesgcm", "secretbox"} {
		for _, secret := range []string{b64(1), b64(15), b64(16), b64(20), b64(24), b64(31), b64(32), b64(33), b64(64), "not*base64", strings.TrimRight(b64(16), "=")} {
			body := keyCase(kind, secret)
			var ext apiserverv1.EncryptionConfiguration
			if err := yaml.UnmarshalStrict([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"+body), &ext); err != nil {
				t.Fatal(err)
			}
			var internal apiserver.EncryptionConfiguration
			if err := apiserverv1.Convert_v1_EncryptionConfiguration_To_apiserver_EncryptionConfiguration(&ext, &internal, nil); err != nil {
				t.Fatal(err)
			}
			refused := len(apiservervalidation.ValidateEncryptionConfiguration(&internal, false)) > 0
			f := ct.One(t, EncryptionProvider, enc(body))
			if got := strings.Contains(f.Message, "refuses this configuration"); got != refused {
				t.Errorf("%s key %q: kube-apiserver refuses: %v; apiguard: %s %q", kind, secret, refused, f.Status, f.Message)
			}
		}
	}
}

func TestEncryptionProviderKMSv1OnOldVersion(t *testing.T) {
	f := ct.One(t, EncryptionProvider, ct.Version(enc(kmsV1), "v1.28.4"))
	if f.Status != check.Warn || strings.Contains(f.Message, "refuses") {
		t.Fatalf("1.28 still enables KMS v1 by default: %s %s", f.Status, f.Message)
	}
}

func TestEncryptionProviderLocation(t *testing.T) {
	f := ct.One(t, EncryptionProvider, enc(maskedEntry))
	if f.Location == nil || f.Location.Line != 7 {
		t.Fatalf("masked location = %+v", f.Location)
	}
	f = ct.One(t, EncryptionProvider, enc(identityFirst))
	if f.Location == nil || f.Location.Line != 6 {
		t.Fatalf("identity location = %+v", f.Location)
	}
	f = ct.One(t, EncryptionProvider, enc("resources:\n- resources: [secrets]\n  resources: [configmaps]\n  providers:\n  - identity: {}\n"))
	if f.Status != check.Fail || f.Location == nil || f.Location.Line != 5 {
		t.Fatalf("duplicate key: %s %+v", f.Message, f.Location)
	}
}

func TestEncryptionProviderEvidence(t *testing.T) {
	f := ct.One(t, EncryptionProvider, enc(secretboxWildcard))
	e := ct.Evidence(t, f, "secrets")
	if !strings.Contains(e.Value, `"*."`) || !strings.Contains(e.Value, "secretbox (keys box1)") || e.Source != "/etc/kubernetes/encryption-provider-config.yaml:7" {
		t.Fatalf("secrets evidence = %+v", e)
	}
	if o := ct.Evidence(t, f, "resources[0]"); o.Value != "configmaps: identity" {
		t.Fatalf("other resources evidence = %+v", o)
	}
}

// No finding, whatever its status, carries key material.
func TestEncryptionProviderNeverPrintsKeys(t *testing.T) {
	for _, body := range []string{aescbcFirst, identityFirst, aesgcmFirst, secretboxWildcard, allWildcard, maskedEntry, noSecrets, typo,
		"resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k\n        secret: " + cbcSecret + "\n        secret: " + gcmSecret + "\n",
		"resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys: {name: k, secret: " + boxSecret + "}\n",
	} {
		for _, c := range All() {
			for _, f := range ct.Run(c, enc(body)) {
				b, _ := json.Marshal(f)
				for _, secret := range []string{cbcSecret, gcmSecret, boxSecret} {
					if strings.Contains(string(b), secret) {
						t.Fatalf("%s leaks a key: %s", c.ID, b)
					}
				}
			}
		}
	}
}
