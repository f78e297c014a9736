package dynamodb_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
)

// benchItems is LADING_BENCH_DYNAMO_ITEMS, default 50,000.
func benchItems(b testing.TB) int {
	n := 50_000
	if v := os.Getenv("LADING_BENCH_DYNAMO_ITEMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

type benchReport struct {
	Duration float64          `json:"duration_seconds"`
	Counters map[string]int64 `json:"counters"`
}

// benchRun runs one export and returns its report.
func benchRun(b *testing.B, args ...string) benchReport {
	b.Helper()
	report := filepath.Join(b.TempDir(), "report.json")
	code, out := runExporter(b, append(args, "--dest", fileDest(b), "--report", report, "--log-level", "warn")...)
	if code != 0 || !strings.Contains(out, "dump complete") {
		b.Fatalf("exporter: exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var r benchReport
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkDynamoExport exports a table of LADING_BENCH_DYNAMO_ITEMS
// items (every attribute type, about 700 bytes of JSON an item) from the
// DynamoDB stand-in with the exporter binary: uncapped (items/s), and
// with --read-ratio sized from the uncapped run so that the export takes
// about a minute, reporting the capacity consumed per second (from the
// ConsumedCapacity figures the run report sums, not from wall time
// alone) against the cap.
func BenchmarkDynamoExport(b *testing.B) {
	n := benchItems(b)
	c := dynamotest.Client(b)
	const rcu = 1000
	table := dynamotest.CreateTable(b, c, dynamotest.Key{SortKey: true}, rcu)
	start := time.Now()
	dynamotest.Put(b, c, table, allTypes(n, 7))
	b.Logf("put %d items in %s", n, time.Since(start).Round(time.Second))
	src := []string{"--source", dynamotest.URL(b, ""), "--table", table, "--splits", "8", "--parallel", "4"}
	var consumed float64
	b.Run("uncapped", func(b *testing.B) {
		for i := range b.N {
			r := benchRun(b, append(src, "--batch", fmt.Sprintf("free-%d", i))...)
			if r.Counters["rows"] != int64(n) {
				b.Fatalf("exported %d items, want %d", r.Counters["rows"], n)
			}
			consumed = float64(r.Counters["consumed_rcu_milli"]) / 1000
			b.ReportMetric(float64(n)/r.Duration, "items/s")
			b.ReportMetric(consumed/r.Duration, "rcu/s")
			b.Logf("%d items in %.1fs: %.0f items/s, %.1f RCU consumed (%.1f RCU/s)", n, r.Duration, float64(n)/r.Duration, consumed, consumed/r.Duration)
		}
	})
	b.Run("read-ratio", func(b *testing.B) {
		if consumed == 0 {
			b.Skip("the uncapped run measured no consumed capacity")
		}
		// A minute's export: the cap is the capacity the table costs over 60 s.
		ratio := consumed / 60 / rcu
		want := ratio * rcu
		for i := range b.N {
			r := benchRun(b, append(src, "--batch", fmt.Sprintf("capped-%d", i), "--read-ratio", strconv.FormatFloat(ratio, 'f', 6, 64))...)
			got := float64(r.Counters["consumed_rcu_milli"]) / 1000 / r.Duration
			b.ReportMetric(got, "rcu/s")
			b.ReportMetric(100*(got-want)/want, "%-over-cap")
			b.Logf("--read-ratio %.6f of %d RCU = %.2f RCU/s: consumed %.2f RCU/s over %.1fs (%+.1f%%)", ratio, rcu, want, got, r.Duration, 100*(got-want)/want)
			if got > want*1.10 {
				b.Errorf("consumed %.2f RCU/s, more than 10%% over the cap %.2f", got, want)
			}
		}
	})
}

// BenchmarkDynamoLoad loads dumps of two tables of half
// LADING_BENCH_DYNAMO_ITEMS items each (every attribute type) with the
// loader binary: one into Spanner (spannertest behind the test proxy,
// which holds its JSON column), one into the Bigtable emulator, each
// with --verify count. It reports items/s and MB/s of dump JSON per
// target.
func BenchmarkDynamoLoad(b *testing.B) {
	e := newDynamoLoad(b, benchItems(b)/2)
	for _, c := range []struct {
		name, table, to string
	}{
		{"spanner", e.indexed, "spanner://" + spannerDB},
		{"bigtable", e.plain, e.btURL},
	} {
		m, _ := dynamotest.ReadDump(b, e.root, onlyDump(b, e.root, "b1", c.table))
		start := time.Now()
		code, out := runBinary(b, e.loader, "--from", e.dest, "--to", c.to, "--table", "dynamodb."+c.table, "--create-table", "--spool-dir", b.TempDir(), "--log-level", "warn")
		secs := time.Since(start).Seconds()
		if code != 0 || !strings.Contains(out, "verify count: passed") {
			b.Fatalf("loader into %s: exit %d\n%s", c.name, code, out)
		}
		b.ReportMetric(float64(m.Totals.Rows)/secs, c.name+"_items/s")
		b.ReportMetric(float64(m.Totals.Bytes)/secs/1e6, c.name+"_MB/s")
		fmt.Fprintf(os.Stderr, "%s: %d items, %d bytes of JSON in %.1fs\n", c.name, m.Totals.Rows, m.Totals.Bytes, secs)
	}
}
