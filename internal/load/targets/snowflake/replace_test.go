package snowflake

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv/snowfront"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// replaceCase is a file:// store holding a kv dump of parts×5 rows, and a
// target table "rep" that already holds other rows: two keys the dump
// lacks and one it has, with another value.
type replaceCase struct {
	h      *harness
	store  *objstore.Bucket
	from   string
	target string
	table  tableName
	tbl    schema.Table
	want   [][]format.Row
}

func newReplaceCase(t *testing.T, parts int) *replaceCase {
	t.Helper()
	rc := newDumpCase(t, front(t), parts)
	cols, err := columns(&rc.tbl, false, false)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, rc.h.db, createTableSQL(rc.table, cols, newIncarnation()))
	exec(t, rc.h.db, `INSERT INTO `+rc.table.String()+` ("k", "c", "v") VALUES (100, 0, 'old'), (101, 0, 'old'), (3, 0, 'old')`)
	return rc
}

// newDumpCase writes a dump of parts parts of table "rep" to a file
// store and names the target table through front f; the table is not
// created.
func newDumpCase(t *testing.T, f *snowfront.Front, parts int) *replaceCase {
	t.Helper()
	rc := &replaceCase{h: &harness{db: standIn(t), f: f}, tbl: kvTable("rep"), want: kvParts(parts, 5)}
	rc.store, rc.from = loadtest.FileStore(t)
	loadtest.Write(t, rc.store, loadtest.Dump{Table: rc.tbl, Parts: rc.want})
	if err := rc.tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	rc.target = rc.h.NewTarget(t)
	rc.table = of(t, rc.target, "rep")
	return rc
}

// checkExact: the table holds exactly the dump's rows, once each, and
// no table of the loader's (fresh or staging) is left beside it.
func (rc *replaceCase) checkExact(t *testing.T) {
	t.Helper()
	key := func(r format.Row) string {
		var parts []string
		for _, v := range r.Values {
			parts = append(parts, hex.EncodeToString(v))
		}
		return strings.Join(parts, "/")
	}
	var want, got []string
	for _, p := range rc.want {
		for _, r := range p {
			want = append(want, key(r))
		}
	}
	for _, r := range rc.h.ReadRows(t, rc.target, "rep", rc.tbl.Columns) {
		got = append(got, key(r))
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s holds %d rows, want exactly the dump's %d:\ngot  %v\nwant %v", rc.table, len(got), len(want), got, want)
	}
	if left := loaderTables(t, rc.h, rc.table); len(left) > 0 {
		t.Errorf("tables left beside %s: %v", rc.table, left)
	}
}

// loaderTables lists the tables named like the loader's fresh and
// staging tables of table t.
func loaderTables(t *testing.T, h *harness, tn tableName) []string {
	t.Helper()
	rows, err := h.db.Query(`SELECT TABLE_NAME FROM `+quoteIdent(tn.DB)+`.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?`, tn.Schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(n, tn.Table+"__lading_") {
			out = append(out, n)
		}
	}
	return out
}

func (rc *replaceCase) load(t *testing.T, bins string, args ...string) (int, string) {
	t.Helper()
	return runLoader(t, bins, "pw", append([]string{"--from", rc.from, "--to", rc.target, "--mode", "replace"}, args...)...)
}

// replaceIntoTableWithRows: --mode replace over a table holding other
// rows leaves exactly the dump's rows (the old ones gone, a key of both
// with the dump's value); a re-run is a no-op.
func replaceIntoTableWithRows(t *testing.T, bins string) {
	rc := newReplaceCase(t, 3)
	code, out := rc.load(t, bins)
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--mode replace: exit %d\n%s", code, out)
	}
	rc.checkExact(t)
	code, out = rc.load(t, bins)
	if code != 0 || !strings.Contains(out, "already loaded") {
		t.Fatalf("re-run of a completed replace: exit %d, want 0 and already loaded\n%s", code, out)
	}
	rc.checkExact(t)
	if n := len(targettest.LoadedRecords(t, rc.store)); n != 1 {
		t.Errorf("%d loaded records, want 1", n)
	}
}

// killMidReplace: the real loader killed with SIGKILL at random points of
// a replace (one part per COPY, so kills fall between COPYs into the
// fresh table, its MERGE after a kill, and the swap), then run again:
// exactly the dump's rows, once; a further run is a no-op.
func killMidReplace(t *testing.T, bins string) {
	const parts = 12
	rc := newReplaceCase(t, parts)
	args := []string{"--from", rc.from, "--to", rc.target, "--mode", "replace", "--copy-parts", "1", "--spool-dir", t.TempDir()}
	progress := func() int { return len(targettest.Keys(t, rc.store, load.LedgerDir, "/parts/")) }
	killed, midLoad := targettest.KillLoop(t, filepath.Join(bins, "loader"), func(int) []string { return args }, progress, parts, 4)
	if killed < 3 || midLoad == 0 {
		t.Errorf("%d runs killed, %d of them mid-load: want at least 3 and 1", killed, midLoad)
	}
	code, out := runLoader(t, bins, "pw", args...)
	if code != 0 {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	rc.checkExact(t)
	if n := len(targettest.LoadedRecords(t, rc.store)); n != 1 {
		t.Errorf("%d loaded records, want 1", n)
	}
	// One fresh table (one incarnation) across every run.
	if n := progress(); n != parts {
		t.Errorf("%d part records, want %d", n, parts)
	}
	if code, out = runLoader(t, bins, "pw", args...); code != 0 || !strings.Contains(out, "already loaded") {
		t.Errorf("re-run: exit %d, want 0 and already loaded\n%s", code, out)
	}
}

// killAfterSwap recreates what a kill between the SWAP and the loaded
// record leaves (the swap is one statement: a kill lands before or after
// it): after the SWAP and before the DROP of the old rows (now under the
// fresh table's name), and after the DROP. Each re-run drops what is
// left, records the load once, and leaves exactly the dump's rows.
func killAfterSwap(t *testing.T, bins string) {
	rc := newReplaceCase(t, 3)
	if code, out := rc.load(t, bins); code != 0 {
		t.Fatalf("--mode replace: exit %d\n%s", code, out)
	}
	var comment string
	if err := rc.h.db.QueryRow(`SELECT COMMENT FROM `+quoteIdent(rc.table.DB)+`.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, rc.table.Schema, rc.table.Table).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	_, mark, ok := strings.Cut(comment, loadMark)
	if !ok {
		t.Fatalf("the swapped-in table's comment %q carries no load mark", comment)
	}
	forget := func() {
		for _, k := range targettest.LoadedRecords(t, rc.store) {
			if err := rc.store.Delete(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
	}
	// After the SWAP, before the DROP: the old rows under the fresh name.
	old := freshName(rc.table, mark)
	exec(t, rc.h.db, `CREATE TABLE `+old.String()+` ("k" NUMBER(10,0), "c" NUMBER(10,0), "v" VARCHAR)`)
	exec(t, rc.h.db, `INSERT INTO `+old.String()+` VALUES (100, 0, 'old')`)
	forget()
	code, out := rc.load(t, bins)
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("re-run after a kill between SWAP and DROP: exit %d\n%s", code, out)
	}
	rc.checkExact(t)
	// After the DROP, before the record.
	forget()
	if code, out = rc.load(t, bins); code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("re-run after a kill between DROP and the record: exit %d\n%s", code, out)
	}
	rc.checkExact(t)
	if n := len(targettest.LoadedRecords(t, rc.store)); n != 1 {
		t.Errorf("%d loaded records, want 1", n)
	}
}

// modeFlag: --help describes --mode; a bad value, and replace into a
// target that cannot swap, are refused with exit 2 and one line naming
// them, before anything is opened (the --from store does not exist).
func modeFlag(t *testing.T, bins string) {
	code, out := runLoader(t, bins, "pw", "--help")
	if code != 0 || !strings.Contains(out, "--mode") || !strings.Contains(out, "SWAP WITH") {
		t.Errorf("--help: exit %d, no --mode with replace's SWAP:\n%s", code, out)
	}
	missing := "file://" + filepath.Join(t.TempDir(), "none")
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--to", "snowflake://u@a/D/S", "--mode", "upsert"}, `--mode "upsert": want append or replace`},
		{[]string{"--to", "cassandra://127.0.0.1:9042/ks", "--mode", "replace"}, "--mode replace: cassandra:// targets cannot swap"},
		{[]string{"--to", "spanner://projects/p/instances/i/databases/d", "--mode", "replace"}, "--mode replace: spanner:// targets cannot swap"},
		{[]string{"--to", "bigtable://p/i", "--mode", "replace"}, "--mode replace: bigtable:// targets cannot swap"},
	}
	for _, c := range cases {
		code, out := runLoader(t, bins, "pw", append([]string{"--from", missing}, c.args...)...)
		// The error is one line (no summary of a run refused).
		if code != 2 || strings.Count(out, "loader: ") != 1 || !strings.Contains(out, "loader: "+c.says) {
			t.Errorf("%v: exit %d, want 2 and one line saying %q:\n%s", c.args, code, c.says, out)
		}
	}
}
