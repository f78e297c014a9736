package snowflake

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// killLeavesNoStagingTable: the real loader, loading into a table that
// holds a row (so through the transient staging table and MERGE), is
// killed with SIGKILL once its staging table exists (between the staging
// COPYs and the DROP); the table is left behind. The re-run drops it,
// and the table holds exactly the dump's rows.
func killLeavesNoStagingTable(t *testing.T, bins string) {
	rc := newReplaceCase(t, 6)
	exec(t, rc.h.db, `DELETE FROM `+rc.table.String()+` WHERE "k" >= 100`) // keep (3, 0, 'old'), which the dump overwrites
	args := []string{"--from", rc.from, "--to", rc.target, "--copy-parts", "1", "--spool-dir", t.TempDir()}
	var left []string
	for i := 0; i < 5 && len(left) == 0; i++ {
		cmd := osexec.Command(filepath.Join(bins, "loader"), args...)
		cmd.Env = append(os.Environ(), EnvPassword+"=pw")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		finished := false
		for deadline := time.Now().Add(30 * time.Second); !finished && len(loaderTables(t, rc.h, rc.table)) == 0 && time.Now().Before(deadline); {
			select {
			case <-done:
				finished = true
			case <-time.After(2 * time.Millisecond):
			}
		}
		if !finished {
			cmd.Process.Kill()
			<-done
		}
		left = loaderTables(t, rc.h, rc.table)
	}
	if len(left) == 0 {
		t.Fatal("no run was killed while its staging table existed")
	}
	t.Logf("left behind by the kill: %v", left)
	code, out := runLoader(t, bins, "pw", args...)
	if code != 0 || !strings.Contains(out, "loaded ") {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}
	rc.checkExact(t)
}

// oneMergePerDump: a dump of 6 parts into a table that has rows, one part
// per COPY: six COPYs into the staging table, then one MERGE for the
// dump (not one per group, which would be quadratic), and exactly the
// dump's rows in the table.
func oneMergePerDump(t *testing.T, bins string) {
	rc := newReplaceCase(t, 6)
	exec(t, rc.h.db, `DELETE FROM `+rc.table.String()+` WHERE "k" >= 100`) // keep (3, 0, 'old'), which the dump overwrites
	copies, merges := rc.h.f.Statements("COPY"), rc.h.f.Statements("MERGE")
	code, out := runLoader(t, bins, "pw", "--from", rc.from, "--to", rc.target, "--copy-parts", "1", "--spool-dir", t.TempDir())
	if code != 0 || !strings.Contains(out, "loaded ") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if c, m := rc.h.f.Statements("COPY")-copies, rc.h.f.Statements("MERGE")-merges; c != 6 || m != 1 {
		t.Errorf("the load sent %d COPY and %d MERGE statements, want 6 COPYs (one a part) and one MERGE", c, m)
	}
	rc.checkExact(t)
}
