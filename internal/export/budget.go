package export

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
)

// budget is what every table of one run shares: one connection to the
// source and one protection budget, so that --max-rate and the adaptive
// limit of page requests in flight hold for the run, however many tables
// it exports at once. A --table export is a run of one table.
type budget struct {
	cfg    Config
	logger *slog.Logger
	run    *report.Run

	// The limits, made at the first table that reads (so a run that
	// finds its dumps complete reports none).
	limitsOnce sync.Once
	gate       *throttle.Controller
	limiter    *throttle.Limiter
	// watch feeds the gate the source's server-reported latency (signal.go).
	watch watcher

	// unitsTotal and unitsDone add up the tables' units for the
	// progress gauges.
	unitsTotal, unitsDone atomic.Int64

	mu  sync.Mutex
	src source.Source

	// pages caps the bytes of pages read and not yet encoded (pagemem.go).
	pages *pageMemory
}

func newBudget(cfg Config, logger *slog.Logger, run *report.Run) *budget {
	return &budget{cfg: cfg, logger: logger, run: run, pages: newPageMemory(cfg.pageMemory())}
}

// limits returns the run's limit of page requests in flight and its rate
// limit, the same for every table.
func (b *budget) limits() (*throttle.Controller, *throttle.Limiter) {
	b.limitsOnce.Do(func() {
		b.gate = throttle.NewController(b.cfg.throttleConfig(), b.run, b.logger)
		b.limiter = throttle.NewLimiter(b.cfg.MaxRate, 0)
	})
	return b.gate, b.limiter
}

// source opens the source at the first call and returns it to every
// later one. A failed open is not kept: the next table tries again.
func (b *budget) source(ctx context.Context) (source.Source, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src != nil {
		return b.src, nil
	}
	src, err := b.cfg.openSource(ctx, source.Options{
		Logger: b.logger, Run: b.run, Env: b.cfg.Env, TranslateAddress: b.cfg.TranslateAddress, Protect: b.cfg.protection(),
		RetryFor: b.cfg.RetryFor,
	})
	if err != nil {
		return nil, err
	}
	b.src = src
	return src, nil
}

// close closes the source, if it was opened.
func (b *budget) close() {
	b.watch.stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src != nil {
		b.src.Close()
		b.src = nil
	}
}

// addUnits counts a table's planned units and those already committed.
func (b *budget) addUnits(total, done int) {
	b.run.Set("units_total", b.unitsTotal.Add(int64(total)))
	b.run.Set("units_done", b.unitsDone.Add(int64(done)))
}

// unitDone counts one more unit done.
func (b *budget) unitDone() { b.run.Set("units_done", b.unitsDone.Add(1)) }
