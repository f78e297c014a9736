package export_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/testenv"
)

// TestBenchRawScanChild is the source's own ceiling for the benchmarks
// (issue 18: "a raw paged full scan, no encoding, no sink"), run as a
// child process: it reads the table named by LADING_BENCH_RAW_SCAN over
// the exporter's splits and statement, pages of LADING_BENCH_PAGE_SIZE
// rows (default the exporter's), with LADING_BENCH_READERS readers
// (default 4), through the driver alone:
// each value is counted and dropped as the driver hands it over, with no
// copy, no decoding and no encoding. It prints "RAWSCAN <rows> <bytes>",
// bytes being the values' bytes as Cassandra sent them.
func TestBenchRawScanChild(t *testing.T) {
	name := os.Getenv("LADING_BENCH_RAW_SCAN")
	if name == "" {
		t.Skip("a child process of the benchmark harness (internal/benchrun)")
	}
	readers, pageSize := testenv.EnvPositive(t, "LADING_BENCH_READERS", 4), testenv.EnvPositive(t, "LADING_BENCH_PAGE_SIZE", cql.DefaultPageSize)
	bs := newBenchScan(t, name)
	sc, err := cql.NewScanner(bs.s, cql.ScanSpec{Table: bs.tab, Columns: bs.cols}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, drv := sc.Statement(), bs.s.Driver()
	rows, nbytes := bs.each(t, readers, func(ctx context.Context, sp cql.Split, rows, nbytes *int64) error {
		cells := make([]any, len(bs.cols))
		for i := range cells {
			cells[i] = dropCell{nbytes}
		}
		lo, hi := cql.QueryBounds(bs.p, sp.Range)
		iter := drv.Query(stmt, lo, hi).Consistency(gocql.LocalOne).PageSize(pageSize).Idempotent(true).IterContext(ctx)
		for iter.Scan(cells...) {
			*rows++
		}
		return iter.Close()
	})
	fmt.Printf("RAWSCAN %d %d\n", rows, nbytes)
}

// dropCell counts a value's bytes and keeps nothing.
type dropCell struct{ n *int64 }

// UnmarshalCQL implements gocql.Unmarshaler.
func (c dropCell) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	*c.n += int64(len(data))
	return nil
}
