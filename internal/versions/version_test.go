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
