package load

import (
	"context"
	"testing"

	"github.com/lading-dev/lading/internal/discover"
)

func TestLedgerRecords(t *testing.T) {
	ctx := context.Background()
	b := fileStore(t)
	l := NewLedger(b, LedgerDir, Identity{Kind: "cassandra", Cluster: "c", Namespace: "ks", Table: "t"})
	inc := l.Incarnation("5a0c-id")
	older, _ := discover.NewDump("b1", "ks.t", "20260101T000000Z")
	newer, _ := discover.NewDump("b2", "ks.t", "20260102T000000Z")

	// Started: the first record wins.
	dl := inc.Dump(older)
	first, created, err := dl.Started(ctx, &StartedRecord{EmptyBefore: true})
	if err != nil || !created || !first.EmptyBefore {
		t.Fatalf("first start: %+v %v %v", first, created, err)
	}
	again, created, err := dl.Started(ctx, &StartedRecord{EmptyBefore: false})
	if err != nil || created || !again.EmptyBefore {
		t.Errorf("second start replaced the first: %+v %v %v", again, created, err)
	}

	// Parts: begun (a second begin says the part existed), then loaded
	// once.
	if existed, err := dl.BeginPart(ctx, "part-a"); err != nil || existed {
		t.Fatalf("first begin: existed %v, %v", existed, err)
	}
	if existed, err := dl.BeginPart(ctx, "part-a"); err != nil || !existed {
		t.Errorf("second begin: existed %v, %v; want true", existed, err)
	}
	if err := dl.PartLoaded(ctx, &PartRecord{Part: "part-a", Rows: 3}); err != nil {
		t.Fatal(err)
	}
	if err := dl.PartLoaded(ctx, &PartRecord{Part: "part-a", Rows: 99}); err != nil {
		t.Fatalf("recording a part twice: %v", err)
	}
	loaded, begun, err := dl.Progress(ctx)
	if err != nil || !loaded["part-a"] || !begun["part-a"] || len(loaded) != 1 {
		t.Errorf("progress %v %v %v", loaded, begun, err)
	}
	recs, err := dl.PartRecords(ctx)
	if err != nil || len(recs) != 1 || recs[0].Rows != 3 {
		t.Errorf("part records %+v %v: the first record must stay", recs, err)
	}

	// Loaded records, newest last; another incarnation knows nothing.
	for _, d := range []discover.Dump{newer, older} {
		if err := inc.Dump(d).MarkLoaded(ctx, &LoadedRecord{Batch: d.Batch, Timestamp: d.Timestamp}, false); err != nil {
			t.Fatal(err)
		}
	}
	ts, _, err := inc.NewestLoaded(ctx)
	if err != nil || ts != newer.Timestamp {
		t.Errorf("newest %q %v, want %s", ts, err, newer.Timestamp)
	}
	if rec, err := inc.Loaded(ctx, older); err != nil || rec == nil || rec.Batch != "b1" {
		t.Errorf("loaded record %+v %v", rec, err)
	}
	if rec, err := l.Incarnation("other").Loaded(ctx, older); err != nil || rec != nil {
		t.Errorf("a new incarnation sees %+v %v", rec, err)
	}
}
