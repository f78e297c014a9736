package export

import (
	"context"
	"time"

	"github.com/lading-dev/lading/internal/fault"
)

// schemaCheckInterval is how often a run re-reads the source schema.
var schemaCheckInterval = 30 * time.Second

// checkSchema fails if the source table's schema is no longer the plan's.
func (x *exporter) checkSchema(ctx context.Context) error {
	live, err := x.src.Describe(ctx, x.cfg.Table)
	if err != nil {
		return err
	}
	return sameSource(x.src, &x.plan.Source, live)
}

// watchSchema re-reads the schema periodically until ctx is done and
// cancels the run (with the difference as the cause) when the table
// changes: rows read after the change would not match the plan's schema.
// A failed read is not a change; the next tick tries again.
func (x *exporter) watchSchema(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(schemaCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := x.checkSchema(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		if fault.IsUsage(err) {
			x.logger.Error("source schema changed during the export", "err", err)
			cancel(err)
			return
		}
		x.logger.Debug("schema check failed", "err", err)
	}
}
