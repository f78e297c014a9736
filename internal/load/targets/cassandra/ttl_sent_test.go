package cassandra_test

import (
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// A batch written seconds after its rows were converted (queued behind a
// busy target, or backing off before a retry) gives its cells the TTL
// left when it is sent: a restored cell never outlives the source's.
// (Found by the chaos soak, internal/e2e: --verify full saw TTLs 2s
// longer than the dump allowed after a busy load.)
func TestTTLCountsFromSending(t *testing.T) {
	e := newEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "late", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "v", Type: "text", Role: schema.Regular},
		{Name: "s", Type: "set<int>", Role: schema.Regular},
	}}
	readAt := time.Now().UTC().Truncate(time.Millisecond)
	row := format.Row{
		Values:    [][]byte{loadtest.Int(1), loadtest.Text("v"), loadtest.Coll(loadtest.Int(7))},
		Writetime: [][]int64{nil, {1000}, {1000}},
		TTL:       [][]int64{nil, {10_000}, {10_000}},
	}
	m, _ := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Writetime: true, TTL: true,
		Parts: [][]format.Row{{row}}, ReadAt: readAt})
	target, err := load.OpenTarget(e.ctx, e.target(), load.TargetOptions{Run: report.New("test")})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	opened, err := target.Table(e.ctx, m, load.TableOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	table := opened.(load.RowLoader)
	conv, err := table.Converter(load.PartInfo{Manifest: m, File: &m.Files[0], Fresh: true, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	muts, _, err := conv.Convert(&row, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	const wait = 4 * time.Second
	time.Sleep(wait)
	if err := table.Write(e.ctx, &load.Batch{Mutations: muts}); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := e.s.Query("SELECT TTL(v) FROM " + e.ks + ".late WHERE k = 1").Scan(&v); err != nil {
		t.Fatal(err)
	}
	// What the source had left now, at most: 10,000s less the time since
	// read_at.
	left := 10_000 - int(time.Since(readAt).Seconds())
	if v > left+1 {
		t.Errorf("TTL(v) %d after a write %s late; the source's cell has at most %d left", v, wait, left)
	}
	var ss []int
	if err := e.s.Query("SELECT TTL(s) FROM " + e.ks + ".late WHERE k = 1").Scan(&ss); err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0] > left+1 {
		t.Errorf("TTL(s) %v after a write %s late; the source's cell has at most %d left", ss, wait, left)
	}
}
