package cql_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/schema"
)

// Cassandra 3.11 cannot run here (it needs Java 8); these are the
// system_schema.columns rows 3.11 keeps for
//
//	CREATE TYPE ks.addr (street text, zip int);
//	CREATE TABLE ks.t (id uuid, day date, seq timeuuid, d duration,
//	  li list<int>, se set<text>, ma map<text, bigint>, fli frozen<list<text>>,
//	  tup tuple<int, text>, fad frozen<addr>, st text static,
//	  PRIMARY KEY ((id, day), seq)) WITH CLUSTERING ORDER BY (seq DESC)
//
// written out by hand from 3.x's system_schema layout (not captured from
// a running node): 3.x records a tuple column as frozen and regular
// columns at position -1. They must give the same table and columns as on 4.x
// and 5.0, with the same three collections exported untimed (servers
// before 5.0 refuse WRITETIME on them).
var rows311 = []cql.ColumnRow{
	{Name: "day", Kind: "partition_key", Position: 1, ClusteringOrder: "none", Type: "date"},
	{Name: "d", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "duration"},
	{Name: "fad", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "frozen<addr>"},
	{Name: "fli", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "frozen<list<text>>"},
	{Name: "id", Kind: "partition_key", Position: 0, ClusteringOrder: "none", Type: "uuid"},
	{Name: "li", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "list<int>"},
	{Name: "ma", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "map<text, bigint>"},
	{Name: "se", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "set<text>"},
	{Name: "seq", Kind: "clustering", Position: 0, ClusteringOrder: "desc", Type: "timeuuid"},
	{Name: "st", Kind: "static", Position: -1, ClusteringOrder: "none", Type: "text"},
	{Name: "tup", Kind: "regular", Position: -1, ClusteringOrder: "none", Type: "frozen<tuple<int, text>>"},
}

func TestSchemaRowsOf311(t *testing.T) {
	cols, err := cql.ColumnsFromRows("ks.t", rows311)
	if err != nil {
		t.Fatal(err)
	}
	tbl := schema.Table{Keyspace: "ks", Name: "t", Columns: cols, UserTypes: []schema.UserType{{Keyspace: "ks", Name: "addr",
		Fields: []schema.Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}}}}}
	if err := tbl.Resolve(); err != nil {
		t.Fatalf("the 3.11 rows do not resolve: %v", err)
	}
	var order, multi []string
	for i := range tbl.Columns {
		c := &tbl.Columns[i]
		order = append(order, c.Name)
		if cql.Timed(c) && c.T.MultiCell() {
			multi = append(multi, c.Name)
		}
	}
	want := "id day seq d fad fli li ma se st tup"
	if got := join(order); got != want {
		t.Errorf("column order %s, want %s", got, want)
	}
	if got := join(multi); got != "li ma se" {
		t.Errorf("multi-cell timed columns %s, want li ma se", got)
	}
	if seq := tbl.Column("seq"); seq.Order != schema.Desc || seq.Role != schema.Clustering {
		t.Errorf("seq: %+v, want clustering DESC", seq)
	}
	if st := tbl.Column("st"); st.Role != schema.Static {
		t.Errorf("st: %+v, want static", st)
	}
	if _, err := cql.ColumnsFromRows("ks.t", append(rows311[:0:0], cql.ColumnRow{Name: "x", Kind: "compact_value", Type: "blob"})); err == nil {
		t.Error("a column of an unknown kind (a 2.x compact table's) was accepted")
	}
}

func join(s []string) string { return strings.Join(s, " ") }
