// Package secretmeta holds the one client apiguard reads Secrets with: a
// lister of Secret metadata that refuses full objects.
//
// RBAC cannot grant "metadata only": a credential that may list Secrets
// may ask for their values. This package is why apiguard never does:
//
//   - it only lists (GET on a collection), never gets a Secret, and every
//     list is selected by type with a field selector and paged with
//     limit/continue;
//   - the Accept header names only the PartialObjectMetadataList form
//     (no JSON fallback: a server that cannot produce it answers 406);
//   - the answer is read as a stream, and unless it opens as a
//     meta.k8s.io/v1 PartialObjectMetadataList (kind and apiVersion come
//     first in every kube-apiserver list) it is refused before any item is
//     read: the connection is closed, the body discarded, the error names
//     only the kind the server claimed. A list item that carries data or
//     stringData, or whose kind is not PartialObjectMetadata, refuses the
//     whole response;
//   - of each item only the namespace, name, creation time, labels and the
//     kubernetes.io/service-account.name annotation are kept (other
//     annotations, kubectl's last-applied-configuration among them, can
//     hold a Secret's data);
//   - an error answer is kept only as a meta.k8s.io Status (so a 403 is
//     still a Forbidden error); any other error body is discarded unread.
//
// The credential still needs list on secrets; deploy/rbac-readonly.yaml
// does not grant it, deploy/rbac-secret-inventory.yaml is the opt-in.
package secretmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Accept is the only representation a Secret list asks for.
const Accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

// The opt-in that lets apiguard list Secrets (metadata only), and the
// default role that does not.
const (
	OptInRole   = "apiguard-secret-inventory"
	OptInFile   = "deploy/rbac-secret-inventory.yaml"
	DefaultRole = "apiguard-readonly"
	DefaultFile = "deploy/rbac-readonly.yaml"
)

// Secret types apiguard lists, and the annotation it keeps.
const (
	TypeServiceAccountToken = string(corev1.SecretTypeServiceAccountToken) // kubernetes.io/service-account-token
	TypeBootstrapToken      = "bootstrap.kubernetes.io/token"
	ServiceAccountNameKey   = corev1.ServiceAccountNameKey // kubernetes.io/service-account.name
)

const (
	// PageSize is the limit of every page.
	PageSize = 500
	// maxResponse bounds one page; maxPages the pages of one list.
	maxResponse = 64 << 20
	maxPages    = 10000
	// maxErrorBody bounds the Status read from an error answer.
	maxErrorBody = 64 << 10
)

// Secret is what apiguard keeps of a Secret: never its data, and of its
// annotations only the ServiceAccount name.
type Secret struct {
	Namespace string
	Name      string
	// Type is the type the list selected (the server filtered on it).
	Type    string
	Created time.Time
	Labels  map[string]string
	// ServiceAccountName is the kubernetes.io/service-account.name
	// annotation (legacy ServiceAccount token Secrets).
	ServiceAccountName string
}

// Lister lists Secret metadata over one connection's HTTP client
// (credentials, TLS, impersonation, user agent).
type Lister struct {
	client *http.Client
	base   *url.URL // scheme, host and the server's path prefix
}

// New builds a Lister for a REST config (a kubeconfig context).
func New(cfg *rest.Config) (*Lister, error) {
	c := rest.CopyConfig(cfg)
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(c)
	if err != nil {
		return nil, err
	}
	base, _, err := rest.DefaultServerUrlFor(c)
	if err != nil {
		return nil, err
	}
	return &Lister{client: hc, base: base}, nil
}

// ForClientset builds a Lister on the HTTP client of a clientset made by
// kubernetes.NewForConfig. A clientset without one (a fake) is an error:
// Secrets are then listed no other way.
func ForClientset(client kubernetes.Interface) (*Lister, error) {
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil || rc.Client == nil {
		return nil, errors.New("the clientset has no REST client to list Secret metadata with")
	}
	u := rc.Get().URL()
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return &Lister{client: rc.Client, base: u}, nil
}

// List returns the metadata of the Secrets of one type in namespace (""
// for all namespaces), every page of it. progress, when set, is called
// after each page with the number of items read so far.
func (l *Lister) List(ctx context.Context, namespace, secretType string, progress func(items int)) ([]Secret, error) {
	if secretType == "" {
		return nil, errors.New("secretmeta: a Secret list needs a type to select")
	}
	var out []Secret
	cont := ""
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("listing Secrets of type %s: more than %d pages", secretType, maxPages)
		}
		items, next, err := l.page(ctx, namespace, secretType, cont)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if progress != nil {
			progress(len(out))
		}
		if next == "" {
			return out, nil
		}
		cont = next
	}
}

// pageURL is the request of one page.
func (l *Lister) pageURL(namespace, secretType, cont string) string {
	u := *l.base
	prefix, rawPrefix := strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(u.EscapedPath(), "/")
	p, raw := "/api/v1/secrets", "/api/v1/secrets"
	if namespace != "" {
		p = "/api/v1/namespaces/" + namespace + "/secrets"
		raw = "/api/v1/namespaces/" + url.PathEscape(namespace) + "/secrets"
	}
	u.Path, u.RawPath = prefix+p, rawPrefix+raw
	q := url.Values{}
	q.Set("fieldSelector", fields.OneTermEqualSelector("type", secretType).String())
	q.Set("limit", strconv.Itoa(PageSize))
	if cont != "" {
		q.Set("continue", cont)
	}
	u.RawQuery, u.Fragment = q.Encode(), ""
	return u.String()
}

func (l *Lister) page(ctx context.Context, namespace, secretType, cont string) ([]Secret, string, error) {
	target := l.pageURL(namespace, secretType, cont)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", Accept)
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close() // unread bytes are discarded with the connection
	if resp.StatusCode != http.StatusOK {
		return nil, "", statusError(resp, req.URL.Path)
	}
	if err := contentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, "", refused(req.URL.Path, err.Error())
	}
	items, next, err := decode(io.LimitReader(resp.Body, maxResponse+1), secretType)
	if err != nil {
		return nil, "", refused(req.URL.Path, err.Error())
	}
	return items, next, nil
}

// RefusedError is a response that was not metadata only.
type RefusedError struct {
	Path, Why string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("GET %s: %s; the response was discarded (apiguard reads Secrets as metadata only)", e.Path, e.Why)
}

func refused(p, why string) error { return &RefusedError{Path: p, Why: why} }

// contentType accepts JSON, and of JSON with an as= parameter only
// PartialObjectMetadataList.
func contentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("unreadable Content-Type %s", clip(ct))
	}
	if mt != "application/json" {
		return fmt.Errorf("the server answered %s, not application/json", clip(mt))
	}
	if as, ok := params["as"]; ok && as != "PartialObjectMetadataList" {
		return fmt.Errorf("the server answered as=%s, not PartialObjectMetadataList", clip(as))
	}
	return nil
}

// item is one element of a PartialObjectMetadataList. Data and StringData
// are there to be noticed, never kept.
type item struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Data       json.RawMessage   `json:"data"`
	StringData json.RawMessage   `json:"stringData"`
}

// decode reads a PartialObjectMetadataList as a stream: kind and apiVersion
// must come before anything else, so a response of another kind is refused
// before its items are read.
func decode(r io.Reader, secretType string) ([]Secret, string, error) {
	lr := &countingReader{r: r}
	dec := json.NewDecoder(lr)
	wrap := func(err error) error {
		if lr.n > maxResponse {
			return fmt.Errorf("response larger than %d bytes", maxResponse)
		}
		return fmt.Errorf("not a JSON object: %v", err)
	}
	if t, err := dec.Token(); err != nil {
		return nil, "", wrap(err)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, "", errors.New("the response is not a JSON object")
	}
	var (
		kind, apiVersion string
		next             string
		out              []Secret
	)
	typed := func() bool { return kind != "" && apiVersion != "" }
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, "", wrap(err)
		}
		key, _ := t.(string)
		switch {
		case key == "kind" || key == "apiVersion":
			var v string
			if err := dec.Decode(&v); err != nil {
				return nil, "", wrap(err)
			}
			if key == "kind" {
				if v != "PartialObjectMetadataList" {
					return nil, "", fmt.Errorf("the server answered kind %q, not PartialObjectMetadataList", clip(v))
				}
				kind = v
			} else {
				if v != "meta.k8s.io/v1" {
					return nil, "", fmt.Errorf("the server answered apiVersion %q, not meta.k8s.io/v1", clip(v))
				}
				apiVersion = v
			}
		case !typed():
			return nil, "", fmt.Errorf("the response does not open with kind PartialObjectMetadataList and apiVersion meta.k8s.io/v1 (field %q came first)", clip(key))
		case key == "metadata":
			var lm metav1.ListMeta
			if err := dec.Decode(&lm); err != nil {
				return nil, "", wrap(err)
			}
			next = lm.Continue
		case key == "items":
			if t, err := dec.Token(); err != nil {
				return nil, "", wrap(err)
			} else if t == nil {
				continue // "items": null
			} else if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, "", errors.New("items is not an array")
			}
			for dec.More() {
				var it item
				if err := dec.Decode(&it); err != nil {
					return nil, "", wrap(err)
				}
				if len(it.Data) > 0 || len(it.StringData) > 0 {
					return nil, "", fmt.Errorf("an item carries Secret data")
				}
				if it.Kind != "" && it.Kind != "PartialObjectMetadata" {
					return nil, "", fmt.Errorf("an item is of kind %q, not PartialObjectMetadata", clip(it.Kind))
				}
				m := &it.Metadata
				s := Secret{Namespace: m.Namespace, Name: m.Name, Type: secretType, Created: m.CreationTimestamp.UTC(), Labels: m.Labels}
				if m.Annotations != nil {
					s.ServiceAccountName = m.Annotations[ServiceAccountNameKey]
				}
				out = append(out, s)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, "", wrap(err)
			}
		default:
			var skip json.RawMessage // another field of a PartialObjectMetadataList
			if err := dec.Decode(&skip); err != nil {
				return nil, "", wrap(err)
			}
		}
	}
	if !typed() {
		return nil, "", errors.New("the response has no kind PartialObjectMetadataList and apiVersion meta.k8s.io/v1")
	}
	if lr.n > maxResponse {
		return nil, "", fmt.Errorf("response larger than %d bytes", maxResponse)
	}
	return out, next, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// statusError turns an error answer into an API error when its body is a
// Status; any other body is discarded.
func statusError(resp *http.Response, p string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	var st metav1.Status
	if len(body) <= maxErrorBody && json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		if st.Code == 0 {
			st.Code = int32(resp.StatusCode)
		}
		return &apierrors.StatusError{ErrStatus: st}
	}
	reason := metav1.StatusReasonUnknown
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		reason = metav1.StatusReasonUnauthorized
	case http.StatusForbidden:
		reason = metav1.StatusReasonForbidden
	case http.StatusNotFound:
		reason = metav1.StatusReasonNotFound
	case http.StatusNotAcceptable:
		reason = metav1.StatusReasonNotAcceptable
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: int32(resp.StatusCode), Reason: reason,
		Message: fmt.Sprintf("GET %s: HTTP %d (the body, not a Status, was discarded)", p, resp.StatusCode)}}
}

// Reason explains a failed Secret list for a not-assessable finding: a
// forbidden list names the opt-in role.
func Reason(err error) string {
	var ref *RefusedError
	switch {
	case apierrors.IsForbidden(err):
		return "this credential may not list Secrets: the default role " + DefaultRole + " (" + DefaultFile + ") grants no access to Secrets; " +
			"to assess this, bind the opt-in ClusterRole " + OptInRole + " (" + OptInFile + "), whose list on secrets apiguard uses for metadata only"
	case apierrors.IsUnauthorized(err):
		return "the credentials were rejected (unauthorized)"
	case errors.As(err, &ref):
		return ref.Error()
	case apierrors.IsNotAcceptable(err):
		return "the server cannot answer a Secret list as metadata only (PartialObjectMetadataList), and apiguard reads Secrets no other way"
	}
	return err.Error()
}

// clip bounds a server-chosen string in an error.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
