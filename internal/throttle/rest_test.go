package throttle

import (
	"context"
	"testing"
	"time"
)

// TestRestTakesTheBaselineAgain replays a node that got slower on its
// own (another tenant of its machine), 2ms instead of the 0.45ms of its
// first baseline: a rest every 10 s stops new operations until those in
// flight are done, measures the probes at rest, and the node's target
// follows (1.2 x 2ms + 0.5ms = 2.9ms), so that probes of 2.2ms with the
// caller running no longer shrink the limit; probes answered while the
// operations drain count for neither.
func TestRestTakesTheBaselineAgain(t *testing.T) {
	c, run, clk := newTest(Config{Min: 1, Max: 16, Initial: 4, DecideEvery: 10, TargetLatency: time.Second,
		Probe: ProbeConfig{RestEvery: 10 * time.Second}})
	c.ProbeBaseline("a", probeBase)
	slowRunning := func() {
		for range 10 {
			clk.Advance(50 * ms)
			c.ObserveProbe("a", 2200*us)
		}
	}
	slowRunning()
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 2 {
		t.Fatalf("probes of 2.2ms against the first baseline (target 1.2 x 510µs + 0.5ms): limit %d, want 2", c.Limit())
	}
	clk.Advance(10 * time.Second)
	slowRunning()
	feed(t, c, 9, 10*ms, OK) // the decision at the 10th sample starts the rest
	c.Release(10*ms, OK)
	if !c.Resting() || c.Inflight() == 0 {
		t.Fatalf("resting %v with %d in flight: want a rest waiting for the operations in flight", c.Resting(), c.Inflight())
	}
	if c.TryAcquire() {
		t.Fatal("a slot was taken during a rest")
	}
	c.ObserveProbe("a", 50*ms) // draining: not a probe at rest
	for c.Inflight() > 0 {
		c.Release(10*ms, OK)
	}
	for range 24 {
		clk.Advance(10 * ms)
		c.ObserveProbe("a", 2*ms)
	}
	if c.TryAcquire() {
		t.Fatal("a slot was taken 240ms into the rest, before it ended")
	}
	clk.Advance(10 * ms)
	c.ObserveProbe("a", 2*ms)
	if !c.TryAcquire() {
		t.Fatal("no slot after the rest")
	}
	c.mu.Lock()
	base, target := c.probes["a"].baseline, c.probes["a"].target
	c.mu.Unlock()
	if base != 2*ms || target != 2900*us {
		t.Fatalf("after the rest: baseline %s target %s, want 2ms 2.9ms", base, target)
	}
	limit := c.Limit()
	slowRunning()
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != limit+1 {
		t.Fatalf("probes of 2.2ms against the new baseline: limit %d, want %d", c.Limit(), limit+1)
	}
	if n := run.Counter("throttle_rests"); n != 1 {
		t.Fatalf("%d rests counted, want 1", n)
	}
	if n := len(run.Events("throttle_probe_baseline")); n != 2 {
		t.Fatalf("%d baseline events, want 2 (the first, and the change)", n)
	}
}

// TestRestWakesWaiters: an Acquire blocked by a rest returns once the
// rest is over, and a rest whose operations do not drain within
// RestDrain ends without measuring.
func TestRestWakesWaiters(t *testing.T) {
	c, _, clk := newTest(Config{Min: 1, Max: 2, Initial: 2, DecideEvery: 1, TargetLatency: time.Second,
		Probe: ProbeConfig{RestEvery: time.Second, RestFor: 5 * ms, RestDrain: time.Second}})
	c.ProbeBaseline("a", probeBase)
	clk.Advance(time.Second)
	c.TryAcquire()
	c.TryAcquire()
	c.Release(ms, OK) // a decision: the rest starts, one still in flight
	if !c.Resting() {
		t.Fatal("no rest")
	}
	clk.Advance(time.Second)
	if !c.TryAcquire() {
		t.Fatal("the rest did not end after RestDrain")
	}
	c.mu.Lock()
	base := c.probes["a"].baseline
	c.mu.Unlock()
	if base != 510*us {
		t.Fatalf("baseline %s after a rest that did not measure, want 510µs (the p90 of probeBase)", base)
	}
	c.Release(ms, OK)
	c.Release(ms, OK)
	clk.Advance(time.Second)
	c.TryAcquire()
	c.Release(ms, OK) // the next rest, nothing in flight: quiet at once
	if !c.Resting() {
		t.Fatal("no second rest")
	}
	done := make(chan error, 1)
	go func() { done <- c.Acquire(context.Background()) }()
	time.Sleep(20 * ms) // the waiter's timer is real time
	clk.Advance(5 * ms)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Acquire still blocked after the rest")
	}
}
