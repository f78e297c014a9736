package load

import (
	"context"
	"encoding/json"
	"strings"
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

// TestLedgerLongTableName: a dump of a table whose name is near the
// 255-byte limit of a dump path's segment (a DynamoDB table of 246
// characters) is recorded as loaded in a file:// ledger, whose file
// names stop at 255 bytes too, and found again. (Named
// <timestamp>.<batch>.<table>.json, its record was too long a file
// name, and the load failed at its last step.)
func TestLedgerLongTableName(t *testing.T) {
	ctx := context.Background()
	l := NewLedger(fileStore(t), LedgerDir, Identity{Kind: "cassandra", Cluster: "c", Namespace: "ks", Table: "t"})
	inc := l.Incarnation("5a0c-id")
	long := "dynamodb." + strings.Repeat("x", 246)
	d1, err := discover.NewDump("2026-12-06", long, "20261206T000000Z")
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := discover.NewDump("2026-12-07", long, "20261206T000000Z")
	for _, d := range []discover.Dump{d1, d2} {
		if n := LoadedName(d); len(n) > 255 || !strings.HasPrefix(n, d.Timestamp+".") {
			t.Fatalf("loaded record name %q: %d bytes, want at most 255, the timestamp first", n, len(n))
		}
		if err := inc.Dump(d).MarkLoaded(ctx, &LoadedRecord{Batch: d.Batch, Table: d.Table, Timestamp: d.Timestamp}, false); err != nil {
			t.Fatalf("recording %s loaded: %v", d.Batch, err)
		}
	}
	if LoadedName(d1) == LoadedName(d2) {
		t.Errorf("two dumps' records share the name %s", LoadedName(d1))
	}
	for _, d := range []discover.Dump{d1, d2} {
		if rec, err := inc.Loaded(ctx, d); err != nil || rec == nil || rec.Batch != d.Batch {
			t.Errorf("loaded record of %s: %+v %v", d.Batch, rec, err)
		}
	}
	short, _ := discover.NewDump("b1", "ks.t", "20260101T000000Z")
	if n := LoadedName(short); n != "20260101T000000Z.b1.ks.t.json" {
		t.Errorf("a short name changed: %s", n)
	}

	// A record an earlier loader wrote under the long name (S3 and GCS
	// keys hold it) is still found. Here names count as long from 40
	// bytes, which a file:// store holds.
	defer func(n int) { maxRecordName = n }(maxRecordName)
	maxRecordName = 40
	d3, _ := discover.NewDump("2026-12-08", "dynamodb.orders_by_region", "20261206T000000Z")
	old := d3.Timestamp + "." + d3.Batch + "." + d3.Table + ".json"
	if LoadedName(d3) == old {
		t.Fatalf("%s is not a long name", old)
	}
	if rec, err := inc.Loaded(ctx, d3); err != nil || rec != nil {
		t.Fatalf("before any record: %+v %v", rec, err)
	}
	data, _ := json.Marshal(&LoadedRecord{Batch: d3.Batch, Table: d3.Table, Timestamp: d3.Timestamp})
	if _, err := l.b.WriteAll(ctx, inc.prefix+"loaded/"+old, data, nil); err != nil {
		t.Fatal(err)
	}
	if rec, err := inc.Loaded(ctx, d3); err != nil || rec == nil || rec.Batch != d3.Batch {
		t.Errorf("a record under the long name: %+v %v", rec, err)
	}
}
