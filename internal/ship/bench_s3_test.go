package ship

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// BenchmarkShipGCSToS3 ships one dump (LADING_BENCH_SHIP_BYTES, default
// 500 MB, in 128 MiB parts) from the GCS test server to the S3 test server
// (a streamed copy: no server-side copy between them) and reports MB/s
// and peak RSS. LADING_BENCH_SHIPPERS=name=path,... compares shipper
// binaries (e.g. builds before and after a change), run in turn, 3 runs
// each (LADING_BENCH_SHIP_RUNS), with the median reported:
//
//	go test -run '^$' -bench '^BenchmarkShipGCSToS3$' -benchtime 1x ./internal/ship
func BenchmarkShipGCSToS3(b *testing.B) {
	total := benchShipBytes(b, 500_000_000)
	src := gcsStore(b)
	dst := s3Store(b, "")
	td := writeBenchDump(b, src.b, total, 128<<20)
	bins := [][2]string{{"shipper", ""}}
	if v := os.Getenv("LADING_BENCH_SHIPPERS"); v != "" {
		bins = nil
		for _, nb := range strings.Split(v, ",") {
			name, path, ok := strings.Cut(nb, "=")
			if !ok {
				b.Fatalf("LADING_BENCH_SHIPPERS: %q is not name=path", nb)
			}
			bins = append(bins, [2]string{name, path})
		}
	}
	runs := 3
	if v := os.Getenv("LADING_BENCH_SHIP_RUNS"); v != "" {
		fmt.Sscan(v, &runs)
	}
	results := map[string][]result{}
	b.ResetTimer()
	for i := range b.N * runs {
		for j, nb := range bins {
			bin := nb[1]
			if bin == "" {
				bin = shipperBinary(b)
			}
			base, query, _ := strings.Cut(dst.url, "?")
			to := fmt.Sprintf("%s/run-%d-%d?%s", base, i, j, query)
			r := measure(b, exec.Command(bin, "--from", src.url, "--to", to, "--log-level", "warn"))
			results[nb[0]] = append(results[nb[0]], r)
			b.StopTimer()
			verifyCopy(b, to, td)
			b.StartTimer()
		}
	}
	b.StopTimer()
	mb := float64(td.manifest.Totals.StoredBytes) / 1e6
	for _, nb := range bins {
		rs := results[nb[0]]
		var rates, rss []float64
		for _, r := range rs {
			rates = append(rates, mb/r.elapsed.Seconds())
			rss = append(rss, float64(r.maxRSS)/(1<<20))
		}
		sort.Float64s(rates)
		sort.Float64s(rss)
		b.ReportMetric(rates[len(rates)/2], nb[0]+"_MB/s")
		b.ReportMetric(rss[len(rss)/2], nb[0]+"_peak_RSS_MiB")
		b.Logf("%s: %.0f MB in %d files, GCS to S3, %d runs: MB/s %.1f (%.1f-%.1f), peak RSS MiB %.0f (%.0f-%.0f)",
			nb[0], mb, len(td.manifest.Files), len(rs), rates[len(rates)/2], rates[0], rates[len(rates)-1], rss[len(rss)/2], rss[0], rss[len(rss)-1])
	}
}
