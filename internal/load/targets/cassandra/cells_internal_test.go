package cassandra

import (
	"bytes"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/schema"
)

func mustType(t *testing.T, s string) *schema.Type {
	t.Helper()
	typ, err := schema.Parse(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func TestSplitAndJoinCells(t *testing.T) {
	list := mustType(t, "list<int>")
	v := []byte{0, 0, 0, 2, 0, 0, 0, 1, 7, 0, 0, 0, 2, 8, 9}
	es, err := splitCells(list, v)
	if err != nil || len(es) != 2 || !bytes.Equal(es[0].value, []byte{7}) || !bytes.Equal(es[1].value, []byte{8, 9}) {
		t.Fatalf("split list: %+v %v", es, err)
	}
	if got := joinCells(schema.List, es); !bytes.Equal(got, v) {
		t.Errorf("join list: %x, want %x", got, v)
	}
	m := mustType(t, "map<int, int>")
	mv := []byte{0, 0, 0, 1, 0, 0, 0, 1, 5, 0, 0, 0, 1, 6}
	es, err = splitCells(m, mv)
	if err != nil || len(es) != 1 || !bytes.Equal(es[0].key, []byte{5}) || !bytes.Equal(es[0].value, []byte{6}) {
		t.Fatalf("split map: %+v %v", es, err)
	}
	if got := joinCells(schema.Map, es); !bytes.Equal(got, mv) {
		t.Errorf("join map: %x", got)
	}
	udt := &schema.Type{Kind: schema.UDT, Params: []*schema.Type{{Kind: schema.Int}, {Kind: schema.Int}, {Kind: schema.Int}}, Fields: []string{"a", "b", "c"}}
	es, err = splitCells(udt, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 3})
	if err != nil || len(es) != 1 || es[0].field != 1 {
		t.Errorf("split udt: %+v %v (null fields are not cells; trailing fields may be missing)", es, err)
	}
	for _, bad := range [][]byte{{0, 0, 0}, {0, 0, 0, 2, 0, 0, 0, 1, 7}, {0, 0, 0, 1, 0, 0, 0, 1, 7, 9}, {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := splitCells(list, bad); err == nil {
			t.Errorf("split %x: no error", bad)
		}
	}
}

func TestRemainingTTL(t *testing.T) {
	readAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ttl     int64
		now     time.Time
		left    int64
		expired bool
	}{
		{0, readAt.Add(time.Hour), 0, false},                            // no TTL
		{100, readAt, 100, false},                                       // read just now
		{100, readAt.Add(10*time.Second + time.Millisecond), 89, false}, // rounded against the restore
		{100, readAt.Add(100 * time.Second), 0, true},
		{100, readAt.Add(-time.Minute), 100, false}, // clock behind: never longer
	} {
		left, expired := remaining(c.ttl, readAt, c.now)
		if left != c.left && !c.expired || expired != c.expired {
			t.Errorf("remaining(%d, +%s) = %d, %v; want %d, %v", c.ttl, c.now.Sub(readAt), left, expired, c.left, c.expired)
		}
	}
}

func TestTupleBinding(t *testing.T) {
	tup := mustType(t, "tuple<int, tuple<text, int>>")
	if got := marker(tup); got != "(?, (?, ?))" {
		t.Errorf("marker %q", got)
	}
	inner := []byte{0, 0, 0, 1, 'x', 0xff, 0xff, 0xff, 0xff}
	v := append([]byte{0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0, byte(len(inner))}, inner...)
	args := bindValue(nil, tup, v, nil)
	if len(args) != 3 || !bytes.Equal(args[0].(cql.Raw), []byte{0, 0, 0, 9}) || !bytes.Equal(args[1].(cql.Raw), []byte("x")) || args[2].(cql.Raw) != nil {
		t.Errorf("bind %v", args)
	}
	d := newTupleDest(mustType(t, "tuple<int, text>"))
	d.elems[0] = cql.Raw{0, 0, 0, 9}
	if got := d.value(true); !bytes.Equal(got, []byte{0, 0, 0, 4, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("reassembled %x", got)
	}
	if got := newTupleDest(mustType(t, "tuple<int>")).value(false); got != nil {
		t.Errorf("all-null tuple without writetime: %x, want null", got)
	}
}

func TestCompareSchemaListsDifferences(t *testing.T) {
	src := &schema.Table{Keyspace: "a", Name: "t", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
		{Name: "w", Type: "int", Role: schema.Regular},
	}}
	have := &schema.Table{Keyspace: "b", Name: "t", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Desc},
		{Name: "v", Type: "bigint", Role: schema.Regular},
		{Name: "extra", Type: "int", Role: schema.Regular},
	}}
	for _, tb := range []*schema.Table{src, have} {
		if err := tb.Resolve(); err != nil {
			t.Fatal(err)
		}
	}
	diffs := compareSchema(src, nil, have)
	want := []string{"column c: clustering #0 asc in the dump, clustering #0 desc in the target", "column v: text in the dump, bigint in the target", "column w (int): missing in the target"}
	if len(diffs) != len(want) {
		t.Fatalf("diffs %q, want %q", diffs, want)
	}
	for i := range want {
		if diffs[i] != want[i] {
			t.Errorf("diff %d: %q, want %q", i, diffs[i], want[i])
		}
	}
	if d := compareSchema(src, []string{"k", "c"}, have); len(d) != 1 {
		t.Errorf("only dumped columns count: %q", d)
	}
}
