package throttle

import (
	"fmt"
	"time"
)

// Server-reported latency: the latency the remote side itself reports
// for the requests of its other clients (e.g. Cassandra's coordinator
// read and write latency of point requests). It is what those clients
// feel, which the controller's own operations' latency is only a proxy
// for. When readings arrive, the controller judges them as well as its
// operations' p99: either over its target shrinks the limit, and it
// grows only while neither is. (A server's request latency misses what
// its clients wait for outside it, e.g. a CPU starved by the export's
// own range scans; the page latency catches some of that.)

// ServerConfig tunes the judgement of server-reported latency. Zero
// fields take the defaults named.
type ServerConfig struct {
	// Factor: a reading above Factor times its baseline (the first
	// reading of the same name, taken when the controller starts) shrinks
	// the limit; default 1.25. Only ratios count: the unit of the
	// readings need not be right (Cassandra 4.1 and 5.0 report their
	// latency views a thousand times smaller than 4.0 does), and
	// Cassandra's histogram buckets are 1.2 times apart, so 1.25 is the
	// least rise of one bucket.
	Factor float64
	// Hold: after a decrease, a reading still over its target but no
	// higher than the one before does not shrink the limit again for
	// this long. Servers report their latency over a decaying window
	// (Cassandra: about a minute), so a reading falls some time after
	// the load did; default 5s.
	Hold time.Duration
	// Stale: readings older than this are not judged (the poller stopped
	// or the remote side has no other traffic); the operations' p99 is
	// judged instead. Default 5s.
	Stale time.Duration
}

func (s ServerConfig) withDefaults() ServerConfig {
	if s.Factor <= 1 {
		s.Factor = 1.25
	}
	if s.Hold <= 0 {
		s.Hold = 5 * time.Second
	}
	if s.Stale <= 0 {
		s.Stale = 5 * time.Second
	}
	return s
}

// serverSignal is the state of one named server-reported latency.
type serverSignal struct {
	baseline, target time.Duration
	latest, previous time.Duration
	at               time.Time
}

// ObserveServer feeds a server-reported latency reading called name
// (e.g. "10.0.0.5 read"). The first positive reading of a name is its
// baseline; later ones are judged at the next decision against
// Factor x baseline. A reading <= 0 (no traffic
// to measure) is ignored.
func (c *Controller) ObserveServer(name string, latency time.Duration) {
	if latency <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.server == nil {
		c.server = map[string]*serverSignal{}
	}
	s := c.server[name]
	if s == nil {
		sc := c.cfg.Server
		target := time.Duration(sc.Factor * float64(latency))
		s = &serverSignal{baseline: latency, target: target, latest: latency}
		c.server[name] = s
		c.logger.Info("throttle server latency baseline", "signal", name, "baseline", latency, "target", target)
		c.run.Event("throttle_server_baseline", "signal", name, "baseline", latency, "target", target)
	}
	s.previous, s.latest, s.at = s.latest, latency, now
}

// judgeServerLocked judges the fresh server readings, if any: the
// worst one against its target. Over it, shrinking is held while the
// reading is no higher than the one before and the last shrink for it
// is less than Hold ago.
func (c *Controller) judgeServerLocked(now time.Time) verdict {
	sc := c.cfg.Server
	var worst *serverSignal
	worstName := ""
	ratio := 0.0
	for name, s := range c.server {
		if now.Sub(s.at) > sc.Stale {
			continue
		}
		if r := float64(s.latest) / float64(s.target); worst == nil || r > ratio {
			worst, worstName, ratio = s, name, r
		}
	}
	if worst == nil {
		return verdict{}
	}
	c.run.Set(GaugeServerLatency, worst.latest.Microseconds())
	if ratio > 1 {
		return verdict{judged: true, over: true,
			hold:   worst.latest <= worst.previous && now.Sub(c.serverDecrease) < sc.Hold,
			reason: fmt.Sprintf("server %s latency %s > target %s (baseline %s)", worstName, worst.latest, worst.target, worst.baseline)}
	}
	return verdict{judged: true, reason: fmt.Sprintf("server %s latency %s <= target %s", worstName, worst.latest, worst.target)}
}

// GaugeServerLatency is the run gauge holding the worst server-reported
// latency (µs) judged at the last decision.
const GaugeServerLatency = "server_latency_us"
