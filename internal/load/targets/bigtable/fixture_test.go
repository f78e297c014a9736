package bigtable

import (
	"testing"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

func fixtureTable() schema.Table {
	return schema.Table{
		Keyspace: "src", Name: "fx",
		Columns: []schema.Column{
			{Name: "k", Type: "text", Role: schema.PartitionKey},
			{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Desc},
			{Name: "s", Type: "text", Role: schema.Static},
			{Name: "v", Type: "bigint", Role: schema.Regular},
			{Name: "l", Type: "list<int>", Role: schema.Regular},
		},
	}
}

// fixtureRows: a partition with a static and two rows (one with a cell
// whose TTL has run out, one key-only), a static-only partition, and a
// row whose only cell has expired.
func fixtureRows() []format.Row {
	i, tx := loadtest.Int, loadtest.Text
	row := func(vals [5][]byte, wt, ttl [5][]int64) format.Row {
		r := format.Row{Values: vals[:], Writetime: make([][]int64, 5), TTL: make([][]int64, 5)}
		for c := 2; c < 5; c++ {
			r.Writetime[c], r.TTL[c] = wt[c], ttl[c]
		}
		return r
	}
	return []format.Row{
		row([5][]byte{tx("a\x00b"), i(-1), tx("st"), loadtest.Bigint(-5), loadtest.Coll(i(1), i(2))},
			[5][]int64{2: {1_000_123}, 3: {2_000_999}, 4: {3_000_000, 3_500_000}}, [5][]int64{3: {86400}}),
		row([5][]byte{tx("a\x00b"), i(7), tx("st"), loadtest.Bigint(6), nil},
			[5][]int64{2: {1_000_123}, 3: {2_000_000}}, [5][]int64{3: {1}}),
		row([5][]byte{tx("a\x00b"), i(8), tx("st"), nil, nil}, [5][]int64{2: {1_000_123}}, [5][]int64{}),
		row([5][]byte{tx("only-static"), nil, tx("s2"), nil, nil}, [5][]int64{2: {4_000_000}}, [5][]int64{}),
		row([5][]byte{tx("gone"), i(1), nil, loadtest.Bigint(1), nil}, [5][]int64{3: {100}}, [5][]int64{3: {1}}),
	}
}

// TestFixtureCellsExact loads a small dump and reads the table back raw:
// the row keys, qualifiers, values and timestamps are exactly the
// documented ones, and loading it again changes nothing.
func TestFixtureCellsExact(t *testing.T) {
	e := newBTEnv(t)
	m, prefix := loadtest.Write(t, e.store, loadtest.Dump{
		Table: fixtureTable(), Writetime: true, TTL: true, Parts: [][]format.Row{fixtureRows()},
		ReadAt: time.Now().Add(-10 * time.Second).UTC().Truncate(time.Millisecond),
	})
	o := e.opts(e.storeURL + "/" + prefix)
	o.Versions = 5 // a duplicate cell would show as a second version
	res := e.run(o)
	if got := res.Dumps[0].Verify.Result; got != "passed" {
		t.Fatalf("verify: %+v", res.Dumps[0].Verify)
	}
	check := func() {
		all := e.readAll("fx")
		desc := func(v int32) string {
			k := []byte{byte(uint32(v) >> 24), byte(uint32(v) >> 16), byte(uint32(v) >> 8), byte(v)}
			k[0] ^= 0x80
			invert(k)
			return string(k)
		}
		pk := "a\x00\xffb\x00\x01"
		want := map[string]map[string][]btCell{
			pk:                    {"s": {{1_000_000, "st"}}},
			pk + desc(-1):         {"": {{0, ""}}, "v": {{2_000_000, string(loadtest.Bigint(-5))}}, "l": {{3_500_000, "[1,2]"}}},
			pk + desc(8):          {"": {{0, ""}}},
			"only-static\x00\x01": {"": {{0, ""}}, "s": {{4_000_000, "s2"}}},
		}
		// Cells without a writetime (row markers) carry the dump's start.
		for k := range want {
			if _, ok := want[k][""]; ok {
				want[k][""][0].ts = bigtable.Timestamp(m.Totals.Started.UnixMilli() * 1000)
			}
		}
		delete(all, incarnationKey)
		if len(all) != len(want) {
			t.Errorf("%d rows, want %d: %q", len(all), len(want), keysOf(all))
		}
		for k, w := range want {
			g, ok := all[k]
			if !ok {
				t.Errorf("row %q missing (have %q)", k, keysOf(all))
				continue
			}
			if len(g) != len(w) {
				t.Errorf("row %q: %v, want %v", k, g, w)
				continue
			}
			for q, cells := range w {
				gc := g[q]
				if len(gc) != 1 || gc[0] != cells[0] {
					t.Errorf("row %q qualifier %q: %v, want %v", k, q, gc, cells)
				}
			}
		}
	}
	check()
	o.Force = true
	o.Run = nil
	e.run(o)
	check()
}

func keysOf(m map[string]map[string][]btCell) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
