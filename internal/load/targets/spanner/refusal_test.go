package spanner_test

import (
	"bytes"
	"encoding/json"
	"github.com/lading-dev/lading/internal/load/targettest"
	"math/big"
	"strings"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// loadedRecords lists the ledger's loaded records in the test store.
func (e *env) loadedRecords() []string {
	e.t.Helper()
	return targettest.LoadedRecords(e.t, e.store)
}

// expectFail runs a load that must fail with the exit code, naming every
// mention.
func (e *env) expectFail(o load.Options, code int, mention ...string) error {
	e.t.Helper()
	_, err := load.Run(e.ctx, o)
	if err == nil {
		e.t.Fatalf("load succeeded, want exit %d", code)
	}
	if got := fault.Code(err); got != code {
		e.t.Errorf("exit code %d, want %d (%v)", got, code, err)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			e.t.Errorf("error %q does not mention %q", err, m)
		}
	}
	return err
}

// An existing table is checked against the dump's schema as mapped:
// every difference (a column's type, the key's order, a NOT NULL column
// the dump does not write) is listed, exit 2, nothing written; a
// matching table with an extra column and an index loads. (A missing
// table and a one-column mismatch are the conformance suite's.)
func TestSchemaCheck(t *testing.T) {
	e := newEnv(t)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("schema"), Parts: [][]format.Row{simpleRows(0, 20, "a")}})
	from := e.storeURL + "/" + prefix

	o := e.opts(from)
	o.CreateTable = false
	e.ddl("CREATE TABLE " + e.table + " (k INT64 NOT NULL, c INT64, v INT64, w STRING(MAX) NOT NULL) PRIMARY KEY (k, c)")
	err := e.expectFail(o, fault.ExitUsage,
		"column v: STRING(MAX) for the dump's text, INT64 in the target",
		"primary key: (k, c DESC) for the dump, (k, c) in the target",
		"column w: NOT NULL in the target and not in the dump")
	if strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("the reason is not one line: %q", err)
	}
	if n := e.count(e.table); n != 0 || len(e.loadedRecords()) != 0 {
		t.Errorf("a refused load wrote %d rows, ledger %v", n, e.loadedRecords())
	}

	ok := e.table + "_ok"
	e.ddl("CREATE TABLE "+ok+" (k INT64 NOT NULL, c INT64, v STRING(MAX), extra BOOL) PRIMARY KEY (k, c DESC)",
		"CREATE INDEX "+ok+"_by_v ON "+ok+" (v)")
	o.TargetTable = ok
	e.run(o)
	if n := e.count(ok); n != 20 {
		t.Errorf("%d rows, want 20", n)
	}
}

// Rows Spanner cannot hold (a key over 8 KiB, a row over 10 MiB, a
// varint NUMERIC cannot hold exactly) are refused into the reject file
// with the reason, as --max-rejects allows, and the other rows load.
func TestOversizeRowsRejected(t *testing.T) {
	e := newEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "big", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "text", Role: schema.Clustering, Order: schema.Asc},
		{Name: "b", Type: "blob", Role: schema.Regular},
		{Name: "n", Type: "varint", Role: schema.Regular},
	}}
	varint := func(s string) []byte {
		n, _ := new(big.Int).SetString(s, 10)
		b := n.Bytes() // positive values here: sign bit clear with a leading zero
		return append([]byte{0}, b...)
	}
	row := func(k int32, c string, b []byte, n string) format.Row {
		return format.Row{Values: [][]byte{loadtest.Int(k), loadtest.Text(c), b, varint(n)}}
	}
	rows := []format.Row{
		row(1, "ok", []byte("x"), "5"),
		row(2, strings.Repeat("k", 9000), []byte("x"), "5"),      // key of 9000 bytes
		row(3, "big", bytes.Repeat([]byte{7}, 11<<20), "5"),      // row of 11 MiB
		row(4, "wide", []byte("x"), "1"+strings.Repeat("0", 30)), // 31 digits
		// spannertest's gRPC server takes messages up to 4 MiB: the
		// largest row tested as accepted is 2 MiB (base64 on the wire).
		row(5, "ok", bytes.Repeat([]byte{7}, 2<<20), "99999999999999999999999999999"),
	}
	m, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{rows}})
	o := e.opts(e.storeURL + "/" + prefix)
	o.MaxRejects = 2
	e.expectFail(o, fault.ExitUsage, "3 rows rejected", "--max-rejects 2")

	o.MaxRejects = 3
	o.Verify = load.VerifyCount
	res := e.run(o)
	if d := res.Dumps[0]; d.Counts.Rejects != 3 || d.Verify.Result != "passed" || d.Verify.Found != 2 {
		t.Errorf("result: %+v", d)
	}
	if n := e.count(e.table); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	var rejects []struct {
		Line  int64  `json:"line"`
		Error string `json:"error"`
	}
	objs, _, _ := e.store.ListAll(e.ctx, load.LedgerDir, "")
	for _, ob := range objs {
		if !strings.Contains(ob.Key, m.Files[0].Name) || !strings.Contains(ob.Key, "/rejects/") {
			continue
		}
		data, err := e.store.ReadAll(e.ctx, ob.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var r struct {
				Line  int64  `json:"line"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(l, &r); err != nil {
				t.Fatal(err)
			}
			rejects = append(rejects, r)
		}
	}
	// 11 MiB of blob, 8 bytes of INT64, 3 of text and 16 of NUMERIC.
	wants := []string{"primary key holds 9008 bytes, over Spanner's 8192", "the row holds 11534363 bytes, over Spanner's 10485760", "column n: refused: 1000000000000000000000000000000 does not fit Spanner's NUMERIC"}
	if len(rejects) != 3 {
		t.Fatalf("rejects: %+v", rejects)
	}
	for i, r := range rejects {
		if r.Line != int64(i+2) || !strings.Contains(r.Error, wants[i]) {
			t.Errorf("reject %d: %+v, want line %d and %q", i, r, i+2, wants[i])
		}
	}
	var n spanner.NullString
	row5, err := e.client.Single().ReadRow(e.ctx, e.table, spanner.Key{int64(5), "ok"}, []string{"n"})
	if err == nil {
		err = row5.Columns(&n)
	}
	if err != nil || n.StringVal != "99999999999999999999999999999" {
		t.Errorf("row 5 n: %v %v", n, err)
	}
}
