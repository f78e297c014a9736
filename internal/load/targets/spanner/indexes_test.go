package spanner_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// indexedTable is wideTable with a set column and, as the exporter
// records them, a regular index, a view, an SAI index with options and
// an index on the set's values.
// Index names are the database's in Spanner: ix prefixes them.
func indexedTable(name, ix string) schema.Table {
	tbl := wideTable(name)
	tbl.Columns = append(tbl.Columns, schema.Column{Name: "tags", Type: "set<text>", Role: schema.Regular})
	tbl.Indexes = []schema.Index{
		{Name: ix + "_by_c01", Kind: schema.IndexSecondary, Target: "c01", CQL: "CREATE INDEX ..."},
		{Name: ix + "_by_c02", Kind: schema.IndexView, Key: []string{"c02", "k"}, Columns: []string{"c03", "tags"}, CQL: "CREATE MATERIALIZED VIEW ..."},
		{Name: ix + "_sai", Kind: schema.IndexSecondary, Target: "c04", Class: "StorageAttachedIndex", Options: map[string]string{"case_sensitive": "false"}, CQL: "CREATE CUSTOM INDEX ..."},
		{Name: ix + "_by_tag", Kind: schema.IndexSecondary, Target: "values(tags)", CQL: "CREATE INDEX ..."},
	}
	return tbl
}

// --create-indexes creates the source's regular index and view as
// Spanner indexes (the view's storing its other columns), lists the SAI
// index with options and the collection index as skipped, and counts the
// two created indexes in every commit's mutations (41 columns and 2
// index entries a row: TestCreatedIndexesCounted checks the count
// itself), none refused by a server that enforces 80,000. A second run
// creates nothing again.
func TestCreateIndexes(t *testing.T) {
	e := newEnv(t)
	var parts [][]format.Row
	for p := range 2 {
		rows := wideRows(p*5000, 5000)
		for i := range rows {
			rows[i].Values = append(rows[i].Values, loadtest.Coll(loadtest.Text("a"), loadtest.Text("b")))
		}
		parts = append(parts, rows)
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: indexedTable("ix", e.table), Parts: parts})
	bin := buildLoader(t)
	args := []string{"--from", e.storeURL + "/" + prefix, "--to", e.target(), "--target-table", e.table, "--create-table", "--create-indexes", "--verify", "count", "--spool-dir", t.TempDir()}
	code, out := runLoader(t, bin, args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{e.table + "_sai", "index options", e.table + "_by_tag", "values(tags)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not list the skipped index (%q):\n%s", want, out)
		}
	}
	ddl := e.ddlAll()
	for _, want := range []string{
		"CREATE INDEX `" + e.table + "_by_c01` ON `" + e.table + "` (`c01`)",
		"CREATE INDEX `" + e.table + "_by_c02` ON `" + e.table + "` (`c02`) STORING (`c03`, `tags`)",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("schema lacks %s:\n%s", want, ddl)
		}
	}
	if strings.Contains(ddl, e.table+"_sai") || strings.Contains(ddl, e.table+"_by_tag") {
		t.Errorf("a skipped index was created:\n%s", ddl)
	}
	if n := e.count(e.table); n != 10000 {
		t.Errorf("%d rows, want 10000", n)
	}
	if max, refused := e.proxy.MaxSeen.Load(), e.proxy.Refused.Load(); max > 80_000 || refused != 0 {
		t.Errorf("largest commit %d mutations, %d refused: want at most 79,980 (1,860 rows of 43) and none refused", max, refused)
	}
	t.Logf("largest commit %d mutations over %d commits", e.proxy.MaxSeen.Load(), e.proxy.Commits.Load())

	code, out = runLoader(t, bin, append(args, "--force")...)
	if code != 0 || strings.Contains(out, "created index") {
		t.Errorf("second run: exit %d, want 0 creating no index:\n%s", code, out)
	}
}
