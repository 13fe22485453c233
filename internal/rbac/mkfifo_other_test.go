//go:build !unix

package rbac

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
