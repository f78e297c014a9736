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
	// off when a node's p90 of the probes of the last second goes over
	// 1.5 x its p90 at rest plus ProbeFloor.
	DefaultProbeRatio = 1.5
	// ProbeFloor keeps the scheduler's jitter on a sub-millisecond
	// baseline from counting as overload.
	ProbeFloor = 500 * time.Microsecond
	// ProbeQuantile of the last second's probes (20 a node) is judged
	// against the same quantile of the probes at rest, so that the
	// remote side's own noise, as frequent with the export as without
	// it, is not taken for the export's doing. ProbeMinSamples of them
	// are needed to judge.
	ProbeQuantile   = 0.9
	ProbeMinSamples = 5
	// ProbeRestEvery, the export rests (no new page until those in
	// flight are done, then ProbeRestFor of probes every
	// ProbeRestInterval) and each node's baseline is taken again from
	// its last 100 probes at rest (throttle/rest.go): a baseline taken
	// once goes stale as the cluster gets busier or quieter on its own.
	ProbeRestEvery    = 10 * time.Second
	ProbeRestFor      = 250 * time.Millisecond
	ProbeRestInterval = 10 * time.Millisecond
)

// startProbes takes the probes' baseline and keeps probing, and watches
// the source's other clients; where the source cannot be probed, the
// page latency is the signal.
func (w *watcher) startProbes(src source.Source, gate *throttle.Controller, ownReads string, logger *slog.Logger) {
	p, ok := src.(source.Prober)
	if !ok {
		logger.Info("adaptive signal: the export's page latency (the source cannot be probed)")
		return
	}
	traffic := newTrafficWatch(w.ctx, src, ownReads, logger)
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
	var last time.Time
	w.loop(ProbeRestInterval, func() error {
		// Every ProbeInterval, and every tick while the export rests.
		if time.Since(last) < ProbeInterval-ProbeRestInterval/2 && !gate.Resting() {
			return nil
		}
		last = time.Now()
		got, err := p.Probe(w.ctx, ProbeTimeout)
		for node, lat := range got {
			gate.ObserveProbe(node, lat)
		}
		return err
	}, logger, "probing the source's nodes failed; retrying every probe")
}
