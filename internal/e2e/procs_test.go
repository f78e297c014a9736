//go:build chaos

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
)

// buildBinaries builds exporter, shipper and loader into dir.
func buildBinaries(dir string) (map[string]string, error) {
	if err := testenv.BuildCommands(dir, "exporter", "shipper", "loader"); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for _, name := range []string{"exporter", "shipper", "loader"} {
		bins[name] = filepath.Join(dir, name)
	}
	return bins, nil
}

// killPlan says when a run is killed with SIGKILL: after After (0:
// never by time), or as soon as When returns true (polled every few
// milliseconds; nil: never), whichever comes first.
type killPlan struct {
	After time.Duration
	When  func() bool
	// Why names the plan in logs ("at 1.2s", "while finishing").
	Why string
}

// outcome is how one run of a command ended.
type outcome struct {
	// Code is the exit code; -1 when the run was killed.
	Code   int
	Killed bool
	// Crashed: a Go panic or a signal the test did not send.
	Crashed bool
	Out     string
	Dur     time.Duration
}

func (o outcome) String() string {
	switch {
	case o.Killed:
		return fmt.Sprintf("killed after %s", o.Dur.Round(time.Millisecond))
	case o.Crashed:
		return fmt.Sprintf("crashed after %s", o.Dur.Round(time.Millisecond))
	}
	return fmt.Sprintf("exit %d after %s", o.Code, o.Dur.Round(time.Millisecond))
}

// runOnce runs bin with args, kills it as kp says, and fails the test if
// it outlives limit (a hang is a bug too). Errors starting the process
// are returned; everything about how it ended is in the outcome.
func runOnce(bin string, args []string, kp killPlan, limit time.Duration) (outcome, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return outcome{}, fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if kp.After > 0 {
		tm := time.NewTimer(kp.After)
		defer tm.Stop()
		timer = tm.C
	}
	var poll <-chan time.Time
	if kp.When != nil {
		tk := time.NewTicker(3 * time.Millisecond)
		defer tk.Stop()
		poll = tk.C
	}
	hang := time.NewTimer(limit)
	defer hang.Stop()
	killed, hung := false, false
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-timer:
			killed = true
			cmd.Process.Signal(syscall.SIGKILL)
			timer, poll = nil, nil
		case <-poll:
			if kp.When() {
				killed = true
				cmd.Process.Signal(syscall.SIGKILL)
				timer, poll = nil, nil
			}
		case <-hang.C:
			hung = true
			cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	o := outcome{Out: out.String(), Dur: time.Since(start)}
	if hung {
		return o, fmt.Errorf("%s %s still running after %s (hung?); output:\n%s", filepath.Base(bin), strings.Join(args, " "), limit, o.Out)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		// A run that exited just as the kill came is a normal exit.
		o.Code = 0
	case errors.As(err, &ee):
		ws, _ := ee.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled() && ws.Signal() == syscall.SIGKILL && killed:
			o.Code, o.Killed = -1, true
		case ws.Signaled():
			o.Code, o.Crashed = -1, true
		default:
			o.Code = ee.ExitCode()
			// Go exits 2 on a panic, like a usage error: tell them apart.
			o.Crashed = o.Code == 2 && (strings.Contains(o.Out, "panic:") || strings.Contains(o.Out, "fatal error:"))
		}
	default:
		return o, fmt.Errorf("wait for %s: %w", filepath.Base(bin), err)
	}
	return o, nil
}

// run runs one command with runOnce, counts the run and its retries in
// f, and returns its outcome and --report (ok false when it left none).
func (f *stageFigures) run(t *testing.T, bin string, args []string, kp killPlan, limit time.Duration, report string) (outcome, runReport, bool) {
	t.Helper()
	o, err := runOnce(bin, args, kp, limit)
	f.Runs++
	if err != nil {
		t.Fatal(err)
	}
	rep, ok, err := readReportIfAny(report)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		f.Retries += rep.Counters["retries"]
	}
	return o, rep, ok
}

// readReportIfAny reads a --report file; ok is false when the run left none
// (it was killed).
func readReportIfAny(path string) (r runReport, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return runReport{}, false, nil
	}
	if err != nil {
		return runReport{}, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return runReport{}, false, fmt.Errorf("report %s: %w\n%s", path, err, data)
	}
	return r, true, nil
}

// tail returns the last n lines of s, for logs.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
