package spanner_test

import (
	"strings"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
)

// Verification reads the rows back: a deleted row and a changed value
// are found and named, a matching table passes, and Count sees the
// deleted row gone.
func TestVerifyCatchesDifferences(t *testing.T) {
	e := newEnv(t)
	rows := simpleRows(0, 30, "v")
	m, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("ver"), Parts: [][]format.Row{rows}})
	e.run(e.opts(e.storeURL + "/" + prefix))

	tgt, err := load.OpenTarget(e.ctx, e.target(), load.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	tbl, err := tgt.Table(e.ctx, m, load.TableOptions{Name: e.table})
	if err != nil {
		t.Fatal(err)
	}
	cmp, ok := tbl.(load.Comparer)
	if !ok {
		t.Fatal("the spanner table does not implement load.Comparer")
	}
	dumpRows := make([]load.DumpRow, len(rows))
	for i := range rows {
		dumpRows[i] = load.DumpRow{Line: int64(i + 1), Row: rows[i]}
	}
	info := load.PartInfo{Manifest: m, File: &m.Files[0]}
	if mm, err := cmp.Compare(e.ctx, info, dumpRows); err != nil || len(mm) != 0 {
		t.Fatalf("a faithful table: %v %v", mm, err)
	}

	// Row (1, 3) is line 14; row (2, 5) is line 26.
	if _, err := e.client.Apply(e.ctx, []*spanner.Mutation{
		spanner.Delete(e.table, spanner.Key{int64(1), int64(3)}),
		spanner.Update(e.table, []string{"k", "c", "v"}, []any{int64(2), int64(5), "changed"}),
	}); err != nil {
		t.Fatal(err)
	}
	mm, err := cmp.Compare(e.ctx, info, dumpRows)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range mm {
		got = append(got, x.String())
	}
	want := []string{
		m.Files[0].Name + ` line 14 ("1", "3"): row missing in the target`,
		m.Files[0].Name + ` line 26 ("2", "5") column v: want "v", found "changed"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mismatches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Count, as --verify count uses it, sees the deleted row gone.
	if n, err := tbl.Count(e.ctx); err != nil || n != 29 {
		t.Errorf("Count: %d %v, want 29", n, err)
	}
	// A forced load writes the dump's rows again: the table matches.
	o := e.opts(e.storeURL + "/" + prefix)
	o.Force = true
	if res := e.run(o); res.Dumps[0].Verify.Result != "passed" {
		t.Errorf("forced load: %+v", res.Dumps[0])
	}
	if mm, err := cmp.Compare(e.ctx, info, dumpRows); err != nil || len(mm) != 0 {
		t.Errorf("after the forced load: %v %v", mm, err)
	}
}
