package throttle

import (
	"context"
	"math"
	"time"
)

// Rests: the probes' baseline measured again while the caller pauses.
// A baseline taken once, before the first operation, goes stale: the
// remote side gets busier or quieter for reasons of its own (other
// tenants of its machines, its own compactions), and a caller that
// judges today's probes against the morning's quiet backs off for
// trouble it does not cause, and gains nothing by it. With
// ProbeConfig.RestEvery > 0, every RestEvery the controller rests: no
// new operation starts until those in flight are done (at most
// RestDrain), then for RestFor the probes measure the remote side
// without the caller, and each node's baseline becomes the
// BaselineQuantile of its last RestKeep probes at rest. The judgement
// then asks "are the probes slower with the caller than without it,
// now?", which the caller can answer by slowing down. The cost: RestFor
// plus the drain every RestEvery. No rest while alone.

// restWaitLocked ends a rest that is due to end, and returns how long an
// Acquire must still wait for the current one (0: not resting). While
// operations are still in flight it returns the time left for them to
// drain; the last Release wakes the waiters.
func (c *Controller) restWaitLocked(now time.Time) time.Duration {
	if !c.resting {
		return 0
	}
	pc := c.cfg.Probe
	switch {
	case !c.restQuiet.IsZero() && now.Sub(c.restQuiet) >= pc.RestFor:
		c.endRestLocked(now, true)
		return 0
	case c.restQuiet.IsZero() && now.Sub(c.restStart) >= pc.RestDrain:
		c.endRestLocked(now, false)
		return 0
	case !c.restQuiet.IsZero():
		return c.restQuiet.Add(pc.RestFor).Sub(now)
	default:
		return c.restStart.Add(pc.RestDrain).Sub(now)
	}
}

// maybeRestLocked starts a rest when one is due (after a decision).
func (c *Controller) maybeRestLocked(now time.Time) {
	pc := c.cfg.Probe
	if pc.RestEvery <= 0 || len(c.probes) == 0 || c.alone || c.resting {
		return
	}
	if c.nextRest.IsZero() {
		c.nextRest = c.started.Add(pc.RestEvery)
	}
	if now.Before(c.nextRest) {
		return
	}
	c.resting, c.restStart, c.restQuiet = true, now, time.Time{}
	if c.inflight == 0 {
		c.restQuiet = now
	}
}

// restQuietLocked is called when the last operation in flight is done.
func (c *Controller) restQuietLocked(now time.Time) {
	if c.resting && c.restQuiet.IsZero() {
		c.restQuiet = now
		c.broadcastLocked() // the waiters' wait is now RestFor
	}
}

// measuringRestLocked: a probe answered now was sent with nothing of the
// caller's in flight.
func (c *Controller) measuringRestLocked(now time.Time) bool {
	return c.resting && !c.restQuiet.IsZero() && !now.Before(c.restQuiet)
}

// endRestLocked resumes the operations; measured: the nodes' baselines
// are taken again from their probes at rest.
func (c *Controller) endRestLocked(now time.Time, measured bool) {
	c.resting = false
	c.nextRest = now.Add(c.cfg.Probe.RestEvery)
	c.run.Add("throttle_rests", 1)
	if measured {
		for name, p := range c.probes {
			c.rebaseLocked(name, p)
		}
	}
	c.broadcastLocked()
}

// rebaseLocked sets a node's baseline and target from its probes at
// rest; a change of more than a fifth since the last one recorded is
// logged and recorded as a "throttle_probe_baseline" event.
func (c *Controller) rebaseLocked(name string, p *probeSignal) {
	pc := c.cfg.Probe
	if len(p.rest) == 0 {
		return
	}
	p.baseline = percentile(p.rest, pc.BaselineQuantile)
	p.target = time.Duration(pc.Ratio*float64(p.baseline)) + pc.Floor
	if p.recorded > 0 && math.Abs(float64(p.baseline-p.recorded)) <= float64(p.recorded)/5 {
		return
	}
	p.recorded = p.baseline
	c.logger.Info("throttle probe baseline", "node", name, "baseline", p.baseline, "target", p.target, "probes", len(p.rest))
	c.run.Event("throttle_probe_baseline", "node", name, "baseline", p.baseline, "target", p.target, "probes", len(p.rest))
}

// Resting reports whether the controller is resting (a caller may probe
// more often then, for more probes at rest).
func (c *Controller) Resting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resting
}

// waitLocked, called with c.mu held, releases it and waits for wait to
// pass, for a wake-up (a Release) or for ctx to end (its error).
func (c *Controller) waitLocked(ctx context.Context, wait time.Duration) error {
	wake := c.wake
	c.waiting++
	c.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-wake:
	case <-t.C:
	}
	c.mu.Lock()
	c.waiting--
	c.mu.Unlock()
	return err
}
