package schema

import (
	"strings"
	"testing"
)

func testUDTs(t *testing.T) UserTypes {
	t.Helper()
	tb := &Table{Keyspace: "ks", Name: "t", Columns: []Column{{Name: "k", Type: "int", Role: PartitionKey}},
		UserTypes: []UserType{
			{Name: "address", Fields: []Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}}},
			{Name: "Mixed Case", Fields: []Field{{Name: "a", Type: "frozen<address>"}}},
			{Name: "set", Fields: []Field{{Name: "x", Type: "int"}}},
			{Name: "list", Fields: []Field{{Name: "x", Type: "int"}}},
			{Name: "frozen", Fields: []Field{{Name: "x", Type: `"list"`}}},
			{Name: "duration", Fields: []Field{{Name: "x", Type: "duration"}}},
		}}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	m := UserTypes{}
	for i := range tb.UserTypes {
		m[tb.UserTypes[i].Name] = &tb.UserTypes[i]
	}
	return m
}

// TestParseString: Parse then String gives the canonical text, which
// parses back to an equal type.
func TestParseString(t *testing.T) {
	udts := testUDTs(t)
	for _, c := range []struct{ in, want string }{
		{"int", "int"},
		{"TEXT", "text"},
		{"varchar", "varchar"},
		{" list < int > ", "list<int>"},
		{"frozen<list<int>>", "frozen<list<int>>"},
		{"map<text,frozen<list<int>>>", "map<text, frozen<list<int>>>"},
		{"frozen<map<uuid, frozen<list<double>>>>", "frozen<map<uuid, frozen<list<double>>>>"},
		{"set<frozen<tuple<int, text>>>", "set<tuple<int, text>>"},
		{"frozen<tuple<int, text>>", "tuple<int, text>"},
		{"tuple<int, tuple<varint, blob>>", "tuple<int, tuple<varint, blob>>"},
		{"vector<float, 3>", "vector<float, 3>"},
		{"vector<vector<int,2>,4>", "vector<vector<int, 2>, 4>"},
		{"address", "address"},
		{"frozen<address>", "frozen<address>"},
		{`frozen<"address">`, "frozen<address>"},
		{`"Mixed Case"`, `"Mixed Case"`},
		{`list<frozen<"Mixed Case">>`, `list<frozen<"Mixed Case">>`},
		{`frozen<"set">`, `frozen<"set">`},
		{`"list"`, `"list"`},
		{`frozen<"frozen">`, `frozen<"frozen">`},
		{`map<"duration", duration>`, `map<"duration", duration>`},
		{"map<\n\ttext, int>", "map<text, int>"},
	} {
		ty, err := Parse(c.in, udts)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := ty.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
		back, err := Parse(ty.String(), udts)
		if err != nil || !back.Equal(ty) || back.Kind != ty.Kind || back.Frozen != ty.Frozen || len(back.Params) != len(ty.Params) {
			t.Errorf("Parse(%q) does not round-trip: %v, %v", ty.String(), back, err)
		}
	}
}

func TestParseFields(t *testing.T) {
	udts := testUDTs(t)
	ty, err := Parse("map<text, frozen<list<address>>>", udts)
	if err != nil {
		t.Fatal(err)
	}
	if ty.Kind != Map || ty.Frozen || !ty.MultiCell() || len(ty.Params) != 2 {
		t.Fatalf("map: %+v", ty)
	}
	l := ty.Params[1]
	if l.Kind != List || !l.Frozen || l.MultiCell() {
		t.Fatalf("frozen list: %+v", l)
	}
	a := l.Params[0]
	if a.Kind != UDT || a.Name != "address" || len(a.Fields) != 2 || a.Fields[1] != "zip" || a.Params[1].Kind != Int {
		t.Fatalf("address: %+v", a)
	}
	v, err := Parse("vector<float, 1536>", nil)
	if err != nil || v.Kind != Vector || v.Dim != 1536 || v.Params[0].Kind != Float || !v.Frozen || v.MultiCell() {
		t.Fatalf("vector: %+v, %v", v, err)
	}
	tu, err := Parse("tuple<int>", nil)
	if err != nil || !tu.Frozen || tu.MultiCell() {
		t.Fatalf("tuple: %+v, %v", tu, err)
	}
	// frozen<> on one use of a user type leaves other uses alone.
	f, _ := Parse("frozen<address>", udts)
	n, _ := Parse("address", udts)
	if !f.Frozen || n.Frozen || !n.MultiCell() {
		t.Fatalf("frozen leaked between uses: %v %v", f.Frozen, n.Frozen)
	}
	// Every native type parses to its kind and prints as its name.
	for name, k := range nativeKinds {
		ty, err := Parse(name, nil)
		if err != nil || ty.Kind != k || ty.String() != name || k.String() != name {
			t.Errorf("%s: %+v, %v", name, ty, err)
		}
	}
	if len(nativeKinds) != 21 {
		t.Errorf("%d native types, want Cassandra 5.0's 21", len(nativeKinds))
	}
}

func TestParseErrors(t *testing.T) {
	udts := testUDTs(t)
	for _, c := range []struct{ in, want string }{
		{"", "unexpected end"},
		{"nope", `unknown type "nope"`},
		{"list<int", "expected '>'"},
		{"list<int, text>", "expected '>'"},
		{"map<int>", "map takes 2 type parameters, got 1"},
		{"list<>", "unexpected '>'"},
		{"frozen<int>", "is not a collection, tuple or user type"},
		{"vector<float>", "expected ','"},
		{"vector<float, 0>", "not a positive number"},
		{"vector<float, -1>", "not a positive number"},
		{"vector<float, x>", "not a positive number"},
		{"int int", "unexpected"},
		{"org.apache.cassandra.db.marshal.UTF8Type", "custom type"},
		{`"unterminated`, "unterminated quoted name"},
		{`""`, "empty quoted name"},
		{`"int"`, `unknown type "int"`},
		{"Address", ""}, // unquoted names are case-insensitive
		{`"Address"`, `unknown type "Address"`},
		{strings.Repeat("list<", 70) + "int" + strings.Repeat(">", 70), "nested deeper than"},
	} {
		_, err := Parse(c.in, udts)
		if c.want == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v", c.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abc", "abc"},
		{"a_1", "a_1"},
		{"_x", "_x"},
		{"1a", `"1a"`},
		{"Abc", `"Abc"`},
		{"with space", `"with space"`},
		{`say "hi"`, `"say ""hi"""`},
		{"select", `"select"`},
		{"token", `"token"`},
		{"ttl", "ttl"},
		{"é", `"é"`},
		{"", `""`},
	} {
		if got := QuoteIdent(c.in); got != c.want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func validTable() *Table {
	return &Table{Keyspace: "ks", Name: "t", Columns: []Column{
		{Name: "a", Type: "int", Role: PartitionKey, Position: 0},
		{Name: "b", Type: "text", Role: PartitionKey, Position: 1},
		{Name: "c", Type: "timestamp", Role: Clustering, Position: 0, Order: Desc},
		{Name: "s", Type: "text", Role: Static},
		{Name: "v", Type: "frozen<pt>", Role: Regular},
	}, UserTypes: []UserType{{Name: "pt", Fields: []Field{{Name: "x", Type: "double"}, {Name: "y", Type: "double"}}}}}
}

func TestResolve(t *testing.T) {
	tb := validTable()
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	if tb.Column("v").T.Kind != UDT || tb.Column("v").T.Fields[1] != "y" || tb.Column("nope") != nil {
		t.Fatalf("resolved: %+v", tb.Column("v").T)
	}
	if k := tb.KeyColumns(); len(k) != 2 || k[1].Name != "b" {
		t.Fatalf("key columns: %v", k)
	}
	if c := tb.ClusteringColumns(); len(c) != 1 || c[0].Name != "c" {
		t.Fatalf("clustering columns: %v", c)
	}
	if got, want := tb.CreateTableCQL("ks2", "T2"),
		`CREATE TABLE ks2."T2" (a int, b text, c timestamp, s text STATIC, v frozen<pt>, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)`; got != want {
		t.Fatalf("CreateTableCQL:\n got %s\nwant %s", got, want)
	}
	if got, want := tb.UserTypes[0].CreateTypeCQL("ks2"), `CREATE TYPE IF NOT EXISTS ks2.pt (x double, y double)`; got != want {
		t.Fatalf("CreateTypeCQL: %s", got)
	}
	if tb.QualifiedName() != "ks.t" {
		t.Fatal(tb.QualifiedName())
	}

	for _, c := range []struct {
		edit func(*Table)
		want string
	}{
		{func(t *Table) { t.Columns = nil }, "columns: empty"},
		{func(t *Table) { t.Columns[1].Name = "a" }, `columns[1].name: empty or duplicate "a"`},
		{func(t *Table) { t.Columns[0].Name = "" }, `columns[0].name: empty`},
		{func(t *Table) { t.Columns[3].Type = "nope" }, "columns[3].type"},
		{func(t *Table) { t.Columns[1].Position = 2 }, "columns[1].position: 2, want 1"},
		{func(t *Table) { t.Columns[2].Order = "" }, "columns[2].order"},
		{func(t *Table) { t.Columns[0].Order = Asc }, "columns[0].order: set on a partition key column"},
		{func(t *Table) { t.Columns[3].Position = 1 }, "columns[3]: position/order set on a static column"},
		{func(t *Table) { t.Columns[4].Role = "other" }, `columns[4].role: unknown "other"`},
		{func(t *Table) {
			t.Columns[0].Role, t.Columns[1].Role = Regular, Regular
			t.Columns[0].Position, t.Columns[1].Position = 0, 0
		}, "no partition key column"},
		{func(t *Table) { t.UserTypes[0].Name = "" }, "user_types[0].name: empty"},
		{func(t *Table) { t.UserTypes = append(t.UserTypes, t.UserTypes[0]) }, `user_types[1].name: duplicate "pt"`},
		{func(t *Table) { t.UserTypes[0].Fields = nil }, "user_types[0].fields: empty"},
		{func(t *Table) { t.UserTypes[0].Fields[1].Name = "x" }, `user_types[0].fields[1].name: empty or duplicate "x"`},
		{func(t *Table) { t.UserTypes[0].Fields[0].Type = "later" }, `user_types[0].fields[0].type`},
		{func(t *Table) { t.UserTypes = nil }, `unknown type "pt"`},
	} {
		tb := validTable()
		c.edit(tb)
		if err := tb.Resolve(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Resolve: %v, want an error containing %q", err, c.want)
		}
	}
	// A user type may use one defined before it, not after.
	tb = validTable()
	tb.UserTypes = append([]UserType{{Name: "outer", Fields: []Field{{Name: "p", Type: "frozen<pt>"}}}}, tb.UserTypes...)
	if err := tb.Resolve(); err == nil || !strings.Contains(err.Error(), `unknown type "pt"`) {
		t.Errorf("user type used before its definition: %v", err)
	}
}
