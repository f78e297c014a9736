package throttle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const ms = time.Millisecond

// feed holds as many slots as the limit allows and completes n operations
// with the given latency and outcome, taking a new slot after each one
// while one is free: a saturated steady state, as under real load.
func feed(t *testing.T, c *Controller, n int, latency time.Duration, outcome Outcome) {
	t.Helper()
	for c.TryAcquire() {
	}
	for i := 0; i < n; i++ {
		if c.Inflight() == 0 && !c.TryAcquire() {
			t.Fatal("no slot with nothing in flight")
		}
		c.Release(latency, outcome)
		for c.TryAcquire() {
		}
	}
}

// drain releases every held slot without feeding more samples.
func drain(c *Controller) {
	c.mu.Lock()
	c.inflight = 0
	c.mu.Unlock()
}

func newTest(cfg Config) (*Controller, *report.Run, *fakeClock) {
	clk := newClock()
	cfg.Now = clk.Now
	run := report.New("test")
	return NewController(cfg, run, nil), run, clk
}

func TestDecreaseOnOverload(t *testing.T) {
	var logs bytes.Buffer
	clk := newClock()
	run := report.New("test")
	c := NewController(Config{Name: "source", Min: 1, Max: 64, Initial: 16, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5, Now: clk.Now},
		run, slog.New(slog.NewTextHandler(&logs, nil)))
	if run.Gauge("inflight_limit") != 16 {
		t.Fatalf("initial gauge = %d", run.Gauge("inflight_limit"))
	}
	feed(t, c, 9, ms, OK)
	if c.Limit() != 16 {
		t.Fatalf("decided before DecideEvery samples: limit %d", c.Limit())
	}
	feed(t, c, 1, ms, Overloaded)
	if c.Limit() != 8 {
		t.Fatalf("limit after overload = %d, want 8", c.Limit())
	}
	evs := run.Events("throttle")
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	a := evs[0].Attrs
	if a["from"] != 16 || a["to"] != 8 || a["reason"] != "1 overloaded outcome(s)" {
		t.Fatalf("event attrs = %v", a)
	}
	if run.Counter("throttle_decreases") != 1 || run.Counter("throttle_increases") != 0 {
		t.Fatalf("counters: dec %d inc %d", run.Counter("throttle_decreases"), run.Counter("throttle_increases"))
	}
	if run.Gauge("inflight_limit") != 8 {
		t.Fatalf("gauge inflight_limit = %d", run.Gauge("inflight_limit"))
	}
	if l := logs.String(); !strings.Contains(l, "msg=throttle") || !strings.Contains(l, "controller=source") ||
		!strings.Contains(l, "from=16 to=8") {
		t.Fatalf("log = %q", l)
	}
}

func TestDecreaseOnHighP99(t *testing.T) {
	c, run, _ := newTest(Config{Min: 1, Max: 64, Initial: 10, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5})
	feed(t, c, 9, 10*ms, OK)
	feed(t, c, 1, 120*ms, OK)
	if c.Limit() != 5 {
		t.Fatalf("limit = %d, want 5", c.Limit())
	}
	if r := run.Events("throttle")[0].Attrs["reason"]; r != "p99 120ms > target 50ms" {
		t.Fatalf("reason = %v", r)
	}
	// The window was reset: the next healthy round judges only new samples
	// and grows the limit again.
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 6 {
		t.Fatalf("limit after recovery = %d, want 6", c.Limit())
	}
}

func TestIncreaseWhenHealthyAndSaturated(t *testing.T) {
	c, run, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5, Increase: 2})
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 6 {
		t.Fatalf("limit = %d, want 6", c.Limit())
	}
	ev := run.Events("throttle")[0].Attrs
	if ev["from"] != 4 || ev["to"] != 6 || ev["reason"] != "healthy: p99 10ms <= target 50ms" {
		t.Fatalf("event = %v", ev)
	}
	if run.Counter("throttle_increases") != 1 {
		t.Fatalf("throttle_increases = %d", run.Counter("throttle_increases"))
	}
}

func TestNoIncreaseWhenLimitUnused(t *testing.T) {
	c, run, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5})
	// One operation at a time never reaches a limit of 4.
	for i := 0; i < 50; i++ {
		if !c.TryAcquire() {
			t.Fatal("no slot")
		}
		c.Release(ms, OK)
	}
	if c.Limit() != 4 || len(run.Events("throttle")) != 0 {
		t.Fatalf("limit = %d, events %v", c.Limit(), run.Events("throttle"))
	}
}

func TestNotEnoughSamplesHoldsLimit(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 5, MinSamples: 20})
	feed(t, c, 15, 10*ms, OK) // three decisions, each with < 20 samples
	if c.Limit() != 4 {
		t.Fatalf("limit = %d, want 4 (too few samples to judge)", c.Limit())
	}
	feed(t, c, 5, 10*ms, OK) // now 20
	if c.Limit() != 5 {
		t.Fatalf("limit = %d, want 5", c.Limit())
	}
}

func TestFailedOutcomeIsNeutral(t *testing.T) {
	c, run, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5})
	feed(t, c, 30, time.Second, Failed)
	if c.Limit() != 4 || len(run.Events("throttle")) != 0 {
		t.Fatalf("failed outcomes moved the limit to %d", c.Limit())
	}
}

func TestBounds(t *testing.T) {
	c, run, _ := newTest(Config{Min: 2, Max: 5, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5})
	feed(t, c, 100, ms, OK)
	if c.Limit() != 5 {
		t.Fatalf("limit = %d, want Max 5", c.Limit())
	}
	if n := run.Counter("throttle_increases"); n != 1 {
		t.Fatalf("increases = %d, want 1 (no event while pinned at Max)", n)
	}
	drain(c)
	feed(t, c, 100, ms, Overloaded)
	if c.Limit() != 2 {
		t.Fatalf("limit = %d, want Min 2", c.Limit())
	}
	if n := run.Counter("throttle_decreases"); n != 1 {
		t.Fatalf("decreases = %d, want 1 (5→2, then pinned at Min)", n)
	}
	for _, ev := range run.Events("throttle") {
		from, to := ev.Attrs["from"].(int), ev.Attrs["to"].(int)
		if from == to || to < 2 || to > 5 {
			t.Fatalf("bad event %v", ev.Attrs)
		}
	}
}

func TestDecreaseAlwaysLowersByOne(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 10, Initial: 3, TargetLatency: 50 * ms, DecideEvery: 1, Decrease: 0.9})
	feed(t, c, 1, ms, Overloaded)
	if c.Limit() != 2 {
		t.Fatalf("limit = %d, want 2 (floor(3*0.9))", c.Limit())
	}
	feed(t, c, 1, ms, Overloaded)
	if c.Limit() != 1 {
		t.Fatalf("limit = %d, want 1 (floor(2*0.9)=1)", c.Limit())
	}
}

func TestConfigDefaultsAndClamps(t *testing.T) {
	cfg := Config{Min: 4, Max: 2, Initial: 100}.withDefaults()
	if cfg.Min != 4 || cfg.Max != 4 || cfg.Initial != 4 {
		t.Fatalf("clamped = %d/%d/%d", cfg.Min, cfg.Max, cfg.Initial)
	}
	d := Config{}.withDefaults()
	if d.Min != 1 || d.Max != 64 || d.Initial != 1 || d.Increase != 1 || d.Decrease != 0.5 ||
		d.Window != 200 || d.WarmupSamples != 200 || d.TargetFloor != 20*ms || d.TargetFactor != 4 ||
		d.DecideInterval != time.Second || d.WindowAge != 10*time.Second {
		t.Fatalf("defaults = %+v", d)
	}
}

func TestDerivedTarget(t *testing.T) {
	for _, tc := range []struct {
		name string
		lat  time.Duration
		want time.Duration
	}{
		{"k*p50", 10 * ms, 40 * ms},
		{"floor", 2 * ms, 20 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, run, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, WarmupSamples: 20, DecideEvery: 10, MinSamples: 5})
			feed(t, c, 19, tc.lat, OK)
			if c.Target() != 0 {
				t.Fatalf("target derived after 19 samples: %v", c.Target())
			}
			if c.Limit() != 4 {
				t.Fatalf("limit moved during warm-up: %d", c.Limit())
			}
			feed(t, c, 1, tc.lat, OK)
			if c.Target() != tc.want {
				t.Fatalf("target = %v, want %v", c.Target(), tc.want)
			}
			evs := run.Events("throttle_target")
			if len(evs) != 1 || evs[0].Attrs["target"] != tc.want.String() || evs[0].Attrs["samples"] != 20 {
				t.Fatalf("target events = %+v", evs)
			}
		})
	}
}

func TestDerivedTargetByDuration(t *testing.T) {
	c, _, clk := newTest(Config{Min: 1, Max: 64, Initial: 4, WarmupSamples: 1000, WarmupDuration: time.Minute, DecideEvery: 100, MinSamples: 5})
	feed(t, c, 5, 30*ms, OK)
	if c.Target() != 0 {
		t.Fatal("derived before the warm-up minute")
	}
	clk.Advance(61 * time.Second)
	feed(t, c, 1, 30*ms, OK)
	if c.Target() != 120*ms {
		t.Fatalf("target = %v, want 120ms", c.Target())
	}
}

func TestOverloadDuringWarmupDecreases(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 64, Initial: 8, WarmupSamples: 1000, DecideEvery: 5})
	feed(t, c, 5, ms, Overloaded)
	if c.Limit() != 4 || c.Target() != 0 {
		t.Fatalf("limit %d target %v", c.Limit(), c.Target())
	}
}

func TestTimeBasedDecisions(t *testing.T) {
	c, _, clk := newTest(Config{Min: 1, Max: 64, Initial: 8, TargetLatency: 50 * ms, MinSamples: 1, DecideInterval: time.Second})
	clk.Advance(500 * ms)
	feed(t, c, 5, ms, Overloaded)
	if c.Limit() != 8 {
		t.Fatalf("decided before the interval: %d", c.Limit())
	}
	clk.Advance(500 * ms)
	feed(t, c, 1, ms, OK)
	if c.Limit() != 4 {
		t.Fatalf("limit = %d, want 4 once the interval passed", c.Limit())
	}
	// At most one decision per interval, however many overloads follow.
	feed(t, c, 50, ms, Overloaded)
	if c.Limit() != 4 {
		t.Fatalf("second decision within the interval: %d", c.Limit())
	}
	clk.Advance(time.Second)
	feed(t, c, 1, ms, OK)
	if c.Limit() != 2 {
		t.Fatalf("limit = %d, want 2", c.Limit())
	}
}

func TestWindowAgeDropsOldSamples(t *testing.T) {
	c, _, clk := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 10, MinSamples: 5, WindowAge: 10 * time.Second})
	// Slow samples that do not reach a decision...
	feed(t, c, 5, 200*ms, OK)
	// ...are stale by the time the next ones arrive.
	clk.Advance(11 * time.Second)
	feed(t, c, 5, 10*ms, OK)
	if c.Limit() != 5 {
		t.Fatalf("limit = %d, want 5 (stale slow samples dropped)", c.Limit())
	}
}

func TestWindowKeepsLastSamples(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 64, Initial: 4, TargetLatency: 50 * ms, DecideEvery: 20, MinSamples: 5, Window: 10})
	feed(t, c, 10, 200*ms, OK) // pushed out of the 10-sample window by:
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 5 {
		t.Fatalf("limit = %d, want 5", c.Limit())
	}
}

func TestAcquireWaitsAndCancels(t *testing.T) {
	c, run, _ := newTest(Config{Min: 1, Max: 4, Initial: 1, TargetLatency: time.Second, DecideEvery: 1000})
	ctx := context.Background()
	if err := c.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if run.Gauge("inflight") != 1 {
		t.Fatalf("inflight gauge = %d", run.Gauge("inflight"))
	}
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Acquire(cctx) }()
	select {
	case err := <-errc:
		t.Fatalf("Acquire over the limit returned %v", err)
	case <-time.After(20 * ms):
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire = %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- c.Acquire(ctx) }()
	time.Sleep(10 * ms)
	c.Release(ms, OK)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Release did not wake a waiting Acquire")
	}
	c.Release(ms, OK)
	if c.Inflight() != 0 || run.Gauge("inflight") != 0 {
		t.Fatalf("inflight = %d", c.Inflight())
	}
	if err := c.Acquire(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a done context = %v", err)
	}
}

func TestReleaseWithoutAcquirePanics(t *testing.T) {
	c, _, _ := newTest(Config{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	c.Release(ms, OK)
}

// TestConcurrentNeverExceedsLimit runs many workers against a controller
// whose limit moves, checking under -race that inflight never exceeds the
// limit in force when a slot was granted.
func TestConcurrentNeverExceedsLimit(t *testing.T) {
	c := NewController(Config{Min: 1, Max: 16, Initial: 8, TargetLatency: 50 * ms, DecideEvery: 7, MinSamples: 3}, report.New("t"), nil)
	var inflight, peak atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := c.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				n := inflight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				if n > 16 {
					t.Errorf("inflight %d above Max", n)
				}
				outcome := OK
				if i%50 == 49 {
					outcome = Overloaded
				}
				inflight.Add(-1)
				c.Release(ms, outcome)
			}
		}()
	}
	wg.Wait()
	if c.Inflight() != 0 {
		t.Fatalf("inflight = %d after all released", c.Inflight())
	}
	if l := c.Limit(); l < 1 || l > 16 {
		t.Fatalf("limit %d out of bounds", l)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*ms)
	}
	if p := percentile(d, 0.5); p != 50*ms {
		t.Fatalf("p50 = %v", p)
	}
	if p := percentile(d, 0.99); p != 99*ms {
		t.Fatalf("p99 = %v", p)
	}
	if d[0] != 100*ms {
		t.Fatal("percentile sorted its input in place")
	}
	if percentile(nil, 0.5) != 0 || percentile([]time.Duration{7}, 0.99) != 7 {
		t.Fatal("edge cases")
	}
}

func TestOutcomeString(t *testing.T) {
	if OK.String() != "ok" || Overloaded.String() != "overloaded" || Failed.String() != "failed" || Outcome(9).String() != "outcome(9)" {
		t.Fatal("names")
	}
}
