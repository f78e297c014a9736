package bigtable

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// benchRows is LADING_BENCH_ROWS (default 1,000,000).
func benchRows(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("LADING_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// BenchmarkLoadBigtable loads LADING_BENCH_ROWS rows of about 1 KB (10
// rows a partition, four columns) from a file:// dump into the emulator
// with the loader, then measures the emulator's own ceiling the same way:
// raw ApplyBulk calls of 1,000 such rows from a tight loop at 1 to 16
// concurrent callers, and reports both and their ratio. Every measurement
// writes new rows into a new table, dropped after it: the emulator keeps
// tables in memory, and overwriting rows it already holds is cheaper
// than adding them, which made the ceiling look higher than any load
// into a new table can reach.
func BenchmarkLoadBigtable(b *testing.B) {
	n := benchRows(b)
	e := newBTEnv(b)
	tbl := schema.Table{Keyspace: "src", Name: "bench", Columns: []schema.Column{
		{Name: "k", Type: "bigint", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "name", Type: "text", Role: schema.Regular},
		{Name: "qty", Type: "int", Role: schema.Regular},
		{Name: "body", Type: "text", Role: schema.Regular},
	}}
	body := loadtest.Text(strings.Repeat("lorem ipsum ", 80)) // 960 bytes
	const perPart = 50_000
	var parts [][]format.Row
	for p := 0; p*perPart < n; p++ {
		var rows []format.Row
		for i := p * perPart; i < min(n, (p+1)*perPart); i++ {
			rows = append(rows, format.Row{Values: [][]byte{loadtest.Bigint(int64(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("name %d", i)), loadtest.Int(int32(i)), body}})
		}
		parts = append(parts, rows)
	}
	_, prefix := loadtest.Write(b, e.store, loadtest.Dump{Table: tbl, Parts: parts})
	parts = nil
	b.ResetTimer()
	var loaderRate float64
	for range b.N {
		o := e.opts(e.storeURL + "/" + prefix)
		o.Verify, o.Force = "none", true
		if v := os.Getenv("LADING_BENCH_BATCH_BYTES"); v != "" {
			var err error
			if o.BatchBytes, err = strconv.Atoi(v); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		e.run(o)
		el := time.Since(start)
		if err := e.admin.DeleteTable(e.ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		loaderRate = float64(n) / el.Seconds()
		b.ReportMetric(loaderRate, "rows/s")
		b.Logf("loader: %d rows in %s = %.0f rows/s; batch bytes %d, in flight %d", n, el.Round(time.Millisecond), float64(n)/el.Seconds(), o.Run.Gauge("batch_bytes_limit"), o.Run.Gauge("inflight_limit"))
	}
	b.StopTimer()
	// The ceiling: the same rows, raw.
	best, bestC := 0.0, 0
	for _, c := range []int{1, 2, 4, 8, 16} {
		const batch = 1000
		name := fmt.Sprintf("raw%d", c)
		if err := e.admin.CreateTableFromConf(e.ctx, &bigtable.TableConf{TableID: name, ColumnFamilies: map[string]bigtable.Family{"cf": {GCPolicy: bigtable.MaxVersionsPolicy(1)}}}); err != nil {
			b.Fatal(err)
		}
		tb := e.client.Open(name)
		var wg sync.WaitGroup
		next := make(chan int, c)
		start := time.Now()
		for range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for first := range next {
					keys := make([]string, 0, batch)
					muts := make([]*bigtable.Mutation, 0, batch)
					for i := first; i < min(n, first+batch); i++ {
						m := bigtable.NewMutation()
						m.Set("cf", "", 1000, nil)
						m.Set("cf", "name", 1000, []byte(fmt.Sprintf("name %d", i)))
						m.Set("cf", "qty", 1000, loadtest.Int(int32(i)))
						m.Set("cf", "body", 1000, body)
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
		for first := 0; first < n; first += batch {
			next <- first
		}
		close(next)
		wg.Wait()
		rate := float64(n) / time.Since(start).Seconds()
		if err := e.admin.DeleteTable(e.ctx, name); err != nil {
			b.Fatal(err)
		}
		b.Logf("raw ApplyBulk, %d callers: %.0f rows/s", c, rate)
		if rate > best {
			best, bestC = rate, c
		}
	}
	b.ReportMetric(best, "ceiling-rows/s")
	b.Logf("ceiling %.0f rows/s at %d callers; loader/ceiling %.0f%%", best, bestC, 100*loaderRate/best)
}
