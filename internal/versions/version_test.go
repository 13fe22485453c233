package versions

import "testing"

func TestParse(t *testing.T) {
	cases := []struct {
		in            string
		maj, min, pat int
		suffix        string
		wantErr       bool
	}{
		{"v1.36.3", 1, 36, 3, "", false},
		{"1.30.5-gke.1014001", 1, 30, 5, "-gke.1014001", false},
		{"v1.29.3-eks-adc7111", 1, 29, 3, "-eks-adc7111", false},
		{"v1.31.2+k3s1", 1, 31, 2, "+k3s1", false},
		{"1.36", 1, 36, 0, "", false},
		{"latest", 0, 0, 0, "", true},
		{"", 0, 0, 0, "", true},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if (err != nil) != c.wantErr {
			t.Fatalf("Parse(%q) err=%v, wantErr %v", c.in, err, c.wantErr)
		}
		if err != nil {
			continue
		}
		if v.Major != c.maj || v.Minor != c.min || v.Patch != c.pat || v.Suffix != c.suffix {
			t.Errorf("Parse(%q) = %+v", c.in, v)
		}
	}
}

func TestCompareIgnoresVendorSuffix(t *testing.T) {
	a, b := MustParse("v1.29.10-eks-1"), MustParse("v1.29.9")
	if a.Compare(b) != 1 || b.Compare(a) != -1 || a.Compare(MustParse("1.29.10")) != 0 {
		t.Fatal("compare must use X.Y.Z only")
	}
	if !a.AtLeastMinor(1, 29) || a.AtLeastMinor(1, 30) {
		t.Fatal("AtLeastMinor")
	}
}

func TestParseExtras(t *testing.T) {
	for _, c := range []struct {
		in       string
		hasPatch bool
		vendor   string
		upstream string
	}{
		{"v1.29.3-eks-adc7111", true, "eks", "v1.29.3"},
		{"1.30.5-gke.1014001", true, "gke", "v1.30.5"},
		{"v1.30.5", true, "", "v1.30.5"},
		{"v1.29.4+k3s1", true, "k3s", "v1.29.4"},
		{"v1.29.4+rke2r1", true, "rke2", "v1.29.4"},
		{"1.36", false, "", "v1.36"},
		{"1.36.x", false, "", "v1.36"},
	} {
		v, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if v.HasPatch != c.hasPatch || v.Vendor() != c.vendor || v.Upstream() != c.upstream {
			t.Errorf("Parse(%q) = %+v vendor %q upstream %q", c.in, v, v.Vendor(), v.Upstream())
		}
	}
	for _, bad := range []string{"1.1234567890", "x1.2.3", "1", "v.1.2"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) should fail", bad)
		}
	}
}

// FuzzParse: no input panics; a parsed version round-trips through String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"v1.36.3", "1.30.5-gke.1014001", "v1.29.3-eks-adc7111", "1.36", "v1.2.3.4", "", "v99999999.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		w, err := Parse(v.String())
		if err != nil || w.Compare(v) != 0 {
			t.Fatalf("%q → %s does not round-trip: %v", s, v, err)
		}
		_ = v.Vendor()
		_ = v.Upstream()
	})
}
