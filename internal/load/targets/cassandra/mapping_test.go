package cassandra_test

import (
	"context"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
)

// tablesIn lists the tables of a keyspace.
func (e *env) tablesIn(ks string) []string {
	e.t.Helper()
	iter := e.s.Query("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", ks).Consistency(gocql.One).Iter()
	var out []string
	var name string
	for iter.Scan(&name) {
		out = append(out, name)
	}
	if err := iter.Close(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// ledgerObjects lists what the loader wrote below the ledger directory.
func ledgerObjects(t *testing.T, store *objstore.Bucket) []string {
	t.Helper()
	objs, _, err := store.ListAll(context.Background(), load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// Two source tables of one name in different keyspaces (ks1.users and
// ks2.users under one root) would both load into <keyspace>.users of the
// target, merged, or one skipped as "older". The loader refuses before
// writing anything unless a mapping sends each to a table of its own:
// --table (with --target-table), or --map SRC=DST.
func TestTwoSourcesOneTargetTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	storeURL, store := s3Store(t, e)
	loadtest.Write(t, store, loadtest.Dump{Timestamp: "20260102T000000Z", Table: simpleTable("ks1", "users"), Parts: [][]format.Row{simpleRows(0, 30, "one", 0)}})
	loadtest.Write(t, store, loadtest.Dump{Timestamp: "20260101T000000Z", Table: simpleTable("ks2", "users"), Parts: [][]format.Row{simpleRows(10, 30, "two", 0)}})
	base := []string{"--from", storeURL, "--to", e.target(), "--create-table", "--spool-dir", t.TempDir()}
	run := func(more ...string) (int, string) {
		return runLoader(t, bin, append(append([]string{}, base...), more...)...)
	}

	code, out := run()
	if code != 2 || !strings.Contains(out, "ks1.users") || !strings.Contains(out, "ks2.users") || !strings.Contains(out, "--map") {
		t.Errorf("two source tables into one target table: exit %d, want 2 naming both and --map:\n%s", code, out)
	}
	if tabs, objs := e.tablesIn(e.ks), ledgerObjects(t, store); len(tabs) != 0 || len(objs) != 0 {
		t.Fatalf("the refused run wrote: tables %v, ledger %v", tabs, objs)
	}

	for _, bad := range []struct{ args []string }{
		{[]string{"--map", "ks1users=u1"}},
		{[]string{"--map", "ks1.users="}},
		{[]string{"--map", "ks1.users=a.b"}},
		{[]string{"--map", "ks1.users=u1,ks1.users=u2"}},
		{[]string{"--map", "ks1.users=u", "--map", "ks2.users=u"}},
		{[]string{"--map", "ks1.users=u1", "--target-table", "u2", "--table", "ks1.users"}},
	} {
		code, out := run(bad.args...)
		if code != 2 || !strings.Contains(out, "--map") || strings.Count(strings.TrimSpace(out), "\n") > 1 {
			t.Errorf("%v: exit %d, want 2 with a one-line reason naming --map:\n%s", bad.args, code, out)
		}
	}
	if tabs := e.tablesIn(e.ks); len(tabs) != 0 {
		t.Fatalf("a refused --map wrote tables %v", tabs)
	}

	// One mapped away, the other keeps its name; repeatable and comma
	// lists both work.
	code, out = run("--map", "ks2.users=users_two", "--verify", "full")
	if code != 0 || strings.Count(out, "verify full: passed") != 2 {
		t.Fatalf("--map ks2.users=users_two: exit %d, want both loaded and verified:\n%s", code, out)
	}
	if n := e.count("users"); n != 30 {
		t.Errorf("users: %d rows, want 30", n)
	}
	if n := e.count("users_two"); n != 30 {
		t.Errorf("users_two: %d rows, want 30", n)
	}
	var v string
	if err := e.s.Query("SELECT v FROM " + e.ks + ".users WHERE k = 1 AND c = 5").Consistency(gocql.One).Scan(&v); err != nil || v != "one" {
		t.Errorf("users row (1, 5): %q %v, want ks1's %q", v, err, "one")
	}
	if err := e.s.Query("SELECT v FROM " + e.ks + ".users_two WHERE k = 1 AND c = 5").Consistency(gocql.One).Scan(&v); err != nil || v != "two" {
		t.Errorf("users_two row (1, 5): %q %v, want ks2's %q", v, err, "two")
	}

	// --table narrows to one source: no conflict.
	if code, out := run("--table", "ks1.users"); code != 0 || !strings.Contains(out, "already loaded b1/ks1.users/") {
		t.Errorf("--table ks1.users: exit %d\n%s", code, out)
	}
}
