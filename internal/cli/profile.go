package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Profiling of a whole run, for benchmarks: LADING_PPROF_CPU names a file
// that receives a CPU profile of the run, LADING_PPROF_ALLOCS one that
// receives the allocation profile at exit (go tool pprof reads both).
// They are environment variables, not flags, as only developers need
// them and a command's --help stays about its work.
const (
	envProfileCPU    = "LADING_PPROF_CPU"
	envProfileAllocs = "LADING_PPROF_ALLOCS"
)

// startProfiles starts the profiles the environment asks for and
// returns the function that ends them. A profile that cannot be written
// is reported on stderr and does not stop the run.
func startProfiles(getenv func(string) string) (stop func()) {
	var cpu *os.File
	if name := getenv(envProfileCPU); name != "" {
		f, err := os.Create(name)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", envProfileCPU, err)
		} else {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if name := getenv(envProfileAllocs); name != "" {
			runtime.GC()
			if err := writeProfile("allocs", name); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", envProfileAllocs, err)
			}
		}
	}
}

func writeProfile(kind, name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(kind).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
