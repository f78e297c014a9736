package spanner_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// benchRows is LADING_BENCH_ROWS (default 200,000).
func benchRows(b testing.TB) int { return testenv.BenchRows(b, 200_000) }

func benchValue(i int) string { return fmt.Sprintf("value %032d", i) }

// BenchmarkLoad loads LADING_BENCH_ROWS rows of four columns (k int, c
// int, v text of 38 bytes, n bigint) from a file:// dump straight into
// spannertest (no proxy) and reports rows/s, MB/s of row data, the rows
// per commit the controller settled on, and the ratio to spannertest's
// own ceiling for the same rows (applyCeiling, measured first).
func BenchmarkLoad(b *testing.B) {
	host := testenv.Spanner(b)
	b.Setenv("SPANNER_EMULATOR_HOST", host)
	ceiling := applyCeiling(b, benchRows(b))
	n := benchRows(b)
	ctx := context.Background()
	storeURL := "file://" + b.TempDir()
	store, err := objstore.Open(ctx, storeURL)
	if err != nil {
		b.Fatal(err)
	}
	tbl := schema.Table{Keyspace: "src", Name: "bench", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
		{Name: "n", Type: "bigint", Role: schema.Regular},
	}}
	parts := loadtest.Parts(n, 50_000, func(i int) format.Row {
		return format.Row{Values: [][]byte{loadtest.Int(int32(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(benchValue(i)), loadtest.Bigint(int64(i))}}
	})
	_, prefix := loadtest.Write(b, store, loadtest.Dump{Table: tbl, Parts: parts})
	dataBytes := float64(n) * (8 + 8 + 38 + 8)
	workers, parallelParts := 8, 2
	if v := os.Getenv("LADING_BENCH_WORKERS"); v != "" {
		// spannertest applies one commit at a time, and inserts out of
		// key order cost it a copy of its sorted rows: one worker and one
		// part show its ceiling through the loader.
		workers, _ = strconv.Atoi(v)
		parallelParts = 1
	}
	b.ResetTimer()
	for i := range b.N {
		run := report.New("loader")
		start := time.Now()
		_, err := load.Run(ctx, load.Options{
			From: storeURL + "/" + prefix, To: "spanner://" + testDB, CreateTable: true,
			TargetTable: fmt.Sprintf("bench_%d_%d", time.Now().UnixNano(), i), Verify: load.VerifyCount,
			Workers: workers, Parts: parallelParts, SpoolBytes: 256 << 20, SpoolDir: b.TempDir(), Run: run,
		})
		if err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		b.ReportMetric(float64(n)/secs, "rows/s")
		b.ReportMetric(dataBytes/secs/1e6, "MB/s")
		b.ReportMetric(float64(n)/secs/ceiling, "of-ceiling")
		if c := run.Counter("batches"); c > 0 {
			b.ReportMetric(float64(n)/float64(c), "rows/commit")
		}
	}
}

// BenchmarkApplyCeiling is spannertest's own ceiling for the same rows:
// one client, a tight loop of Apply with batches of 2,000 rows.
func BenchmarkApplyCeiling(b *testing.B) {
	testenv.Spanner(b)
	n := benchRows(b)
	b.ResetTimer()
	for range b.N {
		rate := applyCeiling(b, n)
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(rate*(8+8+38+8)/1e6, "MB/s")
	}
}

// applyCeiling writes n bench rows into a new table with a tight loop of
// Apply (2,000 rows a commit) and returns rows/s.
func applyCeiling(b *testing.B, n int) float64 {
	b.Helper()
	ctx := context.Background()
	client, err := spanner.NewClientWithConfig(ctx, testDB, spanner.ClientConfig{DisableNativeMetrics: true})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	table := fmt.Sprintf("ceiling_%d", time.Now().UnixNano())
	if err := applyDDL(ctx, "CREATE TABLE "+table+" (k INT64 NOT NULL, c INT64, v STRING(MAX), n INT64) PRIMARY KEY (k, c)"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for from := 0; from < n; from += 2000 {
		var ms []*spanner.Mutation
		for i := from; i < min(from+2000, n); i++ {
			ms = append(ms, spanner.InsertOrUpdate(table, []string{"k", "c", "v", "n"}, []any{int64(i / 10), int64(i % 10), benchValue(i), int64(i)}))
		}
		if _, err := client.Apply(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
