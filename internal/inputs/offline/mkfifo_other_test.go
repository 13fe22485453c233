//go:build !unix

package offline

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
