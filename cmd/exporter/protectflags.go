package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/export"
)

// addProtectFlags adds the flags of riding out a source's trouble.
func addProtectFlags(f *pflag.FlagSet, cfg *export.Config) {
	f.StringVar(&cfg.AdaptiveSignal, "adaptive-signal", "auto", "what --adaptive backs off on: auto (the latency the source's servers report for their other clients' point reads and writes, Cassandra 4.0+, against its value at the start, and the page latency; the page latency alone where the servers report none) or pages (the export's own page latency, see --target-latency)")
	f.DurationVar(&cfg.RetryFor, "retry-for", export.DefaultRetryFor, "keep retrying a page request that fails with a retryable error (node down or restarting, timeouts) for this long before giving up (0: a few retries only, about 10-25 s)")
}
