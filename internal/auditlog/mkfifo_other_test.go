//go:build !unix

package auditlog

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
