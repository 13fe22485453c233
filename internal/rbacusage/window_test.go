package rbacusage

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-11-01T12:00:00Z", want: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)},
		{in: "2026-11-01T12:00:00.5+01:00", want: time.Date(2026, 11, 1, 11, 0, 0, 5e8, time.UTC)},
		{in: "30d", want: now.Add(-30 * 24 * time.Hour)},
		{in: "12h", want: now.Add(-12 * time.Hour)},
		{in: "1d12h", want: now.Add(-36 * time.Hour)},
		{in: "2w", want: now.Add(-14 * 24 * time.Hour)},
		{in: "90m5s", want: now.Add(-90*time.Minute - 5*time.Second)},
		{in: "", bad: true},
		{in: "30", bad: true},
		{in: "d", bad: true},
		{in: "30y", bad: true},
		{in: "-3d", bad: true},
		{in: "1.5h", bad: true},
		{in: "99999999999999999999d", bad: true},
		{in: "2026-11-01", bad: true},
	} {
		got, err := ParseTime(c.in, now)
		if c.bad {
			if err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"30d", "1d12h", "2026-11-01T12:00:00Z", "9223372036854775807s", "1w1d1h1m1s", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now)
		if err != nil {
			return
		}
		if _, rfc := time.Parse(time.RFC3339Nano, s); rfc != nil && got.After(now) {
			t.Errorf("ParseTime(%q) = %v: a duration back from now is in the future", s, got)
		}
	})
}
