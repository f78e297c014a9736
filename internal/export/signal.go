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

// watcher feeds the adaptive controller what the source's other clients
// feel, which it judges as well as the export's own page latency: by
// default the latency of probes sent to every node (probe.go, a source
// that is a source.Prober); with --adaptive-signal server, the latency
// the servers report (a source.LatencyReporter). The baseline is taken
// before the run's first page. Which signal the run uses is logged once.
type watcher struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	loops  sync.WaitGroup
}

// start begins watching, once per run; it returns after the baseline
// is taken.
// ownReads names the table ("keyspace.table") whose point reads are the
// export's own (a key-list export reads its keys so), "" otherwise.
func (w *watcher) start(src source.Source, gate *throttle.Controller, cfg Config, ownReads string, logger *slog.Logger) {
	w.once.Do(func() {
		w.ctx, w.cancel = context.WithCancel(context.Background())
		switch {
		case cfg.NoAdaptive:
		case cfg.AdaptiveSignal == "pages":
			logger.Info("adaptive signal: the export's page latency (--adaptive-signal pages)")
		case cfg.AdaptiveSignal == "server":
			w.startServer(src, gate, logger)
		default:
			w.startProbes(src, gate, ownReads, logger)
		}
	})
}

// startServer polls the server-reported latency (--adaptive-signal server).
func (w *watcher) startServer(src source.Source, gate *throttle.Controller, logger *slog.Logger) {
	r, ok := src.(source.LatencyReporter)
	if !ok {
		logger.Info("adaptive signal: the export's page latency (the source reports no server latency)")
		return
	}
	poll := func() error {
		pctx, pcancel := context.WithTimeout(w.ctx, 2*ServerPollInterval)
		defer pcancel()
		readings, err := r.ServerLatency(pctx)
		for name, lat := range readings {
			gate.ObserveServer(name, lat)
		}
		return err
	}
	if err := poll(); err != nil {
		logger.Info("adaptive signal: the export's page latency (no server-reported latency)", "reason", err.Error())
		return
	}
	logger.Info("adaptive signal: the server-reported latency of the other clients' point reads and writes, against its value at the start, and the page latency",
		"poll", ServerPollInterval)
	w.loop(ServerPollInterval, func() error {
		// A failed poll (a node down) leaves the readings to go stale;
		// the page outcomes still count.
		return poll()
	}, logger, "reading the server-reported latency failed; retrying every poll")
}

// loop runs tick every interval until stop, warning once about a
// failing tick.
func (w *watcher) loop(interval time.Duration, tick func() error, logger *slog.Logger, warning string) {
	ctx := w.ctx
	w.loops.Add(1)
	go func() {
		defer w.loops.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		warned := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := tick(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil && !warned {
				warned = true
				logger.Warn(warning, "err", err.Error())
			}
		}
	}()
}

// stop ends the polling and waits for it.
func (w *watcher) stop() {
	w.once.Do(func() {}) // a run that never started one starts none after
	if w.cancel != nil {
		w.cancel()
		w.loops.Wait()
	}
}
