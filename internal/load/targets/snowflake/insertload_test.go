package snowflake

import (
	"context"
	"encoding/hex"
	"sort"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// insertPathExactValues loads through ?load=insert (no stage, no PUT):
// a dump of text (quotes, newline, non-ASCII), blob, bigint, double,
// boolean, timestamp and collection values read back exactly; a dump of
// more bytes than one array-bound INSERT takes (two INSERTs) loads once
// each; a re-run into the table then goes through the staging table
// and MERGE and changes nothing; a dump over the path's 16 MiB limit is
// refused with exit 2 naming it, creating nothing.
func insertPathExactValues(t *testing.T, bins string) {
	f := front(t)
	h := &harness{db: standIn(t), f: f}
	store, from := loadtest.FileStore(t)
	tbl := schema.Table{Keyspace: "src", Name: "ins", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "t", Type: "text", Role: schema.Regular},
		{Name: "b", Type: "blob", Role: schema.Regular},
		{Name: "n", Type: "bigint", Role: schema.Regular},
		{Name: "d", Type: "double", Role: schema.Regular},
		{Name: "ok", Type: "boolean", Role: schema.Regular},
		{Name: "ts", Type: "timestamp", Role: schema.Regular},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
	}}
	pad := strings.Repeat("p", 2000) // 600 rows: more than the 1 MiB one INSERT binds
	parts := loadtest.Parts(600, 200, func(i int) format.Row {
		v := [][]byte{loadtest.Int(int32(i)), loadtest.Text("it's \"q\"\nü " + string(rune('a'+i%26)) + pad), {byte(i), 0, 0xff},
			loadtest.Bigint(int64(i) * -1_000_000_007), loadtest.Double(float64(i) / 3), loadtest.Bool(i%2 == 0),
			loadtest.Bigint(1_700_000_000_000 + int64(i)), loadtest.Coll(loadtest.Int(int32(i)), loadtest.Int(-1))}
		if i%7 == 0 {
			v[1], v[7] = nil, nil
		}
		return format.Row{Values: v}
	})
	loadtest.Write(t, store, loadtest.Dump{Table: tbl, Parts: parts})
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	target := h.NewTarget(t) + "&load=insert"
	args := []string{"--from", from, "--to", target, "--create-table", "--log-level", "debug"}
	code, out := runLoader(t, bins, "pw", args...)
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("load=insert: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "PUT ") || strings.Contains(out, "STAGE") {
		t.Errorf("load=insert used a stage:\n%s", out)
	}
	if n := strings.Count(out, "array-bound INSERT"); n < 2 {
		t.Errorf("%d array-bound INSERTs, want 2 or more (1 MiB each at most)", n)
	}
	compareRows(t, h.ReadRows(t, target, "ins", tbl.Columns), parts)

	// Again, forced, into the table that now holds the rows: the staging
	// table and MERGE, nothing duplicated.
	if code, out = runLoader(t, bins, "pw", append(args, "--force")...); code != 0 {
		t.Fatalf("load=insert --force: exit %d\n%s", code, out)
	}
	compareRows(t, h.ReadRows(t, target, "ins", tbl.Columns), parts)

	bstore, bigFrom := loadtest.FileStore(t)
	wide := strings.Repeat("x", 20_000)
	loadtest.Write(t, bstore, loadtest.Dump{Table: kvTable("large"), Parts: loadtest.Parts(900, 900, func(i int) format.Row {
		return format.Row{Values: [][]byte{loadtest.Int(int32(i)), loadtest.Int(0), loadtest.Text(wide)}}
	})})
	code, out = runLoader(t, bins, "pw", "--from", bigFrom, "--to", target, "--create-table")
	if code != 2 || !strings.Contains(out, "load=insert loads at most") || !strings.Contains(out, "src.large") {
		t.Errorf("a dump over the INSERT path's limit: exit %d, want 2 naming it\n%s", code, out)
	}
	if n := len(loaderTablesLike(t, h, of(t, target, "large"))); n != 0 {
		t.Errorf("the refused dump's table was created")
	}
}

// loaderTablesLike lists the tables named exactly t.
func loaderTablesLike(t *testing.T, h *harness, tn tableName) []string {
	t.Helper()
	got, err := readColumns(context.Background(), h.db, tn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		return nil
	}
	return []string{tn.Table}
}

// compareRows: got holds exactly the rows of want's parts, once each,
// byte for byte.
func compareRows(t *testing.T, got []format.Row, want [][]format.Row) {
	t.Helper()
	key := func(r format.Row) string {
		var s []string
		for _, v := range r.Values {
			if v == nil {
				s = append(s, "null")
				continue
			}
			s = append(s, hex.EncodeToString(v))
		}
		return strings.Join(s, "/")
	}
	var g, w []string
	for _, r := range got {
		g = append(g, key(r))
	}
	for _, p := range want {
		for _, r := range p {
			w = append(w, key(r))
		}
	}
	sort.Strings(g)
	sort.Strings(w)
	if len(g) != len(w) {
		t.Fatalf("%d rows, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("row %d differs:\ngot  %s\nwant %s", i, g[i], w[i])
		}
	}
}
