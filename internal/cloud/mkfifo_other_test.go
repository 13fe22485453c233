//go:build !unix

package cloud

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
