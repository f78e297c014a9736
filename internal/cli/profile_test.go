package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStartProfile: with a directory, the heap profile is written while the
// command runs and the CPU and alloc profiles at its end; without one,
// nothing is started.
func TestStartProfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prof")
	warn := func(msg string) { t.Errorf("warning: %s", msg) }
	stop := startProfile(dir, warn)
	var keep [][]byte
	for range 20 {
		keep = append(keep, make([]byte, 1<<20))
		time.Sleep(15 * time.Millisecond)
	}
	stop()
	_ = keep
	for _, name := range []string{"heap.pprof", "allocs.pprof", "cpu.pprof"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (size %d)", name, err, sizeOf(fi))
		}
	}
	startProfile("", warn)()
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}
