package detect

// The techniques of Microsoft's Threat Matrix for Kubernetes
// (github.com/microsoft/Threat-Matrix-for-Kubernetes, docs/techniques/*.md:
// each page's "ID: MS-TA9xxx"). Every built-in rule names the one it
// detects (Rule.MSTechnique). Left out: "Data manipulation" and "Data
// exfiltration", whose pages give IDs (MS-TA9042, MS-TA9043) that the
// Impact tactic page contradicts and that MS-TA9042 "Excessive operator
// permissions" reuses; no rule maps to them.
var msTechniques = map[string]MSTechnique{
	"MS-TA9001": {"Using cloud credentials", "Initial Access"},
	"MS-TA9002": {"Compromised image In registry", "Initial Access"},
	"MS-TA9003": {"Kubeconfig file", "Initial Access"},
	"MS-TA9004": {"Application vulnerability", "Initial Access"},
	"MS-TA9005": {"Exposed sensitive interfaces", "Initial Access, Discovery"},
	"MS-TA9006": {"Exec into container", "Execution"},
	"MS-TA9007": {"Bash or cmd inside container", "Execution"},
	"MS-TA9008": {"New container", "Execution"},
	"MS-TA9009": {"Application exploit (RCE)", "Execution"},
	"MS-TA9010": {"SSH server running inside container", "Execution"},
	"MS-TA9011": {"Sidecar injection", "Execution"},
	"MS-TA9012": {"Backdoor container", "Persistence"},
	"MS-TA9013": {"Writable hostPath mount", "Persistence, Privilege Escalation, Lateral Movement"},
	"MS-TA9014": {"Kubernetes CronJob", "Persistence"},
	"MS-TA9015": {"Malicious admission controller", "Persistence, Credential Access"},
	"MS-TA9016": {"Container service account", "Credential Access, Lateral Movement, Persistence"},
	"MS-TA9017": {"Static pods", "Persistence"},
	"MS-TA9018": {"Privileged container", "Privilege Escalation"},
	"MS-TA9019": {"Cluster-admin binding", "Privilege Escalation"},
	"MS-TA9020": {"Access cloud resources", "Privilege Escalation, Lateral Movement"},
	"MS-TA9021": {"Clear container logs", "Defense Evasion"},
	"MS-TA9022": {"Delete Kubernetes events", "Defense Evasion"},
	"MS-TA9023": {"Pod or container name similarity", "Defense Evasion"},
	"MS-TA9024": {"Connect from proxy server", "Defense Evasion"},
	"MS-TA9025": {"List Kubernetes secrets", "Credential Access"},
	"MS-TA9026": {"Mount service principal", "Credential Access"},
	"MS-TA9027": {"Application credentials in configuration files", "Credential Access, Lateral Movement"},
	"MS-TA9028": {"Access Managed Identity credentials", "Credential Access"},
	"MS-TA9029": {"Access Kubernetes API server", "Discovery"},
	"MS-TA9030": {"Access Kubelet API", "Discovery"},
	"MS-TA9031": {"Network mapping", "Discovery"},
	"MS-TA9032": {"Access Kubernetes dashboard", "Discovery"},
	"MS-TA9033": {"Instance Metadata API", "Discovery"},
	"MS-TA9034": {"Cluster internal networking", "Lateral Movement"},
	"MS-TA9035": {"CoreDNS poisoning", "Lateral Movement"},
	"MS-TA9036": {"ARP poisoning and IP spoofing", "Lateral Movement"},
	"MS-TA9037": {"Images from a private registry", "Collection"},
	"MS-TA9038": {"Data destruction", "Impact"},
	"MS-TA9039": {"Resource hijacking", "Impact"},
	"MS-TA9040": {"Denial of service", "Impact"},
	"MS-TA9041": {"Collecting data from pod", "Collection"},
	"MS-TA9042": {"Excessive operator permissions", "Privilege Escalation, Impact"},
}

// MSTechnique is a technique of the Threat Matrix for Kubernetes.
type MSTechnique struct {
	Name    string
	Tactics string
}

// LookupMSTechnique returns the technique of the Threat Matrix for
// Kubernetes with this ID.
func LookupMSTechnique(id string) (MSTechnique, bool) {
	t, ok := msTechniques[id]
	return t, ok
}
