package snowflake

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
)

// TestStandInSchemaCheck creates the every-type table with the generated
// DDL on the stand-in, checks it matches, then checks a table that differs
// in every way the check knows: each difference is listed in one usage
// error.
func TestStandInSchemaCheck(t *testing.T) {
	db := standIn(t)
	ctx := context.Background()
	dbName := fmt.Sprintf("LADING_S%d", time.Now().UnixNano())
	exec(t, db, "CREATE DATABASE "+quoteIdent(dbName))
	exec(t, db, "CREATE SCHEMA "+quoteIdent(dbName)+"."+quoteIdent("RAW"))
	cols, err := columns(everyType(t), true, true)
	if err != nil {
		t.Fatal(err)
	}
	good := tableName{dbName, "RAW", "orders"}
	exec(t, db, createTableSQL(good, cols, ""))
	t.Cleanup(func() { db.Exec(dropSQL(good)) })
	if err := checkSchema(ctx, db, good, cols); err != nil {
		t.Fatalf("the table the DDL created does not pass the check: %v", err)
	}

	bad := tableName{dbName, "RAW", "orders_bad"}
	exec(t, db, `CREATE TABLE `+bad.String()+` ("id" NUMBER(10,0) NOT NULL, "ck" VARCHAR(10) NOT NULL, "a_bool" VARCHAR, "x" NUMBER(3,0) NOT NULL, "y" VARCHAR)`)
	t.Cleanup(func() { db.Exec(dropSQL(bad)) })
	err = checkSchema(ctx, db, bad, cols)
	if err == nil || !fault.IsUsage(err) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	for _, want := range []string{
		`column "id" is NUMBER(10,0), want NUMBER(19,0)`,
		`column "ck" is VARCHAR(10), want VARCHAR`,
		`column "a_bool" is VARCHAR(16777216), want BOOLEAN`,
		`column "a_blob" is missing (want BINARY)`,
		`column "_ttl" is missing (want VARIANT)`,
		`column "x" is NOT NULL and not in the dump`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"y"`) {
		t.Errorf("a nullable extra column is listed: %v", err)
	}

	err = checkSchema(ctx, db, tableName{dbName, "RAW", "nope"}, cols)
	if err == nil || !fault.IsUsage(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing table: err = %v, want a usage error saying it does not exist", err)
	}
}
