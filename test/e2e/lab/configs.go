package lab

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// AuthenticationConfig is the Hardened profile's --authentication-config:
// anonymous auth only for the health endpoints (replaces --anonymous-auth,
// the two are mutually exclusive).
const AuthenticationConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /livez
  - path: /readyz
  - path: /healthz
`

// AuditPolicy is the Hardened profile's --audit-policy-file.
const AuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
# Every request of apiguard's read-only identity (deploy/rbac-readonly.yaml
# binds the group apiguard:readers), at Metadata: first, so that no later rule
# (such as the None rule for leases) can hide one of its requests; the e2e
# suite proves from these events that the scanner only reads. Metadata never
# records bodies, so this does not weaken the secrets rule below.
- level: Metadata
  userGroups: ["apiguard:readers"]
# Leader-election lease renewals are pure noise.
- level: None
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
# Never log bodies of objects that carry secrets or credentials.
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
# Everything else with request and response bodies.
- level: RequestResponse
`

// AdmissionConfig is the Hardened profile's --admission-control-config-file:
// PodSecurity enforcing baseline by default (kube-system exempt, as the
// control-plane static pods use host networking and hostPath), and limits for
// EventRateLimit, which is not enabled by the profile but can be with
// Hardened.With("--enable-admission-plugins=NodeRestriction,EventRateLimit").
const AdmissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: EventRateLimit
  configuration:
    apiVersion: eventratelimit.admission.k8s.io/v1alpha1
    kind: Configuration
    limits:
    - type: Namespace
      qps: 50
      burst: 100
      cacheSize: 2000
    - type: User
      qps: 10
      burst: 50
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: latest
      audit: restricted
      audit-version: latest
      warn: restricted
      warn-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: ["kube-system"]
`

// Static tokens of the Insecure profile's --token-auth-file.
const (
	StaticAdminToken  = "insecure-static-admin-token-0123456789"  // user static-admin, group system:masters
	StaticReaderToken = "insecure-static-reader-token-0123456789" // user static-reader, group apiguard:readers
)

func tokenAuthCSV() string {
	return StaticAdminToken + ",static-admin,1001,\"system:masters\"\n" +
		StaticReaderToken + ",static-reader,1002,\"apiguard:readers\"\n"
}

func encryptionConfig() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  - secretbox:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`, base64.StdEncoding.EncodeToString(key)), nil
}

// writeProfileFiles writes the configuration files the profile's flags
// reference into <dir>/etc/kubernetes/apiserver and records their paths in c.files.
func (c *Cluster) writeProfileFiles() error {
	confDir := filepath.Join(c.Dir, "etc", "kubernetes", "apiserver")
	put := func(key, name, content string, mode os.FileMode) error {
		if err := os.MkdirAll(confDir, 0o755); err != nil {
			return err
		}
		p := filepath.Join(confDir, name)
		c.files[key] = p
		return os.WriteFile(p, []byte(content), mode)
	}
	switch c.Profile.Name {
	case Hardened.Name:
		enc, err := encryptionConfig()
		if err != nil {
			return err
		}
		for _, f := range []struct {
			key, name, content string
			mode               os.FileMode
		}{
			{"authentication-config", "authentication-config.yaml", AuthenticationConfig, 0o644},
			{"audit-policy", "audit-policy.yaml", AuditPolicy, 0o644},
			{"encryption-config", "encryption-config.yaml", enc, 0o600},
			{"admission-config", "admission-config.yaml", AdmissionConfig, 0o644},
		} {
			if err := put(f.key, f.name, f.content, f.mode); err != nil {
				return err
			}
		}
		c.AuditLogPath = filepath.Join(c.Dir, "var", "log", "kubernetes", "audit", "audit.log")
		return os.MkdirAll(filepath.Dir(c.AuditLogPath), 0o700)
	case Insecure.Name:
		c.StaticTokens = map[string]string{"static-admin": StaticAdminToken, "static-reader": StaticReaderToken}
		return put("token-auth-file", "known_tokens.csv", tokenAuthCSV(), 0o600)
	}
	return nil
}
