package spanner_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
)

// Killed with SIGKILL at random points, the loader binary resumes and
// finishes: every row once, verified in full, one ledger record a part.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	const parts, perPart = 24, 400
	var dump [][]format.Row
	for p := range parts {
		dump = append(dump, simpleRows(p*perPart/10, perPart, "row"))
	}
	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("k9"), Parts: dump})
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--target-table", e.table,
		"--workers", "4", "--parts", "2", "--spool-dir", t.TempDir()}
	countParts := func() int {
		objs, _, err := e.store.ListAll(context.Background(), load.LedgerDir, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if strings.Contains(o.Key, "/parts/") {
				n++
			}
		}
		return n
	}
	killed, midLoad := 0, 0
	for i := 0; killed < 5 && i < 10; i++ {
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		want := countParts() + 1 + rand.IntN(3)
		deadline := time.Now().Add(60 * time.Second)
		finished := false
		for !finished && countParts() < want && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Logf("run %d finished before it was killed: %v", i, err)
				finished = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		if finished {
			break
		}
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		cmd.Process.Kill()
		<-done
		killed++
		if recs := countParts(); recs > 0 && recs < parts {
			midLoad++
		}
		t.Logf("run %d killed with %d of %d parts recorded, %d rows in the table", i, countParts(), parts, e.count(e.table))
	}
	if killed < 3 || midLoad == 0 {
		t.Errorf("%d runs killed, %d of them mid-load: want at least 3 and 1", killed, midLoad)
	}
	code, out := runLoader(t, bin, append(args, "--verify", "full")...)
	if code != 0 || !strings.Contains(out, "verify full: passed") && !strings.Contains(out, "already loaded") {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	if n := e.count(e.table); n != parts*perPart {
		t.Errorf("%d rows, want %d", n, parts*perPart)
	}
	if n := countParts(); n != parts {
		t.Errorf("%d part records, want %d", n, parts)
	}
}

// A corrupt part fails the load with exit 3 and writes no row; a table
// dropped and created again by the loader is a new incarnation, so the
// dump loads again instead of being "already loaded".
func TestCorruptPartAndIncarnation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	m, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("inc"), Parts: [][]format.Row{simpleRows(0, 40, "a"), simpleRows(4, 40, "b")}})
	key := prefix + "/" + m.Files[1].Name
	good, err := e.store.ReadAll(e.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte{}, good...)
	bad[len(bad)/2] ^= 0x40
	if _, err := e.store.WriteAll(e.ctx, key, bad, nil); err != nil {
		t.Fatal(err)
	}
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--target-table", e.table, "--parts", "1", "--spool-dir", t.TempDir()}
	code, out := runLoader(t, bin, args...)
	if code != 3 || !strings.Contains(out, m.Files[1].Name) {
		t.Errorf("corrupt part: exit %d, want 3 naming the part:\n%s", code, out)
	}
	if n := e.count(e.table); n != 40 {
		// The first part is sound and loads; the corrupt second part
		// writes nothing.
		t.Errorf("%d rows after the corrupt part, want the first part's 40", n)
	}
	if recs := e.loadedRecords(); len(recs) != 0 {
		t.Errorf("recorded as loaded: %v", recs)
	}
	if _, err := e.store.WriteAll(e.ctx, key, good, nil); err != nil {
		t.Fatal(err)
	}
	if code, out := runLoader(t, bin, args...); code != 0 || !strings.Contains(out, "loaded") {
		t.Fatalf("repaired dump: exit %d\n%s", code, out)
	}
	if code, out := runLoader(t, bin, args...); code != 0 || !strings.Contains(out, "already loaded") {
		t.Fatalf("second run: exit %d, want already loaded\n%s", code, out)
	}

	// Drop the table; the loader creates it again, a new incarnation.
	e.ddl("DROP TABLE " + e.table)
	code, out = runLoader(t, bin, args...)
	if code != 0 || strings.Contains(out, "already loaded") || !strings.Contains(out, "verify count: passed") {
		t.Errorf("after drop and create: exit %d, want the dump loaded again\n%s", code, out)
	}
	if n := e.count(e.table); n != 80 {
		t.Errorf("%d rows after the reload, want 80", n)
	}
}
