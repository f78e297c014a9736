package throttle

import (
	"fmt"
	"time"
)

// Probes: the latency of a tiny request the caller sends to each node of
// the remote side a few times a second (the exporter: a one-row read of
// a node's own system.local), timed from the caller. It goes through the
// same network, request queues, threads and CPUs as an application's
// point request, so it feels what that request feels, within a fraction
// of a second: the server-reported latency (server.go) lags by a minute
// of decaying histograms, and the caller's own operations' latency (its
// pages) is a bulk request's, which hides a few milliseconds of queueing
// that double a point request's latency.
//
// Before the caller's first operation, ProbeBaseline fixes each node's
// baseline from the probes measured at rest (their BaselineQuantile). At
// each decision, the Quantile of every node's probes since the last
// decrease (at most Window old) is judged against Ratio x its baseline
// plus Floor; the worst node over it shrinks the limit, and the limit grows
// only while every probed node is under it. A decrease forgets the
// probes measured at the old limit, so the next judgement is about the
// new one.

// ProbeConfig tunes the judgement of probe latencies. Zero fields take
// the defaults named.
type ProbeConfig struct {
	// Ratio: the probes' Quantile over Ratio times the baseline's
	// Quantile, plus Floor, shrinks the limit; default 1.2.
	Ratio float64
	// Floor is added to the target, so that a baseline of a few hundred
	// microseconds does not turn the timer's and the scheduler's jitter
	// into overload; default 500µs.
	Floor time.Duration
	// Quantile of the probes judged; default 0.9 (of ten probes, the
	// second slowest: one stray probe is not trouble). 1 judges the
	// slowest: a pause of the remote side (e.g. its garbage collector)
	// that one probe met counts, which is what an application's p99 feels.
	Quantile float64
	// BaselineQuantile of the probes at rest is the baseline; default 0.9.
	BaselineQuantile float64
	// Window: probes older than this are not judged; default 1s.
	Window time.Duration
	// MinSamples is how many fresh probes a node needs to be judged;
	// default 3. Until every node probed in the last 3 Windows has them,
	// the limit does not grow.
	MinSamples int
	// RestEvery, when > 0, takes the baselines again at rest this often
	// (rest.go); 0: the baselines are the ones given before the first
	// operation, for good.
	RestEvery time.Duration
	// RestFor is how long a rest measures, once nothing is in flight;
	// default 250ms. RestDrain is the longest a rest waits for the
	// operations in flight; default 2s (after it the rest ends without
	// measuring).
	RestFor, RestDrain time.Duration
	// RestKeep is how many probes at rest a node's baseline is taken
	// from (the newest); default 100.
	RestKeep int
}

func (p ProbeConfig) withDefaults() ProbeConfig {
	if p.Ratio <= 1 {
		p.Ratio = 1.2
	}
	if p.Floor <= 0 {
		p.Floor = 500 * time.Microsecond
	}
	if p.Quantile <= 0 || p.Quantile > 1 {
		p.Quantile = 0.9
	}
	if p.BaselineQuantile <= 0 || p.BaselineQuantile > 1 {
		p.BaselineQuantile = 0.9
	}
	if p.Window <= 0 {
		p.Window = time.Second
	}
	if p.MinSamples <= 0 {
		p.MinSamples = 3
	}
	if p.RestFor <= 0 {
		p.RestFor = 250 * time.Millisecond
	}
	if p.RestDrain <= 0 {
		p.RestDrain = 2 * time.Second
	}
	if p.RestKeep <= 0 {
		p.RestKeep = 100
	}
	return p
}

// probeSignal is one node's probes.
type probeSignal struct {
	baseline, target time.Duration
	recorded         time.Duration   // the baseline last logged
	rest             []time.Duration // probes at rest, the newest RestKeep
	recent           []sample
	last             time.Time // of the last probe, kept across decreases
}

// GaugeProbeLatency is the run gauge holding the worst node's probe
// latency (µs, the judged quantile) at the last decision.
const GaugeProbeLatency = "probe_latency_us"

// ProbeBaseline fixes the baseline of the probes of name (e.g. a node's
// address) from latencies measured before the caller's operations began.
// Without latencies it does nothing: name is not judged.
func (c *Controller) ProbeBaseline(name string, latencies []time.Duration) {
	if len(latencies) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probes == nil {
		c.probes = map[string]*probeSignal{}
	}
	p := &probeSignal{}
	c.probes[name] = p
	p.rest = keepLast(append([]time.Duration(nil), latencies...), c.cfg.Probe.RestKeep)
	c.rebaseLocked(name, p)
}

// keepLast returns the last n of d.
func keepLast(d []time.Duration, n int) []time.Duration {
	if len(d) > n {
		return append(d[:0], d[len(d)-n:]...)
	}
	return d
}

// ObserveProbe feeds one probe's latency for name; it is ignored for a
// name without a baseline.
func (c *Controller) ObserveProbe(name string, latency time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.probes[name]
	if p == nil {
		return
	}
	now := c.cfg.Now()
	if c.measuringRestLocked(now) {
		p.rest = keepLast(append(p.rest, latency), c.cfg.Probe.RestKeep)
		p.last = now
		return
	}
	if c.resting { // draining: neither at rest nor the caller's usual load
		return
	}
	p.recent = append(p.recent, sample{at: now, latency: latency})
	p.last = now
	i := 0
	for i < len(p.recent) && now.Sub(p.recent[i].at) > c.cfg.Probe.Window {
		i++
	}
	if i > 0 {
		p.recent = append(p.recent[:0], p.recent[i:]...)
	}
}

// judgeProbesLocked judges every node's fresh probes. pending: some
// probed node has too few fresh probes to judge (so the limit must not
// grow yet).
func (c *Controller) judgeProbesLocked(now time.Time) (v verdict, pending bool) {
	pc := c.cfg.Probe
	worstRatio, worstName := 0.0, ""
	var worst *probeSignal
	var worstLat time.Duration
	for name, p := range c.probes {
		var lat []time.Duration
		for _, s := range p.recent {
			if now.Sub(s.at) <= pc.Window {
				lat = append(lat, s.latency)
			}
		}
		if len(lat) < pc.MinSamples {
			// A node probed lately waits for its fresh probes; one no
			// longer probed (down, or the prober stopped) is left out.
			pending = pending || now.Sub(p.last) <= 3*pc.Window
			continue
		}
		q := percentile(lat, pc.Quantile)
		if r := float64(q) / float64(p.target); worst == nil || r > worstRatio {
			worst, worstName, worstRatio, worstLat = p, name, r, q
		}
	}
	if worst == nil {
		return verdict{}, pending
	}
	c.run.Set(GaugeProbeLatency, worstLat.Microseconds())
	if worstRatio > 1 {
		return verdict{judged: true, over: true, reason: fmt.Sprintf("probe %s p%.0f %s > target %s (baseline %s)",
			worstName, 100*pc.Quantile, worstLat, worst.target, worst.baseline)}, pending
	}
	return verdict{judged: true, reason: fmt.Sprintf("probe %s p%.0f %s <= target %s", worstName, 100*pc.Quantile, worstLat, worst.target)}, pending
}

// forgetProbesLocked drops the probes measured so far (at a decrease).
func (c *Controller) forgetProbesLocked() {
	for _, p := range c.probes {
		p.recent = p.recent[:0]
	}
}
