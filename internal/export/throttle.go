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

// throttleConfig is the in-flight controller of the source's page
// requests. The hard cap is --max-inflight, at most --parallel (each
// reader has one page request in flight at a time; with --tables, every
// table's readers: --parallel times --table-parallel). The controller is
// one for the whole run, whatever the number of tables. Adaptive, the limit
// starts at a quarter of the cap, so that the latency the target is
// derived from is the cluster's own, not the export's; it grows by one
// per decision (one a second) while the p99 page latency stays under
// the target and the limit is in use, and halves when the p99 goes over
// it or a page times out or is refused as overloaded or unavailable.
// Fixed (NoAdaptive), it is the cap.
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
	}
	return tc
}
