package throttle

import (
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// step is one second of a recorded run: the server's readings (name ->
// p99), then a decision, after which the limit must be want.
type step struct {
	readings map[string]time.Duration
	want     int
}

// replay runs steps against a controller of limit 8 (cap 16) that holds
// every slot (saturated), one decision a second on a fake clock.
func replay(t *testing.T, steps []step) *report.Run {
	t.Helper()
	clock := newClock()
	run := report.New("t")
	c := NewController(Config{Min: 1, Max: 16, Initial: 8, TargetLatency: time.Second, Now: clock.Now}, run, nil)
	for i, s := range steps {
		clock.Advance(time.Second)
		for name, v := range s.readings {
			c.ObserveServer(name, v)
		}
		for c.TryAcquire() {
		}
		c.mu.Lock()
		c.decideLocked(clock.Now())
		got := c.limit
		c.mu.Unlock()
		if got != s.want {
			t.Fatalf("second %d (readings %v): limit %d, want %d", i+1, s.readings, got, s.want)
		}
	}
	return run
}

func r(v ...any) map[string]time.Duration {
	m := map[string]time.Duration{}
	for i := 0; i < len(v); i += 2 {
		m[v[i].(string)] = v[i+1].(time.Duration)
	}
	return m
}

const us = time.Microsecond

// TestServerLatencyDecisions: readings as Cassandra 4.1 reported them
// (coordinator p99 of the foreground's point reads and writes, in its
// histogram's buckets) while an export ramped up. The first readings are
// the baselines (read 943µs, write 454µs: targets 1.18ms and 567µs);
// the limit grows while they hold, halves on the first reading over its
// target, halves again while it rises, holds while a high reading falls
// (within the 5 s hold), and grows again once the readings are back.
func TestServerLatencyDecisions(t *testing.T) {
	run := replay(t, []step{
		{r("n read", 943*us, "n write", 454*us), 9},   // baselines; healthy: +1
		{r("n read", 943*us, "n write", 545*us), 10},  // write within 1.25x
		{r("n read", 1131*us, "n write", 545*us), 11}, // read within 1.25x
		{r("n read", 1358*us, "n write", 545*us), 5},  // read over 1.18ms: halve
		{r("n read", 1955*us, "n write", 654*us), 2},  // rising: halve again
		{r("n read", 1955*us, "n write", 654*us), 2},  // flat, within hold: keep
		{r("n read", 1629*us, "n write", 545*us), 2},  // falling: keep
		{r("n read", 1358*us, "n write", 545*us), 2},  // falling: keep
		{r("n read", 1358*us, "n write", 545*us), 2},  // flat, within hold: keep
		{r("n read", 1358*us, "n write", 545*us), 1},  // hold (5 s) over: shrink
		{r("n read", 1131*us, "n write", 454*us), 2},  // back under: grow
		{r("n read", 943*us, "n write", 454*us), 3},
		{r("n read", 943*us, "n write", 786*us), 1}, // write over 567µs: halve (floor 1)
	})
	if n := run.Counter("throttle_decreases"); n != 4 {
		t.Errorf("throttle_decreases = %d, want 4", n)
	}
	if g := run.Gauge(GaugeServerLatency); g != 786 {
		t.Errorf("%s = %d, want 786 (the worst reading judged last)", GaugeServerLatency, g)
	}
}

// TestServerLatencyStaleFallsBack: when the readings stop (no foreground
// traffic, or the poller lost the node) the controller goes back to
// judging its own operations' p99 (here: none in the window, so the
// limit holds), and readings of zero (nothing measured) are ignored.
func TestServerLatencyStaleFallsBack(t *testing.T) {
	replay(t, []step{
		{r("n read", 500*us), 9},
		{nil, 10}, // 1 s old: still judged
		{r("n read", time.Duration(0)), 11},
		{nil, 12},
		{nil, 13},
		{nil, 14}, // 5 s old: still judged
		{nil, 14}, // 6 s old: stale; no samples of its own: hold
		{r("n read", 2*time.Millisecond), 7},
	})
}

// TestServerLatencyOverloadStillShrinks: an overloaded outcome of an
// operation shrinks the limit even while the server's readings are fine.
func TestServerLatencyOverloadStillShrinks(t *testing.T) {
	clock := newClock()
	c := NewController(Config{Min: 1, Max: 16, Initial: 8, Now: clock.Now}, nil, nil)
	c.ObserveServer("n read", time.Millisecond)
	if !c.TryAcquire() {
		t.Fatal("no slot")
	}
	c.Release(time.Millisecond, Overloaded)
	clock.Advance(time.Second)
	c.mu.Lock()
	c.decideLocked(clock.Now())
	got := c.limit
	c.mu.Unlock()
	if got != 4 {
		t.Fatalf("limit %d after an overloaded outcome, want 4", got)
	}
}

// TestServerLatencyAndPagesBothCount: the server's readings within their
// target do not hide pages over theirs (a CPU the export starves slows
// the pages before the server's own request latency shows it): the limit
// shrinks; and with both healthy it grows.
func TestServerLatencyAndPagesBothCount(t *testing.T) {
	clock := newClock()
	c := NewController(Config{Min: 1, Max: 16, Initial: 8, TargetLatency: 100 * ms, DecideEvery: 1 << 30, Now: clock.Now}, nil, nil)
	decide := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.decideLocked(clock.Now())
		return c.limit
	}
	c.ObserveServer("n read", time.Millisecond)
	feed(t, c, 20, 300*ms, OK) // pages over their 100ms target
	clock.Advance(time.Second)
	c.ObserveServer("n read", time.Millisecond)
	if got := decide(); got != 4 {
		t.Fatalf("limit %d with the server healthy and the pages over target, want 4", got)
	}
	feed(t, c, 20, 20*ms, OK)
	clock.Advance(time.Second)
	c.ObserveServer("n read", time.Millisecond)
	if got := decide(); got != 5 {
		t.Fatalf("limit %d with both healthy, want 5", got)
	}
}
