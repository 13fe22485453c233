// Package app holds apiguard's use cases: scan, probe, snapshot, the rbac
// queries, audit policy, audit scan, audit serve, versions and kubeconfig
// audit. Each takes an options struct and returns a result (or streams to
// the sinks it is given); it never parses flags, prints reports or decides
// exit codes: that is internal/cli's job, with internal/report rendering.
//
// Imports run one way: cmd → cli → app → {report, checks, engines} →
// inputs → parsers.
package app

import "errors"

// InputError is an error in what the user gave (a flag's value, a file, a
// cluster that cannot be read): the CLI exits 2 with its message.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Input marks err as an input error (nil stays nil).
func Input(err error) error {
	if err == nil {
		return nil
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{Err: err}
}

// IsInput reports whether err is (or wraps) an input error.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
