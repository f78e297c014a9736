package export

import (
	"log/slog"
	"time"

	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
)

// The probes of --adaptive-signal auto: every ProbeInterval the exporter
// sends each node of the source one tiny read (a Cassandra node: its own
// system.local row), ProbeRate requests/s per node in all, and feeds the
// latencies to the adaptive controller. Before the first page the nodes
// are probed for ProbeBaseline, every ProbeBaselineInterval: each node's
// baseline. Meanwhile the source's count of its other clients' requests
// (TrafficPoll) tells whether anybody else uses it (traffic.go).
const (
	ProbeInterval = 50 * time.Millisecond
	// ProbeRate is the probes' cost: requests per second per node.
	ProbeRate = int(time.Second / ProbeInterval)
	// ProbeBaseline is how long the nodes are probed at rest, before the
	// export's first page, every ProbeBaselineInterval: 10 probes per
	// node. Short, so that a small export (or a test's) is not held up.
	ProbeBaseline         = 250 * time.Millisecond
	ProbeBaselineInterval = 25 * time.Millisecond
	// ProbeTimeout: a probe slower than this counts as this slow.
	ProbeTimeout = time.Second
	// DefaultProbeRatio is --probe-ratio's default: the controller backs
	// off when a node's slowest probe of the last second goes over 2 x
	// its p90 at rest plus ProbeFloor. 2, not nearer the 1.25 x target:
	// on the quiet 2-core bench it held the foreground's p99 at 3.2 x
	// idle at 41% of the unthrottled rows/s where 1.2 gave 3.7 x at 18%
	// in the same run.
	DefaultProbeRatio = 2.0
	// ProbeFloor keeps the scheduler's jitter on a sub-millisecond
	// baseline from counting as overload.
	ProbeFloor = 500 * time.Microsecond
	// ProbeQuantile of the last second's probes is judged: the slowest,
	// since an application's p99 is made of the remote side's pauses
	// (garbage collection, a CPU taken) that only some probes meet.
	ProbeQuantile = 1.0
)

// startProbes takes the probes' baseline and keeps probing, and watches
// the source's other clients; where the source cannot be probed, the
// page latency is the signal.
func (w *watcher) startProbes(src source.Source, gate *throttle.Controller, pointReads bool, logger *slog.Logger) {
	p, ok := src.(source.Prober)
	if !ok {
		logger.Info("adaptive signal: the export's page latency (the source cannot be probed)")
		return
	}
	traffic := newTrafficWatch(w.ctx, src, pointReads, logger)
	base := map[string][]time.Duration{}
	var lastErr error
	for i := range int(ProbeBaseline / ProbeBaselineInterval) {
		if i > 0 {
			time.Sleep(ProbeBaselineInterval)
		}
		got, err := p.Probe(w.ctx, ProbeTimeout)
		if err != nil {
			lastErr = err
		}
		for node, lat := range got {
			base[node] = append(base[node], lat)
		}
	}
	if len(base) == 0 {
		reason := "no probe answered"
		if lastErr != nil {
			reason = lastErr.Error()
		}
		logger.Info("adaptive signal: the export's page latency (the source's nodes cannot be probed)", "reason", reason)
		return
	}
	for node, lats := range base {
		gate.ProbeBaseline(node, lats)
	}
	logger.Info("adaptive signal: probes of every node (a one-row read), against their latency at rest, and the page latency",
		"nodes", len(base), "every", ProbeInterval, "requests_per_second_per_node", ProbeRate)
	if traffic != nil {
		traffic.poll(gate)
		w.loop(TrafficPoll, func() error { return traffic.poll(gate) }, logger,
			"counting the source's other clients' requests failed; retrying every poll")
	}
	w.loop(ProbeInterval, func() error {
		got, err := p.Probe(w.ctx, ProbeTimeout)
		for node, lat := range got {
			gate.ObserveProbe(node, lat)
		}
		return err
	}, logger, "probing the source's nodes failed; retrying every probe")
}
