package spanner_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// simpleTable is k int, c int DESC, v text, PRIMARY KEY (k, c).
func simpleTable(name string) schema.Table {
	return schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Desc},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
}

// simpleRows returns n rows k=from+i/10, c=i%10, v=tag.
func simpleRows(from, n int, tag string) []format.Row {
	var rows []format.Row
	for i := range n {
		rows = append(rows, format.Row{Values: [][]byte{loadtest.Int(int32(from + i/10)), loadtest.Int(int32(i % 10)), loadtest.Text(tag)}})
	}
	return rows
}

// A dry run writes nothing; a dump loads, the table is created with the key in order and DESC
// kept, and the rows read back exactly.
func TestLoadSimple(t *testing.T) {
	e := newEnv(t)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("simple"), Parts: [][]format.Row{simpleRows(0, 50, "a"), simpleRows(5, 50, "b")}})
	// A dry run creates nothing and writes nothing.
	dry := e.opts(e.storeURL + "/" + prefix)
	dry.DryRun = true
	if res := e.run(dry); len(res.Dumps) != 1 || res.Dumps[0].Outcome != "would load" || e.schemaOf(e.table) != "" {
		t.Fatalf("dry run: %+v, table: %q", res.Dumps, e.schemaOf(e.table))
	}
	res := e.run(e.opts(e.storeURL + "/" + prefix))
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("result: %+v", res.Dumps)
	}
	ddl := e.schemaOf(e.table)
	if !regexp.MustCompile(`PRIMARY KEY ?\(`+"`?k`? ?, ?`?c`? DESC"+`\)`).MatchString(ddl) || !strings.Contains(ddl, "STRING(MAX)") {
		t.Errorf("created table: %s", ddl)
	}
	if n := e.count(e.table); n != 100 {
		t.Errorf("%d rows, want 100", n)
	}
}
