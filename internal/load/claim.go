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
		releaseClaim(ctx, claim, tbl, log)
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
	// A load that superseded the records and was killed before its reset
	// left lading's rows without a loaded record.
	superseded, err := inc.SupersededDumps(ctx)
	if err != nil {
		return fail(err)
	}
	if !empty && prev == nil && len(loaded) == 0 && len(superseded) == 0 && !l.opts.Force {
		return fail(fault.Usagef("%s is a counter table that already holds rows lading did not write: loading would add the dump's counts to them; empty it first or pass --force (which truncates it)", tbl.Identity()))
	}
	if !empty || prev != nil {
		reason := "the table holds an earlier load"
		if prev != nil {
			reason = "an earlier attempt of this dump did not finish"
		}
		log.Warn("truncating counter table before loading it again", "reason", reason)
		l.opts.Run.Event("counter_reset", "table", tbl.Identity().String(), "reason", reason)
		// The reset empties the table: no loaded record holds after it,
		// this dump's (a --force reload) included.
		n, err := inc.SupersedeLoaded(ctx)
		if err != nil {
			return fail(err)
		}
		if n > 0 {
			log.Info("loaded records superseded before the reset", "records", n)
		}
		if err := c.Reset(ctx); err != nil {
			return fail(err)
		}
		if err := dl.RestartAllOrNothing(ctx); err != nil {
			return fail(err)
		}
	}
	return claim, nil
}

// releaseClaim gives a claim up, logging a failure: the claim then stays
// until it goes stale, and the next loader waits for that.
func releaseClaim(ctx context.Context, c Claim, tbl Table, log *slog.Logger) {
	if err := c.Release(context.WithoutCancel(ctx)); err != nil {
		log.Warn("could not release the counter claim; the next loader waits until it is stale", "table", tbl.Identity().String(), "err", err.Error())
	}
}
