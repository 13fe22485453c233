package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"
)

var vmHWM = regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`)

// runPeak runs cmd and returns the peak resident set of its process, read
// from /proc/PID/status (VmHWM) every few milliseconds while it runs.
// (The child's ru_maxrss is not that: Go starts children with vfork, and
// Linux carries the high-water mark of the memory the child shared with
// this process into it, so after a big in-process bench the child seems as
// big as its parent.)
func runPeak(cmd *exec.Cmd) (peakKiB int64, err error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
		for {
			if b, err := os.ReadFile(path); err == nil {
				if m := vmHWM.FindSubmatch(b); m != nil {
					if kb, _ := strconv.ParseInt(string(m[1]), 10, 64); kb > peak.Load() {
						peak.Store(kb)
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	return peak.Load(), err
}
