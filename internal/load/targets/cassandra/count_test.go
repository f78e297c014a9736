package cassandra_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targets/cassandra"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestCountIsExact loads a table of known size, with narrow partitions
// and a wide one, and checks that --verify count finds every row once:
// over the server's vnode ring (wrap-around included), and when slices
// time out and are counted again in pieces.
func TestCountIsExact(t *testing.T) {
	e := newEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "sized", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	var rows []format.Row
	add := func(k, c int) {
		rows = append(rows, format.Row{Values: [][]byte{loadtest.Int(int32(k)), loadtest.Int(int32(c)), loadtest.Text(fmt.Sprintf("v%d.%d", k, c))}})
	}
	for k := range 200 {
		for c := range k%40 + 1 {
			add(k, c)
		}
	}
	for c := range 1500 {
		add(-1, c) // one wide partition
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{rows[:len(rows)/2], rows[len(rows)/2:]}})

	cfg, _ := cql.ParseURL("cassandra://" + e.hosts)
	sess, err := cql.Connect(e.ctx, cfg, cql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	cluster, err := cql.ReadCluster(e.ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cql.PartitionerByName(cluster.Partitioner)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := cql.ReadRing(e.ctx, sess, p, e.ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(ring.Ranges) < 2 {
		t.Fatalf("the ring has %d ranges: want vnodes (or at least the wrap-around cut)", len(ring.Ranges))
	}
	t.Logf("ring: %d ranges", len(ring.Ranges))

	check := func(t *testing.T, table string, logs io.Writer) *report.Run {
		o := e.opts(e.storeURL + "/" + prefix)
		o.Verify, o.TargetTable = load.VerifyCount, table
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		res := e.run(o)
		v := res.Dumps[0].Verify
		if v.Result != "passed" || v.Found != int64(len(rows)) {
			t.Fatalf("verify: %+v, want passed with %d rows", v, len(rows))
		}
		if n := e.count(table); n != len(rows) {
			t.Fatalf("the table holds %d rows, want %d", n, len(rows))
		}
		if s := o.Run.Counter("count_slices"); s < 256 {
			t.Errorf("counted in %d slices, want at least 256", s)
		}
		return o.Run
	}
	t.Run("slices", func(t *testing.T) {
		// A count that takes longer than the progress interval says
		// how far it got.
		defer cassandra.SetCountProgress(time.Millisecond)()
		var logs testenv.SyncBuffer
		check(t, "plain", &logs)
		if !strings.Contains(logs.String(), "msg=counting") || !strings.Contains(logs.String(), "slices=") {
			t.Errorf("no progress line in the log:\n%s", logs.String())
		}
	})
	t.Run("timeouts", func(t *testing.T) {
		// Every third top-level slice times out at once: it is counted
		// again in pieces, each adding its rows once.
		var calls atomic.Int64
		defer cassandra.SetCountTimeout(func(depth int) time.Duration {
			if depth == 0 && calls.Add(1)%3 == 0 {
				return time.Nanosecond
			}
			return 0
		})()
		run := check(t, "cut", io.Discard)
		if run.Counter("count_cuts") == 0 {
			t.Fatal("no slice was cut: the timeouts did not happen")
		}
		t.Logf("%d slices, %d cut", run.Counter("count_slices"), run.Counter("count_cuts"))
	})
}
