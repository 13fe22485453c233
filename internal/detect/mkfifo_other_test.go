//go:build !unix

package detect

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
