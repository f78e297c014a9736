package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
)

// colInfo is a column as INFORMATION_SCHEMA.COLUMNS describes it.
type colInfo struct {
	DataType  string // NUMBER, TEXT, BINARY, BOOLEAN, FLOAT, DATE, TIMESTAMP_TZ, VARIANT…
	Precision sql.NullInt64
	Scale     sql.NullInt64
	Length    sql.NullInt64 // TEXT only
	Nullable  bool
}

var ddlRE = regexp.MustCompile(`^([A-Z_]+)(?:\((\d+)(?:,(\d+))?\))?$`)

// accepts reports whether an existing column of type got holds what the
// mapping's DDL (want) does: the same type, a NUMBER of the same precision
// and scale, a TEXT at least as long.
func accepts(want string, got colInfo) bool {
	m := ddlRE.FindStringSubmatch(want)
	if m == nil {
		return false
	}
	name := m[1]
	switch name {
	case "VARCHAR":
		if got.DataType != "TEXT" {
			return false
		}
		if m[2] == "" {
			// Unbounded text: anything shorter than Snowflake's maximum
			// could refuse a value.
			return !got.Length.Valid || got.Length.Int64 >= 16777216
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		return !got.Length.Valid || got.Length.Int64 >= n
	case "NUMBER":
		p, _ := strconv.ParseInt(m[2], 10, 64)
		s, _ := strconv.ParseInt(m[3], 10, 64)
		return got.DataType == "NUMBER" && got.Precision.Int64 == p && got.Scale.Int64 == s
	}
	return got.DataType == name
}

func (c colInfo) String() string {
	switch {
	case c.DataType == "NUMBER":
		return fmt.Sprintf("NUMBER(%d,%d)", c.Precision.Int64, c.Scale.Int64)
	case c.DataType == "TEXT" && c.Length.Valid:
		return fmt.Sprintf("VARCHAR(%d)", c.Length.Int64)
	}
	return c.DataType
}

// readColumns reads the table's columns; an empty map means the table
// does not exist.
func readColumns(ctx context.Context, db *sql.DB, t tableName) (map[string]colInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE FROM `+
		quoteIdent(t.DB)+`.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, t.Schema, t.Table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
	}
	defer rows.Close()
	out := map[string]colInfo{}
	for rows.Next() {
		var name, nullable string
		var c colInfo
		if err := rows.Scan(&name, &c.DataType, &c.Precision, &c.Scale, &c.Length, &nullable); err != nil {
			return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
		}
		c.Nullable = nullable == "YES"
		out[name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
	}
	return out, nil
}

// schemaMismatches lists every way the existing columns differ from the
// dump's: a missing column, a column of another type, and a NOT NULL
// column the dump does not fill (every COPY would fail on it).
func schemaMismatches(want []column, got map[string]colInfo) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range want {
		seen[c.Name] = true
		g, ok := got[c.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("column %q is missing (want %s)", c.Name, c.Type.DDL))
		case !accepts(c.Type.DDL, g):
			out = append(out, fmt.Sprintf("column %q is %s, want %s", c.Name, g, c.Type.DDL))
		}
	}
	var extra []string
	for name, g := range got {
		if !seen[name] && !g.Nullable {
			extra = append(extra, fmt.Sprintf("column %q is NOT NULL and not in the dump", name))
		}
	}
	// Map order: sort for a stable message.
	sort.Strings(extra)
	return append(out, extra...)
}

// checkSchema compares an existing table with the dump's columns: a
// mismatch is a usage error (exit 2) naming every differing column.
func checkSchema(ctx context.Context, db *sql.DB, t tableName, want []column) error {
	got, err := readColumns(ctx, db, t)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fault.Usagef("table %s does not exist", t)
	}
	if m := schemaMismatches(want, got); len(m) > 0 {
		return fault.Usagef("table %s does not match the dump: %s", t, strings.Join(m, "; "))
	}
	return nil
}
