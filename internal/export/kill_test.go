package export_test

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/export/sourcetest"

	"github.com/lading-dev/lading/internal/cql/cqltest"
)

// exporterCmd returns the exporter binary run with args.
func exporterCmd(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(exporterBinary(t), args...)
	return cmd
}

// runToEnd runs the exporter to its exit and returns the exit code and
// output.
func runToEnd(t testing.TB, args ...string) (int, string) { return sourcetest.Run(t, args...) }

// checkOneDump fails unless the batch holds exactly one dump of table
// (one timestamp) and returns its prefix.
func checkOneDump(t testing.TB, dest, batch, table string) string {
	t.Helper()
	return sourcetest.OnlyDump(t, openRoot(t, dest), batch, table)
}

// The real binary, killed with SIGKILL at random moments and run again
// without --timestamp until it exits 0, leaves one exact dump.
func TestExportKill9(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 8000, 5, 10000)
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})
	dest := fileDest(t)
	args := []string{"--source", cqltest.URL(t), "--table", ks + ".kv", "--dest", dest, "--batch", "kill",
		"--splits", "48", "--parallel", "3", "--page-size", "200", "--part-size", "16KiB", "--log-level", "warn"}
	// The killed runs are slowed down so that each is cut short; the
	// rate is not an option of the plan, so the last run may go fast.
	slow := append(append([]string{}, args...), "--max-rate", "2000")
	exporterBinary(t) // build before timing anything
	root := openRoot(t, dest)
	const kills = 6
	for range kills {
		sourcetest.KillOnProgress(t, exporterCmd(t, slow...), 1200*time.Millisecond, sourcetest.Committed(t, root, "kill/"))
	}
	// The kills landed mid-export: some units committed, not all.
	prefix := checkOneDump(t, dest, "kill", ks+".kv")
	commits, _, err := root.ListAll(context.Background(), prefix+"/_state/commits/", "")
	if err != nil {
		t.Fatal(err)
	}
	parts, _, err := root.ListAll(context.Background(), prefix+"/part-", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %d kills: %d commits, %d parts", kills, len(commits), len(parts))
	if len(commits) == 0 {
		t.Errorf("no unit committed before the kills: the kills came too early to test resuming")
	}
	// An orphan as a run killed between closing a part and committing it
	// would leave: the finisher must delete it.
	orphan := prefix + "/part-" + strings.Repeat("0", 16) + "-deadbeef-000000.ndjson.zst"
	if _, err := root.WriteAll(context.Background(), orphan, []byte("orphan"), nil); err != nil {
		t.Fatal(err)
	}
	var code int
	var out string
	for try := 0; try < 5; try++ {
		if code, out = runToEnd(t, args...); code == 0 {
			break
		}
		t.Logf("re-run exited %d:\n%s", code, out)
	}
	if code != 0 {
		t.Fatalf("exporter never finished: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "dump complete") {
		t.Errorf("final run output: %s", out)
	}
	if p := checkOneDump(t, dest, "kill", ks+".kv"); p != prefix {
		t.Errorf("the final dump is %s, the killed runs wrote %s", p, prefix)
	}
	d := readDump(t, root, prefix)
	if d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest counts %d rows, the source has %d", d.m.Totals.Rows, n)
	}
	var units int
	if data, err := root.ReadAll(context.Background(), prefix+"/_state/plan.json"); err == nil {
		units = strings.Count(string(data), `"estimated_bytes"`)
	}
	if len(commits) >= units {
		t.Errorf("%d of %d units committed before the final run: the kills came too late to test resuming", len(commits), units)
	}
	compareKeys(t, d.keys, src)
	if code, out := runToEnd(t, args...); code != 0 || !strings.Contains(out, "dump already complete") {
		t.Errorf("run after completion: exit %d, %s", code, out)
	}
}

// Two exporters started at once on the same dump produce one complete,
// exact dump and leave no unlisted part.
func TestExportTwoAtOnce(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 6000, 5, 10000)
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})
	dest := s3Dest(t)
	args := []string{"--source", cqltest.URL(t), "--table", ks + ".kv", "--dest", dest, "--batch", "twice",
		"--splits", "32", "--parallel", "2", "--page-size", "500", "--part-size", "16KiB", "--log-level", "warn"}
	exporterBinary(t)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i] = runToEnd(t, args...)
		}()
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("exporter %d: exit %d\n%s", i, codes[i], outs[i])
		}
	}
	prefix := checkOneDump(t, dest, "twice", ks+".kv")
	d := readDump(t, openRoot(t, dest), prefix)
	if d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest counts %d rows, the source has %d", d.m.Totals.Rows, n)
	}
	compareKeys(t, d.keys, src)
}
