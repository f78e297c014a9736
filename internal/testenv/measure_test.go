package testenv

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestRunMeasuredChildMemory: a tool that works in a child process (a
// shell running the test binary, which holds 200 MiB) is measured by its
// process tree's memory, not only by the small parent's own peak.
func TestRunMeasuredChildMemory(t *testing.T) {
	if os.Getenv("LADING_MEASURE_CHILD") == "1" {
		b := make([]byte, 200<<20)
		for i := range b {
			b[i] = byte(i)
		}
		time.Sleep(600 * time.Millisecond)
		os.Exit(int(b[len(b)-1]) - 255) // 0, and b stays live until here
	}
	cmd := exec.Command("sh", "-c", `"$0" -test.run '^TestRunMeasuredChildMemory$'; exit $?`, os.Args[0])
	cmd.Env = append(os.Environ(), "LADING_MEASURE_CHILD=1")
	m, err := RunMeasured(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if m.PeakRSS < 200<<20 {
		t.Errorf("peak RSS %d MiB, want at least the child's 200 MiB", m.PeakRSS>>20)
	}
	if m.CPU <= 0 || m.Wall < 600*time.Millisecond {
		t.Errorf("CPU %v, wall %v: the child's work is not counted", m.CPU, m.Wall)
	}
}
