package throttle

// Lingering near the level that hurt. An additive climb finds the
// remote side's limit by exceeding it, and the other clients' tail
// latency is made of the seconds just after each climb. The climb's
// speed barely changes what the caller gets on average (the level
// saws between half and all of the level that hurt, whatever the
// speed), but it sets how often that level is exceeded. With
// Config.Linger > 1, once a decrease has marked the level that hurt,
// every step that lands in the last quarter of the climb back to it,
// or past it, takes Linger healthy decisions instead of one (from 2 in
// flight back to 1, the step back to 2 is such a step); a climb past it
// without trouble forgets it (the remote side takes more now).

// levelLocked is where the controller stands: the duty while pacing at
// one operation in flight (below 1), else the limit.
func (c *Controller) levelLocked() float64 {
	if c.duty < 1 {
		return c.duty
	}
	return float64(c.limit)
}

// nextLevelLocked is the level one increase would reach.
func (c *Controller) nextLevelLocked() float64 {
	if c.duty < 1 {
		return min(1, c.duty+c.cfg.MinDuty)
	}
	return float64(min(c.limit+c.cfg.Increase, c.cfg.Max))
}

// lingerLocked reports whether a healthy decision must hold instead of
// increasing, counting it: the step it would take lands in the last
// quarter of the climb back to the level that hurt, or past it.
func (c *Controller) lingerLocked() bool {
	if c.cfg.Linger <= 1 || c.hurt <= 0 || c.nextLevelLocked() < 0.75*c.hurt {
		c.lingered = 0
		return false
	}
	c.lingered++
	if c.lingered < c.cfg.Linger {
		return true
	}
	c.lingered = 0
	return false
}

// climbedLocked forgets the level that hurt once the level is past it.
func (c *Controller) climbedLocked() {
	if c.hurt > 0 && c.levelLocked() > c.hurt {
		c.hurt = 0
	}
}
