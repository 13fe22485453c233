package rbacdump

import (
	"bufio"
	"encoding/json"
	"io"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiguard/apiguard/internal/rbac"
)

// Write writes the model as one JSON List of Kubernetes objects, the
// shape `kubectl get clusterroles,clusterrolebindings,roles,rolebindings,
// serviceaccounts,namespaces,pods,nodes -A -o json` prints, so that
// Load builds the same Policy again (a snapshot keeps its RBAC this
// way). Only what the model holds is written: Pods carry their
// ServiceAccount and node, Secrets their metadata and type, never data.
// Rules computed from an aggregationRule are left out, as the dump of a
// cluster whose aggregation controller has not run would have them, and so
// are assumed built-ins. A live model's dump is marked as such: read back,
// it assumes nothing.
func Write(w io.Writer, p *rbac.Policy) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head := `{"apiVersion":"v1","kind":"List","items":[`
	if p.Live {
		// read back, the dump holds the server's own built-ins: none is assumed
		head = `{"apiVersion":"v1","kind":"List","metadata":{"annotations":{"` + rbac.LiveDumpAnnotation + `":"live"}},"items":[`
	}
	if _, err := bw.WriteString(head); err != nil {
		return err
	}
	n := 0
	emit := func(o any) error {
		data, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		n++
		_, err = bw.Write(data)
		return err
	}
	rbacType := func(kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
	}
	coreType := func(kind string) metav1.TypeMeta { return metav1.TypeMeta{APIVersion: "v1", Kind: kind} }
	for _, r := range p.ClusterRoles {
		if r.Assumed {
			continue // not the input's: assumed again when read back
		}
		o := rbacv1.ClusterRole{TypeMeta: rbacType(rbac.KindClusterRole), ObjectMeta: meta("", r.Name, r.Labels, r.Annotations),
			Rules: r.Rules, AggregationRule: r.AggregationRule}
		if r.Aggregated {
			o.Rules = nil
		}
		if err := emit(o); err != nil {
			return err
		}
	}
	for _, r := range p.Roles {
		if r.Assumed {
			continue
		}
		if err := emit(rbacv1.Role{TypeMeta: rbacType(rbac.KindRole), ObjectMeta: meta(r.Namespace, r.Name, r.Labels, r.Annotations), Rules: r.Rules}); err != nil {
			return err
		}
	}
	for _, b := range p.ClusterRoleBindings {
		if b.Assumed {
			continue
		}
		if err := emit(rbacv1.ClusterRoleBinding{TypeMeta: rbacType(rbac.KindClusterRoleBinding), ObjectMeta: meta("", b.Name, b.Labels, b.Annotations),
			RoleRef: b.RoleRef, Subjects: b.Subjects}); err != nil {
			return err
		}
	}
	for _, b := range p.RoleBindings {
		if b.Assumed {
			continue
		}
		if err := emit(rbacv1.RoleBinding{TypeMeta: rbacType(rbac.KindRoleBinding), ObjectMeta: meta(b.Namespace, b.Name, b.Labels, b.Annotations),
			RoleRef: b.RoleRef, Subjects: b.Subjects}); err != nil {
			return err
		}
	}
	for _, s := range p.ServiceAccounts {
		if err := emit(corev1.ServiceAccount{TypeMeta: coreType("ServiceAccount"), ObjectMeta: meta(s.Namespace, s.Name, s.Labels, s.Annotations),
			AutomountServiceAccountToken: s.AutomountToken}); err != nil {
			return err
		}
	}
	for _, ns := range p.Namespaces {
		if err := emit(corev1.Namespace{TypeMeta: coreType("Namespace"), ObjectMeta: meta("", ns.Name, ns.Labels, nil)}); err != nil {
			return err
		}
	}
	for _, pod := range p.Pods {
		if err := emit(corev1.Pod{TypeMeta: coreType("Pod"), ObjectMeta: meta(pod.Namespace, pod.Name, nil, nil),
			Spec: corev1.PodSpec{ServiceAccountName: pod.ServiceAccountName, NodeName: pod.NodeName}}); err != nil {
			return err
		}
	}
	for _, node := range p.Nodes {
		if err := emit(corev1.Node{TypeMeta: coreType("Node"), ObjectMeta: meta("", node.Name, node.Labels, nil)}); err != nil {
			return err
		}
	}
	for _, s := range p.Secrets {
		var ann map[string]string
		if s.ServiceAccountName != "" {
			ann = map[string]string{rbac.ServiceAccountNameAnnotation: s.ServiceAccountName}
		}
		if err := emit(corev1.Secret{TypeMeta: coreType("Secret"), ObjectMeta: meta(s.Namespace, s.Name, s.Labels, ann),
			Type: corev1.SecretType(s.Type)}); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

func meta(namespace, name string, labels, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels, Annotations: annotations}
}
