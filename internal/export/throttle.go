package export

import (
	"time"

	"github.com/lading-dev/lading/internal/throttle"
)

// TargetLatencyFloor is the least page-latency target the adaptive
// controller derives: a page of an idle cluster answered in a few
// milliseconds does not make 10ms a sign of trouble.
const TargetLatencyFloor = 100 * time.Millisecond

// DefaultRetryFor is how long the command retries a failing page request
// by default (--retry-for): long enough for a node to restart.
const DefaultRetryFor = 5 * time.Minute

// Adaptive, the controller decides every AdaptiveDecideEvery, and may
// pace the page requests down to AdaptiveMinDuty of the time at one in
// flight (see throttle.Config.MinDuty).
//
// AdaptiveLinger: the last quarter of the climb back to the level of the
// last decrease takes this many healthy decisions a step (2 s), since
// the other clients' p99 is made of the seconds after each climb past
// what the cluster takes (throttle/linger.go).
const (
	AdaptiveDecideEvery = 500 * time.Millisecond
	AdaptiveMinDuty     = 1.0 / 16
	AdaptiveLinger      = 4
)

// throttleConfig is the in-flight controller of the source's page
// requests. The hard cap is --max-inflight, at most --parallel (each
// reader has one page request in flight at a time; with --tables, every
// table's readers: --parallel times --table-parallel). The controller is
// one for the whole run, whatever the number of tables. Adaptive, the
// limit starts at a quarter of the cap (the first seconds of an export
// must not be the ones that hurt the source, yet a small export must not
// crawl), or at the cap when the source has no other client (traffic.go);
// at each decision it grows by one while the signals (the
// probes, see probe.go, and the p99 page latency) stay under their
// targets and the limit is in use, and halves when one goes over or a
// page times out or is refused as overloaded or unavailable; at one in
// flight it halves the duty instead, down to AdaptiveMinDuty. Fixed
// (NoAdaptive), it is the cap.
func (c Config) throttleConfig() throttle.Config {
	ceiling := c.Parallel * max(1, c.TableParallel)
	if c.MaxInflight > 0 {
		ceiling = min(ceiling, c.MaxInflight)
	}
	tc := throttle.Config{Name: "source", Min: 1, Max: ceiling, Initial: ceiling}
	if c.NoAdaptive {
		tc.Min = ceiling
	} else {
		tc.Initial = max(1, (ceiling+3)/4)
		tc.TargetLatency = c.TargetLatency
		tc.TargetFloor = TargetLatencyFloor
		tc.DecideInterval = AdaptiveDecideEvery
		tc.MinDuty = AdaptiveMinDuty
		tc.Linger = AdaptiveLinger
		ratio := c.ProbeRatio
		if ratio == 0 {
			ratio = DefaultProbeRatio
		}
		tc.Probe = throttle.ProbeConfig{Ratio: ratio, Floor: ProbeFloor, Quantile: ProbeQuantile, MinSamples: ProbeMinSamples,
			RestEvery: ProbeRestEvery, RestFor: ProbeRestFor}
	}
	return tc
}
