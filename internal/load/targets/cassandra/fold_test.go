package cassandra_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// foldTable has scalars, a set, a map and a static set.
func foldTable() schema.Table {
	return schema.Table{Keyspace: "src", Name: "fold", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "st", Type: "set<int>", Role: schema.Static},
		{Name: "v", Type: "text", Role: schema.Regular},
		{Name: "n", Type: "bigint", Role: schema.Regular},
		{Name: "s", Type: "set<text>", Role: schema.Regular},
		{Name: "m", Type: "map<text, int>", Role: schema.Regular},
	}}
}

// foldRows are rows whose cells share one (writetime, TTL) or not:
//   - 1: scalars, a set and a map at one time, a static set at another;
//   - 2: a scalar and a set at one time and TTL, map entries at two others;
//   - 3: only a map (no INSERT: a marker is written for it);
//   - 4: a scalar and a set whose live element shares its time (the
//     other has expired).
func foldRows() []format.Row {
	i, tx := loadtest.Int, loadtest.Text
	st := loadtest.Coll(i(7), i(8))
	return []format.Row{
		{Values: [][]byte{i(1), i(1), st, tx("a"), loadtest.Bigint(5), loadtest.Coll(tx("a"), tx("b")), loadtest.Map(tx("x"), i(1), tx("y"), i(2))},
			Writetime: [][]int64{nil, nil, {500, 500}, {1000}, {1000}, {1000, 1000}, {1000, 1000}},
			TTL:       [][]int64{nil, nil, {0, 0}, {0}, {0}, {0, 0}, {0, 0}}},
		{Values: [][]byte{i(1), i(2), st, tx("b"), nil, loadtest.Coll(tx("a")), loadtest.Map(tx("x"), i(1), tx("y"), i(2))},
			Writetime: [][]int64{nil, nil, {500, 500}, {2000}, nil, {2000}, {3000, 4000}},
			TTL:       [][]int64{nil, nil, {0, 0}, {86400}, nil, {86400}, {0, 0}}},
		{Values: [][]byte{i(2), i(1), nil, nil, nil, nil, loadtest.Map(tx("z"), i(9))},
			Writetime: [][]int64{nil, nil, nil, nil, nil, nil, {5000}},
			TTL:       [][]int64{nil, nil, nil, nil, nil, nil, {0}}},
		{Values: [][]byte{i(3), i(1), nil, tx("c"), nil, loadtest.Coll(tx("p"), tx("q")), nil},
			Writetime: [][]int64{nil, nil, nil, {6000}, nil, {6000, 6000}, nil},
			TTL:       [][]int64{nil, nil, nil, {0}, nil, {0, 1}, nil}},
	}
}

// A row's cells are written in one statement per (writetime, TTL)
// group, not one per collection: an INSERT that carries the sets and
// maps of its group whole in a fresh part (elsewhere an UPDATE adds
// them), restored exactly either way; into a table that held the row
// before, the elements it held stay (a load is an upsert: no collection
// is replaced).
func TestFoldedWrites(t *testing.T) {
	e := newEnv(t)
	rows := foldRows()
	m, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: foldTable(), Writetime: true, TTL: true,
		Parts: [][]format.Row{rows}, ReadAt: time.Now().Add(-10 * time.Second).UTC().Truncate(time.Millisecond)})

	res := e.run(e.opts(e.storeURL + "/" + prefix))
	if d := res.Dumps[0]; d.Outcome != "loaded" || d.Verify.Result != "passed" || d.Counts.RowsWritten != 4 {
		t.Fatalf("fresh load: %+v", res.Dumps)
	}
	var s []string
	if err := e.s.Query("SELECT s FROM " + e.ks + ".fold WHERE k = 3 AND c = 1").Scan(&s); err != nil || !slices.Equal(s, []string{"p"}) {
		t.Errorf("row 4's set %v (%v), want [p]: the expired element is not written", s, err)
	}

	// Statements per row, in a fresh part and in one that is not.
	target, err := load.OpenTarget(e.ctx, e.target(), load.TargetOptions{Run: report.New("test")})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	opened, err := target.Table(e.ctx, m, load.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	table := opened.(load.RowLoader)
	for _, c := range []struct {
		fresh bool
		want  []int
	}{
		// 1: INSERT with s and m, static UPDATE; 2: INSERT with s, an
		// UPDATE per map entry; 3: UPDATE and marker; 4: INSERT with s.
		{true, []int{2, 3, 2, 1}},
		// 1: INSERT, UPDATE of s and m, static UPDATE; 2: INSERT,
		// UPDATE of s, one of m; 3: as fresh; 4: INSERT, UPDATE.
		{false, []int{3, 4, 2, 2}},
	} {
		conv, err := table.Converter(load.PartInfo{Manifest: m, File: &m.Files[0], Fresh: c.fresh, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for i := range rows {
			muts, _, err := conv.Convert(&rows[i], int64(i+1), nil)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, len(muts))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("fresh=%v: statements per row %v, want %v", c.fresh, got, c.want)
		}
	}

	// Into a table that holds row 1 with other elements already: they
	// stay, beside the dump's, which come back with their writetimes.
	e.exec("TRUNCATE " + e.ks + ".fold")
	e.exec("UPDATE " + e.ks + ".fold USING TIMESTAMP 10 SET s = s + {'old'}, m = m + {'old': 0} WHERE k = 1 AND c = 1")
	o := e.opts(e.storeURL + "/" + prefix)
	o.Force, o.Verify = true, load.VerifyNone
	e.run(o)
	var mp map[string]int
	var wts []int64
	if err := e.s.Query("SELECT s, m, WRITETIME(m) FROM "+e.ks+".fold WHERE k = 1 AND c = 1").Scan(&s, &mp, &wts); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s, []string{"a", "b", "old"}) || len(mp) != 3 || mp["old"] != 0 || mp["x"] != 1 || mp["y"] != 2 {
		t.Errorf("over an existing row: s %v, m %v; want the old elements kept beside the dump's", s, mp)
	}
	if !slices.Equal(wts, []int64{10, 1000, 1000}) {
		t.Errorf("over an existing row: WRITETIME(m) %v, want [10 1000 1000]", wts)
	}
}
