package rbacusage

import (
	"fmt"
	"math"
	"time"
)

// ParseTime reads a --since or --until value: an RFC 3339 time, or a
// duration back from now: whole numbers with units w (7 days), d (24
// hours), h, m and s, in any combination ("30d", "12h", "1d12h").
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-11-01T12:00:00Z) or a duration back from now (30d, 12h, 1d12h)", s)
	}
	return now.Add(-d), nil
}

var units = map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}

func parseAgo(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		start := i
		var n int64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n > (math.MaxInt64-9)/10 {
				return 0, fmt.Errorf("too large")
			}
			n = n*10 + int64(s[i]-'0')
			i++
		}
		if i == start || i == len(s) {
			return 0, fmt.Errorf("want a number and a unit")
		}
		u, ok := units[s[i]]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q", s[i])
		}
		i++
		if n > int64(math.MaxInt64/u) || total > math.MaxInt64-time.Duration(n)*u {
			return 0, fmt.Errorf("too large")
		}
		total += time.Duration(n) * u
	}
	return total, nil
}
