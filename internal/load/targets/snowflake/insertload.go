package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
)

// The INSERT path (?load=insert): for small dumps where no stage is
// allowed, the parts' lines go to a temporary table of the session with
// array-bound INSERTs, and one INSERT … SELECT per group applies the
// same conversions as COPY (conversions) into the table or the staging
// table. No stage: gosnowflake would upload binds to one past its
// threshold, so every INSERT stays below it.
const (
	// LoadInsert is the URL's load=insert.
	LoadInsert = "insert"
	// maxInsertDumpBytes is the most row bytes (the manifest's JSON
	// bytes) a dump loaded through INSERTs may hold: its parts' lines
	// are held in memory a group at a time, and INSERTs are slow.
	maxInsertDumpBytes = 16 << 20
	// maxInsertBytes bounds the bound text of one INSERT, under
	// Snowflake's 1 MB statement size limit (a single larger line goes
	// alone).
	maxInsertBytes = 1 << 20
	// maxInsertRows keeps an INSERT's bound values (3 a row) below
	// gosnowflake's 65,280, past which it would PUT them to a stage.
	maxInsertRows = 65280/3 - 1
)

// checkInsertDump refuses a dump too large for the INSERT path.
func checkInsertDump(dump string, rowBytes int64) error {
	if rowBytes > maxInsertDumpBytes {
		return fault.Usagef("dump %s holds %d bytes of rows: load=insert loads at most %d (16 MiB); load it through a stage (drop load=insert from --to)", dump, rowBytes, int64(maxInsertDumpBytes))
	}
	return nil
}

// readLines reads a proven part's lines (decompressed) for the INSERT
// path.
func readLines(ctx context.Context, name string, open func(context.Context) (io.ReadCloser, error)) ([]string, error) {
	r, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	pr, err := format.NewPartReader(r, name)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	var out []string
	for {
		line, err := pr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", name, err)
		}
		out = append(out, string(line))
	}
}

// insertGroup loads the group's lines (read by StagePart) into the
// session's row table with array-bound INSERTs, then into the table (or
// staging table) with one INSERT … SELECT. A row the conversions refuse
// stops the group with maxRejects 0; otherwise each refused row is found
// (one SELECT per row of the group, on this error path only), named in
// the results and left out.
func (tb *table) insertGroup(ctx context.Context, conn *sql.Conn, into tableName, parts []load.PartInfo, maxRejects int64) ([]load.GroupResult, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if _, err := conn.ExecContext(ctx, truncateSQL(*tb.rows)); err != nil {
		return nil, fmt.Errorf("empty %s: %w", *tb.rows, err)
	}
	var names, docs []string
	var lines []int64
	size := 0
	flush := func() error {
		if len(docs) == 0 {
			return nil
		}
		tb.t.log.Debug("array-bound INSERT", "table", tb.rows.String(), "rows", len(docs), "bytes", size)
		if _, err := conn.ExecContext(ctx, insertRowsSQL(*tb.rows), sf.Array(&names), sf.Array(&lines), sf.Array(&docs)); err != nil {
			return fmt.Errorf("INSERT into %s: %w", *tb.rows, err)
		}
		names, lines, docs, size = names[:0], lines[:0], docs[:0], 0
		return nil
	}
	for _, p := range parts {
		for i, doc := range tb.lines[p.File.Name] {
			if len(docs) > 0 && (size+len(doc) > maxInsertBytes || len(docs) >= maxInsertRows) {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			names, lines, docs = append(names, p.File.Name), append(lines, int64(i+1)), append(docs, doc)
			size += len(doc)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	var refused []load.RejectedRow
	_, err := conn.ExecContext(ctx, insertSelectSQL(into, tb.cols, *tb.rows))
	if err != nil {
		if refused, err = tb.refusedRows(ctx, conn, parts, err, maxRejects); err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, insertSelectSQL(into, tb.cols, *tb.rows)); err != nil {
			return nil, fmt.Errorf("INSERT INTO %s: %w", into, err)
		}
	}
	out := make([]load.GroupResult, len(parts))
	for i, p := range parts {
		n := int64(len(tb.lines[p.File.Name]))
		out[i].Record = load.PartRecord{Rows: n, RowsWritten: n}
		for _, r := range refused {
			if r.Part == p.File.Name {
				out[i].Record.RowsWritten--
				out[i].Record.Rejects++
				out[i].Rejects = append(out[i].Rejects, r)
			}
		}
		delete(tb.lines, p.File.Name)
	}
	return out, nil
}

// refusedRows finds the rows of the group whose conversion fails (after
// the group's INSERT … SELECT failed with failed), and deletes them from
// the row table. With maxRejects 0 the first one is returned as a
// *load.RejectedRowError; when no row fails alone, failed is returned.
func (tb *table) refusedRows(ctx context.Context, conn *sql.Conn, parts []load.PartInfo, failed error, maxRejects int64) ([]load.RejectedRow, error) {
	var out []load.RejectedRow
	for _, p := range parts {
		for i := range tb.lines[p.File.Name] {
			line := int64(i + 1)
			err := tryRow(ctx, conn, checkRowSQL(tb.cols, *tb.rows), p.File.Name, line)
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r := load.RejectedRow{Part: p.File.Name, Line: line, Reason: firstLine(err)}
			if maxRejects == 0 {
				return nil, &load.RejectedRowError{Row: r}
			}
			if _, err := conn.ExecContext(ctx, deleteRowSQL(*tb.rows), p.File.Name, line); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("INSERT … SELECT: %w", failed)
	}
	return out, nil
}

// tryRow converts one row, reading every value so that a conversion
// that fails when its value is produced fails here.
func tryRow(ctx context.Context, conn *sql.Conn, q, part string, line int64) error {
	rows, err := conn.QueryContext(ctx, q, part, line)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// firstLine is an error's message as Snowflake gives it, first line.
func firstLine(err error) string {
	msg := err.Error()
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		msg = se.Message
	}
	first, _, _ := strings.Cut(msg, "\n")
	return strings.TrimSpace(first)
}

// createRowsSQL creates the session's temporary table of dump lines.
func createRowsSQL(t tableName) string {
	return `CREATE TEMPORARY TABLE IF NOT EXISTS ` + t.String() + ` ("part" VARCHAR, "line" NUMBER(19,0), "doc" VARCHAR)`
}

// insertRowsSQL is the array-bound INSERT of lines (three arrays).
func insertRowsSQL(t tableName) string {
	return `INSERT INTO ` + t.String() + ` ("part", "line", "doc") VALUES (?, ?, ?)`
}

// insertSelectSQL applies the COPY's conversions to every line of the
// row table, into the table (or staging table).
func insertSelectSQL(into tableName, cols []column, rows tableName) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.Name)
	}
	return "INSERT INTO " + into.String() + " (" + strings.Join(names, ", ") + ") SELECT " +
		strings.Join(conversions(cols, "v"), ", ") + ` FROM (SELECT PARSE_JSON("doc") AS v FROM ` + rows.String() + ")"
}

// checkRowSQL converts one line (part and line bound) without storing it.
func checkRowSQL(cols []column, rows tableName) string {
	return "SELECT " + strings.Join(conversions(cols, "v"), ", ") +
		` FROM (SELECT PARSE_JSON("doc") AS v FROM ` + rows.String() + ` WHERE "part" = ? AND "line" = ?)`
}

// deleteRowSQL drops one refused line from the row table.
func deleteRowSQL(rows tableName) string {
	return `DELETE FROM ` + rows.String() + ` WHERE "part" = ? AND "line" = ?`
}

// truncateSQL empties a table.
func truncateSQL(t tableName) string { return "TRUNCATE TABLE " + t.String() }
