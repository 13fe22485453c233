package lab

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// Annotations the kubelet puts on mirror pods (k8s.io/kubernetes/pkg/kubelet/types).
const (
	ConfigMirrorAnnotationKey = "kubernetes.io/config.mirror"
	ConfigHashAnnotationKey   = "kubernetes.io/config.hash"
	ConfigSourceAnnotationKey = "kubernetes.io/config.source"
	ConfigSeenAnnotationKey   = "kubernetes.io/config.seen"
	// kubeadm's annotation on the kube-apiserver static pod.
	KubeadmAdvertiseAddressAnnotationKey = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
)

// StaticPod returns the kube-apiserver static pod as kubeadm v1.36 would
// write it (staticpodutil.ComponentPod), with command = the real argv
// (argv[0] replaced by "kube-apiserver") and hostPath volumes for the real
// directories under the cluster dir.
func (c *Cluster) StaticPod() *corev1.Pod {
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	type mount struct {
		name, path string
		typ        *corev1.HostPathType
		readOnly   bool
	}
	mounts := []mount{
		{"ca-certs", "/etc/ssl/certs", &dirOrCreate, true},
		{"etc-ca-certificates", "/etc/ca-certificates", &dirOrCreate, true},
		{"k8s-certs", c.pki.Dir, &dirOrCreate, true},
		{"usr-local-share-ca-certificates", "/usr/local/share/ca-certificates", &dirOrCreate, true},
		{"usr-share-ca-certificates", "/usr/share/ca-certificates", &dirOrCreate, true},
	}
	// What a kubeadm user adds as apiServer.extraVolumes for the profile's files.
	if len(c.files) > 0 {
		mounts = append(mounts, mount{"apiserver-config", filepath.Join(c.Dir, "etc", "kubernetes", "apiserver"), &dirOrCreate, true})
	}
	if c.AuditLogPath != "" {
		mounts = append(mounts, mount{"audit-log", filepath.Dir(c.AuditLogPath), &dirOrCreate, false})
	}
	var vols []corev1.Volume
	var vms []corev1.VolumeMount
	for _, m := range mounts {
		vols = append(vols, corev1.Volume{Name: m.name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: m.path, Type: m.typ}}})
		vms = append(vms, corev1.VolumeMount{Name: m.name, MountPath: m.path, ReadOnly: m.readOnly})
	}
	probe := func(path string, initialDelay, failure, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Host: "127.0.0.1", Path: path, Port: intstr.FromString("probe-port"), Scheme: corev1.URISchemeHTTPS,
			}},
			InitialDelaySeconds: initialDelay, TimeoutSeconds: 15, FailureThreshold: failure, PeriodSeconds: period,
		}
	}
	priority := int32(2000001000)
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "kube-apiserver",
			Namespace:   metav1.NamespaceSystem,
			Labels:      map[string]string{"component": "kube-apiserver", "tier": "control-plane"},
			Annotations: map[string]string{KubeadmAdvertiseAddressAnnotationKey: fmt.Sprintf("127.0.0.1:%d", c.Port)},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            "kube-apiserver",
				Image:           "registry.k8s.io/kube-apiserver:" + KubernetesVersion,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         append([]string{"kube-apiserver"}, c.APIServerArgs...),
				VolumeMounts:    vms,
				LivenessProbe:   probe("/livez", 10, 8, 10),
				ReadinessProbe:  probe("/readyz", 0, 3, 1),
				StartupProbe:    probe("/livez", 10, 24, 10),
				Resources:       corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
				Ports:           []corev1.ContainerPort{{Name: "probe-port", ContainerPort: int32(c.Port), Protocol: corev1.ProtocolTCP}},
			}},
			Priority:          &priority,
			PriorityClassName: "system-node-critical",
			HostNetwork:       true,
			Volumes:           vols,
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
}

// registerStaticPod writes etc/kubernetes/manifests/kube-apiserver.yaml,
// creates the Node and the mirror pod the kubelet would create for it
// (kubelet pkg/kubelet/config/common.go applyDefaults + pkg/kubelet/pod/mirror_client.go).
func (c *Cluster) registerStaticPod(ctx context.Context) error {
	pod := c.StaticPod()
	data, err := yaml.Marshal(pod)
	if err != nil {
		return err
	}
	c.ManifestPath = filepath.Join(c.Dir, "etc", "kubernetes", "manifests", "kube-apiserver.yaml")
	if err := os.WriteFile(c.ManifestPath, data, 0o600); err != nil {
		return err
	}

	cs, err := c.superClient()
	if err != nil {
		return err
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
	if err == nil {
		// A restart (RestartAPIServer): the kubelet replaces the mirror pod
		// when the manifest changed (no kubelet here to confirm a graceful delete).
		zero := int64(0)
		err = cs.CoreV1().Pods(metav1.NamespaceSystem).Delete(ctx, "kube-apiserver-"+c.NodeName, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete mirror pod: %w", err)
		}
		return c.createMirror(ctx, cs, pod, node, data)
	}
	node, err = cs.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: c.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname":                c.NodeName,
				"kubernetes.io/os":                      "linux",
				"node-role.kubernetes.io/control-plane": "",
			},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	return c.createMirror(ctx, cs, pod, node, data)
}

// createMirror creates the mirror pod of the static pod whose manifest is
// data, reported running on node, as the kubelet does.
func (c *Cluster) createMirror(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, node *corev1.Node, data []byte) error {

	// The kubelet's static pod UID / config hash: fnv128a over the pod plus
	// host and file source. (The kubelet hashes its internal object; hashing
	// the manifest bytes gives a value of the same shape.)
	h := fnv.New128a()
	h.Write(data)
	fmt.Fprintf(h, "host:%s", c.NodeName)
	fmt.Fprintf(h, "file:%s", c.ManifestPath)
	hash := hex.EncodeToString(h.Sum(nil))

	mirror := pod.DeepCopy()
	mirror.Name = "kube-apiserver-" + c.NodeName
	mirror.Spec.NodeName = c.NodeName
	mirror.Spec.Tolerations = append(mirror.Spec.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})
	mirror.Annotations[ConfigHashAnnotationKey] = hash
	mirror.Annotations[ConfigMirrorAnnotationKey] = hash
	mirror.Annotations[ConfigSourceAnnotationKey] = "file"
	mirror.Annotations[ConfigSeenAnnotationKey] = time.Now().UTC().Format(time.RFC3339Nano)
	controller := true
	mirror.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID, Controller: &controller}}
	created, err := cs.CoreV1().Pods(metav1.NamespaceSystem).Create(ctx, mirror, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create mirror pod: %w", err)
	}
	c.MirrorPodName = created.Name

	// Report it running, as the kubelet would.
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "127.0.0.1",
		HostIPs:   []corev1.HostIP{{IP: "127.0.0.1"}},
		PodIP:     "127.0.0.1",
		PodIPs:    []corev1.PodIP{{IP: "127.0.0.1"}},
		StartTime: &now,
		QOSClass:  corev1.PodQOSBurstable,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name:    "kube-apiserver",
			Ready:   true,
			Started: &controller,
			Image:   pod.Spec.Containers[0].Image,
			ImageID: pod.Spec.Containers[0].Image,
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
	if _, err := cs.CoreV1().Pods(metav1.NamespaceSystem).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update mirror pod status: %w", err)
	}
	return nil
}
