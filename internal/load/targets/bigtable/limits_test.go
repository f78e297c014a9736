package bigtable

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestWidePartitionAndLargeValues: a partition of 30,000 rows and rows
// with 1 MiB (and one 8 MiB) values load whole, through a server that
// enforces the request limit: nothing is refused or rejected, every value
// reads back exactly.
func TestWidePartitionAndLargeValues(t *testing.T) {
	p := startProxy(t)
	e := newBTEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "wide", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "b", Type: "blob", Role: schema.Regular},
		{Name: "t", Type: "text", Role: schema.Regular},
	}}
	var wide []format.Row
	for i := range 30_000 {
		wide = append(wide, format.Row{Values: [][]byte{loadtest.Int(1), loadtest.Int(int32(i)), {byte(i)}, loadtest.Text("w")}})
	}
	big := map[int32][]byte{}
	var large []format.Row
	for i := range 6 {
		size := 1 << 20
		if i == 5 {
			size = 8 << 20
		}
		b := make([]byte, size)
		rand.Read(b)
		big[int32(i)] = b
		text := bytes.Repeat([]byte("é"), 1<<19) // 1 MiB of UTF-8
		large = append(large, format.Row{Values: [][]byte{loadtest.Int(2), loadtest.Int(int32(i)), b, text}})
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{wide, large}})
	o := e.opts(e.storeURL + "/" + prefix)
	res := e.run(o)
	d := res.Dumps[0]
	if d.Verify.Result != "passed" || d.Counts.Rejects != 0 || d.Counts.RowsWritten != 30_006 {
		t.Fatalf("load: %+v", d)
	}
	if st := p.Stats(); st.Refused != 0 {
		t.Fatalf("%d requests refused", st.Refused)
	}
	if n := o.Run.Counter("batch_splits"); n != 0 {
		t.Errorf("%d batches split", n)
	}
	all := e.readAll("wide")
	if n := len(dataKeys(all)); n != 30_006 {
		t.Fatalf("%d rows, want 30006", n)
	}
	for i, b := range big {
		key, _ := encodeKey(nil, []keyCol{{name: "k", t: mustType(t, "int")}, {name: "c", t: mustType(t, "int")}}, [][]byte{loadtest.Int(2), loadtest.Int(i)})
		if got := all[string(key)]["b"]; len(got) != 1 || got[0].value != string(b) {
			t.Errorf("row c=%d: the %d-byte blob did not read back", i, len(b))
		}
	}
}
