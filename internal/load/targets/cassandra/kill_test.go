package cassandra_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// buildLoader builds cmd/loader into a temporary directory.
func buildLoader(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "loader")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/lading-dev/lading/cmd/loader")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// s3Store opens a fresh prefix of the test S3 bucket, emptied at the end.
func s3Store(t *testing.T, e *env) (string, *objstore.Bucket) {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	u := "s3://" + bucket + "/load-test/" + e.ks + "?endpoint=" + url.QueryEscape(endpoint)
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		objs, _, _ := b.ListAll(context.Background(), "", "")
		for _, o := range objs {
			b.Delete(context.Background(), o.Key)
		}
		b.Close()
	})
	return u, b
}

// Killed with SIGKILL at random points, a load resumes and finishes:
// every row once, lists without duplicated elements, ledger consistent.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	storeURL, store := s3Store(t, e)
	tbl := schema.Table{Keyspace: "src", Name: "k9", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
		{Name: "st", Type: "set<int>", Role: schema.Regular},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	const parts, perPart = 48, 250
	var dump [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			rows = append(rows, format.Row{
				Values: [][]byte{loadtest.Int(n / 10), loadtest.Int(n % 10),
					loadtest.Coll(loadtest.Int(n), loadtest.Int(n), loadtest.Int(n+1)),
					loadtest.Coll(loadtest.Int(1), loadtest.Int(2)), loadtest.Text("row")},
				Writetime: [][]int64{nil, nil, {1000, 1000, 2000}, {1000, 3000}, {4000}},
			})
		}
		dump = append(dump, rows)
	}
	loadtest.Write(t, store, loadtest.Dump{Table: tbl, Writetime: true, Parts: dump})

	args := []string{"--from", storeURL, "--to", e.target(), "--create-table", "--workers", "4", "--parts", "2", "--spool-dir", t.TempDir()}
	killed, midLoad := 0, 0
	countParts := func() int {
		objs, _, err := store.ListAll(context.Background(), load.LedgerDir, "")
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
	for i := 0; killed < 6 && i < 12; i++ {
		a := append([]string{}, args...)
		if i%2 == 1 {
			a = append(a, "--spool-bytes", "0") // read twice
		}
		cmd := exec.Command(bin, a...)
		cmd.Env = os.Environ()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Kill at a random point after the load has made progress: once
		// one to three more parts are recorded, plus up to 150ms.
		want := countParts() + 1 + rand.IntN(4)
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
		delay := time.Duration(rand.IntN(40)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Kill()
		<-done
		killed++
		recs := countParts()
		if recs > 0 && recs < parts {
			midLoad++
		}
		t.Logf("run %d killed %s after part %d with %d of %d parts recorded, %d rows in the table", i, delay, want, recs, parts, e.count("k9"))
	}
	if killed < 5 || midLoad == 0 {
		t.Errorf("%d runs killed, %d of them mid-load: want at least 5 and 1", killed, midLoad)
	}
	out, err := exec.Command(bin, append(args, "--verify", "full")...).CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "verify full: passed") && !strings.Contains(string(out), "already loaded") {
		t.Errorf("final run did not verify: %s", out)
	}

	if n := e.count("k9"); n != parts*perPart {
		t.Errorf("%d rows, want %d", n, parts*perPart)
	}
	iter := e.s.Query("SELECT k, c, l, st FROM " + e.ks + ".k9").Consistency(gocql.One).Iter()
	var k, c int32
	var l, st []int32
	bad := 0
	for iter.Scan(&k, &c, &l, &st) {
		n := k*10 + c
		if len(l) != 3 || l[0] != n || l[1] != n || l[2] != n+1 || len(st) != 2 {
			if bad < 5 {
				t.Errorf("row %d: l=%v st=%v, want [%d %d %d] and 2 set elements", n, l, st, n, n, n+1)
			}
			bad++
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d rows with wrong lists or sets", bad)
	}

	// The ledger: one loaded record with every part counted, one record
	// per part.
	objs, _, err := store.ListAll(context.Background(), load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var loadedKey string
	partRecs := 0
	for _, o := range objs {
		switch {
		case strings.Contains(o.Key, "/loaded/"):
			if loadedKey != "" {
				t.Errorf("two loaded records: %s, %s", loadedKey, o.Key)
			}
			loadedKey = o.Key
		case strings.Contains(o.Key, "/parts/"):
			partRecs++
		}
	}
	if partRecs != parts {
		t.Errorf("%d part records, want %d", partRecs, parts)
	}
	data, err := store.ReadAll(context.Background(), loadedKey)
	if err != nil {
		t.Fatalf("loaded record: %v", err)
	}
	var rec load.LoadedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Counts.Rows != parts*perPart || rec.Counts.RowsWritten != parts*perPart || rec.Verify.Result != "passed" {
		t.Errorf("loaded record %+v", rec)
	}
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
