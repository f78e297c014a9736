package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/pkg/schema"
)

// standIn connects gosnowflake to the stand-in that scripts/services.sh
// starts (fakesnow in server mode); outside `make test` without it the
// test skips, under `make test` it fails.
func standIn(t testing.TB) *sql.DB {
	t.Helper()
	host, port := testenv.Need(t, "LADING_SNOWFLAKE_HOST"), testenv.Need(t, "LADING_SNOWFLAKE_PORT")
	// Through the target's own URL and credential handling.
	c, err := parseURL("snowflake://loader@acme/LADING/RAW?host=" + host + "&port=" + port + "&protocol=http")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.connConfig(func(k string) string { return map[string]string{EnvPassword: "stand-in"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	// The tests create their own databases: log in without one.
	cfg.Database, cfg.Schema = "", ""
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	// USE DATABASE/SCHEMA hold per session: one connection.
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestStandInMergeOnKey runs the generated CREATE TABLE, staging table,
// MERGE, DROP and COUNT on the stand-in through gosnowflake: a reload of
// rows already in the table (what a re-run after a kill does) leaves one
// row per key, with the new values, and adds the missing ones. The staging
// table is filled with INSERTs here, so the MERGE is checked on its own
// (the loader's COPY into it is covered by TestConformance).
func TestStandInMergeOnKey(t *testing.T) {
	db := standIn(t)
	dbName := fmt.Sprintf("LADING_T%d", time.Now().UnixNano())
	exec(t, db, "CREATE DATABASE "+quoteIdent(dbName))
	exec(t, db, "CREATE SCHEMA "+quoteIdent(dbName)+"."+quoteIdent("RAW"))

	tbl := &schema.Table{Keyspace: "shop", Name: "orders", Columns: []schema.Column{
		{Name: "id", Type: "bigint", Role: schema.PartitionKey},
		{Name: "ck", Type: "text", Role: schema.Clustering, Order: schema.Asc},
		{Name: "qty", Type: "int", Role: schema.Regular},
		{Name: "note", Type: "text", Role: schema.Regular},
		{Name: "raw", Type: "blob", Role: schema.Regular},
	}}
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	cols, err := columns(tbl, false, false)
	if err != nil {
		t.Fatal(err)
	}
	target := tableName{dbName, "RAW", "orders"}
	staging := tableName{dbName, "RAW", "orders__lading_stage"}
	exec(t, db, createTableSQL(target, cols, ""))
	t.Cleanup(func() { db.Exec(dropSQL(target)) }) // fakesnow has no DROP DATABASE
	exec(t, db, createTableSQL(target, cols, ""))  // IF NOT EXISTS: a re-run creates nothing

	// BINARY goes in as hex through TO_BINARY: the stand-in stores a
	// bound []byte as the text of a JSON array (README.md).
	ins := func(into tableName, id int64, ck string, qty int, note string, raw []byte) {
		var hex any
		if raw != nil {
			hex = fmt.Sprintf("%x", raw)
		}
		exec(t, db, "INSERT INTO "+into.String()+` ("id", "ck", "qty", "note", "raw") SELECT ?, ?, ?, ?, TO_BINARY(?, 'HEX')`, id, ck, qty, note, hex)
	}
	// Rows 1..3 landed before the kill; row 2 with an older value.
	ins(target, 1, "a", 10, "one", []byte{0xca, 0xfe})
	ins(target, 2, "a", 0, "stale", []byte{0})
	ins(target, 3, "b", 30, "three", nil)

	exec(t, db, createStagingSQL(staging, target))
	// The re-run loads the whole dump: rows 1..4.
	ins(staging, 1, "a", 10, "one", []byte{0xca, 0xfe})
	ins(staging, 2, "a", 20, "two", []byte{0x00, 0xff})
	ins(staging, 3, "b", 30, "three", nil)
	ins(staging, 4, "a", 40, "four", []byte{})
	exec(t, db, mergeSQL(target, staging, cols))
	exec(t, db, dropSQL(staging))

	var n int64
	if err := db.QueryRow(countSQL(target)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("COUNT(*) after the MERGE = %d, want 4 (no duplicate, no missing row)", n)
	}
	rows, err := db.Query(`SELECT "id", "ck", "qty", "note", "raw" FROM ` + target.String() + ` ORDER BY "id"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type row struct {
		id   int64
		ck   string
		qty  int64
		note string
		raw  string
	}
	want := []row{{1, "a", 10, "one", "cafe"}, {2, "a", 20, "two", "00ff"}, {3, "b", 30, "three", "<null>"}, {4, "a", 40, "four", ""}}
	var got []row
	for rows.Next() {
		var r row
		var raw []byte
		if err := rows.Scan(&r.id, &r.ck, &r.qty, &r.note, &raw); err != nil {
			t.Fatal(err)
		}
		r.raw = fmt.Sprintf("%x", raw)
		if raw == nil {
			r.raw = "<null>"
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows after the MERGE:\n got %v\nwant %v", got, want)
	}
	var left int64
	if err := db.QueryRow(`SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'orders__lading_stage'`).Scan(&left); err == nil && left != 0 {
		t.Errorf("the staging table is still there after DROP")
	}
}
