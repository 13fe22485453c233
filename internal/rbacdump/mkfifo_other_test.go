//go:build !unix

package rbacdump

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
