package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/fault"
)

// defaultMemory is the exporter's default memory target: the issue's
// ceiling for its peak RSS.
const defaultMemory = 128 << 20

// codeMemory is what the process holds outside the Go heap's reach: the
// program's own code and data mapped from its file (about 38 MiB
// measured, with the AWS and GCS libraries), which no collection frees.
const codeMemory = 40 << 20

// minHeapLimit keeps a small --memory from starving the collector.
const minHeapLimit = 32 << 20

// addMemoryFlag defines --memory.
func addMemoryFlag(f *pflag.FlagSet) *cli.ByteSize {
	m := cli.ByteSize(defaultMemory)
	f.Var(&m, "memory", "memory the process aims to stay under (peak RSS, e.g. 256MiB; 0: no limit): the Go collector works harder as the heap nears it; GOMEMLIMIT, when set, wins")
	return &m
}

// applyMemory sets the Go runtime's soft memory limit from --memory:
// without one the heap may grow to twice its live data before a
// collection, which alone took the exporter's peak RSS from about 110 to
// 190 MiB on mixed rows. The limit is soft: live data above it (a page of
// huge rows) is not refused, only collected more often.
func applyMemory(m int64, env func(string) string) error {
	if m < 0 {
		return fault.Usagef("--memory %d: want 0 (no limit) or a size", m)
	}
	if m == 0 || env("GOMEMLIMIT") != "" {
		return nil
	}
	if m < codeMemory+minHeapLimit {
		return fault.Usagef("--memory %s: want at least %s (the program's code takes about %s)",
			fmtMiB(m), fmtMiB(codeMemory+minHeapLimit), fmtMiB(codeMemory))
	}
	debug.SetMemoryLimit(m - codeMemory)
	return nil
}

func fmtMiB(n int64) string { return fmt.Sprintf("%dMiB", n>>20) }
