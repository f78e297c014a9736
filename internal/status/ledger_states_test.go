package status

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// ledgerRoot is a file:// root with complete dumps (the exporter's
// _SUCCESS note only: status reads nothing else of a complete dump) and
// ledgers written by the loader's own ledger code, for the load and
// verify states a real target cannot easily be brought to: a failed
// verification, a load begun and not finished, a skipped verification,
// a superseded dump.
type ledgerRoot struct {
	t   *testing.T
	ctx context.Context
	url string
	b   *objstore.Bucket
	now time.Time
}

func newLedgerRoot(t *testing.T) *ledgerRoot {
	dir := t.TempDir()
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &ledgerRoot{t: t, ctx: context.Background(), url: u, b: b, now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
}

// exported writes a complete dump of table finished at.
func (r *ledgerRoot) exported(batch, table, ts string, at time.Time) discover.Dump {
	r.t.Helper()
	d, err := discover.NewDump(batch, table, ts)
	if err != nil {
		r.t.Fatal(err)
	}
	note, _ := json.Marshal(manifest.ExportedNote{Format: manifest.FormatExported, Dump: d.String(), Rows: 10, StoredBytes: 100, Files: 1, FinishedAt: at})
	if _, err := r.b.WriteAll(r.ctx, d.SuccessKey(), note, nil); err != nil {
		r.t.Fatal(err)
	}
	return d
}

func (r *ledgerRoot) incarnation(table string) *load.Incarnation {
	return load.NewLedger(r.b, load.LedgerDir, load.Identity{Kind: "cassandra", Cluster: "prod", Namespace: "restore", Table: table}).Incarnation("inc-1")
}

func (r *ledgerRoot) loaded(in *load.Incarnation, d discover.Dump, at time.Time, v load.VerifyResult) {
	r.t.Helper()
	rec := &load.LoadedRecord{Batch: d.Batch, Table: d.Table, Timestamp: d.Timestamp, Target: "cassandra:prod/restore." + strings.Split(d.Table, ".")[1],
		Started: at.Add(-time.Minute), Finished: at, Counts: load.Counts{Rows: 10, RowsWritten: 10}, Verify: v}
	if err := in.Dump(d).MarkLoaded(r.ctx, rec, false); err != nil {
		r.t.Fatal(err)
	}
}

func (r *ledgerRoot) started(in *load.Incarnation, d discover.Dump, at time.Time) *load.DumpLedger {
	r.t.Helper()
	dl := in.Dump(d)
	if _, _, err := dl.Started(r.ctx, &load.StartedRecord{Dump: d.String(), Started: at, EmptyBefore: true}); err != nil {
		r.t.Fatal(err)
	}
	return dl
}

// loadStates builds the report at r.now and returns it with the load
// and verify stages' states, by "dump stage", " behind" appended where
// they are behind.
func (r *ledgerRoot) loadStates() (*Report, map[string]string) {
	r.t.Helper()
	rep, err := Build(r.ctx, Config{Roots: []string{r.url}, MaxLag: 6 * time.Hour, Now: func() time.Time { return r.now }})
	if err != nil {
		r.t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range rep.Dumps {
		for _, s := range d.Stages {
			if s.Stage == StageLoad || s.Stage == StageVerify {
				got[d.Name()+" "+s.Stage] = s.State + map[bool]string{true: " behind"}[s.Behind]
			}
		}
	}
	return rep, got
}

func TestLedgerStates(t *testing.T) {
	r := newLedgerRoot(t)
	t0 := r.now.Add(-10 * time.Hour)
	users := r.incarnation("users")
	orders := r.incarnation("orders")

	// ks.users: d1 loaded (verification skipped), d2 begun and its count
	// verification failed, d0 older than the loaded d1: superseded.
	d0 := r.exported("b0", "ks.users", "20261206T000000Z", t0)
	d1 := r.exported("b1", "ks.users", "20261206T010000Z", t0.Add(time.Hour))
	d2 := r.exported("b2", "ks.users", "20261206T020000Z", t0.Add(2*time.Hour))
	r.loaded(users, d1, t0.Add(90*time.Minute), load.VerifyResult{Mode: "count", Result: "skipped", Detail: "the table held rows", At: t0.Add(90 * time.Minute)})
	dl := r.started(users, d2, t0.Add(3*time.Hour))
	if err := dl.WriteVerify(r.ctx, load.VerifyResult{Mode: "count", Result: "failed", Detail: "holds 9 rows, the dump 10", Expected: 10, Found: 9, At: t0.Add(4 * time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	// ks.orders: d3 begun, not finished, for 7h.
	d3 := r.exported("b1", "ks.orders", "20261206T010000Z", t0.Add(time.Hour))
	r.loaded(orders, r.exported("b0", "ks.orders", "20261206T000000Z", t0), t0.Add(time.Minute), load.VerifyResult{Mode: "count", Result: "passed", Found: 10, At: t0.Add(time.Minute)})
	r.started(orders, d3, t0.Add(3*time.Hour))

	rep, got := r.loadStates()
	want := map[string]string{
		d0.String() + " load":                  StateSuperseded,
		d1.String() + " load":                  StateDone,
		d1.String() + " verify":                StateSkipped,
		d2.String() + " load":                  StateRunning + " behind",
		d2.String() + " verify":                StateFailed + " behind",
		d3.String() + " load":                  StateRunning + " behind",
		d3.String() + " verify":                StatePending,
		"b0/ks.orders/20261206T000000Z load":   StateDone,
		"b0/ks.orders/20261206T000000Z verify": StateDone,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	if len(rep.Behind) != 3 {
		t.Errorf("behind %q, want d2's load and verification and d3's load", rep.Behind)
	}
}

// A loader run with --state keeps its ledger in another store, below
// "loads/": status --state reads it there.
func TestLedgerInStateStore(t *testing.T) {
	r := newLedgerRoot(t)
	state := newLedgerRoot(t)
	t0 := r.now.Add(-time.Hour)
	d := r.exported("b1", "ks.users", "20261206T010000Z", t0)
	in := load.NewLedger(state.b, "loads/", load.Identity{Kind: "cassandra", Cluster: "prod", Namespace: "restore", Table: "users"}).Incarnation("inc-1")
	state.loaded(in, d, t0.Add(time.Minute), load.VerifyResult{Mode: "count", Result: "passed", Found: 10, At: t0.Add(time.Minute)})

	for _, states := range [][]string{nil, {state.url}} {
		rep, err := Build(r.ctx, Config{Roots: []string{r.url}, States: states, Now: func() time.Time { return r.now }})
		if err != nil {
			t.Fatal(err)
		}
		var loads []string
		for _, s := range rep.Dumps[0].Stages {
			if s.Stage == StageLoad {
				loads = append(loads, s.Where+" "+s.State)
			}
		}
		want := []string{}
		if states != nil {
			want = []string{"cassandra:prod/restore.users done"}
		}
		if strings.Join(loads, ",") != strings.Join(want, ",") {
			t.Errorf("--state %v: loads %q, want %q", states, loads, want)
		}
	}
}

// A second root is a ship destination: complete there (the shipper's
// note), being copied (files, no _SUCCESS), or not there.
func TestShipStates(t *testing.T) {
	src, dst := newLedgerRoot(t), newLedgerRoot(t)
	t0 := src.now.Add(-time.Hour)
	var dumps []discover.Dump
	for _, b := range []string{"b1", "b2", "b3"} {
		dumps = append(dumps, src.exported(b, "ks.users", "20261206T010000Z", t0))
	}
	note, _ := json.Marshal(manifest.ShippedNote{Format: manifest.FormatShipped, Dump: dumps[0].String(), Rows: 10, ShippedAt: t0.Add(5 * time.Minute)})
	for key, data := range map[string][]byte{dumps[0].SuccessKey(): note, dumps[1].Key("part-00-a-0.ndjson.zst"): []byte("x")} {
		if _, err := dst.b.WriteAll(dst.ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Build(src.ctx, Config{Roots: []string{src.url, dst.url}, Now: func() time.Time { return src.now }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range rep.Dumps {
		for _, s := range d.Stages {
			if s.Stage == StageShip && s.Where == rep.Roots[1] {
				got = append(got, fmt.Sprintf("%s %s %s", d.Batch, s.State, LagText(s)))
			}
		}
	}
	want := []string{"b1 done +5m00s", "b2 running waiting 1h00m", "b3 pending waiting 1h00m"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ship stages %q, want %q", got, want)
	}
}

// TestLedgerLongTableName: the loaded record of a dump whose batch and
// table make too long a name holds a hash in their place
// (load.LoadedName); status still finds it, both for the dump it reports
// on and as the newest load that supersedes an older dump.
func TestLedgerLongTableName(t *testing.T) {
	r := newLedgerRoot(t)
	t0 := r.now.Add(-2 * time.Hour)
	table := "dynamodb." + strings.Repeat("x", 246)
	in := r.incarnation("long")
	older := r.exported("2026-12-05", table, "20261205T000000Z", t0)
	newer := r.exported("2026-12-06", table, "20261206T000000Z", t0.Add(time.Hour))
	if n := load.LoadedName(newer); len(n) > 255 {
		t.Fatalf("record name of %d bytes", len(n))
	}
	r.loaded(in, newer, t0.Add(90*time.Minute), load.VerifyResult{Mode: "count", Result: "passed", Found: 10, At: t0.Add(90 * time.Minute)})
	_, got := r.loadStates()
	if got[newer.String()+" load"] != StateDone || got[older.String()+" load"] != StateSuperseded {
		t.Errorf("load states %v, want the newer done and the older superseded", got)
	}
}
