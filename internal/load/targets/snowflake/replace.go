package snowflake

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
)

var _ load.Replacer = (*target)(nil)

// loadMark follows the incarnation id in the COMMENT of a fresh table a
// replace load created: "lading incarnation <id> load <mark>", mark
// naming the dump (dumpMark). It moves with the table when SWAP puts
// the fresh table in the replaced one's place, so a re-run after a kill
// between the SWAP and the ledger's record sees that the swap was done.
const loadMark = " load "

// dumpMark is a short, stable name of a dump (its key), for table names
// and COMMENTs.
func dumpMark(dump string) string {
	sum := sha256.Sum256([]byte(dump))
	return hex.EncodeToString(sum[:6])
}

// freshName is the fresh table a replace load of the dump marked mark
// loads into, beside the table.
func freshName(t tableName, mark string) tableName {
	return tableName{t.DB, t.Schema, t.Table + "__lading_new_" + mark}
}

// tableComment reads a table's COMMENT ("" when none, or no such table).
func tableComment(ctx context.Context, db *sql.DB, t tableName) (string, error) {
	var c sql.NullString
	err := db.QueryRowContext(ctx, `SELECT COMMENT FROM `+quoteIdent(t.DB)+`.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
		t.Schema, t.Table).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("the comment of %s: %w", t, err)
	}
	return c.String, nil
}

// Replacement is a replace load of the dump into tbl: into a fresh table
// named after the dump beside it, created empty (kept when a killed run
// left it), then swapped in. When tbl itself carries this dump's mark, a
// killed run swapped already: the load goes on in tbl (nothing is left
// to load) and Swap only drops the old rows. When tbl carries another
// dump's mark, the table of that dump's name can only hold the old rows
// of its swap (a run killed before their drop): it is dropped first.
func (t *target) Replacement(ctx context.Context, tbl load.Table, m *manifest.Manifest, dump string, again bool) (load.Replacement, error) {
	tb, ok := tbl.(*table)
	if !ok {
		return nil, fmt.Errorf("snowflake: replacement of a %T", tbl)
	}
	mark := dumpMark(dump)
	fresh := freshName(tb.name, mark)
	comment, err := tableComment(ctx, t.db, tb.name)
	if err != nil {
		return nil, err
	}
	if _, had, ok := strings.Cut(comment, loadMark); ok {
		old := freshName(tb.name, had)
		if had == mark && !again {
			t.log.Info("replace: the fresh table was swapped in by an earlier run; dropping the old rows", "table", tb.name.String(), "old", old.String())
			return &replacement{t: t, into: tb, target: tb.name, fresh: old, swapped: true}, nil
		}
		if _, err := t.db.ExecContext(ctx, dropSQL(old)); err != nil {
			return nil, fmt.Errorf("drop %s (the old rows of an earlier replace): %w", old, err)
		}
	}
	// Created only when missing: the stand-in would replace the COMMENT
	// (the incarnation) of an existing table on CREATE … IF NOT EXISTS.
	got, err := readColumns(ctx, t.db, fresh)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		if _, err := t.db.ExecContext(ctx, createTableSQL(fresh, tb.cols, newIncarnation()+loadMark+mark)); err != nil {
			return nil, fmt.Errorf("create the fresh table %s: %w", fresh, err)
		}
	}
	into := &table{t: t, name: fresh, cols: tb.cols, dump: tb.dump, exists: true, ledgerName: tb.name.Table}
	return &replacement{t: t, into: into, target: tb.name, fresh: fresh}, nil
}

// replacement is one replace load (load.Replacement).
type replacement struct {
	t             *target
	into          *table
	target, fresh tableName
	swapped       bool
}

func (r *replacement) Table() load.Table { return r.into }

// Swap swaps the fresh table in with one ALTER TABLE … SWAP WITH, then
// drops the old rows, now under the fresh table's name.
func (r *replacement) Swap(ctx context.Context) error {
	if !r.swapped {
		if _, err := r.t.db.ExecContext(ctx, swapSQL(r.target, r.fresh)); err != nil {
			return fmt.Errorf("swap %s in for %s: %w", r.fresh, r.target, err)
		}
		r.swapped = true
	}
	if _, err := r.t.db.ExecContext(ctx, dropSQL(r.fresh)); err != nil {
		return fmt.Errorf("drop the old rows of %s (now %s): %w", r.target, r.fresh, err)
	}
	return nil
}
