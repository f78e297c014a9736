package testenv

import (
	"errors"
	"os/exec"
	"testing"
)

// RunCommand runs a built command to its end and returns its exit code
// and its output (stdout and stderr together). A command that could not
// be run at all fails the test.
func RunCommand(t testing.TB, bin string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("run %s: %v\n%s", bin, err, out)
	return -1, ""
}
