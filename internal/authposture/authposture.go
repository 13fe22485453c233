// Package authposture reads the cluster's credential inventory for the
// authentication-posture checks, read-only and metadata only: legacy
// ServiceAccount token Secrets and when they were last used, bootstrap token
// Secrets and their age, and the client certificates minted through the
// kubernetes.io/kube-apiserver-client signer.
//
// Secrets are listed only through the metadata client
// (k8s.io/client-go/metadata: PartialObjectMetadataList) with a field
// selector on their type, and the request is pinned further: the Accept
// header names only the PartialObjectMetadataList form (a server that cannot
// produce it answers 406 instead of sending Secrets), and a response of any
// other kind is discarded. There is never a get on a Secret.
package authposture

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Well-known names (k8s.io/api, pkg/serviceaccount, cluster-bootstrap).
const (
	SATokenType       = string(corev1.SecretTypeServiceAccountToken) // kubernetes.io/service-account-token
	BootstrapType     = "bootstrap.kubernetes.io/token"
	ClientSigner      = certificatesv1.KubeAPIServerClientSignerName // kubernetes.io/kube-apiserver-client
	LastUsedLabel     = "kubernetes.io/legacy-token-last-used"
	InvalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"
	SANameAnnotation  = corev1.ServiceAccountNameKey // kubernetes.io/service-account.name
	bootstrapPrefix   = "bootstrap-token-"
	// listLimit bounds each page; maxItems bounds the inventory.
	listLimit = 500
	maxItems  = 5000
)

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// FromClientset fills the inventory from a clientset built by
// kubernetes.NewForConfig: the metadata client shares its HTTP client
// (credentials, TLS, impersonation). Live collection calls it.
func FromClientset(ctx context.Context, client kubernetes.Interface) *inputs.Credentials {
	meta, err := MetadataClientFor(client)
	if err != nil {
		meta = nil // the Secret inventories say why; never a typed Secret list
	}
	return Collect(ctx, client, meta, time.Now())
}

// MetadataClientFor builds a metadata-only client on the clientset's HTTP
// client, with the Accept pinning described in the package doc.
func MetadataClientFor(client kubernetes.Interface) (metadata.Interface, error) {
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil || rc.Client == nil {
		return nil, errors.New("the clientset has no REST client to derive a metadata-only client from")
	}
	u := rc.Get().URL()
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1")
	u.RawQuery = ""
	base := rc.Client
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc := &http.Client{Transport: metadataOnly{next: next}, Timeout: base.Timeout, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
	return metadata.NewForConfigAndClient(&rest.Config{Host: u.String()}, hc)
}

// partialListAccept is the only representation the secrets list accepts.
const partialListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

// maxResponse bounds a metadata list response.
const maxResponse = 64 << 20

// metadataOnly pins every request of the metadata client to
// PartialObjectMetadataList and refuses any other answer.
type metadataOnly struct{ next http.RoundTripper }

func (m metadataOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return nil, fmt.Errorf("apiguard: refusing %s %s: the credential inventory only lists", req.Method, req.URL.Path)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Accept", partialListAccept)
	resp, err := m.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("apiguard: %s: response larger than %d bytes", req.URL.Path, maxResponse)
	}
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.Kind != "PartialObjectMetadataList" || head.APIVersion != "meta.k8s.io/v1" {
		return nil, fmt.Errorf("apiguard: %s: the server did not answer with metadata only (kind %q); the response was discarded", req.URL.Path, head.Kind)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// Collect reads the inventory. meta may be nil (no metadata-only client):
// the Secret inventories then say so, and no Secret is listed any other way.
func Collect(ctx context.Context, client kubernetes.Interface, meta metadata.Interface, now time.Time) *inputs.Credentials {
	c := &inputs.Credentials{CollectedAt: now.UTC().Truncate(time.Second)}
	if meta == nil {
		why := "no metadata-only client could be built for this connection, and apiguard lists Secrets no other way"
		c.ServiceAccountTokens.Unavailable, c.BootstrapTokens.Unavailable = why, why
	} else {
		c.ServiceAccountTokens = saTokens(ctx, client, meta)
		c.BootstrapTokens = bootstrapTokens(ctx, meta)
	}
	c.ClientCSRs = clientCSRs(ctx, client)
	return c
}

// listSecrets lists Secret metadata of one type, page by page.
func listSecrets(ctx context.Context, meta metadata.Interface, namespace, typ string) ([]metav1.PartialObjectMetadata, error) {
	var out []metav1.PartialObjectMetadata
	opts := metav1.ListOptions{FieldSelector: "type=" + typ, Limit: listLimit}
	for {
		l, err := meta.Resource(secretsGVR).Namespace(namespace).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.Continue == "" || len(out) >= maxItems {
			return out, nil
		}
		opts.Continue = l.Continue
	}
}

func saTokens(ctx context.Context, client kubernetes.Interface, meta metadata.Interface) inputs.SATokenInventory {
	var inv inputs.SATokenInventory
	items, err := listSecrets(ctx, meta, metav1.NamespaceAll, SATokenType)
	if err != nil {
		inv.Unavailable = "cannot list Secrets of type " + SATokenType + " (metadata only): " + reason(err)
		return inv
	}
	referenced, saErr := referencedSecrets(ctx, client)
	for _, o := range items {
		s := inputs.SATokenSecret{
			Namespace: o.Namespace, Name: o.Name, Created: o.CreationTimestamp.UTC(),
			ServiceAccount: o.Annotations[SANameAnnotation],
			LastUsed:       o.Labels[LastUsedLabel], InvalidSince: o.Labels[InvalidSinceLabel],
		}
		if saErr == nil {
			auto := referenced[o.Namespace+"/"+o.Name]
			s.AutoGenerated = &auto
		}
		inv.Items = append(inv.Items, s)
	}
	sort.Slice(inv.Items, func(i, j int) bool {
		a, b := inv.Items[i], inv.Items[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return inv
}

// referencedSecrets are the Secrets ServiceAccounts list in .secrets: the
// auto-generated tokens of old clusters (the legacy token cleaner acts on
// those only). ServiceAccounts hold no secret data.
func referencedSecrets(ctx context.Context, client kubernetes.Interface) (map[string]bool, error) {
	out := map[string]bool{}
	opts := metav1.ListOptions{Limit: listLimit}
	for n := 0; n < maxItems/listLimit; n++ {
		l, err := client.CoreV1().ServiceAccounts(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, sa := range l.Items {
			for _, ref := range sa.Secrets {
				out[sa.Namespace+"/"+ref.Name] = true
			}
		}
		if l.Continue == "" {
			break
		}
		opts.Continue = l.Continue
	}
	return out, nil
}

func bootstrapTokens(ctx context.Context, meta metadata.Interface) inputs.BootstrapInventory {
	var inv inputs.BootstrapInventory
	items, err := listSecrets(ctx, meta, metav1.NamespaceSystem, BootstrapType)
	if err != nil {
		inv.Unavailable = "cannot list Secrets of type " + BootstrapType + " in kube-system (metadata only): " + reason(err)
		return inv
	}
	for _, o := range items {
		t := inputs.BootstrapToken{Name: o.Name, Created: o.CreationTimestamp.UTC()}
		if id, ok := strings.CutPrefix(o.Name, bootstrapPrefix); ok {
			t.TokenID = id
		}
		inv.Items = append(inv.Items, t)
	}
	sort.Slice(inv.Items, func(i, j int) bool { return inv.Items[i].Name < inv.Items[j].Name })
	return inv
}

func clientCSRs(ctx context.Context, client kubernetes.Interface) inputs.CSRInventory {
	var inv inputs.CSRInventory
	opts := metav1.ListOptions{FieldSelector: "spec.signerName=" + ClientSigner, Limit: listLimit}
	var items []certificatesv1.CertificateSigningRequest
	for {
		l, err := client.CertificatesV1().CertificateSigningRequests().List(ctx, opts)
		if err != nil {
			inv.Unavailable = "cannot list CertificateSigningRequests (signer " + ClientSigner + "): " + reason(err)
			return inv
		}
		items = append(items, l.Items...)
		if l.Continue == "" || len(items) >= maxItems {
			break
		}
		opts.Continue = l.Continue
	}
	for i := range items {
		r := &items[i]
		if r.Spec.SignerName != ClientSigner {
			continue // a server or fake that ignored the field selector
		}
		inv.Items = append(inv.Items, CSROf(r))
	}
	sort.Slice(inv.Items, func(i, j int) bool { return inv.Items[i].Name < inv.Items[j].Name })
	return inv
}

// CSROf reads the identity a CSR asks for and what became of it.
func CSROf(r *certificatesv1.CertificateSigningRequest) inputs.ClientCSR {
	c := inputs.ClientCSR{
		Name: r.Name, Created: r.CreationTimestamp.UTC(), Requestor: r.Spec.Username,
		ExpirationSeconds: r.Spec.ExpirationSeconds,
	}
	for _, cond := range r.Status.Conditions {
		if cond.Status != corev1.ConditionTrue && cond.Status != "" {
			continue
		}
		switch cond.Type {
		case certificatesv1.CertificateApproved:
			c.Approved = true
		case certificatesv1.CertificateDenied:
			c.Denied = true
		case certificatesv1.CertificateFailed:
			c.Failed = true
		}
	}
	if blk, _ := pem.Decode(r.Spec.Request); blk == nil || blk.Type != "CERTIFICATE REQUEST" {
		c.ParseError = "spec.request is not a PEM CERTIFICATE REQUEST"
	} else if req, err := x509.ParseCertificateRequest(blk.Bytes); err != nil {
		c.ParseError = "spec.request: " + err.Error()
	} else {
		c.CommonName = req.Subject.CommonName
		c.Organizations = append([]string(nil), req.Subject.Organization...)
	}
	if len(r.Status.Certificate) > 0 {
		c.Issued = true
		if blk, _ := pem.Decode(r.Status.Certificate); blk != nil {
			if cert, err := x509.ParseCertificate(blk.Bytes); err == nil {
				c.NotAfter = cert.NotAfter.UTC()
			}
		}
	}
	return c
}

func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		msg := err.Error()
		if s, ok := err.(apierrors.APIStatus); ok {
			msg = s.Status().Message
		}
		return "forbidden: " + msg + " (grant the ClusterRole in deploy/rbac-readonly.yaml)"
	case apierrors.IsUnauthorized(err):
		return "unauthorized: the credentials were rejected"
	}
	return err.Error()
}
