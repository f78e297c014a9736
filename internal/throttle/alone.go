package throttle

import (
	"fmt"
	"slices"
	"time"
)

// Alone: the remote side has no other client to protect. When the
// caller knows that nothing else uses the remote side (the exporter: no
// node coordinated a point read or write of an application's table
// lately), the latency signals measure only the caller's own load, and
// backing off on them would slow the caller for nobody. Alone, the limit
// is Max (and no pacing); only the remote side's own trouble (Overloaded
// outcomes) shrinks it, and it grows back additively. When another client
// appears, the limit falls back to Initial and every signal is judged
// again, from fresh samples.

// SetAlone tells the controller whether the remote side has other
// clients; reason is logged with the change and recorded in a
// "throttle_alone" event. Setting the current state again does nothing.
func (c *Controller) SetAlone(alone bool, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if alone == c.alone {
		return
	}
	c.alone = alone
	c.hurt, c.lingered = 0, 0
	c.logger.Info("throttle: other clients", "present", !alone, "reason", reason)
	c.run.Event("throttle_alone", "alone", alone, "reason", reason)
	if alone {
		if c.duty < 1 {
			c.setDutyLocked(1, "alone: "+reason)
		}
		if c.limit < c.cfg.Max {
			c.setLimitLocked(c.cfg.Max, "alone: "+reason)
		}
		return
	}
	c.window = c.window[:0]
	c.forgetProbesLocked()
	if c.limit > c.cfg.Initial {
		c.setLimitLocked(c.cfg.Initial, "other clients: "+reason)
	}
}

// Alone reports whether the controller was told the remote side has no
// other client.
func (c *Controller) Alone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alone
}

// decideAloneLocked is a decision while alone (overloads were handled
// before): grow back towards Max while the limit is in use.
func (c *Controller) decideAloneLocked(saturated bool) {
	c.judgePagesLocked() // decides nothing alone, but publishes the pages' p99
	if saturated && c.limit < c.cfg.Max {
		c.setLimitLocked(min(c.limit+c.cfg.Increase, c.cfg.Max), "healthy: no other client")
	}
}

// Traffic tells from successive readings of the remote side's request
// counters whether other clients are there. A reading maps each counter's
// name to its cumulative count of the other clients' requests (the
// exporter: a node's point reads, or writes, of one of the applications'
// tables); the counters' rise between two readings is their traffic. A
// counter missing from either reading (a new table, a dropped one, a node
// down), or whose count fell (its node restarted), tells nothing.
// Other clients are present from the first reading that shows any of
// their requests until none showed for Quiet. A Traffic is not safe for
// concurrent use.
type Traffic struct {
	// Quiet is how long no request must show before the remote side is
	// alone again; 0 means DefaultTrafficQuiet.
	Quiet time.Duration

	last     map[string]int64
	lastSeen time.Time // when the last request showed
	known    bool      // whether a verdict has been reached
	present  bool
}

// DefaultTrafficQuiet is Traffic.Quiet's default: a client that sends a
// request every few seconds still counts as present.
const DefaultTrafficQuiet = 5 * time.Second

// Observe takes a reading at now. It returns whether other clients are
// present and a reason for the log; known is false until two readings
// have compared at least one counter.
func (t *Traffic) Observe(now time.Time, counts map[string]int64) (present, known bool, reason string) {
	quiet := t.Quiet
	if quiet <= 0 {
		quiet = DefaultTrafficQuiet
	}
	var rise int64
	compared := 0
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	busiest := ""
	var busiestRise int64
	for _, n := range names {
		prev, ok := t.last[n]
		if !ok || counts[n] < prev {
			continue
		}
		compared++
		d := counts[n] - prev
		rise += d
		if d > busiestRise {
			busiest, busiestRise = n, d
		}
	}
	t.last = counts
	if compared == 0 {
		return t.present, t.known, "no counter to compare"
	}
	switch {
	case rise > 0:
		t.present, t.known, t.lastSeen = true, true, now
		return true, true, fmt.Sprintf("%d requests of other clients since the last reading (most: %d, %s)", rise, busiestRise, busiest)
	case !t.known:
		t.known = true
		return false, true, fmt.Sprintf("no request of another client in %d counter(s)", compared)
	case t.present && now.Sub(t.lastSeen) >= quiet:
		t.present = false
		return false, true, fmt.Sprintf("no request of another client for %s", now.Sub(t.lastSeen).Round(time.Second))
	}
	return t.present, true, "unchanged"
}
