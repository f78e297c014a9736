package bigtable

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// benchRows is LADING_BENCH_ROWS (default 1,000,000).
func benchRows(b testing.TB) int { return testenv.BenchRows(b, 1_000_000) }

// benchRepeat is LADING_BENCH_REPEAT (default 3): how many times the
// loader and the ceiling are each measured, alternately.
func benchRepeat(b *testing.B) int {
	if v := os.Getenv("LADING_BENCH_REPEAT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("LADING_BENCH_REPEAT=%q", v)
		}
		return n
	}
	return 3
}

// BenchmarkLoadBigtable loads LADING_BENCH_ROWS rows of about 1 KB (10
// rows a partition, four columns) from a file:// dump into the emulator
// with the real loader binary at its default settings, and measures the
// emulator's ceiling the same way: raw ApplyBulk calls of 1,000 such rows
// from a tight loop. The ceiling's best concurrency is found first (1 to
// 16 callers); then the loader and the ceiling at that concurrency are
// measured alternately LADING_BENCH_REPEAT times, so that a machine
// whose load changes during the run weighs on both alike, and the
// medians are compared. Both also report client CPU per row: on a
// machine shared with the emulator, every microsecond the loader spends
// is one the emulator does not get.
//
// Every measurement writes new rows into a new table, dropped after it:
// the emulator keeps tables in memory, and overwriting rows it already
// holds is cheaper than adding them, which made the ceiling look higher
// than any load into a new table can reach.
func BenchmarkLoadBigtable(b *testing.B) {
	n, repeat := benchRows(b), benchRepeat(b)
	e := newBTEnv(b)
	tbl := schema.Table{Keyspace: "src", Name: "bench", Columns: []schema.Column{
		{Name: "k", Type: "bigint", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "name", Type: "text", Role: schema.Regular},
		{Name: "qty", Type: "int", Role: schema.Regular},
		{Name: "body", Type: "text", Role: schema.Regular},
	}}
	body := loadtest.Text(strings.Repeat("lorem ipsum ", 80)) // 960 bytes
	parts := loadtest.Parts(n, 50_000, func(i int) format.Row {
		return format.Row{Values: [][]byte{loadtest.Bigint(int64(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("name %d", i)), loadtest.Int(int32(i)), body}}
	})
	_, prefix := loadtest.Write(b, e.store, loadtest.Dump{Table: tbl, Parts: parts})
	parts = nil
	loader := filepath.Join(buildCommands(b, "loader"), "loader")
	raw := rawLoad{e: e, n: n, body: body}
	bestC, best := 0, 0.0
	for _, c := range []int{1, 2, 4, 8, 16} {
		rate, _ := raw.measure(b, c)
		b.Logf("raw ApplyBulk, %d callers: %.0f rows/s", c, rate)
		if rate > best {
			best, bestC = rate, c
		}
	}
	b.ResetTimer()
	var lr, lcpu, cr, ccpu, rss []float64
	for i := range repeat {
		args := []string{"--from", e.storeURL + "/" + prefix, "--to", e.target(), "--create-table", "--verify", "none", "--force", "--spool-dir", b.TempDir(), "--report", filepath.Join(b.TempDir(), "report.json")}
		if v := os.Getenv("LADING_BENCH_ARGS"); v != "" {
			args = append(args, strings.Fields(v)...)
		}
		cmd := exec.Command(loader, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		m, err := testenv.RunMeasured(cmd)
		if err != nil {
			b.Fatalf("loader: %v\n%s", err, out.String())
		}
		if err := e.admin.DeleteTable(e.ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		g := reportGauges(b, args[len(args)-1])
		lr, lcpu, rss = append(lr, float64(n)/m.Wall.Seconds()), append(lcpu, float64(m.CPU.Microseconds())/float64(n)), append(rss, float64(m.PeakRSS>>20))
		rate, cpu := raw.measure(b, bestC)
		cr, ccpu = append(cr, rate), append(ccpu, cpu)
		b.Logf("run %d: loader %.0f rows/s (%.2f µs CPU a row, peak RSS %d MB, batch bytes %d, in flight %d); ceiling %.0f rows/s (%.2f µs CPU a row) at %d callers: %.0f%%",
			i+1, lr[i], lcpu[i], m.PeakRSS>>20, g["batch_bytes_limit"], g["inflight_limit"], rate, cpu, bestC, 100*lr[i]/rate)
	}
	b.StopTimer()
	l, c := median(lr), median(cr)
	b.ReportMetric(l, "rows/s")
	b.ReportMetric(c, "ceiling-rows/s")
	b.ReportMetric(100*l/c, "%-of-ceiling")
	b.ReportMetric(median(lcpu), "loader-cpu-µs/row")
	b.ReportMetric(median(ccpu), "ceiling-cpu-µs/row")
	b.ReportMetric(median(rss), "peak-rss-MB")
	b.Logf("median of %d: loader %.0f rows/s (min %.0f, max %.0f), ceiling %.0f rows/s (min %.0f, max %.0f) at %d callers: %.0f%%",
		repeat, l, slices.Min(lr), slices.Max(lr), c, slices.Min(cr), slices.Max(cr), bestC, 100*l/c)
}

// rawLoad is the emulator's ceiling: the benchmark's rows sent with raw
// ApplyBulk calls of 1,000 rows from a tight loop.
type rawLoad struct {
	e    *btEnv
	n    int
	body []byte
	runs int
}

// measure loads the rows into a new table with c concurrent callers and
// returns rows/s and the test process's CPU per row while it ran.
func (r *rawLoad) measure(b *testing.B, c int) (rate, cpuPerRow float64) {
	const batch = 1000
	r.runs++
	name := fmt.Sprintf("raw%d", r.runs)
	e := r.e
	if err := e.admin.CreateTableFromConf(e.ctx, &bigtable.TableConf{TableID: name, ColumnFamilies: map[string]bigtable.Family{"cf": {GCPolicy: bigtable.MaxVersionsPolicy(1)}}}); err != nil {
		b.Fatal(err)
	}
	tb := e.client.Open(name)
	var wg sync.WaitGroup
	next := make(chan int, c)
	start, cpu0 := time.Now(), testenv.SelfCPU()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range next {
				keys := make([]string, 0, batch)
				muts := make([]*bigtable.Mutation, 0, batch)
				for i := first; i < min(r.n, first+batch); i++ {
					m := bigtable.NewMutation()
					m.Set("cf", "", 1000, nil)
					m.Set("cf", "name", 1000, []byte(fmt.Sprintf("name %d", i)))
					m.Set("cf", "qty", 1000, loadtest.Int(int32(i)))
					m.Set("cf", "body", 1000, r.body)
					keys = append(keys, fmt.Sprintf("raw%09d", i))
					muts = append(muts, m)
				}
				if errs, err := tb.ApplyBulk(context.Background(), keys, muts); err != nil || errs != nil {
					b.Errorf("ApplyBulk: %v %v", err, errs)
					return
				}
			}
		}()
	}
	for first := 0; first < r.n; first += batch {
		next <- first
	}
	close(next)
	wg.Wait()
	el, cpu := time.Since(start), testenv.SelfCPU()-cpu0
	if err := e.admin.DeleteTable(e.ctx, name); err != nil {
		b.Fatal(err)
	}
	return float64(r.n) / el.Seconds(), float64(cpu.Microseconds()) / float64(r.n)
}

// reportGauges reads the gauges of a loader's JSON run report.
func reportGauges(b *testing.B, path string) map[string]int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Gauges map[string]int64 `json:"gauges"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatalf("report %s: %v", path, err)
	}
	return rep.Gauges
}

// median returns the middle value of v (the mean of the two middle ones
// for an even count).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
