package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/version"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// readManifest reads a dump's manifest strictly and checks that it names
// the dump it sits in.
func (l *Loader) readManifest(ctx context.Context, d discover.Dump) (*manifest.Manifest, error) {
	data, err := l.root.Bucket.ReadAll(ctx, d.ManifestKey())
	if err != nil {
		if errors.Is(err, objstore.ErrNotFound) {
			return nil, fault.Usagef("%s has %s but no %s", d, manifest.SuccessName, manifest.ManifestName)
		}
		return nil, err
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		return nil, fault.Usage(fmt.Errorf("%s: %w", d.ManifestKey(), err))
	}
	if m.Batch != d.Batch || m.Table != d.Table || m.Timestamp != d.Timestamp {
		return nil, fault.Usagef("%s names dump %s/%s/%s, not the one it sits in", d.ManifestKey(), m.Batch, m.Table, m.Timestamp)
	}
	return m, nil
}

// loadDump loads one complete dump.
func (l *Loader) loadDump(ctx context.Context, d discover.Dump, named bool) error {
	o := &l.opts
	m, err := l.readManifest(ctx, d)
	if err != nil {
		return err
	}
	// A dump of a kind the target does not map is refused before a
	// table or a ledger record is made for it.
	if err := l.checkSourceKind(d, m); err != nil {
		return err
	}
	tbl, err := l.target.Table(ctx, m, TableOptions{Name: l.targetTableName(d.Table), Create: o.CreateTable, CreateIndexes: o.CreateIndexes, DryRun: o.DryRun, Versions: o.Versions, NumericAsString: o.NumericAsString})
	if err != nil {
		return err
	}
	id := tbl.Identity()
	ledger := NewLedger(l.state, l.stateDir, id)
	incID := "new"
	if tbl.Exists() {
		if incID, err = tbl.Incarnation(ctx); err != nil {
			return err
		}
	}
	inc := ledger.Incarnation(incID)
	log := o.Logger.With("dump", d.String(), "target", id.String())

	rec, err := inc.Loaded(ctx, d)
	if err != nil {
		return err
	} else if rec != nil && !o.Force {
		if err := l.checkStillThere(ctx, d, tbl, inc, rec); err != nil {
			return err
		}
		log.Info("already loaded", "finished", rec.Finished, "rows", rec.Counts.Rows, "verify", rec.Verify.Result)
		o.Run.Add("dumps_already_loaded", 1)
		l.record(DumpResult{Dump: d.String(), Outcome: "already loaded", Target: id.String(), Counts: rec.Counts, Verify: rec.Verify})
		return nil
	}
	newest, newestName, err := inc.NewestLoaded(ctx)
	if err != nil {
		return err
	}
	if newest > d.Timestamp && !o.Force {
		msg := fmt.Sprintf("dump %s is older than %s, already loaded into %s; loading it would go back in time (use --force to load it anyway)", d, newestName, id)
		if named {
			return fault.Usagef("%s", msg)
		}
		log.Warn("skipping older dump", "reason", msg)
		o.Run.Add("dumps_older_skipped", 1)
		l.record(DumpResult{Dump: d.String(), Outcome: "older: skipped", Target: id.String()})
		return nil
	}

	if tbl.Exists() {
		if err := tbl.CheckSchema(ctx); err != nil {
			return err
		}
	}
	if err := loadable(tbl); err != nil {
		return err
	}
	if o.DryRun {
		return l.dryRun(ctx, d, m, tbl, inc)
	}
	if o.Mode == ModeReplace {
		return l.replaceDump(ctx, d, m, tbl, ledger, rec != nil, log)
	}
	return l.loadInto(ctx, d, m, tbl, inc, incID, log, nil)
}

// loadInto loads the dump's parts into tbl, verifies and records them in
// the ledger of incarnation inc (incID). beforeMark, when set, runs after
// verification and before the loaded record (--mode replace swaps the
// fresh table in there).
func (l *Loader) loadInto(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, inc *Incarnation, incID string, log *slog.Logger, beforeMark func(context.Context) error) error {
	o := &l.opts
	id := tbl.Identity()
	dl := inc.Dump(d)
	started := o.Now().UTC()
	empty, err := tbl.Empty(ctx)
	if err != nil {
		return err
	}
	var claim Claim
	if !idempotent(tbl) {
		if claim, err = l.claimAllOrNothing(ctx, inc, dl, tbl, empty, log); err != nil {
			return err
		}
		defer releaseClaim(ctx, claim, tbl, log)
		empty = true
	}
	st, _, err := dl.Started(ctx, &StartedRecord{
		Dump: d.String(), Target: id.String(), Incarnation: incID, Started: started,
		EmptyBefore: empty, AllOrNothing: !idempotent(tbl), Tool: "loader " + version.Version,
	})
	if err != nil {
		return err
	}
	if o.Force && !empty {
		// A forced reload into a table that holds rows (perhaps of later
		// dumps too): its rows are not fresh, and a count proves nothing.
		st.EmptyBefore = false
	}

	loaded, begun, err := dl.Progress(ctx)
	if err != nil {
		return err
	}
	var todo []*manifest.File
	for i := range m.Files {
		f := &m.Files[i]
		if loaded[f.Name] && !o.Force {
			continue
		}
		todo = append(todo, f)
	}
	o.Run.SetTotal("rows", o.Run.Counter("rows")+sumRows(todo))
	o.Run.SetTotal("parts", o.Run.Counter("parts")+int64(len(todo)))
	log.Info("loading", "parts", len(todo), "of", len(m.Files), "rows", m.Totals.Rows, "incarnation", incID, "empty_before", st.EmptyBefore)

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if claim != nil {
		go func() {
			select {
			case <-claim.Lost():
				cancel()
			case <-lctx.Done():
			}
		}()
	}
	pl := l.rowPool(lctx, m, tbl, o.Run.Table(d.Table), log)
	var (
		mu       sync.Mutex
		rejected int64
		run      Counts // this run's parts
	)
	if idempotent(tbl) {
		recs, err := dl.PartRecords(ctx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if loaded[r.Part] {
				rejected += r.Rejects
			}
		}
	}
	g, gctx := errgroup.WithContext(lctx)
	g.SetLimit(o.Parts)
	each := todo
	if gl, ok := tbl.(GroupLoader); ok && idempotent(tbl) {
		each = nil // loaded in groups (groupload.go)
		g.Go(func() error {
			return l.groupRun(d, m, gl, dl, &mu, &rejected, &run).loadGroups(gctx, todo, func(f *manifest.File) bool { return st.EmptyBefore && !begun[f.Name] && !o.Force })
		})
	}
	for _, f := range each {
		fresh := st.EmptyBefore && !begun[f.Name] && !o.Force && idempotent(tbl)
		g.Go(func() error {
			rec, err := l.loadPart(gctx, d, m, tbl, dl, pl, f, fresh, func(n int64) error {
				mu.Lock()
				defer mu.Unlock()
				rejected += n
				if rejected > o.MaxRejects {
					return fault.Usagef("%d rows rejected by %s, more than --max-rejects %d (see %s)", rejected, id, o.MaxRejects, dl.RejectsLocation(f.Name))
				}
				return nil
			})
			if err != nil {
				return err
			}
			mu.Lock()
			run.RowsWritten += rec.RowsWritten
			run.RowsExpired += rec.RowsExpired
			run.Rejects += rec.Rejects
			run.Mutations += rec.Mutations
			run.addExpiry(rec.ExpiringRows, rec.ExpiryMin, rec.ExpiryMax)
			mu.Unlock()
			if idempotent(tbl) {
				if err := dl.PartLoaded(gctx, rec); err != nil {
					return err
				}
			}
			o.Run.Table(d.Table).Add("parts", 1)
			return nil
		})
	}
	err = g.Wait()
	if pl != nil {
		pl.close()
	}
	if err == nil && claim != nil {
		select {
		case <-claim.Lost():
			err = fmt.Errorf("lost the claim on %s while loading", id)
		default:
		}
	}
	if err != nil {
		return err
	}

	counts := run
	if idempotent(tbl) {
		// Parts loaded by earlier runs count too.
		recs, err := dl.PartRecords(ctx)
		if err != nil {
			return err
		}
		counts = Counts{}
		for _, r := range recs {
			counts.RowsWritten += r.RowsWritten
			counts.RowsExpired += r.RowsExpired
			counts.Rejects += r.Rejects
			counts.Mutations += r.Mutations
			counts.addExpiry(r.ExpiringRows, r.ExpiryMin, r.ExpiryMax)
		}
	}
	counts.Files, counts.Rows, counts.StoredBytes = int64(len(m.Files)), m.Totals.Rows, m.Totals.StoredBytes
	counts.PartsSkipped = int64(len(m.Files) - len(todo))
	vr, err := l.verify(ctx, d, m, tbl, dl, st, counts, log)
	if err != nil {
		return err
	}
	o.Run.Event("verify", "dump", d.String(), "mode", vr.Mode, "result", vr.Result, "detail", vr.Detail)
	if beforeMark != nil {
		if err := beforeMark(ctx); err != nil {
			return err
		}
	}
	rec := &LoadedRecord{
		Batch: d.Batch, Table: d.Table, Timestamp: d.Timestamp,
		Target: id.String(), TargetID: TargetID(id), Incarnation: incID,
		Tool: "loader " + version.Version, Started: st.Started, Finished: o.Now().UTC(),
		Forced: o.Force, Counts: counts, Verify: vr,
	}
	if err := dl.MarkLoaded(ctx, rec, o.Force); err != nil {
		return err
	}
	o.Run.Table(d.Table).Add("dumps_loaded", 1)
	l.record(DumpResult{Dump: d.String(), Outcome: "loaded", Target: id.String(), Counts: counts, Verify: vr})
	log.Info("loaded", "rows", counts.Rows, "rows_written", counts.RowsWritten, "rows_expired", counts.RowsExpired, "rejects", counts.Rejects, "verify", vr.Mode+":"+vr.Result)
	return nil
}

func sumRows(fs []*manifest.File) int64 {
	var n int64
	for _, f := range fs {
		n += f.Rows
	}
	return n
}

// loadable checks that a table has a way to load: a target that offers
// neither is a bug in the target, found before anything is written.
func loadable(tbl Table) error {
	if _, ok := tbl.(PartLoader); ok {
		return nil
	}
	if _, ok := tbl.(RowLoader); ok {
		return nil
	}
	return fault.Usagef("%s implements neither load.RowLoader nor load.PartLoader: the target cannot load anything", tbl.Identity())
}

// rowPool sizes batches and starts the writers for a table loaded row by
// row; nil for a table that loads whole parts.
// run records the table's share of the run (report.Run.Table).
func (l *Loader) rowPool(ctx context.Context, m *manifest.Manifest, tbl Table, run *report.Run, log *slog.Logger) *pool {
	o := &l.opts
	if _, whole := tbl.(PartLoader); whole {
		return nil
	}
	rl := tbl.(RowLoader) // loadable checked it
	lim := rl.Limits()
	sz := newSizer(lim, o.BatchBytes, run, log)
	if m.Totals.Rows > 0 {
		// What the schema and the dump say about row sizes, next to the
		// limits the batches are sized under.
		avg := m.Totals.Bytes / m.Totals.Rows
		rowsPerBatch := int64(sz.limit()) / max(avg, 1)
		run.Event("batch_plan", "avg_row_json_bytes", avg, "columns", len(m.Source.Table.Columns),
			"batch_bytes", sz.limit(), "hard_limit", lim.MaxBytes, "rows_per_batch_about", rowsPerBatch,
			"one_group_per_batch", lim.SameGroup)
		log.Info("batch plan", "avg_row_json_bytes", avg, "rows_per_batch_about", rowsPerBatch, "one_group_per_batch", lim.SameGroup)
	}
	return newPool(ctx, rl, tbl.Identity(), o.Workers, o.queueBytes(), sz, run, log)
}
