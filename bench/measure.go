package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// The measures every bench takes the same way, so that their figures
// compare: CPU time (user + system) and the machine's load.

// cpuTime is the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return rusageCPU(&ru)
}

// childCPU is the user + system CPU time of cmd's process, which has
// exited; 0 where the platform does not say.
func childCPU(cmd *exec.Cmd) time.Duration {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return rusageCPU(ru)
	}
	return 0
}

func rusageCPU(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the one-minute load average (Linux), or "" where unknown:
// above the number of cores, wall times include waiting for a CPU
// (compare them with the CPU times).
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}
