package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
)

// helperEnv makes the test binary act as a command whose behaviour the
// variable's value names, so Main (os.Args, signals, os.Exit) runs for real.
const helperEnv = "LADING_CLI_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helperMain(mode)
	}
	os.Exit(m.Run())
}

func helperMain(mode string) {
	os.Args = append([]string{"exporter"}, strings.Fields(os.Getenv(helperEnv+"_ARGS"))...)
	a := New("exporter", "test", "exporter [options]", "")
	a.Main(func(ctx context.Context, rt *Runtime) error {
		switch mode {
		case "ok":
			return nil
		case "verify":
			return fault.Verifyf("part-1: crc32c mismatch")
		case "wait":
			fmt.Fprintln(rt.Stdout, "ready")
			<-ctx.Done()
			return fmt.Errorf("scan: %w", ctx.Err())
		case "stubborn":
			fmt.Fprintln(rt.Stdout, "ready")
			time.Sleep(time.Minute)
			return nil
		}
		return errors.New("unknown helper mode")
	})
}

func helper(t *testing.T, mode string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperEnv+"_ARGS="+strings.Join(args, " "))
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run helper: %v", err)
	}
	return ee.ExitCode()
}

func TestMainExitCodes(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		args   []string
		code   int
		stderr string
	}{
		{"ok", nil, 0, ""},
		{"verify", nil, 3, "exporter: part-1: crc32c mismatch\n"},
		{"ok", []string{"--nope"}, 2, "exporter: unknown flag: --nope (see exporter --help)\n"},
	} {
		cmd := helper(t, tc.mode, tc.args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		code := exitCode(t, cmd.Run())
		if code != tc.code || stderr.String() != tc.stderr {
			t.Errorf("%s %v: exit %d stderr %q; want %d %q", tc.mode, tc.args, code, stderr.String(), tc.code, tc.stderr)
		}
	}
}

// startReady starts a helper and waits until its run function is running.
func startReady(t *testing.T, mode string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := helper(t, mode)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	return cmd, stderr
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("helper did not exit")
		return -1
	}
}

func TestMainSignalCancels(t *testing.T) {
	cmd, stderr := startReady(t, "wait")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != fault.ExitRetry {
		t.Fatalf("exit %d, want 1; stderr %q", code, stderr.String())
	}
	want := "exporter: interrupt: stopping (signal again to exit now)\n" +
		"exporter: interrupted by interrupt: scan: context canceled\n"
	if stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
}

func TestMainSecondSignalExits(t *testing.T) {
	cmd, stderr := startReady(t, "stubborn")
	cmd.Process.Signal(syscall.SIGTERM)
	// Wait until the first signal was handled before sending the second.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "stopping") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd); code != fault.ExitRetry {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "exporter: terminated again: exiting now\n") {
		t.Fatalf("stderr %q", stderr.String())
	}
}
