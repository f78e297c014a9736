package snowflake

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// everyType is a table with a column of every CQL type the mapping names.
func everyType(t *testing.T) *schema.Table {
	t.Helper()
	cols := []schema.Column{
		{Name: "id", Type: "bigint", Role: schema.PartitionKey},
		{Name: "ck", Type: "text", Role: schema.Clustering, Order: schema.Asc},
		{Name: "a_ascii", Type: "ascii", Role: schema.Regular},
		{Name: "a_blob", Type: "blob", Role: schema.Regular},
		{Name: "a_bool", Type: "boolean", Role: schema.Regular},
		{Name: "a_date", Type: "date", Role: schema.Regular},
		{Name: "a_decimal", Type: "decimal", Role: schema.Regular},
		{Name: "a_double", Type: "double", Role: schema.Regular},
		{Name: "a_duration", Type: "duration", Role: schema.Regular},
		{Name: "a_float", Type: "float", Role: schema.Regular},
		{Name: "a_inet", Type: "inet", Role: schema.Regular},
		{Name: "a_int", Type: "int", Role: schema.Regular},
		{Name: "a_list", Type: "list<int>", Role: schema.Regular},
		{Name: "a_map", Type: "map<int, text>", Role: schema.Regular},
		{Name: "a_set", Type: "frozen<set<text>>", Role: schema.Regular},
		{Name: "a_smallint", Type: "smallint", Role: schema.Regular},
		{Name: "a_time", Type: "time", Role: schema.Regular},
		{Name: "a_timestamp", Type: "timestamp", Role: schema.Regular},
		{Name: "a_timeuuid", Type: "timeuuid", Role: schema.Regular},
		{Name: "a_tinyint", Type: "tinyint", Role: schema.Regular},
		{Name: "a_tuple", Type: "tuple<int, text>", Role: schema.Regular},
		{Name: "a_udt", Type: "frozen<addr>", Role: schema.Regular},
		{Name: "a_uuid", Type: "uuid", Role: schema.Regular},
		{Name: "a_varint", Type: "varint", Role: schema.Regular},
		{Name: "a_vector", Type: "vector<float, 3>", Role: schema.Regular},
		{Name: `Odd "Name"`, Type: "text", Role: schema.Static},
	}
	tbl := &schema.Table{
		Keyspace: "shop", Name: "orders", Columns: cols,
		UserTypes: []schema.UserType{{Keyspace: "shop", Name: "addr", Fields: []schema.Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}}}},
	}
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tbl
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestGoldenSQL pins every statement the target generates, character for
// character, so a change to the SQL is seen in review.
func TestGoldenSQL(t *testing.T) {
	cols, err := columns(everyType(t), true, true)
	if err != nil {
		t.Fatal(err)
	}
	target := tableName{"ANALYTICS", "RAW", "orders"}
	staging := tableName{"ANALYTICS", "RAW", "orders__lading_stage"}
	stage := tableName{"ANALYTICS", "RAW", "LADING_DUMPS"}
	putStage := tableName{"ANALYTICS", "RAW", "LADING_PUT_1"}
	ff, err := fileFormat("zstd")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := copySQL(target, cols, "@"+stage.String()+"/prod/shop.orders/20261201T000000Z/", []string{"part-0001-0-000001.ndjson.zst", "it's.ndjson.zst"}, ff, onError(0))
	if err != nil {
		t.Fatal(err)
	}
	cpStaging, err := copySQL(staging, cols, "@"+putStage.String(), []string{"part-0002-0-000001.ndjson.zst"}, ff, onError(10))
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		createTableSQL(target, cols, "0123456789abcdef"),
		createStageSQL(stage, "s3://dumps/prod/", "S3_INT"),
		createTempStageSQL(putStage),
		putSQL("/tmp/lading-put-1/part-0002-0-000001.ndjson.zst", "@"+putStage.String()),
		cp,
		createStagingSQL(staging, target),
		cpStaging,
		mergeSQL(target, staging, cols),
		dropSQL(staging),
		countSQL(target),
		// --mode replace: the fresh table (its COMMENT carries the dump's
		// mark), the swap, the drop of the old rows under its name.
		createTableSQL(freshName(target, dumpMark("prod/shop.orders/20261201T000000Z")), cols, "0123456789abcdef"+loadMark+dumpMark("prod/shop.orders/20261201T000000Z")),
		swapSQL(target, freshName(target, dumpMark("prod/shop.orders/20261201T000000Z"))),
		dropSQL(freshName(target, dumpMark("prod/shop.orders/20261201T000000Z"))),
		// The staging tables a killed run of the dump left.
		leftoverSQL(target),
		// The statements a killed run left running: found by the load's
		// tag, cancelled; then the session's own tag.
		runningSQL(target, "lading load 0123456789ab"),
		cancelSQL("01b8f0a2-0000-1111-0000-000000000001"),
		queryTagSQL("lading load 0123456789ab"),
		// load=insert: the session's table of lines, filled by array-bound
		// INSERTs, applied with COPY's conversions; a refused row found
		// and dropped.
		createRowsSQL(tableName{Table: "LADING_ROWS_1"}),
		truncateSQL(tableName{Table: "LADING_ROWS_1"}),
		insertRowsSQL(tableName{Table: "LADING_ROWS_1"}),
		insertSelectSQL(target, cols, tableName{Table: "LADING_ROWS_1"}),
		checkRowSQL(cols, tableName{Table: "LADING_ROWS_1"}),
		deleteRowSQL(tableName{Table: "LADING_ROWS_1"}),
	}
	golden(t, "statements.sql", strings.Join(stmts, ";\n\n")+";\n")
}

func TestFileGroups(t *testing.T) {
	for _, n := range []int{0, 1, 999, 1000, 1001, 2500} {
		files := make([]string, n)
		for i := range files {
			files[i] = fmt.Sprintf("p%d", i)
		}
		groups := fileGroups(files)
		total := 0
		for i, g := range groups {
			if len(g) == 0 || len(g) > maxFilesPerCopy {
				t.Fatalf("%d files: group %d has %d", n, i, len(g))
			}
			for j, f := range g {
				if f != files[total+j] {
					t.Fatalf("%d files: group %d item %d is %s, want %s", n, i, j, f, files[total+j])
				}
			}
			total += len(g)
		}
		if want := (n + maxFilesPerCopy - 1) / maxFilesPerCopy; total != n || len(groups) != want {
			t.Errorf("%d files: %d groups holding %d, want %d groups holding %d", n, len(groups), total, want, n)
		}
	}
	if _, err := copySQL(tableName{"D", "S", "T"}, nil, "@ST", make([]string, 1001), "", ""); err == nil {
		t.Error("copySQL took 1001 files")
	}
	if _, err := fileFormat("lz4"); err == nil || !strings.Contains(err.Error(), `"lz4"`) {
		t.Errorf("fileFormat(lz4) = %v, want an error naming it", err)
	}
}
