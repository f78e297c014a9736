package dynamodb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/source/dynamodb"
	"github.com/lading-dev/lading/pkg/format"
)

// BenchmarkFromExport converts an export of LADING_BENCH_DYNAMO_ITEMS
// items (every attribute type, about 700 bytes of JSON an item) in 16
// data files, written to the S3 server, into a dump on local disk:
// items/s of --from-export, MD5s and counts verified.
func BenchmarkFromExport(b *testing.B) {
	n := benchItems(b)
	items := make([]format.DynamoItem, 0, n)
	for _, it := range allTypes(n, 7) {
		items = append(items, dynamodb.FromItem(it))
	}
	start := time.Now()
	x := writeExport(b, "arn:aws:dynamodb:us-east-1:123456789012:table/bench_export", "bench-table-id", items, 16)
	b.Logf("wrote an export of %d items in %s", n, time.Since(start).Round(time.Millisecond))
	args := []string{"--from-export", x.URL, "--table", "bench_export", "--hash-key", "pk:S", "--range-key", "sk:N", "--parallel", "4"}
	for i := range b.N {
		r := benchRun(b, append(args, "--batch", fmt.Sprintf("convert-%d", i))...)
		if r.Counters["rows"] != int64(n) {
			b.Fatalf("converted %d items, want %d", r.Counters["rows"], n)
		}
		b.ReportMetric(float64(n)/r.Duration, "items/s")
		b.Logf("%d items in %.1fs: %.0f items/s", n, r.Duration, float64(n)/r.Duration)
	}
}
