package cassandra_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// Column order of the fixture table.
const (
	cK = iota
	cC
	cS
	cSL
	cV
	cB
	cBL
	cL
	cST
	cMP
	cU
	cFL
	nCols
)

func fixtureTable() schema.Table {
	return schema.Table{
		Keyspace: "src", Name: "t",
		Columns: []schema.Column{
			{Name: "k", Type: "int", Role: schema.PartitionKey},
			{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
			{Name: "s", Type: "text", Role: schema.Static},
			{Name: "sl", Type: "list<int>", Role: schema.Static},
			{Name: "v", Type: "text", Role: schema.Regular},
			{Name: "b", Type: "bigint", Role: schema.Regular},
			{Name: "bl", Type: "blob", Role: schema.Regular},
			{Name: "l", Type: "list<int>", Role: schema.Regular},
			{Name: "st", Type: "set<text>", Role: schema.Regular},
			{Name: "mp", Type: "map<text, int>", Role: schema.Regular},
			{Name: "u", Type: "addr", Role: schema.Regular},
			{Name: "fl", Type: "frozen<list<int>>", Role: schema.Regular},
		},
		UserTypes: []schema.UserType{{Name: "addr", Fields: []schema.Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}}}},
	}
}

// row builds a fixture row: values by column, writetimes and TTLs by
// column (nil: none).
type cell struct {
	v   []byte
	wt  []int64
	ttl []int64
}

func mkRow(cells map[int]cell) format.Row {
	r := format.Row{Values: make([][]byte, nCols), Writetime: make([][]int64, nCols), TTL: make([][]int64, nCols)}
	for i, c := range cells {
		r.Values[i] = c.v
		if i >= cS {
			r.Writetime[i] = c.wt
			r.TTL[i] = c.ttl
		}
	}
	return r
}

// fixtureParts returns two parts: a partition with statics, lists, sets,
// maps, a UDT and TTLs over two rows; a key-only row, a static-only
// partition and a row whose only cell has expired.
func fixtureParts() [][]format.Row {
	i := loadtest.Int
	statics := map[int]cell{
		cS:  {v: loadtest.Text("st1"), wt: []int64{1000}},
		cSL: {v: loadtest.Coll(i(7), i(8)), wt: []int64{1000, 1000}},
	}
	r1 := map[int]cell{
		cK: {v: i(1)}, cC: {v: i(1)},
		cV:  {v: loadtest.Text("a"), wt: []int64{2000}},
		cB:  {v: loadtest.Bigint(5), wt: []int64{3000}, ttl: []int64{86400}},
		cBL: {v: []byte{0xde, 0xad}, wt: []int64{2000}},
		cL:  {v: loadtest.Coll(i(1), i(2), i(3)), wt: []int64{4000, 4000, 5000}},
		cST: {v: loadtest.Coll(loadtest.Text("x"), loadtest.Text("y")), wt: []int64{6000, 7000}},
		cMP: {v: loadtest.Map(loadtest.Text("a"), i(1), loadtest.Text("b"), i(2)), wt: []int64{8000, 8000}, ttl: []int64{0, 3600}},
		cU:  {v: loadtest.UDT(loadtest.Text("main st"), nil), wt: []int64{9000}},
		cFL: {v: loadtest.Coll(i(1), i(1)), wt: []int64{9500}},
	}
	r2 := map[int]cell{cK: {v: i(1)}, cC: {v: i(2)}, cV: {v: loadtest.Text("b"), wt: []int64{2100}}}
	for k, v := range statics {
		r1[k], r2[k] = v, v
	}
	r3 := map[int]cell{cK: {v: i(2)}, cC: {v: i(1)}}
	r4 := map[int]cell{cK: {v: i(3)}, cS: {v: loadtest.Text("only"), wt: []int64{1234}}}
	r5 := map[int]cell{cK: {v: i(4)}, cC: {v: i(1)}, cV: {v: loadtest.Text("gone"), wt: []int64{100}, ttl: []int64{1}}}
	return [][]format.Row{{mkRow(r1), mkRow(r2)}, {mkRow(r3), mkRow(r4), mkRow(r5)}}
}

func writeFixture(t *testing.T, e *env) string {
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{
		Table: fixtureTable(), Writetime: true, TTL: true, Parts: fixtureParts(),
		ReadAt: time.Now().Add(-10 * time.Second).UTC().Truncate(time.Millisecond),
	})
	return prefix
}

func int32s(t *testing.T, v []byte) []int32 {
	t.Helper()
	if v == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(v)
	v = v[4:]
	var out []int32
	for range n {
		l := binary.BigEndian.Uint32(v)
		out = append(out, int32(binary.BigEndian.Uint32(v[4:4+l])))
		v = v[4+l:]
	}
	return out
}

// checkFixture compares the restored table with the fixture directly.
func checkFixture(t *testing.T, e *env, table string) {
	t.Helper()
	q := "SELECT v, WRITETIME(v), b, WRITETIME(b), TTL(b), l, WRITETIME(l), st, WRITETIME(st), mp, WRITETIME(mp), TTL(mp), u, sl, WRITETIME(sl), s, fl FROM " + e.ks + "." + table + " WHERE k = 1 AND c = 1"
	var v, b, l, lwt, st, stwt, mp, mpwt, mpttl, u, sl, slwt, s, fl cql.Raw
	var vwt, bwt int64
	var bttl int
	if err := e.s.Query(q).Consistency(gocql.One).Scan(&v, &vwt, &b, &bwt, &bttl, &l, &lwt, &st, &stwt, &mp, &mpwt, &mpttl, &u, &sl, &slwt, &s, &fl); err != nil {
		t.Fatal(err)
	}
	if string(v) != "a" || vwt != 2000 {
		t.Errorf("v = %q @%d, want a @2000", v, vwt)
	}
	if !bytes.Equal(b, loadtest.Bigint(5)) || bwt != 3000 || bttl < 86390-120 || bttl > 86390 {
		t.Errorf("b = %x @%d ttl %d, want 5 @3000 ttl ~86390", b, bwt, bttl)
	}
	if got := int32s(t, l); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("l = %v, want [1 2 3]", got)
	}
	if !bytes.Equal(lwt, loadtest.Coll(loadtest.Bigint(4000), loadtest.Bigint(4000), loadtest.Bigint(5000))) {
		t.Errorf("writetime(l) = %x, want [4000 4000 5000]", lwt)
	}
	if !bytes.Equal(st, loadtest.Coll(loadtest.Text("x"), loadtest.Text("y"))) || !bytes.Equal(stwt, loadtest.Coll(loadtest.Bigint(6000), loadtest.Bigint(7000))) {
		t.Errorf("st = %x @%x", st, stwt)
	}
	if !bytes.Equal(mp, loadtest.Map(loadtest.Text("a"), loadtest.Int(1), loadtest.Text("b"), loadtest.Int(2))) || !bytes.Equal(mpwt, loadtest.Coll(loadtest.Bigint(8000), loadtest.Bigint(8000))) {
		t.Errorf("mp = %x @%x", mp, mpwt)
	}
	if got := int32s(t, sl); len(got) != 2 || got[0] != 7 || got[1] != 8 {
		t.Errorf("sl = %v, want [7 8]", got)
	}
	if string(s) != "st1" {
		t.Errorf("s = %q", s)
	}
	if !bytes.Equal(u, loadtest.UDT(loadtest.Text("main st"), nil)) && !bytes.Equal(u, loadtest.UDT(loadtest.Text("main st"))) {
		t.Errorf("u = %x", u)
	}
	if got := int32s(t, fl); len(got) != 2 {
		t.Errorf("fl = %v", got)
	}
	// The key-only row exists, the static-only partition has its static,
	// the expired row does not exist.
	if n := e.count(table); n != 4 {
		t.Errorf("%d rows, want 4 (two in partition 1, the key-only row, the static-only partition)", n)
	}
	var s3 string
	if err := e.s.Query("SELECT s FROM " + e.ks + "." + table + " WHERE k = 3").Consistency(gocql.One).Scan(&s3); err != nil || s3 != "only" {
		t.Errorf("static-only partition: %q, %v", s3, err)
	}
}

func TestRestoreExact(t *testing.T) {
	e := newEnv(t)
	prefix := writeFixture(t, e)
	res := e.run(e.opts(e.storeURL + "/" + prefix))
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("result %+v", res.Dumps)
	}
	if c := res.Dumps[0].Counts; c.Rows != 5 || c.RowsExpired != 1 || c.RowsWritten != 4 {
		t.Errorf("counts %+v", c)
	}
	checkFixture(t, e, "t")

	// Loaded again from the root: nothing to do.
	res = e.run(e.opts(e.storeURL))
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "already loaded" {
		t.Fatalf("second run: %+v", res.Dumps)
	}

	// Forced replay of every part: identical, lists not duplicated.
	o := e.opts(e.storeURL + "/" + prefix)
	o.Force = true
	res = e.run(o)
	if res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("forced run: %+v", res.Dumps)
	}
	checkFixture(t, e, "t")
}
