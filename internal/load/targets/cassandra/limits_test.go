package cassandra_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targets/cassandra"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

func blobTable(name string, keyType string) schema.Table {
	return schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: keyType, Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "blob", Role: schema.Regular},
	}}
}

func blobRow(k, c []byte, v []byte) format.Row {
	return format.Row{Values: [][]byte{k, c, v}}
}

// Wide partitions and large blobs are sent in batches of one partition
// under the hard limit (or alone), and the report says how batches were
// sized. Such a batch is one mutation, which the server does not hold to
// batch_size_fail_threshold (50 KiB): the wide partition's batches grow
// past it and the server takes them. (That nothing is refused for size
// and every value reads back exactly is the target suite's
// WidePartitionsAndLargeValues.)
func TestWidePartitionBatchSizing(t *testing.T) {
	e := newEnv(t)
	var wide, big []format.Row
	for c := range 10000 {
		wide = append(wide, blobRow(loadtest.Int(1), loadtest.Int(int32(c)), bytes.Repeat([]byte{byte(c)}, 100)))
	}
	for c := range 40 {
		big = append(big, blobRow(loadtest.Int(2), loadtest.Int(int32(c)), bytes.Repeat([]byte{byte(c)}, 30<<10)))
	}
	big = append(big, blobRow(loadtest.Int(3), loadtest.Int(0), bytes.Repeat([]byte{7}, 1<<20)))
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: blobTable("wide", "int"), Parts: [][]format.Row{wide, big}})
	o := e.opts(e.storeURL + "/" + prefix)
	run := o.Run
	res := e.run(o)
	d := res.Dumps[0]
	if d.Outcome != "loaded" || d.Verify.Result != "passed" || d.Counts.Rejects != 0 {
		t.Fatalf("%+v", d)
	}
	if n := e.count("wide"); n != 10041 {
		t.Errorf("%d rows, want 10041", n)
	}
	if got := run.Counter("batches"); got < 10041*100/cassandra.HardBatchBytes {
		t.Errorf("%d batches: the wide partition was not split", got)
	}
	const failThreshold = 50 << 10
	if lim := run.Gauge("batch_bytes_limit"); lim <= failThreshold || lim > cassandra.HardBatchBytes {
		t.Errorf("batch_bytes_limit %d, want in (%d, %d]: one partition's batches grow past batch_size_fail_threshold", lim, failThreshold, cassandra.HardBatchBytes)
	}
	if len(run.Events("batch_size")) == 0 {
		t.Error("no batch_size event in the report")
	}
	var v []byte
	if err := e.s.Query("SELECT v FROM " + e.ks + ".wide WHERE k = 3 AND c = 0").Consistency(gocql.One).Scan(&v); err != nil || len(v) != 1<<20 {
		t.Errorf("1 MiB blob: %d bytes, %v", len(v), err)
	}
}

// A counter table loads all or nothing: loading it again truncates it
// first, so counts never add up, and the claim is released.
func TestCounterTable(t *testing.T) {
	e := newEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "hits", Counter: true, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "n", Type: "counter", Role: schema.Regular},
		{Name: "m", Type: "counter", Role: schema.Regular},
	}}
	var rows []format.Row
	for k := range 50 {
		for c := range 5 {
			var m []byte
			if c%2 == 0 {
				m = loadtest.Bigint(int64(-k))
			}
			rows = append(rows, format.Row{Values: [][]byte{loadtest.Int(int32(k)), loadtest.Int(int32(c)), loadtest.Bigint(int64(k*10 + c)), m}})
		}
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{rows[:100], rows[100:]}})
	check := func() {
		t.Helper()
		var n, m int64
		if err := e.s.Query("SELECT n, m FROM "+e.ks+".hits WHERE k = 7 AND c = 2").Consistency(gocql.One).Scan(&n, &m); err != nil {
			t.Fatal(err)
		}
		if n != 72 || m != -7 {
			t.Errorf("k=7 c=2: n=%d m=%d, want 72 and -7", n, m)
		}
		if got := e.count("hits"); got != 250 {
			t.Errorf("%d rows, want 250", got)
		}
		var claims int
		if err := e.s.Query("SELECT COUNT(*) FROM " + e.ks + "." + cassandra.ClaimsTable).Consistency(gocql.One).Scan(&claims); err != nil || claims != 0 {
			t.Errorf("claims left: %d, %v", claims, err)
		}
	}
	from := e.storeURL + "/" + prefix
	if d := e.run(e.opts(from)).Dumps[0]; d.Outcome != "loaded" || d.Verify.Result != "passed" {
		t.Fatalf("%+v", d)
	}
	check()
	o := e.opts(from)
	o.Force = true
	if d := e.run(o).Dumps[0]; d.Outcome != "loaded" || d.Verify.Result != "passed" {
		t.Fatalf("forced: %+v", d)
	}
	check()
	// Counter rows lading did not write are never added to.
	e.exec("CREATE TABLE " + e.ks + ".hits2 (k int, c int, n counter, m counter, PRIMARY KEY (k, c))")
	e.exec("UPDATE " + e.ks + ".hits2 SET n = n + 1 WHERE k = 7 AND c = 2")
	o = e.opts(from)
	o.TargetTable = "hits2"
	_, err := load.Run(context.Background(), o)
	if fault.Code(err) != fault.ExitUsage || !strings.Contains(fmt.Sprint(err), "lading did not write") {
		t.Fatalf("load into a counter table with foreign rows: %v, want a usage error", err)
	}
	var n int64
	if err := e.s.Query("SELECT n FROM " + e.ks + ".hits2 WHERE k = 7 AND c = 2").Consistency(gocql.One).Scan(&n); err != nil || n != 1 {
		t.Errorf("foreign counter: %d, %v; want it untouched at 1", n, err)
	}
}
