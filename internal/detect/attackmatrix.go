package detect

// containersTechniques are the techniques of MITRE ATT&CK's Containers
// matrix (attack.mitre.org/matrices/enterprise/containers/, ATT&CK v18):
// every built-in rule's Technique is one of them. Where a more precise
// technique lives only in the Enterprise matrix (Microsoft's Threat Matrix
// maps "Malicious admission controller" to T1546, a CSR for a forged
// identity is T1649), the rule names it as EnterpriseTechnique as well.
// T1543.005 and T1059.013 (added in v15 and v18) were checked against
// MITRE's pages; the rest is the matrix as published since v9.
var containersTechniques = map[string]string{
	"T1046":     "Network Service Discovery",
	"T1053":     "Scheduled Task/Job",
	"T1053.007": "Container Orchestration Job",
	"T1059":     "Command and Scripting Interpreter",
	"T1059.013": "Container CLI/API",
	"T1068":     "Exploitation for Privilege Escalation",
	"T1069":     "Permission Groups Discovery",
	"T1070":     "Indicator Removal",
	"T1078":     "Valid Accounts",
	"T1078.001": "Default Accounts",
	"T1078.003": "Local Accounts",
	"T1098":     "Account Manipulation",
	"T1098.006": "Additional Container Cluster Roles",
	"T1110":     "Brute Force",
	"T1110.001": "Password Guessing",
	"T1110.003": "Password Spraying",
	"T1110.004": "Credential Stuffing",
	"T1133":     "External Remote Services",
	"T1136":     "Create Account",
	"T1136.001": "Local Account",
	"T1190":     "Exploit Public-Facing Application",
	"T1204":     "User Execution",
	"T1204.003": "Malicious Image",
	"T1485":     "Data Destruction",
	"T1490":     "Inhibit System Recovery",
	"T1496":     "Resource Hijacking",
	"T1496.001": "Compute Hijacking",
	"T1498":     "Network Denial of Service",
	"T1499":     "Endpoint Denial of Service",
	"T1525":     "Implant Internal Image",
	"T1528":     "Steal Application Access Token",
	"T1543":     "Create or Modify System Process",
	"T1543.005": "Container Service",
	"T1550":     "Use Alternate Authentication Material",
	"T1550.001": "Application Access Token",
	"T1552":     "Unsecured Credentials",
	"T1552.001": "Credentials In Files",
	"T1552.007": "Container API",
	"T1562":     "Impair Defenses",
	"T1562.001": "Disable or Modify Tools",
	"T1609":     "Container Administration Command",
	"T1610":     "Deploy Container",
	"T1611":     "Escape to Host",
	"T1612":     "Build Image on Host",
	"T1613":     "Container and Resource Discovery",
	"T1036":     "Masquerading",
	"T1036.005": "Match Legitimate Resource Name or Location",
}

// InContainersMatrix tells whether id is a technique of ATT&CK's
// Containers matrix, and its name.
func InContainersMatrix(id string) (string, bool) {
	n, ok := containersTechniques[id]
	return n, ok
}
