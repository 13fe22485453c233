// Package versions parses Kubernetes version strings, upstream and vendor
// ("v1.29.3-eks-adc7111", "1.30.5-gke.1014001"), by extracting X.Y.Z rather
// than by SemVer ordering: vendor suffixes would sort as pre-releases.
package versions

import (
	"fmt"
	"regexp"
	"strconv"
)

// Version is an upstream Kubernetes release with the vendor suffix kept apart.
type Version struct {
	Major, Minor, Patch int
	// Suffix is whatever followed X.Y.Z ("-eks-adc7111", "+k3s1", "-gke.100").
	Suffix string
	// Raw is the string it was parsed from.
	Raw string
}

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(.*)$`)

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
