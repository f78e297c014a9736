package cql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/schema"
)

func TestReadTableSchema(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s,
		"CREATE TYPE "+ks+".phone (kind text, num text)",
		"CREATE TYPE "+ks+`."Addr" (street text, phones frozen<list<frozen<phone>>>)`,
		"CREATE TABLE "+ks+`.t (
			a int, b text, c timeuuid, d bigint,
			s text STATIC,
			home frozen<"Addr">,
			tags set<text>,
			work "Addr",
			pair tuple<int, frozen<phone>>,
			v vector<float, 3>,
			PRIMARY KEY ((a, b), c, d)
		) WITH CLUSTERING ORDER BY (c DESC, d ASC)`,
		"CREATE TABLE "+ks+".cnt (k int PRIMARY KEY, hits counter)",
	)
	ctx := context.Background()
	tab, ci, err := cql.ReadTable(ctx, s, ks, "t")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("table CQL: %s", tab.CQL)
	for _, c := range tab.Columns {
		t.Logf("column %s %s", c.Name, c.Type)
	}
	if ci.Partitioner != cql.Murmur3 || ci.Name == "" || ci.ReleaseVersion == "" || len(ci.TableID) != 36 {
		t.Errorf("cluster info %+v", ci)
	}
	want := []schema.Column{
		{Name: "a", Type: "int", Role: schema.PartitionKey, Position: 0},
		{Name: "b", Type: "text", Role: schema.PartitionKey, Position: 1},
		{Name: "c", Type: "timeuuid", Role: schema.Clustering, Position: 0, Order: schema.Desc},
		{Name: "d", Type: "bigint", Role: schema.Clustering, Position: 1, Order: schema.Asc},
		{Name: "home", Type: `frozen<"Addr">`, Role: schema.Regular},
		{Name: "pair", Type: "frozen<tuple<int, frozen<phone>>>", Role: schema.Regular},
		{Name: "s", Type: "text", Role: schema.Static},
		{Name: "tags", Type: "set<text>", Role: schema.Regular},
		{Name: "v", Type: "vector<float, 3>", Role: schema.Regular},
		{Name: "work", Type: `"Addr"`, Role: schema.Regular},
	}
	if len(tab.Columns) != len(want) {
		t.Fatalf("columns %+v", tab.Columns)
	}
	for i, w := range want {
		g := tab.Columns[i]
		// system_schema writes tuples as frozen<tuple<...>> in 5.0; accept both.
		if g.Name != w.Name || g.Role != w.Role || g.Position != w.Position || g.Order != w.Order ||
			(g.Type != w.Type && strings.TrimSuffix(strings.TrimPrefix(g.Type, "frozen<"), ">") != strings.TrimSuffix(strings.TrimPrefix(w.Type, "frozen<"), ">")) {
			t.Errorf("column %d = %+v, want %+v", i, g, w)
		}
		if g.T == nil {
			t.Errorf("column %s not resolved", g.Name)
		}
	}
	if len(tab.UserTypes) != 2 || tab.UserTypes[0].Name != "phone" || tab.UserTypes[1].Name != "Addr" {
		t.Fatalf("user types %+v, want phone then Addr", tab.UserTypes)
	}
	if !strings.Contains(tab.UserTypes[1].CQL, "CREATE TYPE") || !strings.Contains(tab.UserTypes[1].CQL, "phones") {
		t.Errorf("Addr CQL = %q", tab.UserTypes[1].CQL)
	}
	if !strings.Contains(tab.CQL, "CREATE TABLE") || !strings.Contains(strings.ToUpper(tab.CQL), "CLUSTERING ORDER BY (C DESC, D ASC)") {
		t.Errorf("table CQL = %q", tab.CQL)
	}
	if tab.Counter {
		t.Error("t is flagged as a counter table")
	}
	if w := tab.Column("work"); w == nil || !w.T.MultiCell() {
		t.Errorf("work is not a multi-cell UDT: %+v", w)
	}

	cnt, _, err := cql.ReadTable(ctx, s, ks, "cnt")
	if err != nil {
		t.Fatal(err)
	}
	if !cnt.Counter {
		t.Error("cnt is not flagged as a counter table")
	}

	for _, tc := range []struct{ ks, table, msg string }{
		{ks, "nope", "table " + ks + ".nope does not exist"},
		{ks + "_nope", "t", "keyspace \"" + ks + "_nope\" does not exist"},
	} {
		_, _, err := cql.ReadTable(ctx, s, tc.ks, tc.table)
		if err == nil || fault.Code(err) != fault.ExitUsage || err.Error() != tc.msg {
			t.Errorf("ReadTable(%s, %s) = %v (exit %d), want %q, exit 2", tc.ks, tc.table, err, fault.Code(err), tc.msg)
		}
	}
}
