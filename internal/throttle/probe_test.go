package throttle

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// probeStep is half a second of a run: the probes of each node sent in
// it (evenly spaced), then a decision, after which the limit and duty
// must be wantLimit and wantDuty.
type probeStep struct {
	probes    map[string][]time.Duration
	wantLimit int
	wantDuty  float64
}

// probeBase are 20 probes of an idle node: p90 520µs, so the target is
// 1.2 x 520µs + 500µs = 1.124ms.
var probeBase = []time.Duration{
	410 * us, 430 * us, 395 * us, 450 * us, 470 * us, 405 * us, 520 * us, 440 * us, 415 * us, 460 * us,
	425 * us, 600 * us, 435 * us, 400 * us, 445 * us, 480 * us, 390 * us, 455 * us, 510 * us, 420 * us,
}

// replayProbes runs steps against a controller of limit 1 (cap 16,
// pacing down to 1/16) that holds every slot (saturated), one decision
// every half second on a fake clock, with baselines of probeBase for
// nodes a and b.
func replayProbes(t *testing.T, steps []probeStep) (*Controller, *report.Run) {
	t.Helper()
	clock := newClock()
	run := report.New("t")
	c := NewController(Config{Min: 1, Max: 16, Initial: 1, MinDuty: 1.0 / 16, TargetLatency: time.Second, Now: clock.Now}, run, nil)
	c.ProbeBaseline("a", probeBase)
	c.ProbeBaseline("b", probeBase)
	for i, s := range steps {
		for k := range 5 {
			clock.Advance(100 * ms)
			for name, lat := range s.probes {
				if k < len(lat) {
					c.ObserveProbe(name, lat[k])
				}
			}
		}
		for c.TryAcquire() {
		}
		c.mu.Lock()
		c.saturated = true // the readers wait for a slot, paced or not
		c.decideLocked(clock.Now())
		limit, duty := c.limit, c.duty
		c.mu.Unlock()
		if limit != s.wantLimit || duty != s.wantDuty {
			t.Fatalf("step %d (probes %v): limit %d duty %.3f, want %d %.3f", i+1, s.probes, limit, duty, s.wantLimit, s.wantDuty)
		}
		drain(c)
	}
	return c, run
}

func ps(v ...time.Duration) []time.Duration { return v }

// TestProbeDecisions: from limit 1, the limit grows by one per decision
// while both nodes' probes stay under the target (one stray slow probe
// among ten is not trouble); one node's probes over it halve the limit,
// and right after a decrease the limit holds until that node has three
// fresh probes; at limit 1 the duty halves at every second decision in
// a row over the target, down to 1/16, and it is raised back (by 1/16 a decision) before the
// limit grows again.
func TestProbeDecisions(t *testing.T) {
	calm := ps(430*us, 450*us, 410*us, 470*us, 440*us)
	slow := ps(1900*us, 2600*us, 1300*us, 3100*us, 2200*us)
	steps := []probeStep{
		{map[string][]time.Duration{"a": calm, "b": calm}, 2, 1},
		{map[string][]time.Duration{"a": calm, "b": ps(430*us, 4*time.Millisecond, 410*us, 470*us, 440*us)}, 3, 1}, // one stray: p90 of 10 is 470µs
		{map[string][]time.Duration{"a": calm, "b": calm}, 4, 1},
		{map[string][]time.Duration{"a": calm, "b": slow}, 2, 1},               // b over 1.124ms: halve
		{map[string][]time.Duration{"a": calm, "b": ps(450*us, 420*us)}, 2, 1}, // b: two fresh probes only: hold
		{map[string][]time.Duration{"a": calm, "b": slow}, 1, 1},               // halve
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 1},               // at Min: a first strike
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.5},             // the second in a row: pace
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.5},             // a first strike
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.25},            //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.25},            //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.125},           //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.125},           //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.0625},          //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.0625},          //
		{map[string][]time.Duration{"a": slow, "b": slow}, 1, 0.0625},          // MinDuty
	}
	// Healthy again: the duty climbs back by 1/16 a decision, then the limit.
	for i := 2; i <= 16; i++ {
		steps = append(steps, probeStep{map[string][]time.Duration{"a": calm, "b": calm}, 1, float64(i) / 16})
	}
	steps = append(steps,
		probeStep{map[string][]time.Duration{"a": calm, "b": calm}, 2, 1},
		probeStep{map[string][]time.Duration{"a": ps(900*us, 1000*us, 1100*us, 950*us, 1050*us), "b": calm}, 3, 1}, // a under 1.124ms
	)
	c, run := replayProbes(t, steps)
	if n := run.Counter("throttle_decreases"); n != 6 {
		t.Errorf("throttle_decreases = %d, want 6", n)
	}
	if g := run.Gauge(GaugeProbeLatency); g != 1050 {
		t.Errorf("%s = %d, want 1050 (the worst node's p90 of its last ten probes)", GaugeProbeLatency, g)
	}
	if evs := run.Events("throttle_probe_baseline"); len(evs) != 2 {
		t.Errorf("%d probe baseline events, want 2", len(evs))
	}
	if c.Duty() != 1 {
		t.Errorf("duty %v", c.Duty())
	}
}

// TestProbeNodeGoneIsLeftOut: a node that stops answering probes (down)
// holds the limit from when its fresh probes run out until it was last
// probed three windows ago, then is left out, and the others'
// probes judge alone; a name without a baseline is ignored.
func TestProbeNodeGoneIsLeftOut(t *testing.T) {
	calm := ps(430*us, 450*us, 410*us, 470*us, 440*us)
	replayProbes(t, []probeStep{
		{map[string][]time.Duration{"a": calm, "b": calm, "c": ps(time.Second)}, 2, 1},
		{map[string][]time.Duration{"a": calm, "b": calm}, 3, 1},
		{map[string][]time.Duration{"a": calm}, 4, 1}, // b's probes 0.5-0.9 s old: judged
		{map[string][]time.Duration{"a": calm}, 4, 1}, // b: one fresh probe: wait for it
		{map[string][]time.Duration{"a": calm}, 4, 1},
		{map[string][]time.Duration{"a": calm}, 4, 1},
		{map[string][]time.Duration{"a": calm}, 4, 1},
		{map[string][]time.Duration{"a": calm}, 4, 1}, // b last probed 3 s ago
		{map[string][]time.Duration{"a": calm}, 5, 1}, // 3.5 s ago: left out
	})
}

// TestPacing: at duty 1/4, an operation that took 100ms holds the next
// one off for 300ms; Acquire waits for the pacing and still gives up when
// its context ends.
func TestPacing(t *testing.T) {
	c, _, clk := newTest(Config{Min: 1, Max: 4, Initial: 1, MinDuty: 0.25})
	c.mu.Lock()
	c.lowerDutyLocked("test")
	c.lowerDutyLocked("test")
	c.lowerDutyLocked("test") // MinDuty
	c.mu.Unlock()
	if c.Duty() != 0.25 {
		t.Fatalf("duty %v, want 0.25", c.Duty())
	}
	if !c.TryAcquire() {
		t.Fatal("no slot")
	}
	c.Release(100*ms, Failed)
	clk.Advance(299 * ms)
	if c.TryAcquire() {
		t.Fatal("slot taken 299ms after a 100ms operation at duty 1/4")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*ms)
	defer cancel()
	if err := c.Acquire(ctx); err == nil {
		t.Fatal("Acquire did not wait for the pacing")
	}
	clk.Advance(ms)
	if !c.TryAcquire() {
		t.Fatal("no slot 300ms after")
	}
	c.Release(0, Failed)
	if err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestNoPacingWithoutMinDuty: the loader's controllers (MinDuty 0) stop
// at Min.
func TestNoPacingWithoutMinDuty(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 4, Initial: 1})
	c.mu.Lock()
	c.decreaseLocked("test")
	c.mu.Unlock()
	if c.Duty() != 1 || c.Limit() != 1 {
		t.Fatalf("duty %v limit %d", c.Duty(), c.Limit())
	}
}

// TestProbeSlowestCounts: with Quantile 1 (the exporter's), one probe of
// ten that met a pause of the node shrinks the limit, while the baseline
// stays the p90 of the probes at rest (a pause met at rest does not
// raise it).
func TestProbeSlowestCounts(t *testing.T) {
	clock := newClock()
	c := NewController(Config{Min: 1, Max: 16, Initial: 4, Probe: ProbeConfig{Quantile: 1}, Now: clock.Now}, nil, nil)
	c.ProbeBaseline("a", append(slices.Clone(probeBase), 30*ms)) // p90 of 21: 520µs
	c.mu.Lock()
	target := c.probes["a"].target
	c.mu.Unlock()
	if want := 1124 * us; target != want {
		t.Fatalf("target %s, want %s (1.2 x 520µs + 500µs)", target, want)
	}
	for _, lat := range ps(430*us, 450*us, 410*us, 470*us, 440*us, 430*us, 22*ms, 410*us, 470*us, 440*us) {
		clock.Advance(100 * ms)
		c.ObserveProbe("a", lat)
	}
	for c.TryAcquire() {
	}
	c.mu.Lock()
	c.decideLocked(clock.Now())
	c.mu.Unlock()
	if c.Limit() != 2 {
		t.Fatalf("limit %d after a probe met a 22ms pause, want 2", c.Limit())
	}
}
