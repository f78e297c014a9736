package throttle

import (
	"fmt"
	"time"
)

// Pacing: below Min operations in flight. One operation in flight at a
// time can still be too much for the remote side (on a small node, one
// range scan after another keeps a core busy). With Config.MinDuty > 0,
// a decrease at limit Min lowers the duty instead: the share of the time
// an operation is in flight. After an operation that took L, the next
// Acquire waits L x (1-duty)/duty, so at duty 1/4 the remote side works
// for the caller a quarter of the time. An increase raises the duty by
// MinDuty (additive, as the limit grows: a multiplicative rise would
// meet the remote side's trouble again at once) up to 1 before the
// limit grows again.

// GaugeDuty is the run gauge holding the duty in percent (100: no pacing).
const GaugeDuty = "inflight_duty_pct"

// paceWaitLocked is how long an Acquire must still wait for the pacing.
func (c *Controller) paceWaitLocked() time.Duration {
	if c.duty >= 1 {
		return 0
	}
	return c.paceUntil.Sub(c.cfg.Now())
}

// paceLocked, at a Release of an operation that took latency, sets when
// the next one may start.
func (c *Controller) paceLocked(latency time.Duration) {
	if c.duty >= 1 {
		return
	}
	gap := time.Duration(float64(latency) * (1 - c.duty) / c.duty)
	c.paceUntil = c.cfg.Now().Add(gap)
}

// lowerDutyLocked is a decrease at limit Min; false when pacing is off or
// the duty is at MinDuty already.
func (c *Controller) lowerDutyLocked(reason string) bool {
	if c.cfg.MinDuty <= 0 || c.limit > c.cfg.Min || c.duty <= c.cfg.MinDuty {
		return false
	}
	c.setDutyLocked(max(c.cfg.MinDuty, c.duty*c.cfg.Decrease), reason)
	return true
}

// raiseDutyLocked is an increase while pacing; false when not pacing.
func (c *Controller) raiseDutyLocked(reason string) bool {
	if c.duty >= 1 {
		return false
	}
	c.setDutyLocked(min(1, c.duty+c.cfg.MinDuty), reason)
	return true
}

func (c *Controller) setDutyLocked(to float64, reason string) {
	from := c.duty
	c.duty = to
	if to < from {
		c.run.Add("throttle_decreases", 1)
	} else {
		c.run.Add("throttle_increases", 1)
		c.broadcastLocked()
	}
	c.run.Set(GaugeDuty, int64(100*to))
	// Its own event kind: a "throttle" event's from and to are limits.
	c.run.Event("throttle_duty", "from_pct", int(100*from), "to_pct", int(100*to), "reason", reason)
	pct := func(d float64) string { return fmt.Sprintf("duty %.1f%%", 100*d) }
	c.logger.Info("throttle", "from", pct(from), "to", pct(to), "reason", reason)
}

// Duty returns the share of the time operations run at limit Min (1: no
// pacing).
func (c *Controller) Duty() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.duty
}

// decreaseConfirmedLocked is a decrease on a latency signal. At limit
// Min with pacing it lowers the duty only at the second decision in a
// row that finds a signal over its target: one reading over it, of a
// remote side's noise, must not halve the pace of a caller already at
// one operation in flight (a short export would crawl from its first
// second). Overloaded outcomes decrease at once (decreaseLocked).
func (c *Controller) decreaseConfirmedLocked(reason string) {
	if c.cfg.MinDuty > 0 && c.limit <= c.cfg.Min {
		c.strikes++
		if c.strikes < 2 {
			return
		}
	}
	c.strikes = 0
	c.decreaseLocked(reason)
}
