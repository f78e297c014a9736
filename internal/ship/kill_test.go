package ship

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
)

// shipperBinary returns the path of cmd/shipper, built once per test
// process (testenv.Command).
func shipperBinary(t testing.TB) string {
	t.Helper()
	return testenv.Command(t, "shipper")
}

// intactFiles counts the files of td that are at dst with the manifest's
// size and store-computed CRC32C.
func intactFiles(t testing.TB, dst *objstore.Bucket, td *testDump) int {
	t.Helper()
	n := 0
	for _, f := range td.manifest.Files {
		a, err := dst.Attributes(context.Background(), td.dump.Key(f.Name))
		if errors.Is(err, objstore.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want, _ := parseCRC(f.CRC32C)
		if intact(a, f, want) {
			n++
		}
	}
	return n
}

// assertNoFalseMarker fails if td is marked complete at dst while a file
// or the manifest is missing or wrong there.
func assertNoFalseMarker(t testing.TB, dst *objstore.Bucket, td *testDump) (marked bool) {
	t.Helper()
	ctx := context.Background()
	ok, err := dst.Exists(ctx, td.dump.SuccessKey())
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return false
	}
	if n := intactFiles(t, dst, td); n != len(td.manifest.Files) {
		t.Fatalf("%s marked complete with %d of %d files intact", td.dump, n, len(td.manifest.Files))
	}
	m, err := dst.ReadAll(ctx, td.dump.ManifestKey())
	if err != nil || !bytes.Equal(m, td.manifestBytes) {
		t.Fatalf("%s marked complete without its manifest: %v", td.dump, err)
	}
	return true
}

// TestShipperKilled kills the real shipper binary with SIGKILL at random
// points of an S3 to GCS copy, checks after each kill that no dump is
// marked complete without all its files, then lets a run finish and
// checks from its report that it copied exactly what was missing.
func TestShipperKilled(t *testing.T) {
	src, dst := s3Store(t, ""), gcsStore(t)
	bin := shipperBinary(t)
	var dumps []*testDump
	// Dumps of different sizes, shipped at once, so kills find some dumps
	// marked, some half copied and some not started.
	for i, sizes := range [][]int{
		{200 << 10, 100 << 10, 100},
		{2 << 20, 1 << 20, 1 << 20, 500 << 10},
		{3 << 20, 3 << 20, 2 << 20, 2 << 20, 2 << 20, 1 << 20, 0},
	} {
		td := newTestDump(t, "b1", i, sizes...)
		td.write(t, src.b, true)
		dumps = append(dumps, td)
	}
	// About 18 MB at 4 MB/s: a full run takes over 4s, well more than the
	// six runs below copy for together, so every kill lands mid-copy.
	args := []string{"--from", src.url, "--to", dst.url, "--bwlimit", "4MB", "--transfers", "3", "--part-size", "5MiB", "--log-level", "warn"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)

	kills := 0
	for run := range 6 {
		delay := time.Duration(100+rng.IntN(900)) * time.Millisecond
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		killed := false
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ws, _ := ee.Sys().(syscall.WaitStatus)
			killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
			switch {
			case killed:
			case ee.ExitCode() == 1:
				// Worth retrying (say, a busy test server): the next run will.
				t.Logf("run %d failed on its own, retryably: %s", run, stderr.String())
			default:
				t.Fatalf("run %d failed on its own: %v\n%s", run, err, stderr.String())
			}
		}
		marked, intactNow := 0, 0
		for _, td := range dumps {
			if assertNoFalseMarker(t, dst.b, td) {
				marked++
			}
			intactNow += intactFiles(t, dst.b, td)
		}
		if killed {
			kills++
		}
		t.Logf("run %d: killed=%v after %s; %d of %d dumps marked, %d files intact", run, killed, delay, marked, len(dumps), intactNow)
	}
	if kills < 5 {
		t.Fatalf("only %d runs were killed before they finished; want at least 5", kills)
	}

	// What the finishing run should find: files already intact in dumps
	// not yet marked are skipped, the rest copied.
	wantSkipped, wantCopied := 0, 0
	for _, td := range dumps {
		if ok, _ := dst.b.Exists(context.Background(), td.dump.SuccessKey()); ok {
			continue
		}
		n := intactFiles(t, dst.b, td)
		wantSkipped += n
		wantCopied += len(td.manifest.Files) - n
	}
	reportPath := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(bin, append(args, "--report", reportPath)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	var rep struct {
		ExitCode int              `json:"exit_code"`
		Counters map[string]int64 `json:"counters"`
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode != 0 || rep.Counters["files_skipped"] != int64(wantSkipped) || rep.Counters["files_copied"] != int64(wantCopied) {
		t.Fatalf("final run: want %d skipped and %d copied; report %s", wantSkipped, wantCopied, data)
	}
	for _, td := range dumps {
		td.assertShipped(t, dst.b)
	}
}
