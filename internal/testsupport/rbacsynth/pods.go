package rbacsynth

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// writePods writes a namespace's pods, fixed and generated, sorted by name.
func (g *gen) writePods(n *nsPlan) {
	r := g.r
	pods := make([]podPlan, 0, len(n.pods)+n.nPods)
	taken := map[string]bool{}
	add := func(p podPlan) {
		if p.name == "" {
			for {
				p.name = p.generateName + randSuffix(r, 5)
				if !taken[p.name] {
					break
				}
			}
		}
		taken[p.name] = true
		pods = append(pods, p)
	}
	for _, p := range n.pods {
		if p.owner == "ReplicaSet" {
			p.ownerName += "-" + podTemplateHash(g.objHash("Deployment", n.name, p.ownerName))
			p.generateName = p.ownerName + "-"
		}
		add(p)
	}
	workloads := n.workloadSAs
	if len(workloads) == 0 {
		workloads = []string{"default"}
	}
	ordinal := map[string]int{}
	for i := 0; i < n.nPods; i++ {
		sa := workloads[i%len(workloads)]
		wl := sa
		if sa == "default" || r.IntN(10) == 0 {
			if sa != "default" {
				wl = sa + "-" + pick(r, []string{"migrate", "canary", "debug", "cron"})
			}
			if r.IntN(2) == 0 {
				sa = "default"
			}
		}
		p := podPlan{sa: sa, app: wl, image: fmt.Sprintf("registry.example.com/%s/%s:%d.%d.%d", n.team, wl, 1+hash(wl)%4, hash(n.name+wl)%30, i%7)}
		if r.IntN(100) > 0 {
			p.node = g.nodes[g.cpNodes+r.IntN(max(len(g.nodes)-g.cpNodes, 1))%len(g.nodes)]
		}
		if hash(n.name+"/"+wl)%10 == 0 {
			p.owner, p.ownerName = "StatefulSet", wl
			p.name = wl + "-" + strconv.Itoa(ordinal[wl])
			ordinal[wl]++
			if taken[p.name] {
				p.name = ""
				p.generateName = wl + "-"
			}
		} else {
			p.owner = "ReplicaSet"
			p.ownerName = wl + "-" + podTemplateHash(g.objHash("Deployment", n.name, wl))
			p.generateName = p.ownerName + "-"
		}
		add(p)
	}
	sort.Slice(pods, func(a, b int) bool { return pods[a].name < pods[b].name })
	for i := range pods {
		g.writePod(n, &pods[i])
	}
}

// podTemplateHash is a ReplicaSet's pod-template-hash (10 characters).
func podTemplateHash(h uint64) string {
	var b [10]byte
	for i := range b {
		b[i] = podAlphabet[h%uint64(len(podAlphabet))]
		h /= uint64(len(podAlphabet))
	}
	return string(b[:])
}

func (g *gen) writePod(n *nsPlan, p *podPlan) {
	j := g.j
	h := g.objHash("Pod", n.name, p.name)
	mirror := p.owner == "Node"
	labels := map[string]string{"app.kubernetes.io/name": p.app}
	var annotations map[string]string
	owner := &ownerRef{apiVersion: "apps/v1", kind: p.owner, name: p.ownerName}
	switch p.owner {
	case "ReplicaSet":
		labels["pod-template-hash"] = p.ownerName[len(p.ownerName)-10:]
		labels["app.kubernetes.io/instance"] = n.name + "-" + p.app
	case "StatefulSet":
		labels["apps.kubernetes.io/pod-index"] = p.name[len(p.ownerName)+1:]
		labels["statefulset.kubernetes.io/pod-name"] = p.name
	case "DaemonSet":
		labels["controller-revision-hash"] = podTemplateHash(g.objHash("DaemonSet", n.name, p.ownerName))[:9]
		labels["pod-template-generation"] = "3"
	case "Node":
		owner.apiVersion = "v1"
		labels = map[string]string{"component": p.app, "tier": "control-plane"}
		annotations = map[string]string{
			"kubernetes.io/config.hash":   fmt.Sprintf("%032x", h),
			"kubernetes.io/config.mirror": fmt.Sprintf("%032x", h),
			"kubernetes.io/config.seen":   "2025-06-01T08:00:00.000000000Z",
			"kubernetes.io/config.source": "file",
		}
	}
	if !mirror && h%3 == 0 {
		annotations = map[string]string{"prometheus.io/port": "9090", "prometheus.io/scrape": "true"}
	}
	j.itemObj()
	j.str("apiVersion", "v1")
	j.str("kind", "Pod")
	generateName := p.generateName
	if p.owner == "StatefulSet" && generateName == "" {
		generateName = p.ownerName + "-"
	}
	t := g.metadata(meta{kind: "Pod", ns: n.name, name: p.name, generateName: generateName, labels: labels, annotations: annotations, owner: owner})

	sa := n.sas[p.sa]
	token := !mirror && (sa == nil || sa.automount == nil || *sa.automount)
	vol := apiAccessVolume(h)

	j.obj("spec")
	j.arr("containers")
	j.itemObj()
	if mirror {
		j.strs("command", []string{p.app, "--v=2"})
	} else {
		j.arr("env")
		for _, e := range [][2]string{{"LOG_LEVEL", "info"}, {"PORT", "8080"}, {"OTEL_SERVICE_NAME", p.app}} {
			j.itemObj()
			j.str("name", e[0])
			j.str("value", e[1])
			j.end()
		}
		j.endArr()
	}
	j.str("image", p.image)
	j.str("imagePullPolicy", "IfNotPresent")
	j.str("name", p.app)
	if !mirror {
		j.arr("ports")
		for _, port := range []struct {
			name string
			n    int64
		}{{"http", 8080}, {"metrics", 9090}} {
			j.itemObj()
			j.num("containerPort", port.n)
			j.str("name", port.name)
			j.str("protocol", "TCP")
			j.end()
		}
		j.endArr()
	}
	j.obj("resources")
	if !mirror {
		j.strMap("limits", []string{"cpu", "1", "memory", "512Mi"})
	}
	j.strMap("requests", []string{"cpu", "250m", "memory", "256Mi"})
	j.end()
	if !mirror {
		j.obj("securityContext")
		j.boolean("allowPrivilegeEscalation", false)
		j.obj("capabilities")
		j.strs("drop", []string{"ALL"})
		j.end()
		j.boolean("readOnlyRootFilesystem", true)
		j.boolean("runAsNonRoot", true)
		j.end()
	}
	j.str("terminationMessagePath", "/dev/termination-log")
	j.str("terminationMessagePolicy", "File")
	if token {
		j.arr("volumeMounts")
		j.itemObj()
		j.str("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount")
		j.str("name", vol)
		j.boolean("readOnly", true)
		j.end()
		j.endArr()
	}
	j.end()
	j.endArr()
	j.str("dnsPolicy", "ClusterFirst")
	j.boolean("enableServiceLinks", true)
	if mirror {
		j.boolean("hostNetwork", true)
	}
	if p.node != "" {
		j.str("nodeName", p.node)
	}
	j.str("preemptionPolicy", "PreemptLowerPriority")
	if mirror {
		j.num("priority", 2000001000)
		j.str("priorityClassName", "system-node-critical")
	} else {
		j.num("priority", 0)
	}
	j.str("restartPolicy", "Always")
	j.str("schedulerName", "default-scheduler")
	j.obj("securityContext")
	if !mirror {
		j.obj("seccompProfile")
		j.str("type", "RuntimeDefault")
		j.end()
	}
	j.end()
	if !mirror {
		j.str("serviceAccount", p.sa)
		j.str("serviceAccountName", p.sa)
	}
	j.num("terminationGracePeriodSeconds", 30)
	j.arr("tolerations")
	if mirror {
		j.itemObj()
		j.str("effect", "NoExecute")
		j.str("operator", "Exists")
		j.end()
	} else {
		for _, k := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
			j.itemObj()
			j.str("effect", "NoExecute")
			j.str("key", k)
			j.str("operator", "Exists")
			j.num("tolerationSeconds", 300)
			j.end()
		}
	}
	j.endArr()
	if token {
		j.arr("volumes")
		j.itemObj()
		j.str("name", vol)
		j.obj("projected")
		j.num("defaultMode", 420)
		j.arr("sources")
		j.itemObj()
		j.obj("serviceAccountToken")
		j.num("expirationSeconds", 3607)
		j.str("path", "token")
		j.end()
		j.end()
		j.itemObj()
		j.obj("configMap")
		j.arr("items")
		j.itemObj()
		j.str("key", "ca.crt")
		j.str("path", "ca.crt")
		j.end()
		j.endArr()
		j.str("name", "kube-root-ca.crt")
		j.end()
		j.end()
		j.itemObj()
		j.obj("downwardAPI")
		j.arr("items")
		j.itemObj()
		j.obj("fieldRef")
		j.str("apiVersion", "v1")
		j.str("fieldPath", "metadata.namespace")
		j.end()
		j.str("path", "namespace")
		j.end()
		j.endArr()
		j.end()
		j.end()
		j.endArr()
		j.end()
		j.end()
		j.endArr()
	}
	j.end()

	g.writePodStatus(n, p, h, t)
	j.end()
	j.flushIfFull()
}

func (g *gen) writePodStatus(n *nsPlan, p *podPlan, h uint64, t time.Time) {
	j := g.j
	j.obj("status")
	if p.node == "" {
		j.arr("conditions")
		j.itemObj()
		j.null("lastProbeTime")
		j.time("lastTransitionTime", t)
		j.str("message", fmt.Sprintf("0/%d nodes are available: %d Insufficient memory. preemption: 0/%d nodes are available: %d No preemption victims found for incoming pod.", len(g.nodes), len(g.nodes), len(g.nodes), len(g.nodes)))
		j.str("reason", "Unschedulable")
		j.str("status", "False")
		j.str("type", "PodScheduled")
		j.end()
		j.endArr()
		j.str("phase", "Pending")
		j.str("qosClass", "Burstable")
		j.end()
		return
	}
	j.arr("conditions")
	for k, c := range []string{"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"} {
		j.itemObj()
		j.null("lastProbeTime")
		j.time("lastTransitionTime", t.Add(time.Duration(k%3)*4*time.Second))
		j.str("status", "True")
		j.str("type", c)
		j.end()
	}
	j.endArr()
	j.arr("containerStatuses")
	j.itemObj()
	j.str("containerID", fmt.Sprintf("containerd://%016x%016x%016x%016x", h, splitmix(h), splitmix(h+1), splitmix(h+2)))
	j.str("image", p.image)
	j.str("imageID", fmt.Sprintf("%s@sha256:%016x%016x%016x%016x", p.image[:lastColon(p.image)], hash(p.image), splitmix(hash(p.image)), splitmix(hash(p.image)+1), splitmix(hash(p.image)+2)))
	j.obj("lastState")
	j.end()
	j.str("name", p.app)
	j.boolean("ready", true)
	j.num("restartCount", int64(h%4/3))
	j.boolean("started", true)
	j.obj("state")
	j.obj("running")
	j.time("startedAt", t.Add(2*time.Second))
	j.end()
	j.end()
	if p.owner != "Node" && (n.sas[p.sa] == nil || n.sas[p.sa].automount == nil || *n.sas[p.sa].automount) {
		j.arr("volumeMounts")
		j.itemObj()
		j.str("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount")
		j.str("name", apiAccessVolume(h))
		j.boolean("readOnly", true)
		j.str("recursiveReadOnly", "Disabled")
		j.end()
		j.endArr()
	}
	j.end()
	j.endArr()
	idx := g.nodeIdx[p.node]
	j.str("hostIP", nodeIP(idx))
	j.arr("hostIPs")
	j.itemObj()
	j.str("ip", nodeIP(idx))
	j.end()
	j.endArr()
	j.str("phase", "Running")
	podIP := fmt.Sprintf("10.244.%d.%d", idx, 2+h%250)
	if p.owner == "Node" {
		podIP = nodeIP(idx)
	}
	j.str("podIP", podIP)
	j.arr("podIPs")
	j.itemObj()
	j.str("ip", podIP)
	j.end()
	j.endArr()
	j.str("qosClass", "Burstable")
	j.time("startTime", t)
	j.end()
}

// apiAccessVolume is the name of the projected token volume admission
// adds to a pod.
func apiAccessVolume(h uint64) string { return "kube-api-access-" + podTemplateHash(h >> 7)[:5] }

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return len(s)
}
