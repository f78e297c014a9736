package main

import "runtime/debug"

// gcPercent is the collector's GOGC when the environment sets none. At
// Go's default (100) the heap is collected each time it doubles its
// live data; the loader's live data is small (the batches in flight, a
// quarter of --memory at most), so it collected every few tens of MB
// allocated, and the collector took about a quarter of its CPU (pprof,
// loading into Cassandra). At 400 the heap may grow to five times its
// live data, and the soft memory limit, always set with it, bounds that:
// the collector runs when the heap nears --memory, not long before.
const gcPercent = 400

// applyMemory sets the Go runtime's soft memory limit to the budget
// (unless GOMEMLIMIT is set) and, where a limit is in force, the
// collector's GOGC (unless GOGC is set). Without a limit (--memory 0
// and no GOMEMLIMIT) the collector keeps Go's default.
func applyMemory(memory int64, env func(string) string) {
	limited := env("GOMEMLIMIT") != ""
	if memory > 0 && !limited {
		debug.SetMemoryLimit(memory)
		limited = true
	}
	if limited && env("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
