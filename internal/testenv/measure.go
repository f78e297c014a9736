package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
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
	// resident memory (VmHWM), sampled while it runs, or the largest sum
	// of the resident memory of the process and its descendants seen in
	// the samples when that is more (a tool that works in child processes,
	// like cqlsh's COPY). The rusage of a child counts the memory of the
	// test process it was forked from, which is large in benchmarks, so
	// Maxrss is not used.
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
	for tick := 0; ; tick++ {
		if hwm := vmHWM(cmd.Process.Pid); hwm > m.PeakRSS {
			m.PeakRSS = hwm
		}
		// The tree's sum is dearer to read: every 100 ms.
		if tick%10 == 0 {
			if sum := treeRSS(cmd.Process.Pid); sum > m.PeakRSS {
				m.PeakRSS = sum
			}
		}
		select {
		case err = <-done:
		case <-time.After(10 * time.Millisecond):
			continue
		}
		break
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

// treeRSS returns the resident memory of pid and all its descendants
// now (VmRSS, found through /proc/PID/task/TID/children), or 0.
func treeRSS(pid int) int64 {
	var sum int64
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		sum += statusField(p, "VmRSS:")
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		for _, t := range tasks {
			data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", p, t.Name()))
			for _, f := range strings.Fields(string(data)) {
				if c, err := strconv.Atoi(f); err == nil {
					todo = append(todo, c)
				}
			}
		}
	}
	return sum
}

// vmHWM returns a running process's peak resident memory in bytes
// (VmHWM in /proc/PID/status), or 0 once it has ended.
func vmHWM(pid int) int64 { return statusField(pid, "VmHWM:") }

// statusField returns a kB field of /proc/PID/status in bytes, or 0.
func statusField(pid int, name string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchRows returns LADING_BENCH_ROWS, the size of a benchmark's data,
// or def when it is unset; a value that is not a positive number fails
// the benchmark.
func BenchRows(t testing.TB, def int) int { return EnvPositive(t, "LADING_BENCH_ROWS", def) }

// EnvPositive returns the positive number in the environment variable
// name (a benchmark's knob), or def when it is unset; any other value
// fails t.
func EnvPositive(t testing.TB, name string, def int) int {
	n := EnvInt(t, name, def)
	if n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, os.Getenv(name))
	}
	return n
}

// EnvInt returns the number in the environment variable name, or def
// when it is unset; a value that is not a number fails t.
func EnvInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}
