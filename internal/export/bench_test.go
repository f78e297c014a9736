package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// benchRows is LADING_BENCH_ROWS (default 1,000,000).
func benchRows(b testing.TB) int { return testenv.BenchRows(b, 1_000_000) }

const benchDDL = `CREATE TABLE %s.bench (
	id bigint, seq int, name text, email text, score double, tags set<text>,
	created timestamp, payload blob, PRIMARY KEY (id, seq))`

// benchUsage is what one export process cost: its wall and CPU time
// and peak RSS (testenv.RunMeasured), and what it exported.
type benchUsage struct {
	testenv.Measured
	rows   int64
	bytes  int64 // uncompressed NDJSON
	stored int64
}

func (u benchUsage) report(b *testing.B) {
	rss := float64(u.PeakRSS) / (1 << 20)
	b.ReportMetric(float64(u.rows)/u.Wall.Seconds(), "rows/s")
	b.ReportMetric(float64(u.bytes)/1e6/u.Wall.Seconds(), "MB/s")
	b.ReportMetric(u.CPU.Seconds()/(float64(u.rows)/1e6), "cpu-s/Mrows")
	b.ReportMetric(rss, "peak-RSS-MiB")
	b.Logf("%d rows, %.1f MB NDJSON (%.1f MB stored) in %s: %.0f rows/s, %.1f MB/s, %.2f CPU s per million rows, peak RSS %.0f MiB",
		u.rows, float64(u.bytes)/1e6, float64(u.stored)/1e6, u.Wall.Round(time.Millisecond), float64(u.rows)/u.Wall.Seconds(),
		float64(u.bytes)/1e6/u.Wall.Seconds(), u.CPU.Seconds()/(float64(u.rows)/1e6), rss)
}

// measure runs one benchmarked process. The rusage of a child started
// from this (large) test process counts the test's own memory in its
// peak RSS, so the child's is read from /proc while it runs.
func measure(b *testing.B, cmd *exec.Cmd, what string) benchUsage {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	m, err := testenv.RunMeasured(cmd)
	if err != nil {
		b.Fatalf("%s: %v\n%s", what, err, out.String())
	}
	return benchUsage{Measured: m}
}

// BenchmarkExport exports a table of LADING_BENCH_ROWS rows (default 1M;
// about 300 bytes of JSON a row: text, double, set, timestamp and a
// 64-byte blob; 100 rows a partition) with the exporter binary at its
// defaults to file:// and to the S3 server, scans and encodes it
// without any store (null sink), and scans it through the driver alone
// (raw scan). Each run is its own process, so CPU
// time and peak RSS are the run's.
func BenchmarkExport(b *testing.B) {
	n := benchRows(b)
	s := cqltest.Session(b)
	ks := cqltest.Keyspace(b, s)
	cqltest.Exec(b, s, fmt.Sprintf(benchDDL, ks))
	start := time.Now()
	payload := bytes.Repeat([]byte{0xab, 0x01, 0x7f, 0x00}, 16)
	cqltest.InsertBatches(b, s, "INSERT INTO "+ks+".bench (id, seq, name, email, score, tags, created, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		n, 100, 64, func(i int) []any {
			return []any{int64(i / 100), i % 100, fmt.Sprintf("customer %d", i), fmt.Sprintf("user%d@example.com", i),
				float64(i) / 7, []string{"a", fmt.Sprint(i % 13)}, time.UnixMilli(1_700_000_000_000 + int64(i)), payload}
		})
	b.Logf("inserted %d rows in %s", n, time.Since(start).Round(time.Second))
	bin := exporterBinary(b)

	export := func(b *testing.B, dest string, extra ...string) {
		for i := range b.N {
			args := append(append([]string{}, extra...), "--source", cqltest.URL(b), "--table", ks+".bench", "--dest", dest,
				"--batch", fmt.Sprintf("bench-%d", i), "--report", b.TempDir()+"/report.json", "--log-level", "warn")
			u := measure(b, exec.Command(bin, args...), "exporter")
			rep := readReport(b, args[len(args)-3])
			u.rows, u.bytes, u.stored = rep.Counters["rows"], rep.Counters["bytes"], rep.Counters["stored_bytes"]
			if u.rows != int64(n) {
				b.Fatalf("exported %d rows, want %d", u.rows, n)
			}
			u.report(b)
		}
	}
	b.Run("file", func(b *testing.B) { export(b, fileDest(b)) })
	// The same without the adaptive controller's slow start: the
	// difference is what starting at a quarter of the cap costs.
	b.Run("file-fixed-inflight", func(b *testing.B) { export(b, fileDest(b), "--adaptive=false") })
	b.Run("s3", func(b *testing.B) { export(b, s3Dest(b)) })
	// The same scan encoded and dropped (null sink), and read through the
	// driver alone (raw scan: the source's own ceiling).
	b.Run("null", func(b *testing.B) {
		scanChild(b, n, "TestBenchNullSinkChild", "NULLSINK", "LADING_BENCH_NULL_SINK="+ks+".bench")
	})
	b.Run("raw", func(b *testing.B) {
		scanChild(b, n, "TestBenchRawScanChild", "RAWSCAN", "LADING_BENCH_RAW_SCAN="+ks+".bench")
	})
}

// scanChild runs one of the scanning children (test) in a process of its
// own, b.N times, and reports it; it prints "<word> <rows> <bytes>".
func scanChild(b *testing.B, n int, test, word string, env ...string) {
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run", "^"+test+"$", "-test.v")
		cmd.Env = append(os.Environ(), env...)
		u := measure(b, cmd, test)
		out := cmd.Stdout.(*bytes.Buffer)
		i := strings.Index(out.String(), word+" ")
		if i < 0 {
			b.Fatalf("%s printed no result:\n%s", test, out.String())
		}
		if _, err := fmt.Sscanf(out.String()[i:], word+" %d %d", &u.rows, &u.bytes); err != nil || u.rows != int64(n) {
			b.Fatalf("%s: %d rows (%v), want %d\n%s", test, u.rows, err, n, out.String())
		}
		u.report(b)
	}
}

type benchReport struct {
	Counters map[string]int64 `json:"counters"`
}

func readReport(b testing.TB, path string) benchReport {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var r benchReport
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	return r
}

// TestBenchNullSinkChild is BenchmarkExport's null sink, run as a child
// process: it scans the table named by LADING_BENCH_NULL_SINK the way the
// exporter does (its splits, 4 readers, pages of 1000) and encodes every
// row to NDJSON, storing nothing. It prints "NULLSINK <rows> <bytes>".
func TestBenchNullSinkChild(t *testing.T) {
	name := os.Getenv("LADING_BENCH_NULL_SINK")
	if name == "" {
		t.Skip("a child process of BenchmarkExport")
	}
	bs := newBenchScan(t, name)
	sc, err := cql.NewScanner(bs.s, cql.ScanSpec{Table: bs.tab, Columns: bs.cols}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range bs.cols {
		names = append(names, c.Name)
	}
	enc, err := format.NewEncoder(bs.tab, names, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, nbytes := bs.each(t, 4, func(ctx context.Context, sp cql.Split, rows, nbytes *int64) error {
		var line []byte
		var r format.Row
		return sc.Scan(ctx, bs.p, sp.Range, func(pg *cql.Page) error {
			for i := range pg.Rows {
				r.Values = pg.Rows[i].Values
				var err error
				if line, err = enc.AppendRow(line[:0], &r); err != nil {
					return err
				}
				*nbytes += int64(len(line))
			}
			*rows += int64(len(pg.Rows))
			pg.Release()
			return nil
		})
	})
	fmt.Printf("NULLSINK %d %d\n", rows, nbytes)
}

// benchScan is what the benchmarks' scanning children share: the table,
// its partitioner and the splits the exporter would cut it into.
type benchScan struct {
	s      *cql.Session
	tab    *schema.Table
	cols   []*schema.Column
	p      *cql.Partitioner
	splits []cql.Split
}

// newBenchScan reads the table name ("ks.table"), its ring and its
// estimates from the test server.
func newBenchScan(t *testing.T, name string) *benchScan {
	ks, table, _ := strings.Cut(name, ".")
	s := cqltest.Session(t)
	ctx := context.Background()
	tab, info, err := cql.ReadTable(ctx, s, ks, table)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cql.PartitionerByName(info.Partitioner)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := cql.ReadRing(ctx, s, p, ks)
	if err != nil {
		t.Fatal(err)
	}
	est, _ := cql.ReadEstimates(ctx, s, p, ks, table)
	bs := &benchScan{s: s, tab: tab, p: p, splits: cql.Splits(ring, est, cql.SplitOptions{Min: 16})}
	for i := range tab.Columns {
		bs.cols = append(bs.cols, &tab.Columns[i])
	}
	return bs
}

// each runs scan on every split with n readers, each split once, and
// returns the rows and bytes the scans counted; the first error fails t.
func (bs *benchScan) each(t *testing.T, n int, scan func(ctx context.Context, sp cql.Split, rows, nbytes *int64) error) (rows, nbytes int64) {
	ctx := context.Background()
	var mu sync.Mutex
	work := make(chan cql.Split)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var myRows, myBytes int64
			failed := false
			for sp := range work {
				if failed {
					continue
				}
				if err := scan(ctx, sp, &myRows, &myBytes); err != nil {
					errs <- err
					failed = true
				}
			}
			mu.Lock()
			rows, nbytes = rows+myRows, nbytes+myBytes
			mu.Unlock()
		}()
	}
	for _, sp := range bs.splits {
		work <- sp
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	return rows, nbytes
}
