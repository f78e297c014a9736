package objstoretest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The memory test writes 1 GB (generated as it goes, never held) in a
// child process, the test binary re-executed with memChildEnv naming the
// top-level test, and reads the child's peak resident set (VmHWM) from
// /proc/self/status after the write: a measured peak, not an estimate,
// and not disturbed by what the parent's other tests allocated.

const (
	memChildEnv     = "LADING_OBJSTORETEST_MEMCHILD"
	memChildSizeEnv = "LADING_OBJSTORETEST_MEMSIZE"
	memSize         = 1 << 30
	// SmallMemoryTestSize is the memory test's size on a server with
	// GapSlowLargeUpload: 16 default parts.
	SmallMemoryTestSize = 256 << 20
	// memLimitMiB is the most a 1 GB write may hold resident: the whole
	// test binary, its runtime and the backend's bounded buffers.
	// Under -race, whose shadow memory multiplies what the buffers take,
	// the bound doubles.
	memLimitMiB = 256
)

var memResult = regexp.MustCompile(`objstoretest-memory: vmhwm_kib=(\d+) size=(\d+) crc32c=([0-9a-f]{8}) seconds=([0-9.]+)`)

func testMemory(t *testing.T, h Harness) {
	size := int64(memSize)
	limit := memLimitMiB
	if why, ok := h.Gaps[GapSlowLargeUpload]; ok {
		size = SmallMemoryTestSize
		limit = memLimitMiB * 3 / 4
		t.Logf("known gap of this test server (%s): %s; writing %d MiB instead of 1 GiB, bound %d MiB", GapSlowLargeUpload, why, size>>20, limit)
	}
	if raceEnabled {
		limit *= 2
	}
	top := strings.SplitN(t.Name(), "/", 2)[0]
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run=^"+regexp.QuoteMeta(top)+"$", "-test.count=1", "-test.v", "-test.timeout=15m")
	cmd.Env = append(os.Environ(), memChildEnv+"="+top, memChildSizeEnv+"="+strconv.FormatInt(size, 10))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%d MiB write in a child process failed: %v\n%s", size>>20, err, tail(out.String(), 40))
	}
	m := memResult.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("child reported no measurement:\n%s", tail(out.String(), 40))
	}
	kib, _ := strconv.ParseInt(m[1], 10, 64)
	t.Logf("%d MiB write: peak RSS (VmHWM) %.1f MiB (race detector: %v), write %s s, child total %v; crc32c %s",
		size>>20, float64(kib)/1024, raceEnabled, m[4], time.Since(start).Round(time.Millisecond), m[3])
	if m[2] != strconv.FormatInt(size, 10) {
		t.Errorf("child wrote %s bytes, want %d", m[2], size)
	}
	if kib > int64(limit)*1024 {
		t.Errorf("peak RSS %.1f MiB while writing %d MiB: over the %d MiB bound (race detector: %v)", float64(kib)/1024, size>>20, limit, raceEnabled)
	}
}

// runMemoryChild is the child's side: write, verify (Close checks the
// store's CRC32C), measure, report, delete.
func runMemoryChild(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	c := ctx(t, 12*time.Minute)
	size, err := strconv.ParseInt(os.Getenv(memChildSizeEnv), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", memChildSizeEnv, err)
	}
	key := "memory/big.bin"
	start := time.Now()
	sum, err := writeStream(c, h.Bucket, key, newStream(42, size), nil)
	if err != nil {
		t.Fatalf("write %d bytes: %v", size, err)
	}
	secs := time.Since(start).Seconds()
	kib, err := vmHWM()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("objstoretest-memory: vmhwm_kib=%d size=%d crc32c=%08x seconds=%.2f\n", kib, sum.Size, sum.CRC32C, secs)
	checkAttrs(t, c, h.Bucket, key, sum)
	if err := h.Bucket.Delete(c, key); err != nil {
		t.Errorf("delete: %v", err)
	}
}

// vmHWM returns this process's peak resident set size in KiB.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
