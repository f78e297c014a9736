package cassandra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/pkg/manifest"
)

// checkStaticCounters compares every counter of table with the source's
// values: static s = 5 in partition 1 (5,000 rows), k*100 in the
// others; n = c+1 in every row.
func checkStaticCounters(t *testing.T, e *env, table string, small int) {
	t.Helper()
	iter := e.s.Query("SELECT k, c, s, n FROM " + e.ks + "." + table).Consistency(gocql.One).Iter()
	var k, c int32
	var s, n int64
	rows, bad := 0, 0
	for iter.Scan(&k, &c, &s, &n) {
		rows++
		wantS := int64(k) * 100
		if k == 1 {
			wantS = 5
		}
		if s != wantS || n != int64(c)+1 {
			if bad < 5 {
				t.Errorf("%s k=%d c=%d: s=%d n=%d, want s=%d n=%d", table, k, c, s, n, wantS, c+1)
			}
			bad++
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if want := 5000 + 3*small; rows != want {
		t.Errorf("%s: %d rows, want %d", table, rows, want)
	}
	if bad > 0 {
		t.Errorf("%s: %d rows with wrong counters", table, bad)
	}
}

// A partition whose rows span parts has its static counter incremented
// once, not once per part: exported by the real exporter with tiny parts
// so that a 5,000-row partition falls into several, loaded by the real
// loader. The default verification of a counter table compares values
// (full), and a forced reload verified in full passes with the same
// values.
func TestCounterStaticAcrossParts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	e := newEnv(t)
	bins := buildCommands(t)
	e.exec("CREATE TABLE " + e.ks + ".src (k int, c int, s counter static, n counter, PRIMARY KEY (k, c))")
	const small = 10
	add := func(k, c int) string {
		return fmt.Sprintf("UPDATE %s.src SET n = n + %d WHERE k = %d AND c = %d;", e.ks, c+1, k, c)
	}
	for c := 0; c < 5000; c += 100 {
		var b strings.Builder
		b.WriteString("BEGIN COUNTER BATCH ")
		for i := c; i < c+100; i++ {
			b.WriteString(add(1, i))
		}
		b.WriteString(" APPLY BATCH")
		e.exec(b.String())
	}
	e.exec("UPDATE " + e.ks + ".src SET s = s + 5 WHERE k = 1")
	for k := 2; k < 2+3; k++ {
		for c := range small {
			e.exec(strings.TrimSuffix(add(k, c), ";"))
		}
		e.exec(fmt.Sprintf("UPDATE %s.src SET s = s + %d WHERE k = %d", e.ks, k*100, k))
	}

	dumps := t.TempDir()
	runCmd(t, filepath.Join(bins, "exporter"), "--source", "cassandra://"+e.hosts, "--table", e.ks+".src", "--dest", "file://"+dumps, "--batch", "st", "--part-size", "1KiB")
	ms, _ := filepath.Glob(filepath.Join(dumps, "st", e.ks+".src", "*", manifest.ManifestName))
	if len(ms) != 1 {
		t.Fatalf("manifests: %v", ms)
	}
	data, err := os.ReadFile(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) < 3 {
		t.Fatalf("%d parts: want the 5,000-row partition to span several", len(m.Files))
	}
	t.Logf("%d parts", len(m.Files))

	loader := filepath.Join(bins, "loader")
	args := []string{"--from", "file://" + dumps, "--to", e.target(), "--create-table", "--target-table", "dst"}
	out := runCmd(t, loader, args...)
	t.Logf("loader: %s", strings.TrimSpace(out))
	if !strings.Contains(out, "verify full: passed") {
		t.Errorf("a counter table's default verification: %s, want verify full", strings.TrimSpace(out))
	}
	checkStaticCounters(t, e, "dst", small)

	cmd := exec.Command(loader, append(args, "--force", "--verify", "full")...)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "verify full: passed") {
		t.Errorf("forced reload verified in full: %v\n%s", err, b)
	}
	checkStaticCounters(t, e, "dst", small)
}
