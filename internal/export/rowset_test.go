package export_test

import (
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
)

// 200k rows in 20k partitions plus one wide partition of 100k rows, with
// statics, exported to S3: every row exactly once, counts equal.
func TestExportRowSet200k(t *testing.T) {
	if testing.Short() {
		t.Skip("200k rows")
	}
	s := cqltest.Session(t)
	start := time.Now()
	ks, n := kvTable(t, s, 20000, 5, 100000)
	t.Logf("inserted %d rows in %s", n, time.Since(start).Round(time.Millisecond))
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})
	if len(src) != n {
		t.Fatalf("source has %d rows, want %d", len(src), n)
	}
	dest := s3Dest(t)
	start = time.Now()
	res, err := runExport(t, export.Config{
		Source: cqltest.URL(t), Table: ks + ".kv", Dest: dest, Batch: "rowset",
		Parallel: 4, PartBytes: 64 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exported in %s: %d units, %d files", time.Since(start).Round(time.Millisecond), res.Units, res.Manifest.Totals.Files)
	d := readDump(t, openRoot(t, dest), res.Dump)
	if d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest counts %d rows, source has %d", d.m.Totals.Rows, n)
	}
	compareKeys(t, d.keys, src)
	// The wide partition is one token, so one unit: its rows roll over
	// several parts.
	for _, f := range d.m.Files {
		if f.Rows > 50000 {
			t.Errorf("part %s holds %d rows: parts should roll at the part size", f.Name, f.Rows)
		}
	}
	// Statics come with every row of their partition.
	si := 2 // p, c, s, v
	for _, r := range d.rows {
		if r.Values[si] == nil {
			t.Fatalf("a row without its static value")
		}
	}
}
