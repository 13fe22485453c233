package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/inputs/offline"
)

// SnapshotOptions say what apiguard snapshot reads and where it writes.
type SnapshotOptions struct {
	Inputs
	// Out is the directory to write.
	Out string
	// Warn, when set, is told each problem of the inputs.
	Warn func(inputs.Problem)
}

// SnapshotResult says what was saved.
type SnapshotResult struct {
	Target     string
	Out        string
	APIServers int
}

// Snapshot saves what collection sees to a directory that Scan reads back
// (Inputs.Snapshot) with the same findings.
func Snapshot(ctx context.Context, o SnapshotOptions) (*SnapshotResult, error) {
	if o.Out == "" {
		return nil, Input(errors.New("--out DIR is required"))
	}
	c, err := Collect(ctx, o.Inputs)
	if err != nil {
		return nil, err
	}
	warn(o.Warn, c.Snapshot.Problems)
	if err := offline.SaveSnapshot(c.Snapshot, o.Out, c.Manifests); err != nil {
		return nil, Input(fmt.Errorf("writing snapshot: %w", err))
	}
	return &SnapshotResult{Target: c.Snapshot.Target, Out: o.Out, APIServers: len(c.Snapshot.APIServers)}, nil
}
