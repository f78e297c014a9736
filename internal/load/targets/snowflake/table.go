package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/load"
)

// table is one Snowflake table a dump loads into, whole parts at a time
// with COPY INTO (copyload.go).
type table struct {
	t      *target
	name   tableName
	cols   []column
	dump   string // the dump's prefix below the store root
	exists bool
	// ledgerName, when set, is the table Identity names instead of name:
	// a replace load's fresh table keeps the replaced table's ledger.
	ledgerName string

	mu      sync.Mutex
	conn    *sql.Conn // one session: a temporary stage lives in its session
	stage   string    // the stage COPY reads, with the path to the dump
	putDir  string    // where parts are copied to be PUT under their names
	staging *tableName
	// rows is the session's temporary table of lines on the INSERT path
	// (load=insert), and lines the lines StagePart read, by part.
	rows  *tableName
	lines map[string][]string
}

var (
	_ load.Table       = (*table)(nil)
	_ load.GroupLoader = (*table)(nil)
)

func (tb *table) Identity() load.Identity {
	name := tb.name.Table
	if tb.ledgerName != "" {
		name = tb.ledgerName
	}
	return load.Identity{Kind: Scheme, Cluster: tb.t.cfg.Account, Namespace: tb.name.DB + "." + tb.name.Schema, Table: name}
}

func (tb *table) Exists() bool { return tb.exists }

func (tb *table) CheckSchema(ctx context.Context) error {
	return checkSchema(ctx, tb.t.db, tb.name, tb.cols)
}

// Incarnation is the table's creation time and, for a table the loader
// created, the id in its COMMENT.
func (tb *table) Incarnation(ctx context.Context) (string, error) {
	var created time.Time
	var comment sql.NullString
	err := tb.t.db.QueryRowContext(ctx, `SELECT CREATED, COMMENT FROM `+quoteIdent(tb.name.DB)+`.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
		tb.name.Schema, tb.name.Table).Scan(&created, &comment)
	if err != nil {
		return "", fmt.Errorf("incarnation of %s: %w", tb.name, err)
	}
	inc := created.UTC().Format("20060102T150405.000000000Z")
	if id, ok := strings.CutPrefix(comment.String, incarnationPrefix); ok {
		id, _, _ = strings.Cut(id, " ") // a fresh table's load mark follows (replace.go)
		inc += "-" + id
	}
	return inc, nil
}

func (tb *table) Empty(ctx context.Context) (bool, error) {
	var one int
	err := tb.t.db.QueryRowContext(ctx, emptySQL(tb.name)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s empty: %w", tb.name, err)
	}
	return false, nil
}

func (tb *table) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := tb.t.db.QueryRowContext(ctx, countSQL(tb.name)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", tb.name, err)
	}
	return n, nil
}
