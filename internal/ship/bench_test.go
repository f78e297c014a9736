package ship

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
// with the shipper binary at its defaults, then copies the same files with
// `rclone copy` at its defaults and --transfers 4, and reports both
// throughputs and peak RSS. scripts/bench-ship.sh runs it.
func BenchmarkShipS3ToGCS(b *testing.B) {
	endpoint, s3Bucket := testenv.S3(b)
	_, gcsBucket := testenv.GCS(b)
	total := int64(2_000_000_000)
	if v := os.Getenv("LADING_BENCH_SHIP_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("LADING_BENCH_SHIP_BYTES=%q: want a positive byte count", v)
		}
		total = n
	}
	src := s3Store(b, "")
	dst := gcsStore(b)
	td := writeBenchDump(b, src.b, total, 128<<20)
	shipper := shipperBinary(b)
	rclone := rcloneBinary(b)
	srcPrefix := src.b.Location().Prefix
	dstPrefix := dst.b.Location().Prefix

	var ship, rc result
	b.ResetTimer()
	for i := range b.N {
		to := fmt.Sprintf("%s/shipper-%d", dst.url, i)
		ship = measure(b, exec.Command(shipper, "--from", src.url, "--to", to, "--log-level", "warn"))
		b.StopTimer()
		verifyCopy(b, to, td)
		b.StartTimer()

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
		rc = measure(b, cmd)
		b.StopTimer()
		verifyFiles(b, dst.b, rcloneDst[len(dstPrefix)+1:], td)
		b.StartTimer()
	}
	b.StopTimer()
	mb := float64(td.manifest.Totals.StoredBytes) / 1e6
	b.ReportMetric(mb/ship.elapsed.Seconds(), "shipper_MB/s")
	b.ReportMetric(float64(ship.maxRSS)/1e6, "shipper_peak_RSS_MB")
	b.ReportMetric(mb/rc.elapsed.Seconds(), "rclone_MB/s")
	b.ReportMetric(float64(rc.maxRSS)/1e6, "rclone_peak_RSS_MB")
	b.Logf("%.0f MB in %d files: shipper %.1f MB/s, peak RSS %.0f MB; rclone %.1f MB/s, peak RSS %.0f MB",
		mb, len(td.manifest.Files), mb/ship.elapsed.Seconds(), float64(ship.maxRSS)/1e6, mb/rc.elapsed.Seconds(), float64(rc.maxRSS)/1e6)
}

type result struct {
	elapsed time.Duration
	maxRSS  int64 // bytes
}

// measure runs cmd and returns its wall time and peak resident set size.
func measure(b *testing.B, cmd *exec.Cmd) result {
	b.Helper()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	el := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(cmd.Path), err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		b.Fatal("no resource usage for the child process")
	}
	return result{elapsed: el, maxRSS: ru.Maxrss * 1024}
}

// writeBenchDump streams a dump of about total bytes in parts of partSize
// (random bytes from a fast generator) to root.
func writeBenchDump(b *testing.B, root *objstore.Bucket, total, partSize int64) *testDump {
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
