package cassandra_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// BenchmarkRestore restores LADING_BENCH_ROWS rows (default 1,000,000; 10
// rows a partition, writetimes captured) from a file:// dump into a
// local Cassandra and reports rows/s with the batch size and concurrency
// the controllers settled on.
func BenchmarkRestore(b *testing.B) {
	hosts := testenv.CassandraHosts(b)
	n := testenv.BenchRows(b, 1_000_000)
	ctx := context.Background()
	store, root := loadtest.FileStore(b)
	tbl := schema.Table{Keyspace: "src", Name: "bench", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
		{Name: "n", Type: "bigint", Role: schema.Regular},
	}}
	parts := loadtest.Parts(n, 50_000, func(i int) format.Row {
		return format.Row{
			Values:    [][]byte{loadtest.Int(int32(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("value %032d", i)), loadtest.Bigint(int64(i))},
			Writetime: [][]int64{nil, nil, {1_700_000_000_000_000 + int64(i)}, {1_700_000_000_000_000}},
		}
	})
	_, prefix := loadtest.Write(b, store, loadtest.Dump{Table: tbl, Writetime: true, Parts: parts})
	parts = nil

	cfg, _ := cql.ParseURL("cassandra://" + hosts)
	sess, err := cql.Connect(ctx, cfg, cql.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	ks := fmt.Sprintf("lt_bench_%d", time.Now().UnixNano()%1e9)
	if err := sess.Driver().Query("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		b.Fatal(err)
	}
	defer sess.Driver().Query("DROP KEYSPACE IF EXISTS " + ks).Consistency(gocql.One).Exec()

	b.ResetTimer()
	var elapsed time.Duration
	var run *report.Run
	for i := range b.N {
		run = report.New("loader")
		o := load.Options{
			From: root + "/" + prefix, To: "cassandra://" + hosts + "/" + ks,
			CreateTable: true, TargetTable: fmt.Sprintf("bench%d", i), Verify: load.VerifyNone,
			Workers: 32, Parts: 2, SpoolBytes: 1 << 30, SpoolDir: b.TempDir(), Run: run,
		}
		start := time.Now()
		if _, err := load.Run(ctx, o); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(run.Gauge("batch_bytes_limit")), "batch_bytes")
	b.ReportMetric(float64(run.Gauge("inflight_limit")), "inflight")
	b.ReportMetric(float64(run.Counter("mutations"))/float64(max(run.Counter("batches"), 1)), "stmts/batch")
	b.Logf("%d rows in %s: %.0f rows/s; batch size settled at %d bytes (%d changes), concurrency at %d (%d decreases)",
		n, elapsed/time.Duration(b.N), float64(n*b.N)/elapsed.Seconds(), run.Gauge("batch_bytes_limit"),
		len(run.Events("batch_size")), run.Gauge("inflight_limit"), run.Counter("throttle_decreases"))
}
