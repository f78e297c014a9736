package export

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
)

// ServerPollInterval is how often the adaptive controller reads the
// source's server-reported latency (one small query per node and view).
const ServerPollInterval = time.Second

// watcher polls a source that reports its servers' latency for their
// other clients (source.LatencyReporter) and feeds the readings to the
// adaptive controller, which then judges them as well as the export's
// own page latency: what the applications feel, not only a proxy for
// it. The
// first reading, taken before the run's first page, is the baseline.
// Which signal the run uses is logged once.
type watcher struct {
	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

// start begins watching, once per run; it returns after the first poll.
func (w *watcher) start(src source.Source, gate *throttle.Controller, cfg Config, logger *slog.Logger) {
	w.once.Do(func() {
		if cfg.NoAdaptive {
			return
		}
		if cfg.AdaptiveSignal == "pages" {
			logger.Info("adaptive signal: the export's page latency (--adaptive-signal pages)")
			return
		}
		r, ok := src.(source.LatencyReporter)
		if !ok {
			logger.Info("adaptive signal: the export's page latency (the source reports no server latency)")
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		poll := func() error {
			pctx, pcancel := context.WithTimeout(ctx, 2*ServerPollInterval)
			defer pcancel()
			readings, err := r.ServerLatency(pctx)
			for name, lat := range readings {
				gate.ObserveServer(name, lat)
			}
			return err
		}
		if err := poll(); err != nil {
			cancel()
			logger.Info("adaptive signal: the export's page latency (no server-reported latency)", "reason", err.Error())
			return
		}
		logger.Info("adaptive signal: the server-reported latency of the other clients' point reads and writes, against its value at the start, and the page latency",
			"poll", ServerPollInterval)
		w.cancel, w.done = cancel, make(chan struct{})
		go func() {
			defer close(w.done)
			t := time.NewTicker(ServerPollInterval)
			defer t.Stop()
			warned := false
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				// A failed poll (a node down) leaves the readings to go
				// stale; the page outcomes still count.
				if err := poll(); err != nil && !errors.Is(err, context.Canceled) && !warned {
					warned = true
					logger.Warn("reading the server-reported latency failed; retrying every poll", "err", err.Error())
				}
			}
		}()
	})
}

// stop ends the polling and waits for it.
func (w *watcher) stop() {
	w.once.Do(func() {}) // a run that never started one starts none after
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
}
