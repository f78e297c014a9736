package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Measured is what a benchmark or memory test learns of a real process:
// its wall time, its own CPU time, and its peak resident memory.
type Measured struct {
	Wall time.Duration
	// CPU is user plus system time of the process (and of children it
	// waited for).
	CPU time.Duration
	// PeakRSS is the kernel's high-water mark of the process's own
	// resident memory (VmHWM), sampled while it runs. The rusage of a
	// child counts the memory of the test process it was forked from,
	// which is large in benchmarks, so Maxrss is not used.
	PeakRSS int64
}

// RunMeasured starts cmd, samples its peak resident memory every 10 ms
// until it ends, and returns what it measured with cmd's exit error.
func RunMeasured(cmd *exec.Cmd) (Measured, error) {
	var m Measured
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	for waiting := true; waiting; {
		if hwm := vmHWM(cmd.Process.Pid); hwm > m.PeakRSS {
			m.PeakRSS = hwm
		}
		select {
		case err = <-done:
			waiting = false
		case <-time.After(10 * time.Millisecond):
		}
	}
	m.Wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		m.CPU = ps.UserTime() + ps.SystemTime()
	}
	return m, err
}

// SelfCPU returns the CPU time (user plus system) the calling process
// has used so far, to measure work done in the test process itself.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM returns a running process's peak resident memory in bytes
// (VmHWM in /proc/PID/status), or 0 once it has ended.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
