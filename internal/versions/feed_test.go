package versions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func readFeed(t *testing.T) *Feed {
	t.Helper()
	b, err := os.ReadFile("testdata/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFeed("testdata/feed.json", b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseFeedItem(t *testing.T) {
	f := readFeed(t)
	got := map[string]FeedCVE{}
	for _, it := range f.Items {
		if fc, ok := ParseFeedItem(it); ok {
			got[fc.ID] = fc
		}
	}
	c := got["CVE-2025-5187"]
	if !c.APIServer || strings.Join(c.CVE.Affected, " ") != ">=1.31.0,<=1.31.11 >=1.32.0,<=1.32.7 >=1.33.0,<=1.33.3" ||
		strings.Join(c.CVE.Fixed, " ") != "1.31.12 1.32.8 1.33.4" || c.CVE.Severity != "medium" || c.CVE.CVSS != 6.7 ||
		c.CVE.Vector != "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L" {
		t.Errorf("CVE-2025-5187: %+v", c.CVE)
	}
	if got["CVE-2025-13281"].APIServer || got["CVE-2025-0426"].APIServer {
		t.Error("kube-controller-manager and kubelet CVEs are not kube-apiserver's, even when the text mentions kube-apiserver")
	}
	old := got["CVE-2019-11254"]
	if !old.APIServer || strings.Join(old.CVE.Affected, " ") != "<=1.15.9 >=1.16.0,<=1.16.7 >=1.17.0,<=1.17.2" {
		t.Errorf("old format: %+v", old.CVE)
	}
	if u := got["CVE-2099-0002"]; !u.APIServer || u.CVE.Unparsed == "" || len(u.CVE.Affected) != 0 {
		t.Errorf("unparseable: %+v", u.CVE)
	}
	if _, ok := got[""]; ok {
		t.Error("an item without a CVE id is skipped")
	}
}

func TestRangeFromLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"- kube-apiserver v1.32.0 - v1.32.5", ">=1.32.0,<=1.32.5"},
		{"- kube-apiserver <= v1.21.14", "<=1.21.14"},
		{"kube-apiserver < v1.15.10", "<1.15.10"},
		{"prior to v1.2.3", "<1.2.3"},
		{"v1.1-1.14", ">=1.1.0,<1.15.0"},
		{"kube-apiserver v1.21.0", "=1.21.0"},
		{"kube-apiserver 1.30", ">=1.30.0,<1.31.0"},
		{"v1.18.0 through v1.18.5", ">=1.18.0,<=1.18.5"},
		{"v1.20.0 and later", ">=1.20.0"},
		{"v1.5.0 - v1.4.0", ""},
		{"no versions", ""},
		{"v2.3.4", ""},
	} {
		got, _ := rangeFromLine(c.in)
		if got != c.want {
			t.Errorf("rangeFromLine(%q) = %q, want %q", c.in, got, c.want)
		}
		if got != "" {
			if _, err := ParseRange(got); err != nil {
				t.Errorf("%q: produced an invalid range: %v", c.in, err)
			}
		}
	}
}

func TestUpdate(t *testing.T) {
	f := readFeed(t)
	now := day("2026-11-27")
	d, res := Update(Embedded(), f, "testdata/feed.json", now)
	if strings.Join(res.Added, ",") != "CVE-2099-0001" || strings.Join(res.Unparsed, ",") != "CVE-2099-0002" ||
		res.Skipped != 2 || strings.Join(res.Curated, ",") != "CVE-2025-5187,CVE-2019-11254" || res.Items != 7 {
		t.Fatalf("result: %+v", res)
	}
	if d.CVEs.AsOf.String() != "2026-11-20" || d.Date.String() != "2026-11-27" || !strings.Contains(d.CVEs.Sources[0], "testdata/feed.json") {
		t.Fatalf("dates/sources: %s %s %v", d.CVEs.AsOf, d.Date, d.CVEs.Sources)
	}
	// The written file parses, keeps the curated entry as it was, and the
	// added CVE matches.
	b, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseData("out.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	for _, c := range back.CVEs.Items {
		if c.ID == "CVE-2025-5187" && (c.Origin != "curated" || strings.Join(c.Affected, " ") != "<1.31.12 >=1.32.0,<1.32.8 >=1.33.0,<1.33.4" || c.URL == "") {
			t.Errorf("curated entry changed: %+v", c)
		}
	}
	a := Merge(Embedded(), back).Assess(MustParse("v1.36.3"), "", now)
	if len(a.CVEs) != 1 || a.CVEs[0].ID != "CVE-2099-0001" || a.CVEs[0].FixedIn != "1.36.6" || a.CVEs[0].Severity != "high" {
		t.Fatalf("v1.36.3 with the updated data: %+v", a.CVEs)
	}
	if strings.Join(a.Unparsed, ",") != "CVE-2099-0002" {
		t.Fatalf("unparsed listed: %v", a.Unparsed)
	}
	// Updating again from the written file's CVEs re-reads feed entries.
	_, res2 := Update(back, f, "again", now)
	if strings.Join(res2.Added, ",") != "CVE-2099-0001" {
		t.Fatalf("second update: %+v", res2)
	}
}

func TestParseFeedErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"version": "https://jsonfeed.org/version/1.1"}`, "items: missing"},
		{`{"version": "1", "items": []}`, "want a JSON Feed"},
		{"{\n\"version\": ", "f.json:2: not JSON"},
		{`[]`, "not the Kubernetes CVE feed"},
	} {
		_, err := ParseFeed("f.json", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseFeed(%q): %v, want %q", c.in, err, c.want)
		}
	}
}

func TestFetch(t *testing.T) {
	body, _ := os.ReadFile("testdata/feed.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.json":
			w.Write(body)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/slow":
			time.Sleep(2 * time.Second)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if b, err := Fetch(ctx, srv.URL+"/feed.json", 5*time.Second, MaxDataSize); err != nil || len(b) != len(body) {
		t.Fatalf("fetch: %v", err)
	}
	if _, err := Fetch(ctx, srv.URL+"/big", 5*time.Second, 1024); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Fatalf("size bound: %v", err)
	}
	if _, err := Fetch(ctx, srv.URL+"/slow", 200*time.Millisecond, 1024); err == nil {
		t.Fatal("timeout")
	}
	if _, err := Fetch(ctx, srv.URL+"/nope", time.Second, 1024); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("status: %v", err)
	}
	if b, err := Fetch(ctx, "testdata/feed.json", time.Second, MaxDataSize); err != nil || len(b) != len(body) {
		t.Fatalf("file: %v", err)
	}
}

func TestLoadLocal(t *testing.T) {
	dir := t.TempDir()
	SetUserConfigDirForTest(dir)
	defer func() { userConfigDir = os.UserConfigDir }()
	d, err := Load("")
	if err != nil || d != Embedded() {
		t.Fatalf("no local file: embedded (%v)", err)
	}
	p, _ := DefaultLocalPath()
	if err := os.MkdirAll(dir+"/apiguard", 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("date: nope\n"), 0o644)
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("a broken local file is an error naming it: %v", err)
	}
	upd, _ := Update(Embedded(), readFeed(t), "feed", day("2026-11-27"))
	b, _ := upd.Encode()
	os.WriteFile(p, b, 0o644)
	d, err = Load("")
	if err != nil || d.CVEs.Origin != p {
		t.Fatalf("local CVEs used: %v %s", err, d.CVEs.Origin)
	}
	if _, err := Load(dir + "/missing.yaml"); err == nil {
		t.Fatal("an explicit file must exist")
	}
}

// FuzzParseFeed: any feed text parses or fails cleanly; parsed items never
// produce an invalid range, and Update's output always re-parses.
func FuzzParseFeed(f *testing.F) {
	b, _ := os.ReadFile("testdata/feed.json")
	f.Add(b)
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"CVE-2020-1","content_text":"#### Affected Versions\n- kube-apiserver v1.1 - v1.9999.1\n- kube-apiserver <= 1.2\n#### Fixed Versions\n- v1.2.3"}]}`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","items":[{"id":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := ParseFeed("fuzz", data)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			fc, ok := ParseFeedItem(it)
			if !ok {
				continue
			}
			for _, r := range fc.CVE.Affected {
				if _, err := ParseRange(r); err != nil {
					t.Fatalf("item %s gave invalid range %q: %v", fc.ID, r, err)
				}
			}
		}
		d, _ := Update(Embedded(), feed, "fuzz", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
		out, err := d.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseData("fuzz-out", out); err != nil {
			t.Fatalf("update output does not re-parse: %v", err)
		}
	})
}

// FuzzParseData: no data file panics the parser or the assessment.
func FuzzParseData(f *testing.F) {
	f.Add(EmbeddedYAML())
	f.Add([]byte("date: 2026-01-01\nreleases:\n  minors:\n  - {minor: \"1.30\", released: 2024-01-01, endOfLife: 2025-01-01, latest: \"1.30.2\"}\ncves:\n  items:\n  - {id: CVE-1-1, affected: [\">=1.30.0,<1.30.2\"], fixed: [\"1.30.2\"]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseData("fuzz", data)
		if err != nil {
			return
		}
		for _, v := range []string{"v1.30.1", "1.2", "v1.99.0-eks-1"} {
			_ = d.Assess(MustParse(v), "eks", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
		}
	})
}
