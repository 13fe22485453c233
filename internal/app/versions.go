package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/spool"
	"github.com/apiguard/apiguard/internal/versions"
)

// VersionsCheckOptions: the version to judge, as given.
type VersionsCheckOptions struct {
	// Version is upstream or vendor ("v1.29.3-eks-adc7111").
	Version string
	// Platform is eks, gke or aks ("": from the version's suffix).
	Platform string
	// AsOf is a date, YYYY-MM-DD ("": Now).
	AsOf string
	Now  time.Time
	// Data is a versions data file ("": the local file when newer, else
	// the embedded data).
	Data string
}

// VersionsCheckResult is the version's support window, patch lag and CVEs.
type VersionsCheckResult struct {
	Assessment versions.Assessment
	// Failing: the minor is past its end of life, or a known CVE applies.
	Failing bool
}

// VersionsCheck judges a Kubernetes version against the versions data.
func VersionsCheck(o VersionsCheckOptions) (*VersionsCheckResult, error) {
	v, err := versions.Parse(o.Version)
	if err != nil {
		return nil, Input(err)
	}
	platform := strings.ToLower(o.Platform)
	if platform != "" && versions.PlatformName(platform) == "" {
		return nil, Input(fmt.Errorf("--platform %q: want eks, gke or aks", platform))
	}
	d, t, err := dataAsOf(o.Data, o.AsOf, o.Now)
	if err != nil {
		return nil, err
	}
	as := d.Assess(v, platform, t)
	return &VersionsCheckResult{Assessment: as, Failing: as.Support.Unsupported() || len(as.CVEs) > 0}, nil
}

// VersionsListOptions: when to judge, with which data.
type VersionsListOptions struct {
	AsOf string
	Now  time.Time
	Data string
}

// VersionsListResult is every minor of the data with its support status.
type VersionsListResult struct {
	AsOf   versions.Date
	Data   versions.DataInfo
	Minors []versions.MinorStatus
	// Describe names the data's origins and dates (versions.Data.Describe).
	Describe string
}

// VersionsList judges every minor of the versions data.
func VersionsList(o VersionsListOptions) (*VersionsListResult, error) {
	d, t, err := dataAsOf(o.Data, o.AsOf, o.Now)
	if err != nil {
		return nil, err
	}
	return &VersionsListResult{AsOf: versions.DateOf(t), Data: d.Info(t), Minors: d.MinorStatuses(t), Describe: d.Describe()}, nil
}

// VersionsUpdateOptions: the feed to read and the file to write.
type VersionsUpdateOptions struct {
	// Feed is the official CVE feed: a file or an http(s) URL.
	Feed string
	// Out is the data file ("": the local file scan and versions read).
	Out     string
	Timeout time.Duration
	Now     time.Time
}

// VersionsUpdateResult says what the feed held and what was written.
type VersionsUpdateResult struct {
	versions.UpdateResult
	Out      string
	CVEsAsOf versions.Date
}

// VersionsUpdate refreshes the CVE data from the feed into a local file.
func VersionsUpdate(ctx context.Context, o VersionsUpdateOptions) (*VersionsUpdateResult, error) {
	out := o.Out
	if out == "" {
		p, err := versions.DefaultLocalPath()
		if err != nil {
			return nil, Input(fmt.Errorf("--out: %v", err))
		}
		out = p
	}
	b, err := versions.Fetch(ctx, o.Feed, o.Timeout, versions.MaxDataSize)
	if err != nil {
		return nil, Input(fmt.Errorf("--feed: %w", err))
	}
	f, err := versions.ParseFeed(o.Feed, b)
	if err != nil {
		return nil, Input(err)
	}
	d, res := versions.Update(versions.Embedded(), f, o.Feed, o.Now)
	data, err := d.Encode()
	if err != nil {
		return nil, err
	}
	if err := writeDataFile(out, data); err != nil {
		return nil, Input(fmt.Errorf("--out: %w", err))
	}
	return &VersionsUpdateResult{UpdateResult: res, Out: out, CVEsAsOf: d.CVEs.AsOf}, nil
}

// writeDataFile replaces path atomically (spool.WriteFileAtomic), creating
// its directory; the file is 0644, as data files are.
func writeDataFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := spool.WriteFileAtomic(path, data); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// dataAsOf is the versions data and the date to judge at (--now).
func dataAsOf(path, date string, now time.Time) (*versions.Data, time.Time, error) {
	t, err := asOf(date, now)
	if err != nil {
		return nil, t, err
	}
	d, err := loadVersions(path)
	return d, t, err
}

func loadVersions(path string) (*versions.Data, error) {
	d, err := versions.Load(path)
	if err != nil {
		return nil, Input(fmt.Errorf("--versions-data: %w", err))
	}
	return d, nil
}

// asOf parses a --now date, or returns now.
func asOf(date string, now time.Time) (time.Time, error) {
	if date == "" {
		return now, nil
	}
	d, err := versions.ParseDate(date)
	if err != nil {
		return time.Time{}, Input(fmt.Errorf("--now: %v", err))
	}
	return d.Time, nil
}
