package cassandra_test

import (
	"context"
	"encoding/json"
	"os"
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

// runLoader runs the loader binary and returns its exit code and output.
func runLoader(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	return testenv.RunCommand(t, bin, args...)
}

// simpleTable is k int, c int, v text, PRIMARY KEY (k, c).
func simpleTable(ks, name string) schema.Table {
	return schema.Table{Keyspace: ks, Name: name, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
}

// simpleRows returns n rows k=from+i/10, c=i%10, v=tag, with a TTL of
// ttl seconds when ttl > 0.
func simpleRows(from, n int, tag string, ttl int64) []format.Row {
	var rows []format.Row
	for i := range n {
		r := format.Row{Values: [][]byte{loadtest.Int(int32((from + i) / 10)), loadtest.Int(int32((from + i) % 10)), loadtest.Text(tag)}}
		if ttl > 0 {
			r.Writetime = [][]int64{nil, nil, {1000}}
			r.TTL = [][]int64{nil, nil, {ttl}}
		}
		rows = append(rows, r)
	}
	return rows
}

// readLoaded reads the only loaded record of a target table's ledger.
func readLoaded(t *testing.T, store *objstore.Bucket, table string) load.LoadedRecord {
	t.Helper()
	objs, _, err := store.ListAll(context.Background(), load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var rec load.LoadedRecord
	n := 0
	for _, o := range objs {
		if strings.Contains(o.Key, "/loaded/") && strings.Contains(o.Key, "."+table+"/") {
			data, err := store.ReadAll(context.Background(), o.Key)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &rec); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d loaded records of %s, want 1", n, table)
	}
	return rec
}

// The ledger keys a load by the table's id, which survives TRUNCATE,
// CREATE TABLE ... WITH ID and nodes that lost their data. A loaded
// dump over a table found empty (with rows that should still be live)
// is refused, naming --force, instead of "already loaded"; --force
// loads it again. Rows that have all expired since are no reason.
func TestTruncatedTableIsNotLoaded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	storeURL, store := s3Store(t, e)
	const rows = 60
	loadtest.Write(t, store, loadtest.Dump{Table: simpleTable("src", "kept"), Parts: [][]format.Row{simpleRows(0, rows/2, "a", 0), simpleRows(rows/2, rows/2, "b", 0)}})
	loadtest.Write(t, store, loadtest.Dump{Table: simpleTable("src", "brief"), Writetime: true, TTL: true, Parts: [][]format.Row{simpleRows(0, 10, "x", 10)}})
	report := filepath.Join(t.TempDir(), "report.json")
	args := func(table string, more ...string) []string {
		return append([]string{"--from", storeURL, "--to", e.target(), "--table", table, "--create-table",
			"--spool-dir", t.TempDir(), "--report", report}, more...)
	}

	if code, out := runLoader(t, bin, args("src.kept")...); code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("first load: exit %d\n%s", code, out)
	}
	refused := func(why string) {
		t.Helper()
		code, out := runLoader(t, bin, args("src.kept")...)
		if code != 2 || !strings.Contains(out, "--force") || !strings.Contains(out, "empty") {
			t.Errorf("after %s: exit %d, want 2 with a message naming --force and the empty table:\n%s", why, code, out)
		}
		if n := e.count("kept"); n != 0 {
			t.Errorf("after %s: the refused run wrote %d rows", why, n)
		}
	}
	e.exec("TRUNCATE " + e.ks + ".kept")
	refused("TRUNCATE")

	code, out := runLoader(t, bin, args("src.kept", "--force")...)
	if code != 0 || !strings.Contains(out, "loaded b1/src.kept/") || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--force after TRUNCATE: exit %d, want 0, loaded and counted\n%s", code, out)
	}
	if n := e.count("kept"); n != rows {
		t.Errorf("--force after TRUNCATE: %d rows, want %d", n, rows)
	}

	// A forced reload into a table that holds rows cannot count: the
	// summary line, the ledger and the report say the count was skipped.
	code, out = runLoader(t, bin, args("src.kept", "--force")...)
	if code != 0 || !strings.Contains(out, "verify count: skipped") {
		t.Errorf("--force over a full table: exit %d, want 0 and the count skipped\n%s", code, out)
	}
	if rec := readLoaded(t, store, "kept"); rec.Verify.Result != "skipped" || !strings.Contains(rec.Verify.Detail, "held rows") {
		t.Errorf("ledger after --force over a full table: verify %+v, want skipped saying why", rec.Verify)
	}
	if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"result":"skipped"`) {
		t.Errorf("report after --force over a full table does not say the count was skipped (%v):\n%s", err, data)
	}

	// The table dropped and created again with the same id: the same
	// incarnation to the ledger, and empty.
	var id gocql.UUID
	if err := e.s.Query("SELECT id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = 'kept'", e.ks).Scan(&id); err != nil {
		t.Fatal(err)
	}
	e.exec("DROP TABLE " + e.ks + ".kept")
	e.exec("CREATE TABLE " + e.ks + ".kept (k int, c int, v text, PRIMARY KEY (k, c)) WITH ID = " + id.String())
	refused("DROP and CREATE ... WITH ID")

	// Rows whose TTLs have all run out leave the table empty, as the
	// ledger knows: that is still "already loaded".
	if code, out := runLoader(t, bin, args("src.brief")...); code != 0 || !strings.Contains(out, "loaded b1/src.brief/") {
		t.Fatalf("load of expiring rows: exit %d\n%s", code, out)
	}
	rec := readLoaded(t, store, "brief")
	if rec.Counts.ExpiringRows != 10 {
		t.Fatalf("ledger of expiring rows: %+v, want 10 expiring", rec.Counts)
	}
	time.Sleep(time.Until(time.Unix(rec.Counts.ExpiryMax+2, 0)))
	if n := e.count("brief"); n != 0 {
		t.Fatalf("%d rows left after every TTL ran out", n)
	}
	if code, out := runLoader(t, bin, args("src.brief")...); code != 0 || !strings.Contains(out, "already loaded") {
		t.Errorf("after every row expired: exit %d, want 0 and already loaded\n%s", code, out)
	}
}
