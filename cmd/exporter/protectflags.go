package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/export"
)

// addProtectFlags adds the flags of riding out a source's trouble.
func addProtectFlags(f *pflag.FlagSet, cfg *export.Config) {
	f.StringVar(&cfg.AdaptiveSignal, "adaptive-signal", "auto", "what --adaptive backs off on, besides the export's own page latency (see --target-latency): auto (probes: a one-row read of each node's own system.local every 50ms, 20 requests/s per node, against their latency at rest, before the first page and in a 250ms pause every 10s; the page latency alone where the source cannot be probed; and while no node counts a point read or write of any other client, Cassandra 4.0+, the full --max-inflight), server (the latency the servers report for their other clients' point reads and writes, Cassandra 4.0+, against its value at the start; slow to react: the views average about a minute) or pages (the page latency alone)")
	f.Float64Var(&cfg.ProbeRatio, "probe-ratio", export.DefaultProbeRatio, "with --adaptive-signal auto, back off when the p90 of a node's probes of the last second goes over this many times their p90 at rest (before the first page, then in a 250ms pause of the export every 10s), plus 0.5ms; higher: a faster export that slows the source's other clients more")
	f.DurationVar(&cfg.RetryFor, "retry-for", export.DefaultRetryFor, "keep retrying a page request that fails with a retryable error (node down or restarting, timeouts) for this long before giving up (0: a few retries only, about 10-25 s)")
}
