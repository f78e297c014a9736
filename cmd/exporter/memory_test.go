package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
)

// TestApplyMemory: --memory sets the runtime's soft limit to the target
// less the program's code; 0 and GOMEMLIMIT leave the runtime alone; a
// target below the code's share is a usage error.
func TestApplyMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		m    int64
		env  func(string) string
		want int64
	}{
		{"default", defaultMemory, noEnv, defaultMemory - codeMemory},
		{"256MiB", 256 << 20, noEnv, 256<<20 - codeMemory},
		{"none", 0, noEnv, math.MaxInt64},
		{"GOMEMLIMIT", 256 << 20, func(k string) string {
			if k == "GOMEMLIMIT" {
				return "1GiB"
			}
			return ""
		}, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			if err := applyMemory(tc.m, tc.env); err != nil {
				t.Fatal(err)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Fatalf("limit %d, want %d", got, tc.want)
			}
		})
	}
	if err := applyMemory(64<<20, noEnv); fault.Code(err) != fault.ExitUsage {
		t.Fatalf("--memory 64MiB: %v (exit %d), want a usage error", err, fault.Code(err))
	}
}
