package cassandra_test

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targets/cassandra"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// counterDump writes a counter dump of parts×perPart rows into e's store:
// row n (k = n/10, c = n%10) counts n*3.
func counterDump(t *testing.T, e *env, parts, perPart int) {
	t.Helper()
	tbl := schema.Table{Keyspace: "src", Name: "ck", Counter: true, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "n", Type: "counter", Role: schema.Regular},
	}}
	var dump [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			rows = append(rows, format.Row{Values: [][]byte{loadtest.Int(n / 10), loadtest.Int(n % 10), loadtest.Bigint(int64(n) * 3)}})
		}
		dump = append(dump, rows)
	}
	loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: dump})
}

// checkCounters compares every counter of ck exactly with the dump's.
func checkCounters(t *testing.T, e *env, total int) {
	t.Helper()
	iter := e.s.Query("SELECT k, c, n FROM " + e.ks + ".ck").Consistency(gocql.One).Iter()
	var k, c int32
	var n int64
	rows, bad := 0, 0
	for iter.Scan(&k, &c, &n) {
		rows++
		if want := int64(k*10+c) * 3; n != want {
			if bad < 5 {
				t.Errorf("k=%d c=%d: %d, want %d", k, c, n, want)
			}
			bad++
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if rows != total {
		t.Errorf("%d rows, want %d", rows, total)
	}
	if bad > 0 {
		t.Errorf("%d counters wrong", bad)
	}
}

// startLoader starts the loader binary; the returned channel gets its
// exit.
func startLoader(t *testing.T, bin string, args ...string) (*exec.Cmd, <-chan error, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
	})
	return cmd, done, &out
}

// waitRows waits until ok(rows of ck) holds, failing when the loader
// exits first or a minute passes.
func waitRows(t *testing.T, e *env, done <-chan error, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var rows int
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the load finished first: %v (%d rows)", err, rows)
		case <-time.After(10 * time.Millisecond):
		}
		if e.s.Query("SELECT COUNT(*) FROM "+e.ks+".ck").Consistency(gocql.One).Scan(&rows) == nil && ok(rows) {
			return rows
		}
	}
	t.Fatalf("timed out waiting for the load (%d rows)", rows)
	return 0
}

// A forced reload of a loaded counter table, killed with SIGKILL after
// its TRUNCATE, must not leave the dump recorded as loaded: the next
// plain run loads it again, every counter exact, verified in full (the
// default for a counter table).
func TestCounterForceKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	const parts, perPart = 40, 250
	counterDump(t, e, parts, perPart)
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--workers", "4", "--claim-stale-after", "2s"}
	runCmd(t, bin, args...)
	checkCounters(t, e, parts*perPart)

	cmd, done, _ := startLoader(t, bin, append(args, "--force")...)
	rows := waitRows(t, e, done, func(n int) bool { return n > 500 && n < parts*perPart*3/4 })
	cmd.Process.Kill()
	<-done
	t.Logf("forced reload killed with %d of %d rows", rows, parts*perPart)

	time.Sleep(2500 * time.Millisecond) // the claim goes stale
	c := exec.Command(bin, args...)
	c.Env = os.Environ()
	out, err := c.CombinedOutput()
	t.Logf("next run: %v\n%s", err, out)
	if err != nil || !strings.Contains(string(out), "loaded b1/") || !strings.Contains(string(out), "verify full: passed") {
		t.Errorf("the run after a killed forced reload: %v, want the dump loaded again and verified in full\n%s", err, out)
	}
	checkCounters(t, e, parts*perPart)
}

// A loader paused (SIGSTOP) while holding a counter table's claim, whose
// claim another loader takes over, must not add a single increment when
// it resumes (SIGCONT) after the other loader truncated and loaded the
// table: every counter exact.
func TestCounterPausedLoader(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	const parts, perPart = 60, 250
	counterDump(t, e, parts, perPart)
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--workers", "16", "--parts", "4", "--claim-stale-after", "2s"}

	first, done, out1 := startLoader(t, bin, args...)
	rows := waitRows(t, e, done, func(n int) bool { return n > 1000 })
	first.Process.Signal(syscall.SIGSTOP)
	t.Logf("first loader paused with %d rows written", rows)
	time.Sleep(3 * time.Second) // its claim goes stale

	c := exec.Command(bin, append(args, "--verify", "full")...)
	c.Env = os.Environ()
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify full: passed") {
		t.Fatalf("second loader: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "took over") {
		t.Errorf("second loader did not say it took the claim over:\n%s", out)
	}
	checkCounters(t, e, parts*perPart)

	first.Process.Signal(syscall.SIGCONT)
	select {
	case err := <-done:
		t.Logf("first loader, resumed: %v\n%s", err, lastLines(out1.String(), 6))
		if err == nil {
			t.Errorf("the resumed first loader exited 0 although it lost its claim")
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the resumed first loader did not stop")
	}
	checkCounters(t, e, parts*perPart)
}

// A claim row with a null heartbeat (written by hand, or by a tool that
// knows only the owner) is neither taken as infinitely old nor held for
// ever: the first loader to see it starts its clock and refuses, and
// once the stale time passed the claim is taken over.
func TestCounterClaimNullHeartbeat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	counterDump(t, e, 2, 50)
	ct := e.ks + "." + cassandra.ClaimsTable
	e.exec("CREATE TABLE " + ct + " (name text PRIMARY KEY, owner text, since timestamp, heartbeat timestamp)")
	e.exec("INSERT INTO " + ct + " (name, owner) VALUES ('ck', 'someone else')")
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--claim-stale-after", "2s"}

	c := exec.Command(bin, args...)
	c.Env = os.Environ()
	out, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "someone else") {
		t.Fatalf("first run over a claim with no heartbeat: %v, want a refusal naming its owner\n%s", err, out)
	}
	var beat time.Time
	if err := e.s.Query("SELECT heartbeat FROM " + ct + " WHERE name = 'ck'").Consistency(gocql.One).Scan(&beat); err != nil || beat.IsZero() || time.Since(beat) > time.Minute {
		t.Errorf("heartbeat after the first run: %v, %v; want it started at the refusal", beat, err)
	}
	time.Sleep(2500 * time.Millisecond)
	c = exec.Command(bin, args...)
	c.Env = os.Environ()
	out, err = c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify full: passed") {
		t.Fatalf("run after the claim went stale: %v\n%s", err, out)
	}
	checkCounters(t, e, 100)
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
