package cassandra_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
)

// A reject file left by an earlier attempt at a part does not survive a
// clean load of that part: otherwise --verify full would skip its lines
// for ever, and a row lost or changed on one of them would pass.
func TestStaleRejectFileDoesNotHideRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	storeURL, store := s3Store(t, e)
	m, prefix := loadtest.Write(t, store, loadtest.Dump{Table: simpleTable("src", "stale"), Parts: [][]format.Row{simpleRows(0, 20, "a", 0), simpleRows(20, 20, "b", 0)}})
	e.exec("CREATE TABLE " + e.ks + ".stale (k int, c int, v text, PRIMARY KEY (k, c))")
	var id gocql.UUID
	var cluster string
	if err := e.s.Query("SELECT id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = 'stale'", e.ks).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Query("SELECT cluster_name FROM system.local").Scan(&cluster); err != nil {
		t.Fatal(err)
	}
	d, err := discover.NewDump(m.Batch, m.Table, m.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	dl := load.NewLedger(store, load.LedgerDir, load.Identity{Kind: "cassandra", Cluster: cluster, Namespace: e.ks, Table: "stale"}).Incarnation(id.String()).Dump(d)
	part0, part1 := m.Files[0].Name, m.Files[1].Name

	// An earlier attempt at part 0 had lines 1 to 3 refused.
	stale := `{"line":1,"error":"refused by an earlier attempt","row":"{}"}` + "\n" +
		`{"line":2,"error":"refused by an earlier attempt","row":"{}"}` + "\n" +
		`{"line":3,"error":"refused by an earlier attempt","row":"{}"}` + "\n"
	if err := dl.WriteRejects(ctx, part0, []byte(stale)); err != nil {
		t.Fatal(err)
	}

	// This attempt loads part 0 clean, then stops at part 1 (corrupt in
	// the store), so the dump is not yet verified.
	key := prefix + "/" + part1
	good, err := store.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte{}, good...)
	bad[len(bad)/2] ^= 0x20
	if _, err := store.WriteAll(ctx, key, bad, nil); err != nil {
		t.Fatal(err)
	}
	o := e.opts(storeURL)
	o.CreateTable, o.Parts = false, 1
	if _, err := load.Run(ctx, o); fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), part1) {
		t.Fatalf("load with part 1 corrupt: %v (exit %d), want a verification failure naming it", err, fault.Code(err))
	}
	if n := e.count("stale"); n != 20 {
		t.Fatalf("%d rows after part 0 loaded, want 20", n)
	}
	if _, err := store.ReadAll(ctx, dl.RejectsKey(part0)); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("reject file of part 0 after it loaded clean: %v, want it deleted", err)
	}

	// Rows on lines 1 and 2 of part 0 lost and changed; the part is
	// repaired and the load resumed: --verify full must see both.
	if _, err := store.WriteAll(ctx, key, good, nil); err != nil {
		t.Fatal(err)
	}
	e.exec("DELETE FROM " + e.ks + ".stale WHERE k = 0 AND c = 0")
	e.exec("UPDATE " + e.ks + ".stale SET v = 'changed' WHERE k = 0 AND c = 1")
	o = e.opts(storeURL)
	o.CreateTable = false
	_, err = load.Run(ctx, o)
	if fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), "2 of 40 rows differ") ||
		!strings.Contains(err.Error(), part0+" line 1 ") || !strings.Contains(err.Error(), part0+" line 2 ") {
		t.Fatalf("verify full after rows on lines 1 and 2 of %s were lost and changed: %v (exit %d), want exit 3 naming both", part0, err, fault.Code(err))
	}
	objs, _, err := store.ListAll(ctx, load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ob := range objs {
		if strings.Contains(ob.Key, "/loaded/") {
			t.Errorf("recorded as loaded: %s", ob.Key)
		}
	}
}
