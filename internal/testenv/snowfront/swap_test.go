package snowfront

import (
	"testing"
)

// TestFrontSwap: ALTER TABLE a SWAP WITH b, emulated, leaves each name
// with the other table's rows and COMMENT, and a swap of a missing table
// fails changing nothing.
func TestFrontSwap(t *testing.T) {
	db, name, exec := frontDB(t)
	a, b := `"`+name+`"."RAW"."a"`, `"`+name+`"."RAW"."b"`
	exec(`CREATE TABLE ` + a + ` ("k" NUMBER(10,0)) COMMENT = 'table a'`)
	exec(`CREATE TABLE ` + b + ` ("k" NUMBER(10,0)) COMMENT = 'table b'`)
	exec(`INSERT INTO ` + a + ` VALUES (1)`)
	exec(`INSERT INTO ` + b + ` VALUES (2), (3)`)
	exec(`ALTER TABLE ` + a + ` SWAP WITH ` + b)

	check := func(tbl, table string, rows int, comment string) {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + tbl).Scan(&n); err != nil || n != rows {
			t.Errorf("%s: %d rows (%v), want %d", tbl, n, err, rows)
		}
		var c string
		if err := db.QueryRow(`SELECT COMMENT FROM "`+name+`".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'RAW' AND TABLE_NAME = ?`, table).Scan(&c); err != nil || c != comment {
			t.Errorf("%s: comment %q (%v), want %q", tbl, c, err, comment)
		}
	}
	check(a, "a", 2, "table b")
	check(b, "b", 1, "table a")

	if _, err := db.Exec(`ALTER TABLE ` + a + ` SWAP WITH "` + name + `"."RAW"."missing"`); err == nil {
		t.Fatal("SWAP WITH a missing table succeeded")
	}
	check(a, "a", 2, "table b")
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM "` + name + `".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'RAW'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d tables after the failed swap (%v), want 2", n, err)
	}
}
