package main

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/testenv"
)

// A usage error found by the loader's checks of its options is one line
// and exit 2, with no "nothing to load" beside it (which reads like a
// run that had nothing to do).
func TestUsageErrorIsOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	bin := testenv.Command(t, "loader")
	from := "file://" + t.TempDir()
	for _, args := range [][]string{
		{"--max-rejects", "-1"},
		{"--verify", "sometimes"},
		{"--versions", "0"},
	} {
		code, out := testenv.RunCommand(t, bin, append([]string{"--from", from, "--to", "bigtable://p/i"}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(out), "\n") != 0 || strings.Contains(out, "nothing to load") || !strings.Contains(out, args[0]) {
			t.Errorf("%v: exit %d, want 2 and one line naming %s:\n%s", args, code, args[0], out)
		}
	}
}
