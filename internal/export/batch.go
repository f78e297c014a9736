package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// TableResult is what a multi-table run did with one table.
type TableResult struct {
	// Table is the table's name in dump paths; Name as the source names it.
	Table, Name string
	Result
	// Err is why the table failed (nil: it did not).
	Err error
}

// BatchResult says what RunTables did.
type BatchResult struct {
	Batch string
	// Tables are the batch's table list, in its order, each with its
	// outcome (none when the batch was already complete).
	Tables []TableResult
	// Marker is the batch marker's key below the root; Complete is set
	// when it exists, MarkerWritten when this run wrote it, and
	// AlreadyComplete when it existed before the run started.
	Marker                                   string
	Complete, MarkerWritten, AlreadyComplete bool
	// Waiting lists the tables of the list without a complete dump when
	// the run ended.
	Waiting []string
}

// TablesError is the error of a multi-table run in which some tables
// failed: one per table, each naming it. Its exit code is the worst of
// theirs (internal/fault.Code: verification failed 3, then usage 2,
// then retryable 1).
type TablesError struct {
	// Errs are the failed tables' errors, then any other error of the
	// run (the batch marker's).
	Errs []error
	// Failed of Total tables failed.
	Failed, Total int
}

func (e *TablesError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d of %d tables failed: %s", e.Failed, e.Total, strings.Join(msgs, "; "))
}

// Unwrap returns the tables' errors, for errors.Is/As and fault.Code.
func (e *TablesError) Unwrap() []error { return e.Errs }

// RunTables exports every table the patterns cfg.Tables match, each as
// its own dump of the batch (as Run does for one table), cfg.TableParallel
// at a time, with one source connection and one protection budget for
// the run: --max-rate and the adaptive limit of page requests in flight
// hold for all tables together. The first run of the batch fixes its
// table list (<batch>/_state/tables.json); later runs and shards must
// match the same tables. With shards, every shard runs every table and
// takes its share of each table's units. A table that fails does not
// stop the others. Whoever finds every table of the list complete writes
// the batch marker <batch>/_SUCCESS (a conditional create, so once),
// listing the dumps with their manifests' SHA-256.
func RunTables(ctx context.Context, cfg Config, logger *slog.Logger, run *report.Run) (BatchResult, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return BatchResult{}, err
	}
	if cfg.Keys != "" {
		return BatchResult{}, fault.Usagef("--keys: a key list is one table's; not with --tables")
	}
	if cfg.TableParallel == 0 {
		cfg.TableParallel = DefaultTableParallel
	}
	if cfg.TableParallel < 1 {
		return BatchResult{}, fault.Usagef("--table-parallel %d: want at least 1", cfg.TableParallel)
	}
	root, err := objstore.Open(ctx, cfg.Dest)
	if err != nil {
		return BatchResult{}, fmt.Errorf("--dest: %w", err)
	}
	defer root.Close()
	res := BatchResult{Batch: cfg.Batch, Marker: manifest.BatchSuccessKey(cfg.Batch)}
	// A complete batch run again with its own patterns needs no source.
	if done, err := batchDone(ctx, root, cfg); err != nil || done {
		res.Complete, res.AlreadyComplete = done, done
		if done {
			logger.Info("batch already complete", "batch", cfg.Batch, "marker", root.Location().Join(res.Marker))
		}
		return res, err
	}
	b := newBudget(cfg, logger, run)
	defer b.close()
	src, err := b.source(ctx)
	if err != nil {
		return res, err
	}
	tables, err := expandTables(ctx, src, cfg, logger)
	if err != nil {
		return res, err
	}
	list, err := pinTables(ctx, root, cfg, tables, logger)
	if err != nil {
		return res, err
	}
	// The cap of page requests in flight counts the readers of the
	// tables that can run at once.
	cfg.TableParallel = min(cfg.TableParallel, len(list.Tables))
	b.cfg = cfg
	res.Tables = runAll(ctx, cfg, root, b, list, logger, run)

	var errs []error
	for _, t := range res.Tables {
		if t.Err != nil {
			errs = append(errs, t.Err)
		}
	}
	failed := len(errs)
	if ctx.Err() == nil {
		res.Complete, res.MarkerWritten, res.Waiting, err = markBatch(context.WithoutCancel(ctx), root, cfg, list, logger)
		if err != nil {
			errs = append(errs, fmt.Errorf("batch marker: %w", err))
		}
	}
	switch {
	case len(errs) == 0:
		return res, nil
	case failed == 0:
		return res, errs[0]
	}
	return res, &TablesError{Errs: errs, Failed: failed, Total: len(list.Tables)}
}

// runAll exports the list's tables, cfg.TableParallel at a time; a
// failed table is recorded and the others go on.
func runAll(ctx context.Context, cfg Config, root *objstore.Bucket, b *budget, list *manifest.TableList, logger *slog.Logger, run *report.Run) []TableResult {
	results := make([]TableResult, len(list.Tables))
	var g errgroup.Group
	g.SetLimit(cfg.TableParallel)
	var mu sync.Mutex
	for i, t := range list.Tables {
		tc := cfg
		tc.Tables, tc.Table, tc.dumpTable, tc.tableIndex = nil, t.Name, t.Table, i
		g.Go(func() error {
			if ctx.Err() != nil {
				results[i] = TableResult{Table: t.Table, Name: t.Name, Err: fmt.Errorf("%s: %w", t.Table, ctx.Err())}
				return nil
			}
			r, err := runTable(ctx, tc, root, b, logger.With("table", t.Table), run)
			if err != nil {
				err = fmt.Errorf("%s: %w", t.Table, err)
				logger.Error("table failed; the others go on", "table", t.Table, "err", err)
			}
			results[i] = TableResult{Table: t.Table, Name: t.Name, Result: r, Err: err}
			mu.Lock()
			defer mu.Unlock()
			recordTable(run, results[i])
			return nil
		})
	}
	_ = g.Wait()
	return results
}

// Outcome names what became of the table in this run.
func (t TableResult) Outcome() string {
	switch {
	case t.Err != nil:
		return "failed"
	case t.AlreadyComplete:
		return "already-complete"
	case t.Complete:
		return "complete"
	default:
		return "shard-done"
	}
}

// recordTable counts the table's outcome and records it as a "table"
// event of the run report.
func recordTable(run *report.Run, t TableResult) {
	attrs := []any{"table", t.Table, "outcome", t.Outcome(), "dump", t.Dump, "rows", t.Rows, "units_committed", t.Committed}
	if t.Err != nil {
		attrs = append(attrs, "exit_code", fault.Code(t.Err), "error", t.Err.Error())
		run.Add("tables_failed", 1)
	} else {
		run.Add("tables_done", 1)
	}
	run.Event("table", attrs...)
}

// batchDone reports whether the batch marker exists and the batch's
// pinned patterns are this run's.
func batchDone(ctx context.Context, root *objstore.Bucket, cfg Config) (bool, error) {
	ok, err := root.Exists(ctx, manifest.BatchSuccessKey(cfg.Batch))
	if err != nil || !ok {
		return false, err
	}
	l, err := readTableList(ctx, root, cfg.Batch)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.Equal(l.Patterns, cfg.Tables), nil
}

// markBatch writes the batch marker if every table of the list has a
// complete dump (a conditional create: whichever run or shard gets there
// first writes it, once). It returns whether the batch is complete,
// whether this call wrote the marker, and the tables still waiting.
func markBatch(ctx context.Context, root *objstore.Bucket, cfg Config, list *manifest.TableList, logger *slog.Logger) (complete, written bool, waiting []string, err error) {
	dumps := make([]*manifest.BatchDump, len(list.Tables))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for i, t := range list.Tables {
		g.Go(func() error {
			d, err := completeDump(gctx, root, cfg.Batch, t.Table)
			dumps[i] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return false, false, nil, err
	}
	bs := &manifest.BatchSuccess{Format: manifest.FormatBatchSuccess, Tool: tool(), Batch: cfg.Batch, Completed: cfg.Now().UTC().Truncate(time.Millisecond)}
	for i, d := range dumps {
		if d == nil {
			waiting = append(waiting, list.Tables[i].Table)
			continue
		}
		bs.Dumps = append(bs.Dumps, *d)
	}
	if len(waiting) > 0 {
		logger.Info("batch not complete yet: no batch marker", "batch", cfg.Batch, "waiting", strings.Join(waiting, ","))
		return false, false, waiting, nil
	}
	data, err := bs.Marshal()
	if err != nil {
		return false, false, nil, fmt.Errorf("batch marker: %w", err)
	}
	key := manifest.BatchSuccessKey(cfg.Batch)
	err = root.CreateIfAbsent(ctx, key, data)
	switch {
	case err == nil:
		logger.Info("batch complete: batch marker written", "batch", cfg.Batch, "tables", len(bs.Dumps), "marker", root.Location().Join(key))
		return true, true, nil, nil
	case !errors.Is(err, objstore.ErrExists):
		return false, false, nil, fmt.Errorf("write %s: %w", key, err)
	}
	old, err := root.ReadAll(ctx, key)
	if err != nil {
		return false, false, nil, fmt.Errorf("read %s: %w", key, err)
	}
	got, err := manifest.DecodeBatchSuccess(old)
	if err != nil {
		return false, false, nil, fault.Verifyf("%s exists and is not a valid batch marker: %w", root.Location().Join(key), err)
	}
	if !sameBatchDumps(got.Dumps, bs.Dumps) {
		return false, false, nil, fault.Verifyf("%s exists and lists other dumps than the batch's complete ones", root.Location().Join(key))
	}
	return true, false, nil, nil
}

// completeDump returns the batch's complete dump of a table, with its
// manifest's SHA-256, or nil when there is none (yet).
func completeDump(ctx context.Context, root *objstore.Bucket, batch, table string) (*manifest.BatchDump, error) {
	m, err := readMarker(ctx, root, manifest.DumpMarkerKey(batch, table))
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prefix := manifest.DumpPrefix(batch, table, m.Timestamp)
	if ok, err := root.Exists(ctx, prefix+manifest.SuccessName); err != nil || !ok {
		return nil, err
	}
	data, err := root.ReadAll(ctx, prefix+manifest.ManifestName)
	if err != nil {
		return nil, fmt.Errorf("read the manifest of %s: %w", prefix, err)
	}
	mf, err := manifest.DecodeManifest(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", root.Location().Join(prefix+manifest.ManifestName), err)
	}
	sum := sha256.Sum256(data)
	return &manifest.BatchDump{Table: table, Timestamp: m.Timestamp, ManifestSHA256: hex.EncodeToString(sum[:]),
		Rows: mf.Totals.Rows, Files: mf.Totals.Files, StoredBytes: mf.Totals.StoredBytes}, nil
}

// sameBatchDumps compares two markers' dumps by table, timestamp and
// manifest checksum (the totals follow from the manifest).
func sameBatchDumps(a, b []manifest.BatchDump) bool {
	return slices.EqualFunc(a, b, func(x, y manifest.BatchDump) bool {
		return x.Table == y.Table && x.Timestamp == y.Timestamp && x.ManifestSHA256 == y.ManifestSHA256
	})
}
