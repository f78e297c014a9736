package throttle

import (
	"testing"
	"time"
)

// trafficStep is one reading of the nodes' request counts, taken `after`
// the one before, and the verdict it must give.
type trafficStep struct {
	after       time.Duration
	counts      map[string]int64
	wantPresent bool
	wantKnown   bool
}

// TestTrafficVerdicts replays recorded counters (a node's
// coordinator_read_latency or coordinator_write_latency count of one of
// the applications' tables, as cql.ClientRequests reads them): the first
// reading knows nothing; no rise of any counter is "alone"; any rise is
// "present" at once; "alone" again only after Quiet without a rise; a
// counter that fell (its node restarted) or that is new tells nothing,
// and one that vanished (its table dropped) hides no other's rise.
func TestTrafficVerdicts(t *testing.T) {
	tr := &Traffic{Quiet: 5 * time.Second}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const a, b, c, d = "10.0.0.1/shop.orders/writes", "10.0.0.2/shop.orders/writes", "10.0.0.3/shop.orders/writes", "10.0.0.2/shop.carts/reads"
	steps := []trafficStep{
		{0, map[string]int64{a: 14109, b: 26185}, false, false},
		{250 * time.Millisecond, map[string]int64{a: 14109, b: 26185}, false, true},    // idle cluster
		{time.Second, map[string]int64{a: 14109, b: 26185, c: 5}, false, true},         // a new node: not compared
		{time.Second, map[string]int64{a: 14109, b: 26186, c: 5}, true, true},          // one write: present
		{time.Second, map[string]int64{a: 14109, b: 26186, c: 5}, true, true},          // quiet 1 s
		{3 * time.Second, map[string]int64{a: 14109, b: 26186, c: 5}, true, true},      // quiet 4 s
		{time.Second, map[string]int64{a: 14109, b: 26186, c: 5}, false, true},         // quiet 5 s: alone
		{time.Second, map[string]int64{a: 14109, b: 120, c: 5}, false, true},           // 10.0.0.2 restarted
		{time.Second, map[string]int64{a: 14109, b: 320, c: 5}, true, true},            // its clients are back
		{time.Second, map[string]int64{b: 520}, true, true},                            // two nodes down
		{time.Second, map[string]int64{}, true, true},                                  // none answered
		{5 * time.Second, map[string]int64{a: 14109, b: 520, c: 5}, true, true},        // nothing to compare: unchanged
		{time.Second, map[string]int64{a: 14109, b: 520, c: 5}, false, true},           // no rise, last seen 7 s ago
		{time.Second, map[string]int64{a: 14109, b: 520, c: 5, d: 90000}, false, true}, // a new table's count: not compared
		{6 * time.Second, map[string]int64{d: 90100}, true, true},                      // shop.orders dropped (10.0.0.2 counted 90,520 of both tables, now 90,100), 100 reads of shop.carts
	}
	for i, s := range steps {
		now = now.Add(s.after)
		present, known, reason := tr.Observe(now, s.counts)
		if present != s.wantPresent || known != s.wantKnown {
			t.Fatalf("step %d (%v): present %v known %v (%s), want %v %v", i+1, s.counts, present, known, reason, s.wantPresent, s.wantKnown)
		}
	}
}

// TestAloneRunsAtTheCap: alone, the limit jumps to the cap (and the duty
// to 1), a slow probe or page does not shrink it, an overloaded outcome
// still does, and it grows back while in use; when another client
// appears it falls back to Initial and the probes judge again.
func TestAloneRunsAtTheCap(t *testing.T) {
	c, run, clk := newTest(Config{Min: 1, Max: 16, Initial: 4, MinDuty: 1.0 / 16, DecideEvery: 10, TargetLatency: 100 * ms})
	c.ProbeBaseline("a", probeBase)
	c.mu.Lock()
	c.lowerDutyLocked("test") // not at Min: nothing
	c.mu.Unlock()
	c.SetAlone(true, "no request of another client in 2 counter(s)")
	if c.Limit() != 16 || c.Duty() != 1 || !c.Alone() {
		t.Fatalf("alone: limit %d duty %v alone %v, want 16 1 true", c.Limit(), c.Duty(), c.Alone())
	}
	for range 5 {
		clk.Advance(100 * ms)
		c.ObserveProbe("a", 30*ms) // far over 1.124ms
	}
	feed(t, c, 10, 900*ms, OK) // pages far over the 100ms target
	if c.Limit() != 16 {
		t.Fatalf("alone: slow probes and pages shrank the limit to %d", c.Limit())
	}
	// Alone, the pages' p99 decides nothing but is still published (the
	// metrics' lading_latency_p99_seconds).
	if us := run.Gauge(GaugeLatencyP99); us != (900 * ms).Microseconds() {
		t.Fatalf("alone: latency p99 gauge %d µs, want %d", us, (900 * ms).Microseconds())
	}
	feed(t, c, 10, 10*ms, Overloaded)
	if c.Limit() != 8 {
		t.Fatalf("alone: overloaded outcomes: limit %d, want 8", c.Limit())
	}
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 9 {
		t.Fatalf("alone: limit %d after a healthy decision, want 9", c.Limit())
	}
	drain(c)
	c.SetAlone(false, "3 requests of other clients since the last reading")
	if c.Limit() != 4 || c.Alone() {
		t.Fatalf("other clients: limit %d alone %v, want 4 false", c.Limit(), c.Alone())
	}
	for range 5 {
		clk.Advance(100 * ms)
		c.ObserveProbe("a", 30*ms)
	}
	feed(t, c, 10, 10*ms, OK)
	if c.Limit() != 2 {
		t.Fatalf("other clients, slow probes: limit %d, want 2", c.Limit())
	}
	if n := len(run.Events("throttle_alone")); n != 2 {
		t.Fatalf("%d throttle_alone events, want 2", n)
	}
	c.SetAlone(false, "again")
	if n := len(run.Events("throttle_alone")); n != 2 {
		t.Fatalf("setting the same state again recorded an event (%d)", n)
	}
}
