package cassandra_test

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// buildLoader returns the path of cmd/loader, built once per test
// process.
func buildLoader(t *testing.T) string {
	t.Helper()
	return filepath.Join(targettest.BuildCommands(t, "loader"), "loader")
}

// s3Store opens a fresh prefix of the test S3 bucket, emptied at the end.
func s3Store(t *testing.T, e *env) (string, *objstore.Bucket) {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	u := "s3://" + bucket + "/load-test/" + e.ks + "?endpoint=" + url.QueryEscape(endpoint)
	b := loadtest.ScratchStore(t, u)
	return u, b
}

// A counter load killed with SIGKILL leaves its claim behind; once the
// claim is stale the next run takes it over, truncates the table and
// loads the whole dump again: every counter exact, never doubled.
func TestCounterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	tbl := schema.Table{Keyspace: "src", Name: "ck", Counter: true, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "n", Type: "counter", Role: schema.Regular},
	}}
	const parts, perPart = 40, 250
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
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--workers", "4", "--claim-stale-after", "2s"}

	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	var rows int
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the load finished before it could be killed: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if e.s.Query("SELECT COUNT(*) FROM "+e.ks+".ck").Consistency(gocql.One).Scan(&rows) == nil && rows > 500 {
			break
		}
	}
	cmd.Process.Kill()
	<-done
	t.Logf("killed with %d of %d rows written", rows, parts*perPart)

	// At once, the claim is still held.
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "being loaded by") {
		t.Fatalf("run right after the kill: %v\n%s", err, out)
	}
	time.Sleep(2500 * time.Millisecond)
	out, err = exec.Command(bin, append(args, "--verify", "full")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify full: passed") {
		t.Fatalf("run after the claim went stale: %v\n%s", err, out)
	}
	if n := e.count("ck"); n != parts*perPart {
		t.Errorf("%d rows, want %d", n, parts*perPart)
	}
	iter := e.s.Query("SELECT k, c, n FROM " + e.ks + ".ck").Consistency(gocql.One).Iter()
	var k, c int32
	var n int64
	bad := 0
	for iter.Scan(&k, &c, &n) {
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
	if bad > 0 {
		t.Errorf("%d counters wrong", bad)
	}
}
