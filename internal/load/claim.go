package load

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lading-dev/lading/internal/fault"
)

// claimAllOrNothing prepares a load into a table that is not idempotent
// (a counter table): it takes the table's claim (one loader at a time),
// then empties the table when an earlier attempt of this dump did not
// finish or when it holds what an earlier lading load wrote. A table
// holding rows that lading did not write is refused unless forced: the
// dump's counts would add to them.
func (l *Loader) claimAllOrNothing(ctx context.Context, inc *Incarnation, dl *DumpLedger, tbl Table, empty bool, log *slog.Logger) (Claim, error) {
	c, ok := tbl.(Claimer)
	if !ok {
		return nil, fmt.Errorf("%s loads all or nothing but cannot be claimed", tbl.Identity())
	}
	claim, err := c.Claim(ctx, l.owner)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (Claim, error) {
		claim.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	prev, err := dl.PeekStarted(ctx)
	if err != nil {
		return fail(err)
	}
	loaded, err := inc.LoadedDumps(ctx)
	if err != nil {
		return fail(err)
	}
	if !empty && prev == nil && len(loaded) == 0 && !l.opts.Force {
		return fail(fault.Usagef("%s is a counter table that already holds rows lading did not write: loading would add the dump's counts to them; empty it first or pass --force (which truncates it)", tbl.Identity()))
	}
	if !empty || prev != nil {
		reason := "the table holds an earlier load"
		if prev != nil {
			reason = "an earlier attempt of this dump did not finish"
		}
		log.Warn("truncating counter table before loading it again", "reason", reason)
		l.opts.Run.Event("counter_reset", "table", tbl.Identity().String(), "reason", reason)
		if err := c.Reset(ctx); err != nil {
			return fail(err)
		}
		if err := dl.RestartAllOrNothing(ctx); err != nil {
			return fail(err)
		}
	}
	return claim, nil
}
