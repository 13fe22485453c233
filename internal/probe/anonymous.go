package probe

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/inputs"
)

// client is an anonymous HTTP client bound to the probed host: no proxy, no
// cookies, no credentials, redirects followed only on the same host.
func (p *prober) client() *http.Client {
	tcfg := p.permissiveConfig()
	tr := &http.Transport{
		Proxy:                 nil, // only the target, never a proxy from the environment
		DialContext:           (&net.Dialer{Timeout: p.o.Timeout}).DialContext,
		TLSClientConfig:       tcfg,
		TLSHandshakeTimeout:   p.o.Timeout,
		ResponseHeaderTimeout: p.o.Timeout,
		MaxIdleConnsPerHost:   2,
		DisableCompression:    true, // body limits count what the server sends
	}
	return &http.Client{
		Transport: tr,
		Timeout:   p.o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects || req.URL.Host != p.u.Host || req.URL.Scheme != p.u.Scheme {
				return http.ErrUseLastResponse
			}
			if !p.count() {
				return http.ErrUseLastResponse
			}
			// Never carry anything but what the probe set.
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
			return nil
		},
	}
}

// probePaths sends one anonymous GET per path.
func (p *prober) probePaths(ctx context.Context) {
	c := p.client()
	defer c.CloseIdleConnections()
	for _, path := range p.o.Paths {
		if ctx.Err() != nil {
			break
		}
		p.ep.Paths = append(p.ep.Paths, p.get(ctx, c, path))
	}
}

func (p *prober) get(ctx context.Context, c *http.Client, path string) inputs.PathResult {
	r := inputs.PathResult{Path: path}
	if !p.count() {
		r.Outcome, r.Error = inputs.Failed, errBudget.Error()
		return r
	}
	target := *p.u
	rawPath, query, _ := strings.Cut(path, "?")
	target.Path = p.u.Path + rawPath
	target.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		r.Outcome, r.Error = inputs.Failed, err.Error()
		return r
	}
	req.Header.Set("User-Agent", p.o.UserAgent)
	req.Header.Set("Accept", "application/json, */*")
	resp, err := c.Do(req)
	if err != nil {
		r.Outcome, r.Error = inputs.Failed, cleanErr(err)
		return r
	}
	defer resp.Body.Close()
	body, truncated := readBounded(resp.Body, p.o.BodyLimit)
	r.Status = resp.StatusCode
	r.ContentType = resp.Header.Get("Content-Type")
	r.Bytes, r.Truncated = len(body), truncated
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		r.Outcome = inputs.Unauthenticated
		r.Message = statusMessage(body)
	case resp.StatusCode == http.StatusForbidden:
		r.Outcome = inputs.Forbidden
		r.Message = statusMessage(body)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.Outcome = inputs.Exposed
		r.Leaked = leaks(path, r.ContentType, body, truncated)
	case resp.StatusCode == http.StatusNotFound && isResourcePath(rawPath):
		r.Outcome = inputs.AllowedNotFound
		r.Message = statusMessage(body)
	case resp.StatusCode == http.StatusNotFound:
		r.Outcome = inputs.NotServed
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Outcome = inputs.Redirected
		r.Message = bounded("to "+resp.Header.Get("Location"), 200)
	default:
		r.Outcome = inputs.Failed
		r.Message = statusMessage(body)
	}
	return r
}

// isResourcePath: /api/v1/<resource>... or /apis/<group>/<version>/<resource>...
// A 404 there comes after authentication and authorization: the caller was
// allowed, the object is missing.
func isResourcePath(p string) bool {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(seg) >= 3 && seg[0] == "api":
		return true
	case len(seg) >= 4 && seg[0] == "apis":
		return true
	}
	return false
}

// statusMessage is the message of a metav1.Status body, else the body's start.
func statusMessage(body []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		return bounded(st.Message, 200)
	}
	return bounded(string(body), 200)
}

// readBounded reads at most limit bytes and reports whether there was more.
func readBounded(r io.Reader, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil && !errors.Is(err, io.EOF) {
		// Keep what was read: a reset after the headers still tells the status.
		return trim(b, limit)
	}
	return trim(b, limit)
}

func trim(b []byte, limit int64) ([]byte, bool) {
	if int64(len(b)) > limit {
		return b[:limit], true
	}
	return b, false
}

// bounded cuts s to n bytes on a rune boundary and makes it printable.
func bounded(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
