package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/throttle"
)

// A loader killed with SIGKILL does not stop the statement it was
// waiting for: Snowflake runs a detached statement to its end
// (ABORT_DETACHED_QUERY is FALSE by default). A COPY straight into the
// table that lands after a re-run has merged the same parts would
// duplicate their rows. So every statement of a table's session carries
// a QUERY_TAG naming the table and the dump, and a new session first
// cancels the statements still running under that tag and waits until
// none is left, before it loads anything.

// How often, and how long, a session waits for an earlier run's
// statements to end after cancelling them.
var (
	detachedPoll = time.Second
	detachedWait = 10 * time.Minute
)

// queryTag names the load of this dump into this table.
func (tb *table) queryTag() string {
	return "lading load " + dumpMark(tb.name.String()+"\x00"+tb.dump)
}

// settleDetached cancels the statements an earlier run of this load
// left running and waits until they have ended, then tags the session.
// It runs before the session's first statement of the load.
func (tb *table) settleDetached(ctx context.Context, conn *sql.Conn) error {
	tag := tb.queryTag()
	deadline := time.Now().Add(detachedWait)
	cancelled := map[string]bool{}
	for {
		ids, err := runningTagged(ctx, conn, tb.name, tag)
		if err != nil {
			return fmt.Errorf("statements an earlier load of %s left running: %w", tb.name, err)
		}
		if len(ids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d statements of an earlier load of %s still run %s after they were cancelled: %s", len(ids), tb.name, detachedWait, strings.Join(ids, ", "))
		}
		for _, id := range ids {
			if cancelled[id] {
				continue
			}
			tb.t.log.Warn("cancelling a statement an earlier run of this load left running", "table", tb.name.String(), "query_id", id)
			if _, err := conn.ExecContext(ctx, cancelSQL(id)); err != nil {
				return fmt.Errorf("cancel statement %s of an earlier load of %s: %w", id, tb.name, err)
			}
			cancelled[id] = true
		}
		if err := throttle.Sleep(ctx, detachedPoll); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, queryTagSQL(tag)); err != nil {
		return fmt.Errorf("tag the session loading %s: %w", tb.name, err)
	}
	return nil
}

// runningTagged lists the ids of the statements tagged tag that have not
// ended.
func runningTagged(ctx context.Context, conn *sql.Conn, t tableName, tag string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, runningSQL(t, tag))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// runningSQL lists the statements of the loader's user tagged tag that
// are still running or waiting to (QUERY_HISTORY of t's database: the
// user's 10,000 most recent statements of the last 7 days).
func runningSQL(t tableName, tag string) string {
	return "SELECT QUERY_ID FROM TABLE(" + quoteIdent(t.DB) + ".INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000)) WHERE QUERY_TAG = " +
		quoteString(tag) + " AND EXECUTION_STATUS IN ('RUNNING', 'QUEUED', 'RESUMING_WAREHOUSE', 'BLOCKED')"
}

// cancelSQL cancels one statement by its query id.
func cancelSQL(id string) string { return "SELECT SYSTEM$CANCEL_QUERY(" + quoteString(id) + ")" }

// queryTagSQL tags the session's statements.
func queryTagSQL(tag string) string { return "ALTER SESSION SET QUERY_TAG = " + quoteString(tag) }
