package bigtable

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestValuesOverGRPCMessageDefault: values of 1 and 8 MiB load and read
// back through a server that enforces the request limit; the 8 MiB one
// passes gRPC's default 4 MB message size, which the client library's
// emulator connection kept (the conformance suite has the generic wide
// partition and 1 MiB value).
func TestValuesOverGRPCMessageDefault(t *testing.T) {
	p := startProxy(t)
	e := newBTEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "large", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "b", Type: "blob", Role: schema.Regular},
		{Name: "t", Type: "text", Role: schema.Regular},
	}}
	big := map[int32][]byte{}
	var large []format.Row
	for i, size := range []int{1 << 20, 8 << 20} {
		b := make([]byte, size)
		rand.Read(b)
		big[int32(i)] = b
		text := bytes.Repeat([]byte("é"), 1<<19) // 1 MiB of UTF-8
		large = append(large, format.Row{Values: [][]byte{loadtest.Int(2), loadtest.Int(int32(i)), b, text}})
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{large}})
	o := e.opts(e.storeURL + "/" + prefix)
	res := e.run(o)
	d := res.Dumps[0]
	if d.Verify.Result != "passed" || d.Counts.Rejects != 0 || d.Counts.RowsWritten != 2 {
		t.Fatalf("load: %+v", d)
	}
	if st := p.Stats(); st.Refused != 0 {
		t.Fatalf("%d requests refused", st.Refused)
	}
	all := e.readAll("large")
	for i, b := range big {
		key, _ := encodeKey(nil, []keyCol{{name: "k", t: mustType(t, "int")}, {name: "c", t: mustType(t, "int")}}, [][]byte{loadtest.Int(2), loadtest.Int(i)})
		if got := all[string(key)]["b"]; len(got) != 1 || got[0].value != string(b) {
			t.Errorf("row c=%d: the %d-byte blob did not read back", i, len(b))
		}
	}
}
