package bigtable

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/testenv"
)

// TestVersionsFlagRefusesZero: --versions 0 (or less) is a usage error
// naming the flag, one line, exit 2, and no table is created; it used to
// create the table with one version as if the flag were not given.
func TestVersionsFlagRefusesZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newBTEnv(t)
	from := e.writeFixture(t)
	bin := testenv.Command(t, "loader")
	for _, v := range []string{"0", "-2"} {
		code, out := testenv.RunCommand(t, bin, "--from", from, "--to", e.target(), "--create-table", "--versions", v, "--spool-dir", t.TempDir())
		if code != 2 || !strings.Contains(out, "--versions "+v) || strings.Count(strings.TrimSpace(out), "\n") > 0 {
			t.Errorf("--versions %s: exit %d, want 2 and one line naming it:\n%s", v, code, out)
		}
	}
	if tables, err := e.admin.Tables(e.ctx); err != nil || len(tables) != 0 {
		t.Errorf("tables %v (%v), want none", tables, err)
	}
	if code, out := testenv.RunCommand(t, bin, "--help"); code != 0 || !strings.Contains(out, "--versions") {
		t.Errorf("--help: exit %d, no --versions:\n%s", code, out)
	}
}
