package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Result says what a run did.
type Result struct {
	// Dump is <batch>/<table>/<timestamp>.
	Dump string
	// AlreadyComplete: _SUCCESS was there when the run started.
	AlreadyComplete bool
	// Complete: the dump is complete (_SUCCESS written by this run or
	// found already there).
	Complete bool
	// Units in the plan; Committed by this run; Skipped because already
	// committed; Lost to another attempt's commit; Left uncommitted when
	// this run ended, all of them other shards' (a shard does its own
	// units only, and the last shard to commit finishes the dump).
	Units, Committed, Skipped, Lost, Left int
	// Shard and Shards: which shard this run was.
	Shard, Shards int
	// Rows and StoredBytes this run wrote in its committed units.
	Rows, StoredBytes int64
	// Manifest is the complete dump's manifest, when this run finished it.
	Manifest *manifest.Manifest
}

// exporter is one run's shared state.
type exporter struct {
	cfg    Config
	root   *objstore.Bucket
	d      dump
	plan   *manifest.Plan
	src    source.Source
	live   *manifest.Source // the source table as Describe read it
	keys   [][]byte         // the stored key list (key-list plans)
	budget *budget          // the run's source and protection, shared by its tables
	logger *slog.Logger
	run    *report.Run

	scanner source.Scanner
	ext     string
}

// Run exports one table as DESIGN.md's plan/commit/finish protocol says:
// it finds or creates the batch's dump, fixes or checks its plan, reads
// and commits every uncommitted unit of its shard with cfg.Parallel
// readers, and, when every unit of the plan is committed, finishes the
// dump (manifest.json, unlisted parts deleted, _SUCCESS). A dump already
// complete is left as it is. Errors carry their exit class
// (internal/fault): bad options, a missing table or a changed schema are
// usage errors; anything else is worth retrying, and the next run
// continues from the commits.
func Run(ctx context.Context, cfg Config, logger *slog.Logger, run *report.Run) (Result, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Tables) > 0 {
		return Result{}, fault.Usagef("--tables: Run exports one --table; RunTables exports many")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if cfg.dumpTable, err = cfg.checkSource(); err != nil {
		return Result{}, err
	}
	root, err := objstore.Open(ctx, cfg.Dest)
	if err != nil {
		return Result{}, fmt.Errorf("--dest: %w", err)
	}
	defer root.Close()
	b := newBudget(cfg, logger, run)
	defer b.close()
	return runTable(ctx, cfg, root, b, logger, run)
}

// runTable exports one table (cfg.Table, checked) with the run's shared
// source and budget.
func runTable(ctx context.Context, cfg Config, root *objstore.Bucket, b *budget, logger *slog.Logger, run *report.Run) (Result, error) {
	// A complete dump needs no source: look before connecting.
	d, found, err := findDump(ctx, root, cfg)
	if err != nil {
		return Result{}, err
	}
	x := &exporter{cfg: cfg, root: root, d: d, budget: b, logger: logger, run: run}
	if found {
		x.logger = logger.With("dump", d.String())
		if done, err := x.alreadyComplete(ctx); err != nil || done {
			return Result{Dump: d.String(), AlreadyComplete: done, Complete: done}, err
		}
	}
	if err := refuseDeleted(ctx, root, cfg); err != nil {
		return Result{Dump: d.String()}, err
	}

	src, err := b.source(ctx)
	if err != nil {
		return Result{Dump: d.String()}, err
	}
	x.src = src
	// The table must exist before a dump of it is named.
	if x.live, err = src.Describe(ctx, cfg.Table); err != nil {
		return Result{Dump: d.String()}, err
	}
	// Options the source refuses are refused before anything is written.
	if _, err := src.Options(x.live, cfg.request()); err != nil {
		return Result{Dump: d.String()}, err
	}
	if !found {
		if d, err = resolveDump(ctx, root, cfg, logger); err != nil {
			return Result{}, err
		}
		x.d, x.logger = d, logger.With("dump", d.String())
		if done, err := x.alreadyComplete(ctx); err != nil || done {
			return Result{Dump: d.String(), AlreadyComplete: done, Complete: done}, err
		}
	}
	res := Result{Dump: d.String(), Shard: cfg.Shard, Shards: cfg.Shards}
	if err := x.prepare(ctx); err != nil {
		return res, err
	}
	res.Units = len(x.plan.Units)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		x.watchSchema(ctx, cancel)
	}()
	err = x.work(ctx, &res)
	cancel(nil)
	<-watchDone
	if err != nil {
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		return res, err
	}
	if err := x.checkSchema(context.WithoutCancel(ctx)); err != nil {
		return res, err
	}
	m, err := x.finish(context.WithoutCancel(ctx))
	if err != nil {
		return res, err
	}
	if m != nil {
		res.Complete, res.Manifest = true, m
		return res, nil
	}
	left, err := x.uncommitted(context.WithoutCancel(ctx))
	if err != nil {
		return res, err
	}
	res.Left = left
	x.logger.Info("this shard's units are done; the others' shards will finish the dump",
		"shard", fmt.Sprintf("%d/%d", cfg.Shard, cfg.Shards), "units_left", left, "of", len(x.plan.Units))
	return res, nil
}

// takes reports whether this shard reads unit i of the table's plan:
// shards take a table's units in turn, starting from the table's place
// in the batch's table list, so that the first units of many small
// tables do not all fall to shard 0.
func (c Config) takes(i int) bool { return (i+c.tableIndex)%c.Shards == c.Shard }

// uncommitted counts the plan's units without a commit.
func (x *exporter) uncommitted(ctx context.Context) (int, error) {
	committed, err := x.committedUnits(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range x.plan.Units {
		if !committed[u.ID] {
			n++
		}
	}
	return n, nil
}

// alreadyComplete reports whether the dump has _SUCCESS; if so, parts
// that its manifest does not list (left by an attempt that died after
// the finisher's sweep) are deleted.
func (x *exporter) alreadyComplete(ctx context.Context) (bool, error) {
	ok, err := x.root.Exists(ctx, x.d.key(manifest.SuccessName))
	if err != nil || !ok {
		return false, err
	}
	x.logger.Info("dump already complete")
	data, err := x.root.ReadAll(ctx, x.d.key(manifest.ManifestName))
	if err != nil {
		return true, fmt.Errorf("read manifest of complete dump: %w", err)
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		return true, fault.Usagef("%s: %w", x.root.Location().Join(x.d.key(manifest.ManifestName)), err)
	}
	return true, x.sweep(ctx, m)
}

// prepare fixes or checks the plan and builds the source's scanner.
func (x *exporter) prepare(ctx context.Context) error {
	var err error
	if x.plan, err = loadOrCreatePlan(ctx, x.root, x.d, x.src, x.live, x.cfg, x.logger); err != nil {
		return err
	}
	if x.ext, err = manifest.ExtForCompression(x.plan.Options.Compression); err != nil {
		return fault.Usage(err)
	}
	if x.plan.Options.Mode == manifest.ModeKeys {
		if err := x.loadKeys(ctx); err != nil {
			return err
		}
	}
	gate, limiter := x.budget.limits()
	x.budget.watch.start(x.src, gate, x.cfg, x.ownReads(), x.budget.logger)
	x.scanner, err = x.src.Scanner(ctx, x.plan, source.ScanSpec{
		PageSize: x.cfg.PageSize,
		RetryFor: x.cfg.RetryFor,
		Gate:     gate,
		Limiter:  limiter,
		Protect:  x.cfg.protection(),
		Logger:   x.logger,
		Run:      x.run,
	})
	return err
}

// work runs every uncommitted unit of this shard with cfg.Parallel
// workers. After the first failure no new unit starts; units under way
// finish (their commits save work for the next run), and the first error
// is returned.
func (x *exporter) work(ctx context.Context, res *Result) error {
	committed, err := x.committedUnits(ctx)
	if err != nil {
		return err
	}
	var todo []manifest.Unit
	for i, u := range x.plan.Units {
		if !x.cfg.takes(i) {
			continue
		}
		if committed[u.ID] {
			res.Skipped++
			continue
		}
		todo = append(todo, u)
	}
	x.budget.addUnits(len(x.plan.Units), len(committed))
	x.logger.Info("exporting", "units", len(todo), "already_committed", len(committed), "of", len(x.plan.Units),
		"parallel", x.cfg.Parallel, "shard", fmt.Sprintf("%d/%d", x.cfg.Shard, x.cfg.Shards))

	var (
		mu       sync.Mutex
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	take := func() (manifest.Unit, bool) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil || next >= len(todo) || ctx.Err() != nil {
			return manifest.Unit{}, false
		}
		next++
		return todo[next-1], true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for range min(x.cfg.Parallel, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				u, ok := take()
				if !ok {
					return
				}
				outcome, rows, stored, err := x.doUnit(ctx, u)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				switch outcome {
				case unitCommitted:
					res.Committed++
					res.Rows += rows
					res.StoredBytes += stored
				case unitSkipped:
					res.Skipped++
				case unitLost:
					res.Lost++
				}
				mu.Unlock()
				x.budget.unitDone()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

type unitOutcome int

const (
	unitCommitted unitOutcome = iota
	unitSkipped
	unitLost
)

// unitRetry is how a unit whose store writes failed with an error the
// store marks retryable is tried again (as a new attempt). Source errors
// are not retried here: their pages were already retried.
var unitRetry = throttle.Backoff{Initial: time.Second, Max: 30 * time.Second, Attempts: 3}

// doUnit exports one unit unless it is committed by now.
func (x *exporter) doUnit(ctx context.Context, u manifest.Unit) (outcome unitOutcome, rows, stored int64, err error) {
	err = throttle.Retry(ctx, unitRetry, objstore.IsRetryable, x.logger, x.run, "unit "+u.ID, func(ctx context.Context) error {
		var err error
		outcome, rows, stored, err = x.doUnitOnce(ctx, u)
		return err
	})
	return outcome, rows, stored, err
}

// doUnitOnce is one attempt at a unit.
func (x *exporter) doUnitOnce(ctx context.Context, u manifest.Unit) (unitOutcome, int64, int64, error) {
	ok, err := x.root.Exists(ctx, x.d.key(manifest.CommitName(u.ID)))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("check commit of unit %s: %w", u.ID, err)
	}
	if ok {
		return unitSkipped, 0, 0, nil
	}
	ur, err := x.newUnitRun(u)
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	won, err := ur.do(ctx)
	if errors.Is(err, errProgressLost) {
		won, err = false, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	var stored int64
	for _, f := range ur.files {
		stored += f.StoredBytes
	}
	if !won {
		x.logger.Info("unit committed by another attempt; ours is discarded", "unit", u.ID, "attempt", ur.attempt)
		x.run.Add("units_lost", 1)
		return unitLost, 0, 0, nil
	}
	x.logger.Debug("unit committed", "unit", u.ID, "attempt", ur.attempt, "rows", ur.rows, "parts", len(ur.files), "took", elapsed(start))
	return unitCommitted, ur.rows, stored, nil
}
