package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// ProfileEnv names a debug setting, not a flag: a directory into which a
// command writes pprof profiles, for finding what holds memory or CPU on
// a user's own data. heap.pprof is written each time the live heap
// reaches a new high (so it shows the peak, not the end), allocs.pprof
// and cpu.pprof at exit. Unset (the default) costs nothing.
const ProfileEnv = "LADING_PROFILE_DIR"

// startProfile starts the profiles ProfileEnv asks for and returns the
// function that writes the exit profiles. A profile that cannot be
// written is reported on stderr and never fails the command.
func startProfile(dir string, warn func(string)) (stop func()) {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		warn(fmt.Sprintf("%s: %v", ProfileEnv, err))
		return func() {}
	}
	cpu, err := os.Create(dir + "/cpu.pprof")
	if err == nil {
		err = pprof.StartCPUProfile(cpu)
	}
	if err != nil {
		warn(fmt.Sprintf("%s: cpu profile: %v", ProfileEnv, err))
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		watchHeap(dir, done, warn)
	}()
	return func() {
		close(done)
		<-finished
		if cpu != nil {
			pprof.StopCPUProfile()
			_ = cpu.Close()
		}
		writeProfile(dir+"/allocs.pprof", "allocs", warn)
	}
}

// watchHeap writes heap.pprof whenever the heap in use after a GC grows
// by a tenth past the highest seen, until done is closed.
func watchHeap(dir string, done <-chan struct{}, warn func(string)) {
	var high uint64
	var ms runtime.MemStats
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > high+high/10 {
			high = ms.HeapInuse
			writeProfile(dir+"/heap.pprof", "heap", warn)
		}
	}
}

func writeProfile(path, name string, warn func(string)) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup(name).WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		warn(fmt.Sprintf("%s: %s profile: %v", ProfileEnv, name, err))
	}
}
