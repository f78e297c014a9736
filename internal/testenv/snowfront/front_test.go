package snowfront

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/testenv"
)

// TestFrontStageAndCopy runs the emulated statements through gosnowflake:
// an internal stage, PUT of two parts, LIST, and COPY INTO with a
// transformation, ON_ERROR = CONTINUE counting a bad line with its file
// and line, and ON_ERROR = ABORT_STATEMENT loading nothing.
func TestFrontStageAndCopy(t *testing.T) {
	db, name, exec := frontDB(t)
	ctx := context.Background()
	tbl := `"` + name + `"."RAW"."t"`
	exec(`CREATE TABLE ` + tbl + ` ("k" NUMBER(10,0) NOT NULL, "v" VARCHAR)`)
	stage := `"` + name + `"."RAW"."ST"`
	exec(`CREATE TEMPORARY STAGE IF NOT EXISTS ` + stage)

	dir := t.TempDir()
	write := func(n, body string) string {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.ndjson", `{"k":1,"v":"one"}`+"\n"+`{"k":2,"v":"two"}`+"\n")
	b := write("b.ndjson", `{"k":3,"v":"three"}`+"\n"+`{"k":"x","v":"bad"}`+"\n"+`{"k":5}`+"\n")
	for _, p := range []string{a, b} {
		exec(`PUT 'file://` + p + `' @` + stage + ` AUTO_COMPRESS = FALSE OVERWRITE = TRUE`)
	}
	var files []string
	rows, err := db.QueryContext(ctx, `LIST @`+stage)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		var size int64
		var md5, mod sql.NullString
		if err := rows.Scan(&n, &size, &md5, &mod); err != nil {
			t.Fatal(err)
		}
		files = append(files, fmt.Sprintf("%s:%d", n, size))
	}
	rows.Close()
	if got := strings.Join(files, ","); got != "st/a.ndjson:36,st/b.ndjson:48" {
		t.Errorf("LIST = %s", got)
	}

	cp := `COPY INTO ` + tbl + ` ("k", "v") FROM (SELECT $1:"k"::NUMBER(10,0), $1:"v"::VARCHAR FROM @` + stage + `) FILES = ('a.ndjson', 'b.ndjson') FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE) `
	if _, err := db.ExecContext(ctx, cp+`ON_ERROR = ABORT_STATEMENT`); err == nil || !strings.Contains(err.Error(), "File 'st/b.ndjson', line 2") {
		t.Errorf("ABORT_STATEMENT: err = %v, want one naming st/b.ndjson line 2", err)
	}
	var n int64
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tbl).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows after an aborted COPY, want 0", n)
	}
	rows, err = db.QueryContext(ctx, cp+`ON_ERROR = CONTINUE`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var file, status string
		var parsed, loaded, limit, errs int64
		var first, col sql.NullString
		var line, char sql.NullInt64
		if err := rows.Scan(&file, &status, &parsed, &loaded, &limit, &errs, &first, &line, &char, &col); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d %d %d line %d", file, status, parsed, loaded, errs, line.Int64))
	}
	rows.Close()
	want := "st/a.ndjson LOADED 2 2 0 line 0|st/b.ndjson PARTIALLY_LOADED 3 2 1 line 2"
	if strings.Join(got, "|") != want {
		t.Errorf("COPY result\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tbl).Scan(&n)
	if n != 4 {
		t.Errorf("%d rows after the COPY, want 4", n)
	}
}

// frontDB starts a front before the stand-in, connects gosnowflake to
// it (one session) and creates a new database with a schema RAW. It
// returns the connection, the database's name, and an exec that fails t.
func frontDB(t *testing.T) (*sql.DB, string, func(string)) {
	t.Helper()
	up := testenv.Need(t, "LADING_SNOWFLAKE_HOST") + ":" + testenv.Need(t, "LADING_SNOWFLAKE_PORT")
	f, err := Start(Options{Upstream: up})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	host, port, _ := strings.Cut(f.Addr(), ":")
	var p int
	fmt.Sscan(port, &p)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "a", User: "u", Password: "p", Host: host, Port: p, Protocol: "http"}))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	name := fmt.Sprintf("FRONT%d", time.Now().UnixNano())
	exec(`CREATE DATABASE "` + name + `"`)
	exec(`CREATE SCHEMA "` + name + `"."RAW"`)
	return db, name, exec
}
