package throttle

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// GaugeLatencyP99 is the run gauge holding the p99 latency (µs) of the
// operations in the controller's window (the exporter's pages, the
// loader's writes), set at each decision that has enough samples.
const GaugeLatencyP99 = "latency_p99_us"

// Outcome is what one operation told the controller about the remote side.
type Outcome int

const (
	// OK: the operation succeeded; its latency counts towards the p99.
	OK Outcome = iota
	// Overloaded: the remote side pushed back (a timeout, an overloaded,
	// unavailable or throttled answer). Any of these shrinks the limit at
	// the next decision.
	Overloaded
	// Failed: the operation failed for a reason that says nothing about
	// load (e.g. bad input). It neither shrinks nor grows the limit.
	Failed
)

// String names the outcome for logs.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Overloaded:
		return "overloaded"
	case Failed:
		return "failed"
	default:
		return fmt.Sprintf("outcome(%d)", int(o))
	}
}

// Config configures a Controller. Zero fields take the defaults named.
type Config struct {
	// Name labels the controller's log lines and events (e.g. "source").
	Name string
	// Min, Max and Initial bound the concurrency limit; defaults 1, 64 and
	// Min. Initial is clamped into [Min, Max].
	Min, Max, Initial int

	// TargetLatency is the p99 latency above which the limit shrinks.
	// 0 derives it: after WarmupSamples OK samples (or WarmupDuration with
	// at least MinSamples), target = max(TargetFloor, TargetFactor*p50).
	TargetLatency time.Duration
	// TargetFloor is the least derived target; default 20ms.
	TargetFloor time.Duration
	// TargetFactor is k in k*p50; default 4.
	TargetFactor float64
	// WarmupSamples and WarmupDuration end the warm-up; defaults 200 and 1m.
	WarmupSamples  int
	WarmupDuration time.Duration

	// Increase is the additive step when healthy; default 1.
	Increase int
	// Decrease is the multiplicative factor on overload, in (0, 1); default
	// 0.5. A decrease always lowers the limit by at least 1 (down to Min).
	Decrease float64

	// Window is how many recent OK samples the p99 is taken over; default
	// 200. WindowAge drops older samples; default 10s.
	Window    int
	WindowAge time.Duration
	// MinSamples is how many samples the window needs before its p99 is
	// judged; default 10.
	MinSamples int

	// DecideEvery, when > 0, makes a decision every DecideEvery samples
	// (deterministic, for tests and for callers with steady traffic).
	// Otherwise decisions come at most once per DecideInterval (default 1s),
	// at the first Release after it elapsed.
	DecideEvery    int
	DecideInterval time.Duration

	// Linger, when > 1, is how many healthy decisions a step of the
	// climb takes in its last quarter back to the level of the last
	// decrease (linger.go); 0 or 1: one, as everywhere else.
	Linger int

	// Server tunes the judgement of server-reported latency readings
	// (ObserveServer), when a caller feeds them.
	Server ServerConfig
	// Probe tunes the judgement of probe latencies (ObserveProbe, probe.go),
	// when a caller feeds them.
	Probe ProbeConfig
	// MinDuty, in (0, 1), lets the controller go below Min operations in
	// flight by pacing them (pace.go) down to this share of the time;
	// 0: no pacing, Min is the floor.
	MinDuty float64

	// Now is the clock; default time.Now. Tests pass a fake one.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Min <= 0 {
		c.Min = 1
	}
	if c.Max <= 0 {
		c.Max = max(64, c.Min)
	}
	if c.Max < c.Min {
		c.Max = c.Min
	}
	if c.Initial <= 0 {
		c.Initial = c.Min
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	if c.TargetFloor <= 0 {
		c.TargetFloor = 20 * time.Millisecond
	}
	if c.TargetFactor <= 0 {
		c.TargetFactor = 4
	}
	if c.WarmupSamples <= 0 {
		c.WarmupSamples = 200
	}
	if c.WarmupDuration <= 0 {
		c.WarmupDuration = time.Minute
	}
	if c.Increase <= 0 {
		c.Increase = 1
	}
	if c.Decrease <= 0 || c.Decrease >= 1 {
		c.Decrease = 0.5
	}
	if c.Window <= 0 {
		c.Window = 200
	}
	if c.WindowAge <= 0 {
		c.WindowAge = 10 * time.Second
	}
	if c.MinSamples <= 0 {
		c.MinSamples = 10
	}
	if c.DecideInterval <= 0 {
		c.DecideInterval = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Server = c.Server.withDefaults()
	c.Probe = c.Probe.withDefaults()
	if c.MinDuty >= 1 {
		c.MinDuty = 0
	}
	return c
}

type sample struct {
	at      time.Time
	latency time.Duration
}

// Controller adapts a concurrency limit with AIMD (additive increase,
// multiplicative decrease). Callers Acquire a slot before each operation
// against the remote side and Release it with the latency and outcome.
// At each decision point the controller
//
//   - shrinks the limit by Decrease if any outcome since the last decision
//     was Overloaded, if the probes of a node are over their target
//     (probe.go), if the server's readings are (server.go), or if the p99
//     of recent OK latencies exceeds the target (at limit Min, with
//     MinDuty, it lowers the duty instead: pace.go);
//   - otherwise grows it by Increase, if the limit was actually reached
//     since the last decision (an unused limit proves nothing).
//
// The limit stays within [Min, Max]. Every change is logged at info level,
// recorded as a "throttle" event with from, to and reason, and counted as
// throttle_decreases or throttle_increases; the gauges inflight_limit and
// inflight follow the current values. A Controller is safe for concurrent
// use.
type Controller struct {
	cfg    Config
	run    *report.Run
	logger *slog.Logger

	mu           sync.Mutex
	limit        int
	inflight     int
	wake         chan struct{} // closed and replaced when a slot may be free
	waiting      int           // Acquire calls blocked on wake
	target       time.Duration
	started      time.Time
	lastDecision time.Time
	sinceDecide  int  // samples since the last decision
	overloads    int  // Overloaded outcomes since the last decision
	saturated    bool // inflight reached limit since the last decision
	window       []sample
	warmup       []time.Duration // OK latencies before the target is known
	// server holds the server-reported latency readings by name
	// (server.go); serverDecrease is when they last shrank the limit.
	server         map[string]*serverSignal
	serverDecrease time.Time
	// probes holds the probe latencies by node (probe.go).
	probes map[string]*probeSignal
	// duty is the share of the time operations run at limit Min, and
	// paceUntil when the next may start (pace.go).
	duty      float64
	paceUntil time.Time
	// strikes: decisions in a row with a signal over its target at
	// limit Min (decreaseConfirmedLocked).
	strikes int
	// hurt is the level (limit, or duty below 1) of the last decrease,
	// 0 once climbed past; lingered counts the healthy decisions held
	// near it (linger.go).
	hurt     float64
	lingered int
	// alone: the remote side has no other client (alone.go).
	alone bool
	// A rest (rest.go): since restStart, quiet (nothing in flight) since
	// restQuiet; the next one is due at nextRest.
	resting                        bool
	restStart, restQuiet, nextRest time.Time
}

// NewController returns a controller with cfg (defaults filled in),
// recording into run and logging to logger (both may be nil).
func NewController(cfg Config, run *report.Run, logger *slog.Logger) *Controller {
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Name != "" {
		logger = logger.With("controller", cfg.Name)
	}
	now := cfg.Now()
	c := &Controller{
		cfg:          cfg,
		run:          run,
		logger:       logger,
		limit:        cfg.Initial,
		duty:         1,
		wake:         make(chan struct{}),
		target:       cfg.TargetLatency,
		started:      now,
		lastDecision: now,
	}
	run.Set("inflight_limit", int64(c.limit))
	run.Set("inflight", 0)
	return c
}

// Acquire waits for a free slot under the current limit, or for ctx to be
// done (returning ctx.Err()). Every successful Acquire needs one Release.
func (c *Controller) Acquire(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		if wait := c.restWaitLocked(c.cfg.Now()); wait > 0 {
			if err := c.waitLocked(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if wait := c.paceWaitLocked(); wait > 0 {
			c.saturated = true
			c.mu.Unlock()
			if err := Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if c.inflight < c.limit {
			c.inflight++
			if c.inflight >= c.limit {
				c.saturated = true
			}
			c.run.Set("inflight", int64(c.inflight))
			c.mu.Unlock()
			return nil
		}
		c.saturated = true
		wake := c.wake
		c.waiting++
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
			return ctx.Err()
		case <-wake:
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
		}
	}
}

// TryAcquire takes a slot if one is free under the current limit, without
// waiting, and reports whether it did.
func (c *Controller) TryAcquire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restWaitLocked(c.cfg.Now()) > 0 {
		return false
	}
	if c.inflight >= c.limit || c.paceWaitLocked() > 0 {
		c.saturated = true
		return false
	}
	c.inflight++
	if c.inflight >= c.limit {
		c.saturated = true
	}
	c.run.Set("inflight", int64(c.inflight))
	return true
}

// Release frees the slot taken by Acquire and feeds the operation's
// latency and outcome to the controller, which may then decide a new
// limit. It panics when called more often than Acquire.
func (c *Controller) Release(latency time.Duration, outcome Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight <= 0 {
		panic("throttle: Release without Acquire")
	}
	c.inflight--
	c.run.Set("inflight", int64(c.inflight))
	if c.inflight == 0 {
		c.restQuietLocked(c.cfg.Now())
	}
	c.paceLocked(latency)
	c.observeLocked(latency, outcome)
	c.broadcastLocked()
}

// observeLocked records one sample and decides when it is time to.
func (c *Controller) observeLocked(latency time.Duration, outcome Outcome) {
	now := c.cfg.Now()
	switch outcome {
	case OK:
		c.window = append(c.window, sample{at: now, latency: latency})
		if len(c.window) > c.cfg.Window {
			c.window = c.window[len(c.window)-c.cfg.Window:]
		}
		if c.target == 0 {
			c.warmup = append(c.warmup, latency)
		}
	case Overloaded:
		c.overloads++
	}
	c.sinceDecide++
	if c.target == 0 {
		c.maybeDeriveTargetLocked(now)
	}
	due := false
	if c.cfg.DecideEvery > 0 {
		due = c.sinceDecide >= c.cfg.DecideEvery
	} else {
		due = now.Sub(c.lastDecision) >= c.cfg.DecideInterval
	}
	if due {
		c.decideLocked(now)
	}
}

// maybeDeriveTargetLocked sets the target from the warm-up samples once
// there are enough of them.
func (c *Controller) maybeDeriveTargetLocked(now time.Time) {
	n := len(c.warmup)
	if n < c.cfg.WarmupSamples && (now.Sub(c.started) < c.cfg.WarmupDuration || n < c.cfg.MinSamples) {
		return
	}
	p50 := percentile(c.warmup, 0.50)
	target := max(c.cfg.TargetFloor, time.Duration(c.cfg.TargetFactor*float64(p50)))
	c.target = target
	c.warmup = nil
	c.logger.Info("throttle target derived", "target", target, "p50", p50, "samples", n)
	c.run.Event("throttle_target", "target", target, "p50", p50, "samples", n)
}

// decideLocked applies AIMD once.
func (c *Controller) decideLocked(now time.Time) {
	overloads, saturated := c.overloads, c.saturated
	c.overloads, c.sinceDecide, c.lastDecision = 0, 0, now
	c.saturated = c.inflight >= c.limit
	c.pruneLocked(now)
	defer c.maybeRestLocked(now)

	if overloads > 0 {
		c.decreaseLocked(fmt.Sprintf("%d overloaded outcome(s)", overloads))
		return
	}
	if c.alone {
		c.decideAloneLocked(saturated)
		return
	}
	probe, pending := c.judgeProbesLocked(now)
	srv := c.judgeServerLocked(now)
	page := c.judgePagesLocked()
	switch {
	case probe.over:
		c.decreaseConfirmedLocked(probe.reason)
	case srv.over && !srv.hold:
		c.serverDecrease = now
		c.decreaseLocked(srv.reason)
	case srv.over: // holding: the reading falls already
	case page.over:
		c.decreaseConfirmedLocked(page.reason)
	case pending: // a probed node not judged yet: no growth on the rest
	case (probe.judged || srv.judged || page.judged) && saturated:
		c.strikes = 0
		reason := page.reason
		if srv.judged {
			reason = srv.reason
		}
		if probe.judged {
			reason = probe.reason
		}
		c.increaseLocked("healthy: " + reason)
	}
}

// increaseLocked raises the duty while pacing, else the limit by Increase.
func (c *Controller) increaseLocked(reason string) {
	if c.lingerLocked() {
		return
	}
	defer c.climbedLocked()
	if c.raiseDutyLocked(reason) || c.limit >= c.cfg.Max {
		return
	}
	c.setLimitLocked(min(c.limit+c.cfg.Increase, c.cfg.Max), reason)
}

// verdict is one signal's judgement at a decision.
type verdict struct {
	judged bool   // the signal had something to judge
	over   bool   // over its target
	hold   bool   // over, but shrinking again now would be premature
	reason string // for the log and the throttle event
}

// judgePagesLocked judges the p99 of the operations' own latency
// against the target, once the window has enough samples and the
// target is known.
func (c *Controller) judgePagesLocked() verdict {
	if len(c.window) < c.cfg.MinSamples {
		return verdict{}
	}
	lat := make([]time.Duration, len(c.window))
	for i, s := range c.window {
		lat[i] = s.latency
	}
	p99 := percentile(lat, 0.99)
	// Published at every decision, warm-up included, for the metrics.
	c.run.Set(GaugeLatencyP99, p99.Microseconds())
	if c.target == 0 {
		return verdict{}
	}
	if p99 > c.target {
		return verdict{judged: true, over: true, reason: fmt.Sprintf("p99 %s > target %s", p99, c.target)}
	}
	return verdict{judged: true, reason: fmt.Sprintf("p99 %s <= target %s", p99, c.target)}
}

// decreaseLocked shrinks the limit and forgets the latencies measured at
// the old one, so the next judgement is about the new limit.
func (c *Controller) decreaseLocked(reason string) {
	to := int(math.Floor(float64(c.limit) * c.cfg.Decrease))
	if to >= c.limit {
		to = c.limit - 1
	}
	to = max(to, c.cfg.Min)
	c.hurt, c.lingered = c.levelLocked(), 0
	c.window = c.window[:0]
	c.forgetProbesLocked()
	if c.lowerDutyLocked(reason) {
		return
	}
	if to != c.limit {
		c.setLimitLocked(to, reason)
	}
}

func (c *Controller) setLimitLocked(to int, reason string) {
	from := c.limit
	c.limit = to
	if to < from {
		c.run.Add("throttle_decreases", 1)
	} else {
		c.run.Add("throttle_increases", 1)
		c.broadcastLocked()
	}
	c.run.Set("inflight_limit", int64(to))
	c.run.Event("throttle", "from", from, "to", to, "reason", reason)
	c.logger.Info("throttle", "from", from, "to", to, "reason", reason)
}

// pruneLocked drops samples older than WindowAge.
func (c *Controller) pruneLocked(now time.Time) {
	i := 0
	for i < len(c.window) && now.Sub(c.window[i].at) > c.cfg.WindowAge {
		i++
	}
	if i > 0 {
		c.window = append(c.window[:0], c.window[i:]...)
	}
}

func (c *Controller) broadcastLocked() {
	if c.waiting == 0 {
		return
	}
	close(c.wake)
	c.wake = make(chan struct{})
}

// Limit returns the current concurrency limit.
func (c *Controller) Limit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit
}

// Inflight returns how many slots are held.
func (c *Controller) Inflight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight
}

// Target returns the p99 latency target (0 while still being derived).
func (c *Controller) Target() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.target
}

// percentile returns the q-quantile (nearest rank) of d; it sorts a copy.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
