package load

import (
	"context"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
)

// checkStillThere refuses to call a dump "already loaded" into a table
// that is empty although the ledger says rows of the dump should still
// be live there. The ledger keys loads by the table's incarnation
// (Cassandra's table id), and that id survives what empties a table
// without recreating it: TRUNCATE, CREATE TABLE ... WITH ID of a dropped
// table's id, nodes that lost their data. Trusting the ledger then would
// report every dump loaded, exit 0, over an empty table.
//
// Rows that cannot be there any more are no reason: rows that expired or
// were rejected when loaded, and rows whose TTLs have all run out since
// (the record keeps when they expire).
func (l *Loader) checkStillThere(ctx context.Context, d discover.Dump, tbl Table, in *Incarnation, rec *LoadedRecord) error {
	if !tbl.Exists() || !liveRowsExpected(rec.Counts, l.opts.Now()) {
		return nil
	}
	seen := tbl.Identity().String() + "/" + in.ID()
	if l.holdsRows[seen] {
		return nil
	}
	empty, err := tbl.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		l.holdsRows[seen] = true
		return nil
	}
	return fault.Usagef("the ledger %s says dump %s was loaded into %s (table id %s) on %s, but the table is empty: it was truncated, or recreated with the same id, or its data was lost; use --force to load it again",
		in.l.Location(), d, tbl.Identity(), in.ID(), rec.Finished.Format(time.RFC3339))
}

// liveRowsExpected reports whether a load with these counts left rows
// that should still exist at now: some that never expire, or some whose
// TTL has not yet run out (with countSlack seconds for clocks).
func liveRowsExpected(c Counts, now time.Time) bool {
	if c.RowsWritten > c.ExpiringRows {
		return true
	}
	return c.ExpiringRows > 0 && c.ExpiryMax > now.Unix()+countSlack
}
