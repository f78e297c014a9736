package spanner_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// numTable has decimals and varints NUMERIC cannot hold: a decimal
// clustering column, a varint and a list of decimals.
func numTable() schema.Table {
	return schema.Table{Keyspace: "src", Name: "nums", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "decimal", Role: schema.Clustering, Order: schema.Asc},
		{Name: "n", Type: "varint", Role: schema.Regular},
		{Name: "l", Type: "list<decimal>", Role: schema.Regular},
	}}
}

// numRows are rows of numTable from the dump's JSON text of each value,
// and the rows as rowsByKey renders them when every number is held as
// its exact text.
func numRows(t *testing.T) ([]format.Row, map[string]string) {
	t.Helper()
	parse := func(typ, js string) []byte {
		pt, err := schema.Parse(typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := format.ParseValue(pt, []byte(js))
		if err != nil {
			t.Fatalf("%s %s: %v", typ, js, err)
		}
		return v
	}
	text := func(typ string, v []byte) string {
		pt, _ := schema.Parse(typ, nil)
		out, err := format.AppendValue(nil, pt, v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	var rows []format.Row
	want := map[string]string{}
	for i, r := range [][3]string{
		{"0.0000000001", "1" + strings.Repeat("0", 40), `[1.50, 0.000000000000001]`},                               // 10 and 15 fractional digits, 41 digits
		{"123456789012345678901234567890.5", "-" + strings.Repeat("9", 35), `[-1` + strings.Repeat("0", 32) + `]`}, // 30 integer digits
		{"1.50", "7", `[]`}, // in NUMERIC's range: kept as written, scale included
	} {
		row := format.Row{Values: [][]byte{loadtest.Int(int32(i)), parse("decimal", r[0]), parse("varint", r[1]), parse("list<decimal>", r[2])}}
		if r[2] == "[]" {
			row.Values[3] = nil // an empty non-frozen list is null
		}
		rows = append(rows, row)
		c, n := text("decimal", row.Values[1]), text("varint", row.Values[2])
		l := "null"
		if row.Values[3] != nil {
			var elems []string
			for _, e := range strings.Split(strings.Trim(text("list<decimal>", row.Values[3]), "[]"), ",") {
				elems = append(elems, `"`+e+`"`)
			}
			l = "[" + strings.Join(elems, ",") + "]"
		}
		k := `"` + string(rune('0'+i)) + `"`
		want[k+`,"`+c+`"`] = k + ` | "` + c + `" | "` + n + `" | ` + l
	}
	return rows, want
}

// Decimals and varints past NUMERIC's 29 integer and 9 fractional digits
// load as the exact text of the dump, never rounded and never refused,
// into a table whose columns are STRING(MAX): one created so by hand
// (the loader keeps the table's choice), and one --create-table creates
// with --numeric-as-string; the key keeps its text, --verify full
// passes, and a forced reload without the flag changes nothing. Into
// NUMERIC (the default, and an existing NUMERIC table whatever the
// flag) the values NUMERIC cannot hold are refused, naming the flag.
func TestNumericAsString(t *testing.T) {
	e := newEnv(t)
	rows, want := numRows(t)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: numTable(), Parts: [][]format.Row{rows}})
	from := e.storeURL + "/" + prefix
	cols := []string{"k", "c", "n", "l"}
	check := func(table string) {
		t.Helper()
		got := e.rowsByKey(table, 2, cols...)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s row (%s):\n got %s\nwant %s", table, k, got[k], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d rows, want %d: %v", table, len(got), len(want), got)
		}
	}

	// A table made by hand with STRING(MAX) for the numbers.
	e.ddl("CREATE TABLE " + e.table + " (k INT64 NOT NULL, c STRING(MAX), n STRING(MAX), l ARRAY<STRING(MAX)>) PRIMARY KEY (k, c)")
	o := e.opts(from)
	o.CreateTable = false
	res := e.run(o)
	if d := res.Dumps[0]; d.Counts.Rejects != 0 || d.Verify.Result != "passed" {
		t.Fatalf("load into the existing table: %+v", d)
	}
	check(e.table)

	// --numeric-as-string through the real loader: the table it creates.
	created := e.table + "_c"
	bin := buildLoader(t)
	args := []string{"--from", from, "--to", e.target(), "--target-table", created, "--create-table", "--verify", "full", "--spool-dir", t.TempDir()}
	code, out := runLoader(t, bin, append(args, "--numeric-as-string")...)
	if code != 0 || !strings.Contains(out, "verify full: passed") || !strings.Contains(out, "0 rejected") {
		t.Fatalf("loader --numeric-as-string: exit %d\n%s", code, out)
	}
	// As the loader sent it, or as spannertest prints it (no quotes).
	ddl := strings.ReplaceAll(e.schemaOf(created), "`", "")
	for _, w := range []string{"c STRING(MAX)", "n STRING(MAX)", "l ARRAY<STRING(MAX)>"} {
		if !strings.Contains(ddl, w) {
			t.Errorf("created table lacks %q:\n%s", w, ddl)
		}
	}
	check(created)
	// Without the flag, the table's own choice holds.
	if code, out := runLoader(t, bin, append(args, "--force")...); code != 0 || !strings.Contains(out, "verify full: passed") {
		t.Fatalf("forced reload without the flag: exit %d\n%s", code, out)
	}
	check(created)

	// Into NUMERIC (the default), the same values are refused, each
	// naming the way out.
	o = e.opts(from)
	o.TargetTable, o.MaxRejects, o.Verify = e.table+"_n", 1, load.VerifyCount
	e.expectFail(o, 2, "2 rows rejected", "--max-rejects 1")
	objs, _, err := e.store.ListAll(e.ctx, load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	reasons := ""
	for _, ob := range objs {
		if strings.Contains(ob.Key, "/rejects/") {
			data, err := e.store.ReadAll(e.ctx, ob.Key)
			if err != nil {
				t.Fatal(err)
			}
			reasons += string(data)
		}
	}
	if strings.Count(reasons, "does not fit Spanner's NUMERIC") < 2 || !strings.Contains(reasons, "--numeric-as-string") {
		t.Errorf("reject files do not name NUMERIC and --numeric-as-string for both rows:\n%s", reasons)
	}
	// The flag does not change an existing NUMERIC table: the same two
	// rows are refused, the third loads.
	numeric := []string{"--from", from, "--to", e.target(), "--target-table", e.table + "_n", "--numeric-as-string", "--max-rejects", "2", "--spool-dir", t.TempDir()}
	if code, out := runLoader(t, bin, numeric...); code != 0 || !strings.Contains(out, "2 rejected") {
		t.Errorf("--numeric-as-string into a NUMERIC table: exit %d, want 0 and 2 rejected\n%s", code, out)
	}
	if !strings.Contains(strings.ReplaceAll(e.schemaOf(e.table+"_n"), "`", ""), "n NUMERIC") {
		t.Errorf("the NUMERIC table changed:\n%s", e.schemaOf(e.table+"_n"))
	}
	if code, out := runLoader(t, bin, "--help"); code != 0 || !strings.Contains(out, "--numeric-as-string") {
		t.Errorf("--help: exit %d, no --numeric-as-string:\n%s", code, out)
	}
}
