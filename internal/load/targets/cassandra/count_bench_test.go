package cassandra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// BenchmarkLoadVerifyCount runs the loader binary on LADING_BENCH_ROWS
// rows (default 1,000,000; 10 rows a partition, shaped like the demo's
// orders table) into a new table with
// the default verification (--verify count) and reports the wall time,
// the count's share of it and the loader's client CPU (its rusage).
func BenchmarkLoadVerifyCount(b *testing.B) {
	hosts := testenv.CassandraHosts(b)
	n := testenv.BenchRows(b, 1_000_000)
	ctx := context.Background()
	store, root := loadtest.FileStore(b)
	// Shaped like the demo's orders table, on which the count was first
	// measured: a static column, a set and a map, a writetime per cell
	// and a TTL on every seventh row.
	tbl := schema.Table{Keyspace: "src", Name: "orders", Columns: []schema.Column{
		{Name: "customer", Type: "bigint", Role: schema.PartitionKey},
		{Name: "seq", Type: "int", Role: schema.Clustering, Order: schema.Desc},
		{Name: "customer_name", Type: "text", Role: schema.Static},
		{Name: "item", Type: "text", Role: schema.Regular},
		{Name: "qty", Type: "int", Role: schema.Regular},
		{Name: "price", Type: "bigint", Role: schema.Regular},
		{Name: "tags", Type: "set<text>", Role: schema.Regular},
		{Name: "attrs", Type: "map<text, int>", Role: schema.Regular},
		{Name: "placed", Type: "timestamp", Role: schema.Regular},
	}}
	base := time.Now().UnixMicro() - 3_600_000_000
	parts := loadtest.Parts(n, 50_000, func(i int) format.Row {
		wt := base + int64(i)
		w := []int64{wt}
		r := format.Row{
			Values: [][]byte{loadtest.Bigint(int64(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("customer %d", i/10)),
				loadtest.Text(fmt.Sprintf("item %d", i%97)), loadtest.Int(int32(i%5 + 1)), loadtest.Bigint(int64(i % 100000)),
				loadtest.Coll(loadtest.Text("new"), loadtest.Text(fmt.Sprintf("t%d", i%3))), loadtest.Map(loadtest.Text("weight"), loadtest.Int(int32(i%50))),
				loadtest.Bigint(base/1000 - int64(i)*60_000)},
			Writetime: [][]int64{nil, nil, w, w, w, w, {wt, wt}, w, w},
		}
		if i%7 == 0 {
			t := []int64{30 * 86400}
			r.TTL = [][]int64{nil, nil, t, t, t, t, {30 * 86400, 30 * 86400}, t, t}
		}
		return r
	})
	_, prefix := loadtest.Write(b, store, loadtest.Dump{Table: tbl, Writetime: true, TTL: true, Parts: parts})
	parts = nil
	// LADING_BENCH_LOADERS ("name=path,...") compares loader binaries
	// built elsewhere (e.g. before and after a change), run in turn on
	// the same dump; by default the module's own loader is built.
	type binary struct{ name, path string }
	var loaders []binary
	for _, kv := range strings.Split(os.Getenv("LADING_BENCH_LOADERS"), ",") {
		if name, path, ok := strings.Cut(kv, "="); ok {
			loaders = append(loaders, binary{name, path})
		}
	}
	if len(loaders) == 0 {
		loaders = []binary{{"loader", filepath.Join(targettest.BuildCommands(b, "loader"), "loader")}}
	}

	cfg, _ := cql.ParseURL("cassandra://" + hosts)
	sess, err := cql.Connect(ctx, cfg, cql.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	ks := fmt.Sprintf("lt_vcount_%d", time.Now().UnixNano()%1e9)
	if err := sess.Driver().Query("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("LADING_BENCH_KEEP") == "" {
		defer sess.Driver().Query("DROP KEYSPACE IF EXISTS " + ks).Consistency(gocql.One).Exec()
	} else {
		b.Logf("keeping keyspace %s", ks)
	}

	b.ResetTimer()
	for i := range b.N {
		for j, l := range loaders {
			measureLoad(b, l.name, l.path, root+"/"+prefix, "cassandra://"+hosts+"/"+ks, fmt.Sprintf("orders%d_%d", i, j), n)
		}
	}
}

// measureLoad runs one load with --verify count into a new table and
// logs what it measured.
func measureLoad(b *testing.B, name, loader, from, to, table string, n int) {
	rep := filepath.Join(b.TempDir(), "report.json")
	cmd := exec.Command(loader, "--from", from, "--to", to,
		"--create-table", "--target-table", table, "--verify", "count",
		"--spool-dir", b.TempDir(), "--report", rep)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	m, err := testenv.RunMeasured(cmd)
	if err != nil {
		b.Fatalf("loader: %v\n%s", err, out.String())
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		b.Fatal(err)
	}
	var r struct {
		Gauges map[string]int64 `json:"gauges"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	count := time.Duration(r.Gauges["verify_count_ms"]) * time.Millisecond
	if count == 0 {
		b.Fatalf("the report has no verify_count_ms: did the count run?\n%s", out.String())
	}
	b.Logf("%s: %d rows: %.1f s wall (%.0f rows/s), count %.1f s (%.0f%%), client CPU %.1f s (%.1f s per million rows), peak RSS %d MiB",
		name, n, m.Wall.Seconds(), float64(n)/m.Wall.Seconds(), count.Seconds(), 100*count.Seconds()/m.Wall.Seconds(),
		m.CPU.Seconds(), m.CPU.Seconds()*1e6/float64(n), m.PeakRSS>>20)
}
