package adminpower

import "github.com/apiguard/apiguard/internal/check"

var encryptionAtRestMeta = check.Metadata{
	ID:       "AG-ADMIN-003",
	Title:    "Secrets are encrypted at rest",
	Layer:    check.AdminPower,
	Severity: check.High,
	Rationale: "Without --encryption-provider-config kube-apiserver stores Secrets (service-account " +
		"tokens, TLS keys, cloud credentials) in etcd as plain protobuf: anyone who can read etcd's " +
		"data directory, an etcd snapshot or a backup, or who gets an etcd client certificate, reads " +
		"every Secret of the cluster without any API request, audit event or RBAC check. Which " +
		"provider protects Secrets is assessed by AG-ADMIN-004.",
	Remediation: "Write an EncryptionConfiguration that encrypts secrets (kms v2, or secretbox/aescbc with " +
		"a random 32-byte key), set --encryption-provider-config to it (kubeadm: apiServer.extraArgs " +
		"plus extraVolumes), restart kube-apiserver, then rewrite existing Secrets so they are " +
		"stored encrypted: kubectl get secrets -A -o json | kubectl replace -f -.",
	References: []check.Reference{
		{CIS: "1.2.27", Title: "Ensure that the --encryption-provider-config argument is set as appropriate"},
		{Title: "Encrypting confidential data at rest", URL: "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// encryptionAtRestRule is CIS 1.2.27's test: --encryption-provider-config has a value.
var encryptionAtRestRule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "encryption-provider-config", Op: check.NotEq, Value: ""}},
	Pass:  "encryption at rest is configured in {value} (its providers are assessed by AG-ADMIN-004)",
	Fail: "--encryption-provider-config is not set: Secrets are stored in etcd unencrypted, " +
		"readable by anyone with etcd's data, a snapshot or a backup",
}

// EncryptionAtRest is CIS 1.2.27.
var EncryptionAtRest = encryptionAtRestRule.Check(encryptionAtRestMeta)
