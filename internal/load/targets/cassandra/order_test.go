package cassandra_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
)

// Dumps of a table load oldest first; an older dump over a newer one is
// refused (named) or skipped (root) unless forced; --dry-run writes
// nothing; --watch picks up a dump that appears later.
func TestOrderDryRunAndWatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rows := func(v string) [][]format.Row {
		return [][]format.Row{{blobRow(loadtest.Int(1), loadtest.Int(1), []byte(v))}}
	}
	tbl := blobTable("ord", "int")
	_, p1 := loadtest.Write(t, e.store, loadtest.Dump{Batch: "day1", Timestamp: "20260101T000000Z", Table: tbl, Parts: rows("one")})
	_, p2 := loadtest.Write(t, e.store, loadtest.Dump{Batch: "day2", Timestamp: "20260102T000000Z", Table: tbl, Parts: rows("two")})

	// Dry run: what would load, nothing written.
	o := e.opts(e.storeURL)
	o.DryRun = true
	res := e.run(o)
	if len(res.Dumps) != 2 || res.Dumps[0].Outcome != "would load" || res.Dumps[0].Dump != p1 || res.Dumps[1].Dump != p2 {
		t.Fatalf("dry run: %+v", res.Dumps)
	}
	if recs := e.loadedRecords(); len(recs) != 0 {
		t.Errorf("dry run recorded %v", recs)
	}

	// The newer one alone first, then the older one is refused.
	e.run(e.opts(e.storeURL + "/" + p2))
	_, err := load.Run(ctx, e.opts(e.storeURL+"/"+p1))
	if fault.Code(err) != fault.ExitUsage {
		t.Fatalf("older dump over a newer one: %v, want a usage error", err)
	}
	res = e.run(e.opts(e.storeURL))
	if len(res.Dumps) != 2 || res.Dumps[0].Outcome != "older: skipped" || res.Dumps[1].Outcome != "already loaded" {
		t.Fatalf("root: %+v", res.Dumps)
	}
	o = e.opts(e.storeURL + "/" + p1)
	o.Force, o.Verify = true, load.VerifyNone
	if d := e.run(o).Dumps[0]; d.Outcome != "loaded" {
		t.Fatalf("forced: %+v", d)
	}

	// Watch: a third dump appears while the loader polls.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o = e.opts(e.storeURL)
	o.Watch, o.WatchInterval, o.Verify = true, 200*time.Millisecond, load.VerifyNone
	done := make(chan load.Result, 1)
	go func() {
		res, err := load.Run(wctx, o)
		if err != nil {
			t.Errorf("watch: %v", err)
		}
		done <- res
	}()
	time.Sleep(500 * time.Millisecond)
	_, p3 := loadtest.Write(t, e.store, loadtest.Dump{Batch: "day3", Timestamp: "20260103T000000Z", Table: tbl, Parts: rows("three")})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(e.loadedRecords()) < 3 {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	res = <-done
	found := false
	for _, d := range res.Dumps {
		found = found || d.Dump == p3 && d.Outcome == "loaded"
	}
	if !found {
		t.Errorf("watch did not load %s: %+v", p3, res.Dumps)
	}
	var v string
	if err := e.s.Query("SELECT v FROM " + e.ks + ".ord WHERE k = 1 AND c = 1").Scan(&v); err != nil || v != "three" {
		t.Errorf("value %q (%v), want the newest dump's", v, err)
	}
}

// --state keeps the ledger in another store, leaving the dump store
// untouched.
func TestStateElsewhere(t *testing.T) {
	e := newEnv(t)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: blobTable("st", "int"), Parts: [][]format.Row{{blobRow(loadtest.Int(1), loadtest.Int(1), []byte("v"))}}})
	stateURL := "file://" + t.TempDir()
	o := e.opts(e.storeURL)
	o.State = stateURL
	if d := e.run(o).Dumps[0]; d.Outcome != "loaded" || d.Dump != prefix {
		t.Fatalf("%+v", d)
	}
	if recs := e.loadedRecords(); len(recs) != 0 {
		t.Errorf("ledger written into the dump store: %v", recs)
	}
	state, err := openStore(stateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	objs, _, err := state.ListAll(context.Background(), "loads/", "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ob := range objs {
		found = found || strings.Contains(ob.Key, "/loaded/")
	}
	if !found {
		t.Errorf("no loaded record under %s/loads/: %v", stateURL, objs)
	}
	if d := e.run(o).Dumps[0]; d.Outcome != "already loaded" {
		t.Errorf("second run: %+v", d)
	}
}
