// Package versions parses Kubernetes version strings, upstream and vendor
// ("v1.29.3-eks-adc7111", "1.30.5-gke.1014001"), by extracting X.Y.Z rather
// than by SemVer ordering: vendor suffixes would sort as pre-releases.
package versions

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is an upstream Kubernetes release with the vendor suffix kept apart.
type Version struct {
	Major, Minor, Patch int
	// Suffix is whatever followed X.Y.Z ("-eks-adc7111", "+k3s1", "-gke.100").
	Suffix string
	// Raw is the string it was parsed from.
	Raw string
	// HasPatch is false when the string named only X.Y ("1.36"): patch
	// currency and CVE ranges cannot be judged on it.
	HasPatch bool
}

var versionRE = regexp.MustCompile(`^v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?([^0-9].*)?$`)

// Parse extracts X.Y[.Z] from a version string. The patch is optional
// ("1.36" from an image tag or EKS platform name).
func Parse(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a Kubernetes version (want vX.Y.Z)", s)
	}
	v := Version{Raw: s, Suffix: m[4]}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
		v.HasPatch = true
	}
	return v, nil
}

// MustParse is for literals in tables.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Vendor names the distribution a vendor suffix identifies: "eks"
// ("-eks-adc7111"), "gke" ("-gke.1014001"), "k3s" ("+k3s1"), "rke2"
// ("+rke2r1"), or "" (upstream, AKS, or unknown).
func (v Version) Vendor() string {
	s := strings.ToLower(v.Suffix)
	switch {
	case strings.HasPrefix(s, "-eks-") || strings.HasPrefix(s, "-eks."):
		return "eks"
	case strings.HasPrefix(s, "-gke."):
		return "gke"
	case strings.HasPrefix(s, "+k3s"):
		return "k3s"
	case strings.HasPrefix(s, "+rke2"):
		return "rke2"
	}
	return ""
}

// Upstream is "v1.29.3" for "v1.29.3-eks-adc7111", or "v1.29" when the
// patch was not given.
func (v Version) Upstream() string {
	if !v.HasPatch {
		return fmt.Sprintf("v%d.%d", v.Major, v.Minor)
	}
	return v.String()
}

// IsZero reports an unknown version.
func (v Version) IsZero() bool { return v.Major == 0 && v.Minor == 0 && v.Patch == 0 }

// MinorString is "1.36".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v Version) String() string { return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare orders on X.Y.Z only.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// AtLeastMinor reports whether v is minor "1.N" or newer.
func (v Version) AtLeastMinor(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// AtLeast reports whether v is the minor "1.N" (or "v1.N.P") or newer; an
// empty minor is always satisfied.
func (v Version) AtLeast(minor string) bool {
	if minor == "" {
		return true
	}
	m := MustParse(minor)
	return v.AtLeastMinor(m.Major, m.Minor)
}
