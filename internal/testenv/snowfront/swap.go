package snowfront

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// swapRE is ALTER TABLE a SWAP WITH b, which fakesnow cannot parse.
var swapRE = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(` + ident + `)\s+SWAP\s+WITH\s+(` + ident + `)\s*;?\s*$`)

// swap emulates ALTER TABLE a SWAP WITH b: three renames in one
// transaction of the front's own session, so a reader sees either table
// under either name, never a missing one. fakesnow keeps a table's
// COMMENT by name, not with the table: the two COMMENTs are swapped too
// (just after the transaction: fakesnow refuses SET COMMENT in one), as
// Snowflake's SWAP moves them with the tables.
func (f *Front) swap(ctx context.Context, q string) (*result, error) {
	m := swapRE.FindStringSubmatch(q)
	a, b := identPartRE.FindAllString(m[1], -1), identPartRE.FindAllString(m[2], -1)
	if len(a) != len(b) || strings.Join(a[:len(a)-1], ".") != strings.Join(b[:len(b)-1], ".") {
		return nil, &sqlError{code: "002003", state: "02000", msg: "snowfront: SWAP WITH is emulated for two tables of one schema, named alike"}
	}
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ca, err := comment(ctx, conn, stageKey(m[1]))
	if err != nil {
		return nil, err
	}
	cb, err := comment(ctx, conn, stageKey(m[2]))
	if err != nil {
		return nil, err
	}
	tmp := `"snowfront_swap_` + queryID()[:8] + `"`
	prefix := strings.Join(a[:len(a)-1], ".")
	if prefix != "" {
		prefix += "."
	}
	stmts := []string{
		"BEGIN",
		"ALTER TABLE " + m[1] + " RENAME TO " + tmp,
		"ALTER TABLE " + m[2] + " RENAME TO " + a[len(a)-1],
		"ALTER TABLE " + prefix + tmp + " RENAME TO " + b[len(b)-1],
		"COMMIT",
		// fakesnow refuses SET COMMENT inside a transaction: right after
		// it, in the same request (the front finishes a statement whose
		// client went away).
		"ALTER TABLE " + m[1] + " SET COMMENT = " + sqlString(cb),
		"ALTER TABLE " + m[2] + " SET COMMENT = " + sqlString(ca),
	}
	for i, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			if i < 5 {
				conn.ExecContext(ctx, "ROLLBACK")
			}
			return nil, fmt.Errorf("snowfront: SWAP WITH as %q: %w", s, err)
		}
	}
	return statusRow("Statement executed successfully."), nil
}

// comment reads the COMMENT of table key (DB.SCHEMA.TABLE, folded).
func comment(ctx context.Context, conn *sql.Conn, key string) (string, error) {
	p := strings.Split(key, ".")
	if len(p) != 3 {
		return "", &sqlError{code: "002003", state: "02000", msg: "snowfront: SWAP WITH is emulated for DATABASE.SCHEMA.TABLE names only"}
	}
	var c sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT COMMENT FROM `+quoted(p[0])+`.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, p[1], p[2]).Scan(&c)
	if err == sql.ErrNoRows {
		return "", &sqlError{code: "002003", state: "42S02", msg: fmt.Sprintf("SQL compilation error:\nTable '%s' does not exist or not authorized.", key)}
	}
	return c.String, err
}

func quoted(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}
