package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// stagingPrefix starts the names of the transient staging tables of this
// dump's loads into the table: <table>__lading_<dump mark>_<random>.
func (tb *table) stagingPrefix() string {
	return tb.name.Table + "__lading_" + dumpMark(tb.dump) + "_"
}

// dropLeftoverStaging drops the staging tables earlier runs of this dump
// left behind (killed between a staging COPY and the DROP): a run that
// needs a staging table first drops every one of the dump's. Those rows
// were never recorded as loaded, and this run loads their parts again.
// A loader running the same dump at this moment loses its staging table:
// its COPY or MERGE then fails (it exits 1 and its re-run converges); it
// cannot record a part whose rows were dropped, because its MERGE reads
// the staging table it created, which no longer exists.
func (tb *table) dropLeftoverStaging(ctx context.Context, conn *sql.Conn) error {
	prefix := tb.stagingPrefix()
	rows, err := conn.QueryContext(ctx, leftoverSQL(tb.name), tb.name.Schema, likePrefix(prefix))
	if err != nil {
		return fmt.Errorf("listing leftover staging tables of %s: %w", tb.name, err)
	}
	var left []tableName
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		if strings.HasPrefix(n, prefix) { // LIKE's _ matched any character
			left = append(left, tableName{tb.name.DB, tb.name.Schema, n})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, st := range left {
		tb.t.log.Info("dropping a staging table an earlier run left", "table", st.String())
		if _, err := conn.ExecContext(ctx, dropSQL(st)); err != nil {
			return fmt.Errorf("drop leftover staging table %s: %w", st, err)
		}
	}
	return nil
}

// leftoverSQL lists the tables of t's schema whose names are LIKE the
// second bind (the schema is the first).
func leftoverSQL(t tableName) string {
	return "SELECT TABLE_NAME FROM " + quoteIdent(t.DB) + ".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?"
}

// likePrefix is a LIKE pattern of the names starting with p (% and _ in
// p match more than themselves; the caller checks the prefix exactly).
func likePrefix(p string) string { return p + "%" }
