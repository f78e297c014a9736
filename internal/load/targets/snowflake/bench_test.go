package snowflake

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// BenchmarkLoadSnowflake loads LADING_BENCH_ROWS rows (default 20,000)
// of about 200 bytes, in parts of 2,000 rows, from a file:// dump into
// the stand-in through the front (PUT to a temporary stage, one COPY of
// every part: the parts per COPY are min(parts, 1,000)), and reports
// rows/s. The stand-in runs each COPY's transformation in fakesnow, so
// the figure measures the stand-in, not Snowflake.
func BenchmarkLoadSnowflake(b *testing.B) {
	n := testenv.BenchRows(b, 20_000)
	f := front(b)
	db := standIn(b)
	tbl := schema.Table{Keyspace: "src", Name: "bench", Columns: []schema.Column{
		{Name: "k", Type: "bigint", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "name", Type: "text", Role: schema.Regular},
		{Name: "body", Type: "text", Role: schema.Regular},
	}}
	body := loadtest.Text(strings.Repeat("lorem ipsum ", 13))
	parts := loadtest.Parts(n, 2_000, func(i int) format.Row {
		return format.Row{Values: [][]byte{loadtest.Bigint(int64(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("name %d", i)), body}}
	})
	store, storeURL := loadtest.FileStore(b)
	loadtest.Write(b, store, loadtest.Dump{Table: tbl, Parts: parts})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target := targetURL(f, newDatabase(b, db))
		b.StartTimer()
		o := load.Options{From: storeURL, To: target, CreateTable: true, Verify: load.VerifyCount,
			SpoolBytes: 64 << 20, SpoolDir: b.TempDir(), Run: report.New("loader")}
		start := time.Now()
		res, err := load.Run(context.Background(), o)
		if err != nil || len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" {
			b.Fatalf("load: %v %+v", err, res)
		}
		el := time.Since(start)
		b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
		b.ReportMetric(float64(min(len(parts), maxFilesPerCopy)), "parts/COPY")
		b.Logf("%d rows in %d parts, %d parts per COPY: %s = %.0f rows/s (verify %s)", n, len(parts), min(len(parts), maxFilesPerCopy), el.Round(time.Millisecond), float64(n)/el.Seconds(), res.Dumps[0].Verify.Result)
	}
}
