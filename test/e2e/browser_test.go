package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/apiguard/apiguard/internal/testsupport/syncbuf"
)

// A headless Chromium for the tests of apiguard's self-contained HTML
// reports (`-o html`).
//
//	b := newBrowser(t)               // one Chromium, closed at the end of t
//	p := b.open(t, "report.html")    // file://, waits for window.__apiguardReady
//	if errs := p.errs(); len(errs) > 0 { t.Errorf("page errors: %q", errs) }
//	p.click(t, "#tab-rbac")
//	n := p.count(t, "tr.finding")
//	p.screenshot(t, "rbac")          // artifacts/<test>-rbac.png
//
// The page is off the network: its tab emulates "offline" (every request
// fails), the browser's proxy is a local black hole (for what the emulation
// does not cover: Chromium's own services, popups, workers), and a page that
// asks for anything but its own file:// URL, a data: URL or a blob: URL fails
// the test that opened it. Chromium is $APIGUARD_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH; `make browser` installs Debian's
// chromium package.

const (
	// browserWidth and browserHeight are the window size of every page.
	browserWidth, browserHeight = 1400, 1000
	// readyTimeout is how long open waits, from the start of the navigation,
	// for window.__apiguardReady === true.
	readyTimeout = 20 * time.Second
	// actionTimeout bounds every other action on a page (a click on an
	// element that never becomes visible, a script that never settles).
	actionTimeout = 15 * time.Second
)

// browser is one headless Chromium process.
type browser struct {
	ctx   context.Context // a tab opens below it
	proxy *blackhole
}

// page is one tab showing one HTML file.
type page struct {
	ctx context.Context // the tab's context
	url string          // the file:// URL the tab opened

	// readyIn is the time from the start of the navigation until
	// window.__apiguardReady was true.
	readyIn time.Duration

	mu       sync.Mutex
	errors   []string // console.error/assert, uncaught exceptions, browser log errors
	requests []string // the URL of every request the page made, in order
}

// chromiumPath is the browser to run: $APIGUARD_CHROMIUM, else the first of
// chromium, chromium-browser and google-chrome on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if env := os.Getenv("APIGUARD_CHROMIUM"); env != "" {
		p, err := exec.LookPath(env)
		if err != nil {
			t.Fatalf("APIGUARD_CHROMIUM=%s: %v", env, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium: none of chromium, chromium-browser, google-chrome is on PATH and APIGUARD_CHROMIUM is not set; run `make browser` (installs Debian's chromium package)")
	return ""
}

// newBrowser starts a headless Chromium that lives until the end of t (about
// half a second). Open pages with open, in t or in its subtests.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	proxy := startBlackhole(t)
	// the browser's output, written by chromedp's goroutine
	out := &syncbuf.Buffer{}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), // headless among them
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // the tests run as root, where Chromium refuses its sandbox
		chromedp.DisableGPU,
		chromedp.WindowSize(browserWidth, browserHeight),
		// Off the network for every target of the browser (popups, workers
		// and the browser itself, which the tab's emulation does not cover):
		// each request goes to a local proxy that hangs up, and no host name
		// resolves but the proxy's address (MAP * alone also stops the
		// connection to the proxy: ERR_PROXY_CONNECTION_FAILED).
		chromedp.Flag("proxy-server", "http://"+proxy.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel() // waits for the process to exit
		// Not an error: Chromium calls its own services (component
		// updates, network time, accounts.google.com) in spite of
		// disable-background-networking, and a popup a test opens is not
		// the report's doing. The page's own requests fail in open.
		if seen := proxy.close(); len(seen) > 0 {
			t.Logf("the proxy turned away %d connections (Chromium's own services, popups): %q", len(seen), seen)
		}
		if t.Failed() {
			t.Logf("chromium output (tail):\n%s", chromiumTail(out, 4096))
		}
	})
	// The first Do starts the browser and binds its life to bctx, so it
	// gets no deadline of its own: a watchdog cancels a start that hangs.
	start := time.Now()
	watchdog := time.AfterFunc(60*time.Second, bcancel)
	err := chromedp.Do(bctx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("starting %s: %v\nchromium output:\n%s", exe, err, chromiumTail(out, 4096))
	}
	t.Logf("browser: %s started in %s", exe, time.Since(start).Round(time.Millisecond))
	return &browser{ctx: bctx, proxy: proxy}
}

// open shows the HTML file at htmlPath in a new tab (closed at the end of t)
// and waits until the page's script sets window.__apiguardReady = true, for
// at most 20 s from the start of the navigation. At the end of t, any request
// the page made for anything but its own file, a data: URL or a blob: URL
// fails t.
func (b *browser) open(t *testing.T, htmlPath string) *page {
	t.Helper()
	p := b.load(t, htmlPath)
	t.Cleanup(func() { // before the tab closes (cleanups run last-in first-out)
		if bad := p.foreignRequests(); len(bad) > 0 {
			t.Errorf("%s made %d network requests (a self-contained report makes none): %q", htmlPath, len(bad), bad)
		}
	})
	return p
}

// load is open without the check of the requests at the end of t: for a test
// of the recorder itself.
func (b *browser) load(t *testing.T, htmlPath string) *page {
	t.Helper()
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatal(err)
	}
	p := &page{url: (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()}
	// The listener is on the tab before its first command: it sees every
	// event, and it sees an event before the command whose reply follows
	// the event returns.
	tctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(p.listen))
	t.Cleanup(cancel)
	p.ctx = tctx

	// The first Do opens the tab (bound to tctx, so no deadline here) and
	// takes it offline before it loads anything.
	if err := chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tab, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: new(true),
			MatchedNetworkConditions:    []*network.Conditions{{Offline: true}}, // no URL pattern: every request
		}); err != nil {
			return fmt.Errorf("network.emulateNetworkConditionsByRule: %w", err)
		}
		if _, err := cdp.Call(ctx, tab, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true}); err != nil {
			return fmt.Errorf("network.overrideNetworkState: %w", err)
		}
		return nil
	})); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}

	ctx, cancelNav := context.WithTimeout(tctx, readyTimeout+5*time.Second)
	defer cancelNav()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.url)); err != nil {
		t.Fatalf("navigating to %s: %v; page errors: %q", p.url, err, p.errs())
	}
	left := max(readyTimeout-time.Since(start), time.Millisecond)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__apiguardReady === true`, chromedp.WithPollingTimeout(left))); err != nil {
		t.Fatalf("%s: window.__apiguardReady was not true %s after the navigation started: %v; page errors: %q",
			htmlPath, readyTimeout, err, p.errs())
	}
	p.readyIn = time.Since(start)
	t.Logf("%s ready in %s", filepath.Base(abs), p.readyIn.Round(time.Millisecond))
	return p
}

// listen records the page's requests and errors. It runs in the loop that
// reads the tab's messages: it must be fast and run no command.
func (p *page) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			p.mu.Lock()
			p.requests = append(p.requests, ev.Request.URL)
			p.mu.Unlock()
		}
		return
	case *cdpruntime.EventConsoleAPICalled:
		if ev.Type != cdpruntime.ConsoleAPICalledTypeError && ev.Type != cdpruntime.ConsoleAPICalledTypeAssert {
			return
		}
		parts := make([]string, len(ev.Args))
		for i, a := range ev.Args {
			parts[i] = remoteText(a)
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			f := st.CallFrames[0]
			msg += fmt.Sprintf(" (%s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
		}
	case *cdpruntime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			first, _, _ := strings.Cut(d.Exception.Description, "\n")
			msg += " " + first
		}
		msg += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e == nil || e.Level != cdplog.EntryLevelError {
			return
		}
		msg = "log." + string(e.Source) + ": " + e.Text
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
	default:
		return
	}
	p.mu.Lock()
	p.errors = append(p.errors, msg)
	p.mu.Unlock()
}

// remoteText is how the console shows one argument of a console call.
func remoteText(o *cdpruntime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Type == cdpruntime.RemoteObjectTypeString {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	}
	switch {
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}

// errs is what went wrong in the page so far: console.error and
// console.assert calls, uncaught exceptions (and unhandled rejections) and
// error entries of the browser log (a resource that failed to load, a CSP
// violation). A report that works has none.
func (p *page) errs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.errors)
}

// foreignRequests is every request the page made so far for anything but its
// own file, a data: URL or a blob: URL (another file:// URL is foreign too: a
// self-contained report loads nothing from beside it).
func (p *page) foreignRequests() []string {
	self, _, _ := strings.Cut(p.url, "#")
	p.mu.Lock()
	defer p.mu.Unlock()
	var bad []string
	for _, u := range p.requests {
		if noFrag, _, _ := strings.Cut(u, "#"); noFrag == self ||
			strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") {
			continue
		}
		bad = append(bad, u)
	}
	return bad
}

// timeout is a context for one action on the page.
func (p *page) timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, actionTimeout)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// text is the trimmed textContent of the first element matching the CSS
// selector; no match fails t.
func (p *page) text(t *testing.T, selector string) string {
	t.Helper()
	var s *string
	p.eval(t, `(() => { const e = document.querySelector(`+jsString(selector)+`); return e === null ? null : e.textContent; })()`, &s)
	if s == nil {
		t.Fatalf("text: no element matches %q", selector)
	}
	return strings.TrimSpace(*s)
}

// count is the number of elements matching the CSS selector.
func (p *page) count(t *testing.T, selector string) int {
	t.Helper()
	var n int
	p.eval(t, `document.querySelectorAll(`+jsString(selector)+`).length`, &n)
	return n
}

// attr is the attribute name of the first element matching the CSS selector,
// "" when the element has no such attribute; no match fails t.
func (p *page) attr(t *testing.T, selector, name string) string {
	t.Helper()
	var r struct {
		Found bool
		Value *string
	}
	p.eval(t, `(() => { const e = document.querySelector(`+jsString(selector)+`);
		return e === null ? {Found: false} : {Found: true, Value: e.getAttribute(`+jsString(name)+`)}; })()`, &r)
	if !r.Found {
		t.Fatalf("attr: no element matches %q", selector)
	}
	if r.Value == nil {
		return ""
	}
	return *r.Value
}

// click clicks (a real mouse click, in the middle of the element) the first
// element matching the CSS selector, once it is visible, then waits two
// animation frames so that the page has handled the click and rendered.
func (p *page) click(t *testing.T, selector string) {
	t.Helper()
	if p.count(t, selector) == 0 {
		t.Fatalf("click: no element matches %q", selector)
	}
	ctx, cancel := p.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		t.Fatalf("click %q (is it visible?): %v; page errors: %q", selector, err, p.errs())
	}
	p.eval(t, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, nil)
}

// eval evaluates the JavaScript expression js in the page, waits for it when
// it is a promise, and decodes its JSON value into out (nil: the value does
// not matter). An exception, or undefined for a non-nil out, fails t.
func (p *page) eval(t *testing.T, js string, out any) {
	t.Helper()
	ctx, cancel := p.timeout()
	defer cancel()
	if out == nil {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](js, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("eval %s: %v", js, err)
		}
		return
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	if len(raw) == 0 {
		t.Fatalf("eval %s: undefined (or a value with no JSON form)", js)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("eval %s: decoding %s into %T: %v", js, raw, out, err)
	}
}

// screenshot writes a PNG of the whole page (not only the window) into the
// artefact directory, as <test>-<name>.png, and returns its path.
func (p *page) screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := p.timeout()
	defer cancel()
	// FullScreenshot encodes a PNG at quality 100 only (any other quality is
	// a JPEG).
	data, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return writeArtifact(t, name+".png", data)
}

// viewShot writes a PNG of the window only (a page taller than the
// browser's screenshot limit, 16,384 px, has no full-page one) and returns
// its path.
func (p *page) viewShot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := p.timeout()
	defer cancel()
	data, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return writeArtifact(t, name+".png", data)
}

// pdf prints the page to PDF (print media: the report's print CSS; paper
// size from a CSS @page rule, else Letter; backgrounds left out, as a
// browser's print dialog does by default), writes it into the artefact
// directory as <test>-<name>.pdf and returns its size in bytes.
func (p *page) pdf(t *testing.T, name string) int {
	t.Helper()
	ctx, cancel := p.timeout()
	defer cancel()
	data, err := chromedp.Run(ctx, func(ctx context.Context, tab *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tab, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: new(true)})
		return r.Data, err
	})
	if err != nil {
		t.Fatalf("pdf: %v", err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("pdf: the browser's answer is not a PDF (%d bytes)", len(data))
	}
	writeArtifact(t, name+".pdf", data)
	return len(data)
}

// artifactDir is where screenshots and PDFs go: $APIGUARD_ARTIFACTS, else
// test/e2e/artifacts/ (ignored by git).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("APIGUARD_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// writeArtifact writes data as <test>-<name> into the artefact directory,
// logs and returns the path.
func writeArtifact(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(artifactDir(t), unsafeFileChars.ReplaceAllString(t.Name()+"-"+name, "_"))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(data))
	return path
}

// blackhole is the browser's proxy: it records the first line of each
// connection (CONNECT host:443 or GET http://...) and hangs up. The requests
// of a tab that open made offline never reach it.
type blackhole struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []string
}

func startBlackhole(t *testing.T) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackhole{ln: ln}
	h.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.wg.Go(func() {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				if line = strings.TrimSpace(line); line == "" {
					line = "(a connection with no request line)"
				}
				h.mu.Lock()
				h.seen = append(h.seen, line)
				h.mu.Unlock()
			})
		}
	})
	return h
}

func (h *blackhole) addr() string { return h.ln.Addr().String() }

// close stops the proxy and returns what reached it.
func (h *blackhole) close() []string {
	h.ln.Close()
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.seen)
}

// chromiumTail is the last n bytes of the browser's output, without the
// lines about D-Bus (there is none in a container: Chromium complains at
// every start).
func chromiumTail(b *syncbuf.Buffer, n int) string {
	lines := strings.SplitAfter(b.String(), "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.Contains(l, "ERROR:dbus/") })
	s := strings.Join(lines, "")
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// writeHTML writes page into a new file in t's temporary directory.
func writeHTML(t *testing.T, page string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserHarness checks the harness itself on tiny pages: opening, the
// queries, a click, the screenshot and the PDF, and that it catches console
// errors, exceptions and a page that reaches for the network.
func TestBrowserHarness(t *testing.T) {
	b := newBrowser(t)

	t.Run("page", func(t *testing.T) {
		p := b.open(t, writeHTML(t, `<!doctype html>
<html><head><meta charset="utf-8"><title>harness</title>
<style>
  body { font: 16px sans-serif; margin: 2em; }
  .on { background: #2a7; color: #fff; }
  #tall { height: 2400px; border-left: 4px solid #888; }
  @media print { #b { display: none; } }
</style></head>
<body>
  <h1 id="h"> Harness  </h1>
  <button id="b" data-kind="toggle">Toggle</button>
  <img id="dot" alt="" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==">
  <div id="tall">a page taller than the window</div>
  <script>
    document.getElementById("b").addEventListener("click", e => e.target.classList.add("on"));
    window.__apiguardReady = true;
  </script>
</body></html>`))
		if errs := p.errs(); len(errs) > 0 {
			t.Errorf("errors on a page that has none: %q", errs)
		}
		if p.readyIn <= 0 || p.readyIn > readyTimeout {
			t.Errorf("readyIn %s", p.readyIn)
		}
		if got := p.text(t, "#h"); got != "Harness" {
			t.Errorf("text(#h) = %q, want Harness", got)
		}
		if got := p.attr(t, "#b", "data-kind"); got != "toggle" {
			t.Errorf("attr(#b, data-kind) = %q, want toggle", got)
		}
		if got := p.attr(t, "#b", "data-none"); got != "" {
			t.Errorf("attr(#b, data-none) = %q, want empty", got)
		}
		var size struct{ W, H int }
		p.eval(t, `({W: window.innerWidth, H: window.innerHeight})`, &size)
		t.Logf("viewport %dx%d", size.W, size.H)
		if size.W != browserWidth {
			t.Errorf("window.innerWidth %d, want %d", size.W, browserWidth)
		}
		var dotWidth int
		p.eval(t, `document.getElementById("dot").naturalWidth`, &dotWidth)
		if dotWidth != 1 {
			t.Errorf("a data: image did not load offline (naturalWidth %d)", dotWidth)
		}

		if n := p.count(t, ".on"); n != 0 {
			t.Fatalf("count(.on) = %d before the click, want 0", n)
		}
		p.click(t, "#b")
		if n := p.count(t, ".on"); n != 1 {
			t.Errorf("count(.on) = %d after the click, want 1", n)
		}

		path := p.screenshot(t, "page")
		shot, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if cfg.Width != browserWidth || cfg.Height <= 2400 { // #tall is 2400 px
			t.Errorf("%s is %dx%d, want the whole page: %d wide, more than 2400 high", path, cfg.Width, cfg.Height, browserWidth)
		}
		if n := p.pdf(t, "page"); n < 1000 {
			t.Errorf("pdf of %d bytes", n)
		}
		if errs := p.errs(); len(errs) > 0 {
			t.Errorf("errors after the actions: %q", errs)
		}
		if bad := p.foreignRequests(); len(bad) > 0 {
			t.Errorf("foreign requests from a page that makes none: %q", bad)
		}
	})

	t.Run("console-error", func(t *testing.T) {
		p := b.open(t, writeHTML(t, `<!doctype html><script>
console.log("not an error"); console.warn("not an error either");
console.error("x");
window.__apiguardReady = true;
</script>`))
		errs := p.errs()
		if len(errs) != 1 || !strings.Contains(errs[0], "console.error: x") {
			t.Errorf("errs() = %q, want one console.error of x", errs)
		}
	})

	t.Run("exception", func(t *testing.T) {
		p := b.open(t, writeHTML(t, `<!doctype html><script>
window.__apiguardReady = true;
console.assert(1 === 2, "one is not two");
setTimeout(() => { throw new Error("boom"); });
</script>`))
		// The exception comes after ready: a command after it makes sure
		// the listener has seen it.
		p.eval(t, `new Promise(r => setTimeout(r, 50))`, nil)
		errs := p.errs()
		if len(errs) != 2 || !strings.Contains(errs[0], "console.assert: one is not two") || !strings.Contains(errs[1], "Error: boom") {
			t.Errorf("errs() = %q, want the assertion and the exception", errs)
		}
	})

	t.Run("network-request", func(t *testing.T) {
		// load, not open: open would fail this test at its end, which is
		// the point of the recorder.
		p := b.load(t, writeHTML(t, `<!doctype html>
<img src="http://192.0.2.1/x.png" alt="">
<script>window.__apiguardReady = true;</script>`))
		bad := p.foreignRequests()
		if !slices.Contains(bad, "http://192.0.2.1/x.png") {
			t.Errorf("foreignRequests() = %q, want the image at http://192.0.2.1/x.png", bad)
		}
		t.Logf("recorded: %q; errors: %q", bad, p.errs())
	})

	t.Run("not-ready", func(t *testing.T) {
		// On a page that is not ready, open fails t after 20 s, which a
		// subtest cannot watch without failing: check that open's poll
		// gives up with an error (and does not hang), with a short timeout.
		p := b.load(t, writeHTML(t, `<!doctype html><script>window.__apiguardReady = true;</script>`))
		p.eval(t, `window.__apiguardReady = false`, nil)
		ctx, cancel := p.timeout()
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__apiguardReady === true`, chromedp.WithPollingTimeout(300*time.Millisecond)))
		if err == nil {
			t.Errorf("the poll for __apiguardReady succeeded on a page that is not ready")
		} else {
			t.Logf("not ready: %v", err)
		}
	})
}
