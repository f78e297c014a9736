package spanner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
)

// --route-file sends each table to its own target (one to Spanner, one
// to Cassandra), each with its own ledger; a table in no route is skipped
// with a log line; a second run finds both loaded.
func TestRouteFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cass := "cassandra://" + testenv.CassandraHosts(t) + "/" + ks

	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable(e.table), Parts: [][]format.Row{simpleRows(0, 30, "to spanner")}})
	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("to_cassandra"), Parts: [][]format.Row{simpleRows(0, 20, "to cassandra")}})
	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("nowhere"), Parts: [][]format.Row{simpleRows(0, 10, "x")}})
	routes := filepath.Join(t.TempDir(), "routes.txt")
	text := "# table=target\nsrc." + e.table + "=" + e.target() + "\n\nsrc.to_cassandra = " + cass + "\n"
	if err := os.WriteFile(routes, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--from", e.storeURL, "--route-file", routes, "--create-table", "--spool-dir", t.TempDir()}
	code, out := runLoader(t, bin, args...)
	if code != 0 || !strings.Contains(out, "loaded b1/src."+e.table+"/20260101T000000Z into spanner:") ||
		!strings.Contains(out, "loaded b1/src.to_cassandra/20260101T000000Z into cassandra:") ||
		!strings.Contains(out, "skipped: no route for this table") || !strings.Contains(out, "src.nowhere") {
		t.Fatalf("routed run: exit %d\n%s", code, out)
	}
	if n := e.count(e.table); n != 30 {
		t.Errorf("spanner: %d rows, want 30", n)
	}
	var n int
	if err := s.Driver().Query("SELECT COUNT(*) FROM " + ks + ".to_cassandra").Scan(&n); err != nil || n != 20 {
		t.Errorf("cassandra: %d rows (%v), want 20", n, err)
	}
	if err := s.Driver().Query("SELECT COUNT(*) FROM " + ks + ".nowhere").Scan(&n); err == nil {
		t.Errorf("the unrouted table was created")
	}
	code, out = runLoader(t, bin, args...)
	if code != 0 || strings.Count(out, "\nalready loaded b1/") != 2 {
		t.Errorf("second run: exit %d, want both already loaded\n%s", code, out)
	}

	for _, bad := range [][]string{
		{"--to", e.target()},    // --to and --route-file
		{"--target-table", "x"}, // renaming is --map's
	} {
		if code, out := runLoader(t, bin, append(append([]string{}, args...), bad...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, out)
		}
	}
	if err := os.WriteFile(routes, []byte("src.a=cassandra://h/k\nsrc.a=spanner://projects/p/instances/i/databases/d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runLoader(t, bin, args...); code != 2 || !strings.Contains(out, "routed twice") {
		t.Errorf("a table routed twice: exit %d, want 2\n%s", code, out)
	}
}
