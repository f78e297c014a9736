package spanner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// wideTable has a key and 39 int columns: 40 mutations a row.
func wideTable(name string) schema.Table {
	tbl := schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{{Name: "k", Type: "int", Role: schema.PartitionKey}}}
	for i := range 39 {
		tbl.Columns = append(tbl.Columns, schema.Column{Name: fmt.Sprintf("c%02d", i), Type: "int", Role: schema.Regular})
	}
	return tbl
}

func wideRows(from, n int) []format.Row {
	rows := make([]format.Row, n)
	for i := range rows {
		vals := [][]byte{loadtest.Int(int32(from + i))}
		for j := range 39 {
			vals = append(vals, loadtest.Int(int32(i*j)))
		}
		rows[i].Values = vals
	}
	return rows
}

// Commits stay under Spanner's 80,000 mutations counted by its rule (40
// columns a row plus one entry of the table's secondary index) while the
// controller grows batches by bytes; a server that says no at a lower
// count (the proxy's Spanner error), aborts a fifth of the commits and
// answers every fourth UNAVAILABLE still gets every row, by splitting and
// retrying.
func TestCommitLimitsAndAborts(t *testing.T) {
	e := newEnv(t)
	cols := []string{"k INT64 NOT NULL"}
	for i := range 39 {
		cols = append(cols, fmt.Sprintf("c%02d INT64", i))
	}
	e.ddl("CREATE TABLE "+e.table+" ("+strings.Join(cols, ", ")+") PRIMARY KEY (k)",
		"CREATE INDEX "+e.table+"_by_c01 ON "+e.table+" (c01)")

	// Enough rows for the controller to grow batches past the cap: it
	// starts at 1 MiB (about 1,000 of these rows) and grows after 16 full
	// batches in a row.
	var parts [][]format.Row
	for p := range 8 {
		parts = append(parts, wideRows(p*8000, 8000))
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: wideTable("wide"), Parts: parts})
	o := e.opts(e.storeURL + "/" + prefix)
	o.CreateTable, o.Verify = false, "count"
	e.run(o)
	if n := e.count(e.table); n != 64000 {
		t.Errorf("%d rows, want 64000", n)
	}
	// 79,999 / 41 = 1951 rows a commit at most.
	if max, refused := e.proxy.MaxSeen.Load(), e.proxy.Refused.Load(); max > 80_000 || max < 1951*41 || refused != 0 {
		t.Errorf("largest commit %d mutations, %d refused: want 79,991 (1951 rows of 41) and none refused", max, refused)
	}

	// A server that refuses commits over 30,000 mutations, aborts, and
	// is unavailable now and then.
	e.proxy.MaxMutations = 30_000
	e.proxy.SetAbortRate(0.2)
	e.proxy.SetUnavailableEvery(4)
	_, prefix = loadtest.Write(t, e.store, loadtest.Dump{Timestamp: "20260102T000000Z", Table: wideTable("wide"), Parts: [][]format.Row{wideRows(100_000, 10000)}})
	o = e.opts(e.storeURL + "/" + prefix)
	o.CreateTable, o.Verify, o.Run = false, "full", report.New("loader")
	res := e.run(o)
	if res.Dumps[0].Verify.Result != "passed" {
		t.Errorf("verify: %+v", res.Dumps[0].Verify)
	}
	if n := e.count(e.table); n != 74000 {
		t.Errorf("%d rows, want 74000", n)
	}
	if e.proxy.Refused.Load() == 0 || e.proxy.Aborted.Load() == 0 || e.proxy.Unavailable.Load() == 0 || e.proxy.MaxSeen.Load() > 80_000 {
		t.Errorf("proxy: %d refused, %d aborted, %d unavailable: want some of each", e.proxy.Refused.Load(), e.proxy.Aborted.Load(), e.proxy.Unavailable.Load())
	}
	t.Logf("proxy: %d commits, %d refused as too large, %d aborted, %d unavailable", e.proxy.Commits.Load(), e.proxy.Refused.Load(), e.proxy.Aborted.Load(), e.proxy.Unavailable.Load())
}
