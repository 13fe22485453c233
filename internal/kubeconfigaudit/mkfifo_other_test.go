//go:build !unix

package kubeconfigaudit

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
