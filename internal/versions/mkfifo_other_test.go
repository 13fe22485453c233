//go:build !unix

package versions

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
