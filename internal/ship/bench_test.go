package ship

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// rcloneModule is the rclone the benchmark compares with, built from the
// Go module proxy at this pinned version.
const rcloneModule = "github.com/rclone/rclone@v1.76.0"

// BenchmarkShipS3ToGCS ships one dump (LADING_BENCH_SHIP_BYTES, default
// 2 GB, in 128 MiB parts) from the S3 test server to the GCS test server
// with the shipper binary, then copies the same files with `rclone copy`
// at its defaults and --transfers 4, and reports throughputs and peak RSS.
// scripts/bench-ship.sh runs it.
func BenchmarkShipS3ToGCS(b *testing.B) {
	endpoint, s3Bucket := testenv.S3(b)
	_, gcsBucket := testenv.GCS(b)
	total := benchShipBytes(b, 2_000_000_000)
	src := s3Store(b, "")
	dst := gcsStore(b)
	td := writeBenchDump(b, src.b, total, 128<<20)
	shipper := shipperBinary(b)
	rclone := rcloneBinary(b)
	srcPrefix := src.b.Location().Prefix
	dstPrefix := dst.b.Location().Prefix

	// The shipper at its defaults (a file of up to 256 MiB is one upload
	// request streamed from the source, so one per 128 MiB file), the
	// shipper with the 16 MiB resumable chunks rclone uses by default, and
	// rclone.
	// fake-gcs-server's cost per chunk grows with the object's size, so on
	// it chunk size dominates throughput (real GCS does not).
	type run struct {
		name string
		res  result
	}
	var runs []run
	b.ResetTimer()
	for i := range b.N {
		runs = runs[:0]
		for j, extra := range [][]string{nil, {"--part-size", "16MiB", "--max-memory", "160MiB"}} {
			to := fmt.Sprintf("%s/shipper-%d-%d", dst.url, i, j)
			args := append([]string{"--from", src.url, "--to", to, "--log-level", "warn"}, extra...)
			r := measure(b, exec.Command(shipper, args...))
			name := "shipper"
			if extra != nil {
				name = "shipper_16MiB"
			}
			runs = append(runs, run{name, r})
			b.StopTimer()
			verifyCopy(b, to, td)
			b.StartTimer()
		}

		rcloneDst := fmt.Sprintf("%s/rclone-%d", dstPrefix, i)
		cmd := exec.Command(rclone, "copy", "--transfers", "4", "--stats", "0",
			"lsrc:"+s3Bucket+"/"+srcPrefix+"/"+td.dump.Prefix, "ldst:"+gcsBucket+"/"+rcloneDst+"/"+td.dump.Prefix)
		cmd.Env = append(os.Environ(),
			"RCLONE_CONFIG_LSRC_TYPE=s3", "RCLONE_CONFIG_LSRC_PROVIDER=Other", "RCLONE_CONFIG_LSRC_ENV_AUTH=true",
			"RCLONE_CONFIG_LSRC_ENDPOINT="+endpoint, "RCLONE_CONFIG_LSRC_REGION="+os.Getenv("AWS_REGION"),
			"RCLONE_CONFIG_LDST_TYPE=google cloud storage", "RCLONE_CONFIG_LDST_ANONYMOUS=true",
			"RCLONE_CONFIG_LDST_ENDPOINT=http://"+os.Getenv("STORAGE_EMULATOR_HOST")+"/storage/v1/",
			"RCLONE_CONFIG_LDST_BUCKET_POLICY_ONLY=true",
		)
		runs = append(runs, run{"rclone", measure(b, cmd)})
		b.StopTimer()
		verifyFiles(b, dst.b, rcloneDst[len(dstPrefix)+1:], td)
		b.StartTimer()
	}
	b.StopTimer()
	mb := float64(td.manifest.Totals.StoredBytes) / 1e6
	var line []string
	for _, r := range runs {
		rate, rss := mb/r.res.elapsed.Seconds(), float64(r.res.maxRSS)/1e6
		b.ReportMetric(rate, r.name+"_MB/s")
		b.ReportMetric(rss, r.name+"_peak_RSS_MB")
		line = append(line, fmt.Sprintf("%s %.1f MB/s, peak RSS %.0f MB", r.name, rate, rss))
	}
	b.Logf("%.0f MB in %d files, S3 to GCS: %s", mb, len(td.manifest.Files), strings.Join(line, "; "))
}

// benchShipBytes is LADING_BENCH_SHIP_BYTES, or def.
func benchShipBytes(b *testing.B, def int64) int64 {
	v := os.Getenv("LADING_BENCH_SHIP_BYTES")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("LADING_BENCH_SHIP_BYTES=%q: want a positive byte count", v)
	}
	return n
}

type result struct {
	elapsed time.Duration
	maxRSS  int64 // bytes
}

// measure runs cmd and returns its wall time and peak resident set size.
// The peak is the child's VmHWM, read from /proc while it runs (getrusage
// would count the test process's own memory, which a child started by
// vfork shares until it execs).
func measure(b *testing.B, cmd *exec.Cmd) result {
	b.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak atomic.Int64
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			if kb := vmHWM(status); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	el := time.Since(start)
	close(stop)
	<-polled
	if err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(cmd.Path), err, out.String())
	}
	if peak.Load() == 0 {
		b.Fatal("could not read the child's peak RSS from /proc")
	}
	return result{elapsed: el, maxRSS: peak.Load() * 1024}
}

// vmHWM reads the VmHWM (peak RSS, KiB) line of a /proc status file; 0
// when it cannot.
func vmHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// writeBenchDump streams a dump of about total bytes in parts of partSize
// (random bytes from a fast generator) to root.
func writeBenchDump(b *testing.B, root *objstore.Bucket, total, partSize int64) *testDump {
	return writeBenchDumpT(b, root, total, partSize)
}

func writeBenchDumpT(b testing.TB, root *objstore.Bucket, total, partSize int64) *testDump {
	b.Helper()
	ctx := context.Background()
	batch := "bench"
	name := func(i int) string { return manifest.PartName("0000000000000000", "3f9a0c12", i, manifest.ExtZstd) }
	var files []manifest.File
	for i := 0; total > 0; i++ {
		size := min(partSize, total)
		total -= size
		key := fmt.Sprintf("%s/ks.t0/20261122T154530Z/%s", batch, name(i))
		w, err := root.NewWriter(ctx, key, &objstore.WriterOptions{Size: size})
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8)})
		if _, err := io.CopyN(w, rng, size); err != nil {
			w.Abort()
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		files = append(files, partFile(i, w.Sum()))
	}
	td := newTestManifest(b, batch, 0, files)
	if _, err := root.WriteAll(ctx, td.dump.ManifestKey(), td.manifestBytes, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := root.WriteAll(ctx, td.dump.SuccessKey(), []byte("{}\n"), nil); err != nil {
		b.Fatal(err)
	}
	return td
}

// verifyCopy checks the shipper's copy at rest against the manifest.
func verifyCopy(b *testing.B, u string, td *testDump) {
	b.Helper()
	cr, err := Check(context.Background(), CheckConfig{URL: u}, nil, nil)
	if err != nil || cr.Checked != 1 || len(cr.Problems) != 0 {
		b.Fatalf("shipper's copy: %v %+v", err, cr)
	}
}

// verifyFiles checks that every file of the manifest is below prefix of
// root with the manifest's size and CRC32C (rclone writes no manifest).
func verifyFiles(b *testing.B, root *objstore.Bucket, prefix string, td *testDump) {
	b.Helper()
	for _, f := range td.manifest.Files {
		key := prefix + "/" + td.dump.Key(f.Name)
		a, err := root.Attributes(context.Background(), key)
		want, _ := parseCRC(f.CRC32C)
		if err != nil || !intact(a, f, want) {
			b.Fatalf("rclone's copy of %s: %v %+v", key, err, a)
		}
	}
}

// rcloneBinary returns LADING_RCLONE, or builds the pinned rclone into the
// user cache once.
func rcloneBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("LADING_RCLONE"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(cache, "lading", "rclone-"+rcloneModule[strings.LastIndex(rcloneModule, "@")+1:])
	bin := filepath.Join(dir, "rclone")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	b.Logf("building %s (once, into %s)", rcloneModule, dir)
	cmd := exec.Command("go", "install", rcloneModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go install %s: %v\n%s", rcloneModule, err, out)
	}
	return bin
}
