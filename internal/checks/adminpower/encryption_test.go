package adminpower

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const encFlag = "--encryption-provider-config=/etc/kubernetes/enc/config.yaml"

// Key material that must never appear in a finding.
const (
	cbcSecret = "c2VjcmV0LWNiYy1rZXktbWF0ZXJpYWwtMzItYnl0ZXMhIQ=="
	gcmSecret = "Z2NtLWtleS1tYXRlcmlhbC0xNmI="
	boxSecret = "Ym94LWtleS1tYXRlcmlhbC1mb3Itc2VjcmV0Ym94LTMyYg=="
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
