package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// The collector's GOGC is raised only under a memory limit, and never
// over the user's GOGC or GOMEMLIMIT.
func TestApplyMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		name   string
		memory int64
		env    map[string]string
		gc     int
		limit  int64
	}{
		{"budget", 160 << 20, nil, gcPercent, 160 << 20},
		{"GOGC set", 160 << 20, map[string]string{"GOGC": "100"}, 100, 160 << 20},
		{"GOMEMLIMIT set", 160 << 20, map[string]string{"GOMEMLIMIT": "1GiB"}, gcPercent, math.MaxInt64},
		{"no limit", 0, nil, 100, math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		applyMemory(c.memory, func(k string) string { return c.env[k] })
		if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); gc != c.gc || limit != c.limit {
			t.Errorf("%s: GOGC %d, limit %d; want %d, %d", c.name, gc, limit, c.gc, c.limit)
		}
	}
}
