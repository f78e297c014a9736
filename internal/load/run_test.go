package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// memTarget is an in-memory target ("mem://<name>/<namespace>") that lets
// the shared machinery be tested without a database.
type memTarget struct {
	mu     sync.Mutex
	name   string
	ns     string
	tables map[string]*memTable
	nextID int
	whole  bool // tables load whole parts (PartLoader)
	// wrap, when set, gives the table the loader sees.
	wrap func(*memTable) Table
	// clock, when set, is the target's time: rows whose value is "short"
	// expire 10s after they are converted, and Count first moves the
	// clock a minute on (a long load) and skips expired rows.
	clock *atomic.Int64
}

var (
	memMu      sync.Mutex
	memTargets = map[string]*memTarget{}
)

func init() {
	Register("mem", func(_ context.Context, raw string, _ TargetOptions) (Target, error) {
		rest := strings.TrimPrefix(raw, "mem://")
		name, ns, _ := strings.Cut(rest, "/")
		memMu.Lock()
		defer memMu.Unlock()
		mt := memTargets[name]
		if mt == nil {
			mt = &memTarget{name: name, ns: ns, tables: map[string]*memTable{}}
			memTargets[name] = mt
		}
		return mt, nil
	})
}

func newMemTarget(t *testing.T, whole bool) (*memTarget, string) {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	mt := &memTarget{name: name, ns: "ns", tables: map[string]*memTable{}, whole: whole}
	memMu.Lock()
	memTargets[name] = mt
	memMu.Unlock()
	return mt, "mem://" + name + "/ns"
}

func (mt *memTarget) Close() error { return nil }

func (mt *memTarget) Table(_ context.Context, m *manifest.Manifest, opts TableOptions) (Table, error) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	name := opts.Name
	if name == "" {
		name = m.Source.Table.Name
	}
	tb := mt.tables[name]
	if tb == nil {
		if !opts.Create {
			return nil, fault.Usagef("table %s does not exist", name)
		}
		mt.nextID++
		tb = &memTable{mt: mt, name: name, id: fmt.Sprint(mt.nextID), rows: map[string][][]byte{}, writes: map[string]int{}}
		mt.tables[name] = tb
	}
	tb.src = &m.Source.Table
	if mt.wrap != nil {
		return mt.wrap(tb), nil
	}
	if mt.whole {
		return &wholeTable{tb}, nil
	}
	return tb, nil
}

// drop forgets a table (the next Table call creates a new incarnation).
func (mt *memTarget) drop(name string) {
	mt.mu.Lock()
	delete(mt.tables, name)
	mt.mu.Unlock()
}

// memTable has the twelve methods load.Table had before it was split
// into a required interface and optional ones: a table of that shape must
// satisfy every part unchanged, so targets written against it need no
// edits.
var (
	_ Table               = (*memTable)(nil)
	_ RowLoader           = (*memTable)(nil)
	_ Comparer            = (*memTable)(nil)
	_ IdempotenceReporter = (*memTable)(nil)
)

type memTable struct {
	mt        *memTarget
	name, id  string
	src       *schema.Table
	mu        sync.Mutex
	rows      map[string][][]byte
	expires   map[string]int64
	writes    map[string]int // writes per row key
	failAfter int            // fail every write after this many (0: never)
	nwrites   int
}

type memRow struct {
	key     string
	values  [][]byte
	expires int64 // Unix seconds; 0: never
}

func (tb *memTable) Identity() Identity {
	return Identity{Kind: "mem", Cluster: tb.mt.name, Namespace: tb.mt.ns, Table: tb.name}
}
func (tb *memTable) Exists() bool                                { return true }
func (tb *memTable) CheckSchema(context.Context) error           { return nil }
func (tb *memTable) Incarnation(context.Context) (string, error) { return tb.id, nil }
func (tb *memTable) Empty(context.Context) (bool, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return len(tb.rows) == 0, nil
}
func (tb *memTable) Idempotent() bool { return true }
func (tb *memTable) Limits() Limits {
	return Limits{MaxBytes: 1000, InitialBytes: 200, MinBytes: 50}
}

func (tb *memTable) key(r *format.Row) string {
	var parts []string
	for i, c := range tb.src.Columns {
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			parts = append(parts, fmt.Sprintf("%x", r.Values[i]))
		}
	}
	return strings.Join(parts, "/")
}

type memConv struct {
	tb     *memTable
	expiry int64
}

func (c *memConv) Convert(r *format.Row, line int64, dst []Mutation) ([]Mutation, bool, error) {
	vals := cloneRow(r).Values
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	c.expiry = 0
	if clk := c.tb.mt.clock; clk != nil && string(vals[len(vals)-1]) == "short" {
		c.expiry = clk.Load() + 10
	}
	return append(dst, Mutation{Bytes: n, Line: line, Op: memRow{key: c.tb.key(r), values: vals, expires: c.expiry}}), false, nil
}

func (c *memConv) RowExpiry() time.Time {
	if c.expiry == 0 {
		return time.Time{}
	}
	return time.Unix(c.expiry, 0)
}

func (tb *memTable) Converter(PartInfo) (Converter, error) { return &memConv{tb: tb}, nil }

var errMemDown = errors.New("mem target down")

func (tb *memTable) Write(_ context.Context, b *Batch) error {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.failAfter > 0 && tb.nwrites >= tb.failAfter {
		return errMemDown
	}
	tb.nwrites++
	for _, m := range b.Mutations {
		r := m.Op.(memRow)
		tb.rows[r.key] = r.values
		tb.writes[r.key]++
		if r.expires != 0 {
			if tb.expires == nil {
				tb.expires = map[string]int64{}
			}
			tb.expires[r.key] = r.expires
		}
	}
	return nil
}

func (tb *memTable) Classify(error) ErrorKind { return Fatal }

func (tb *memTable) Count(context.Context) (int64, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if clk := tb.mt.clock; clk != nil {
		now := clk.Add(60)
		n := int64(0)
		for k := range tb.rows {
			if e := tb.expires[k]; e == 0 || e > now {
				n++
			}
		}
		return n, nil
	}
	return int64(len(tb.rows)), nil
}

func (tb *memTable) Compare(_ context.Context, p PartInfo, rows []DumpRow) ([]Mismatch, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []Mismatch
	for _, r := range rows {
		got, ok := tb.rows[tb.key(&r.Row)]
		if !ok {
			out = append(out, Mismatch{Part: p.File.Name, Line: r.Line, Detail: "missing"})
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], r.Row.Values[i]) {
				out = append(out, Mismatch{Part: p.File.Name, Line: r.Line, Column: tb.src.Columns[i].Name, Detail: "differs"})
			}
		}
	}
	return out, nil
}

// wholeTable loads whole parts: it reads the proven bytes and stores the
// rows itself. It implements load.Table and PartLoader and nothing else,
// as a target like Snowflake's would: no row-wise stubs, no Compare.
type wholeTable struct{ tb *memTable }

var _ PartLoader = (*wholeTable)(nil)

func (w *wholeTable) Identity() Identity                              { return w.tb.Identity() }
func (w *wholeTable) Exists() bool                                    { return w.tb.Exists() }
func (w *wholeTable) CheckSchema(ctx context.Context) error           { return w.tb.CheckSchema(ctx) }
func (w *wholeTable) Incarnation(ctx context.Context) (string, error) { return w.tb.Incarnation(ctx) }
func (w *wholeTable) Empty(ctx context.Context) (bool, error)         { return w.tb.Empty(ctx) }
func (w *wholeTable) Count(ctx context.Context) (int64, error)        { return w.tb.Count(ctx) }

func (w *wholeTable) LoadPart(ctx context.Context, p PartInfo, open func(context.Context) (io.ReadCloser, error)) (PartRecord, error) {
	rc, err := open(ctx)
	if err != nil {
		return PartRecord{}, err
	}
	defer rc.Close()
	pr, err := format.NewPartReader(rc, p.File.Name)
	if err != nil {
		return PartRecord{}, err
	}
	dec, err := format.NewDecoder(&p.Manifest.Source.Table, nil, decoderOptions(p.Manifest))
	if err != nil {
		return PartRecord{}, err
	}
	var rec PartRecord
	var row format.Row
	for {
		line, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rec, err
		}
		if err := dec.DecodeRow(line, &row); err != nil {
			return rec, err
		}
		w.tb.mu.Lock()
		w.tb.rows[w.tb.key(&row)] = cloneRow(&row).Values
		w.tb.mu.Unlock()
		rec.Rows++
		rec.RowsWritten++
	}
	return rec, nil
}

func memTableSchema() schema.Table {
	return schema.Table{Keyspace: "src", Name: "t", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
}

func memRows(from, n int, v string) []format.Row {
	var out []format.Row
	for i := from; i < from+n; i++ {
		out = append(out, format.Row{Values: [][]byte{loadtest.Int(int32(i)), loadtest.Text(v)}})
	}
	return out
}

func memOpts(t *testing.T, from, to string) Options {
	return Options{From: from, To: to, CreateTable: true, Workers: 4, SpoolDir: t.TempDir(), SpoolBytes: 1 << 20, Run: report.New("loader")}
}

func TestRunLoadsDumpsInOrderOnce(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, false)
	loadtest.Write(t, store, loadtest.Dump{Batch: "d2", Timestamp: "20260102T000000Z", Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 50, "new")}})
	loadtest.Write(t, store, loadtest.Dump{Batch: "d1", Timestamp: "20260101T000000Z", Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 30, "old"), memRows(30, 30, "old")}})
	from := store.Location().String()
	res, err := Run(ctx, memOpts(t, from, to))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dumps) != 2 || res.Dumps[0].Dump != "d1/src.t/20260101T000000Z" || res.Dumps[1].Dump != "d2/src.t/20260102T000000Z" {
		t.Fatalf("order: %+v", res.Dumps)
	}
	tb := mt.tables["t"]
	// The newer dump wrote last: rows 0-49 say "new", 50-59 "old".
	for k, want := range map[int]string{0: "new", 49: "new", 50: "old", 59: "old"} {
		if got := string(tb.rows[fmt.Sprintf("%x", loadtest.Int(int32(k)))][1]); got != want {
			t.Errorf("row %d: %q, want %q", k, got, want)
		}
	}
	if res.Dumps[0].Verify.Result != "passed" || res.Dumps[1].Verify.Result != "skipped" {
		t.Errorf("count verification: %q then %q, want passed then skipped (table not empty)", res.Dumps[0].Verify.Result, res.Dumps[1].Verify.Result)
	}
	res, err = Run(ctx, memOpts(t, from, to))
	if err != nil || len(res.Dumps) != 2 || res.Dumps[0].Outcome != "already loaded" || res.Dumps[1].Outcome != "already loaded" {
		t.Fatalf("second run: %+v %v", res.Dumps, err)
	}
	for k, n := range tb.writes {
		if n > 2 {
			t.Errorf("row %s written %d times by two dumps", k, n)
		}
	}
}

func TestRunResumesWithUnloadedParts(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, false)
	var parts [][]format.Row
	for p := range 6 {
		parts = append(parts, memRows(p*10, 10, "v"))
	}
	_, prefix := loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: parts})
	from := store.Location().String() + "/" + prefix
	// The first run dies after a few writes.
	o := memOpts(t, from, to)
	o.Parts, o.Workers = 1, 1
	mt.tables["t"] = &memTable{mt: mt, name: "t", id: "inc1", rows: map[string][][]byte{}, writes: map[string]int{}, failAfter: 3}
	_, err := Run(ctx, o)
	if !errors.Is(err, errMemDown) || fault.Code(err) != fault.ExitRetry {
		t.Fatalf("first run: %v (exit %d), want the target's failure, retryable", err, fault.Code(err))
	}
	tb := mt.tables["t"]
	before := map[string]int{}
	for k, n := range tb.writes {
		before[k] = n
	}
	tb.failAfter = 0
	res, err := Run(ctx, memOpts(t, from, to))
	if err != nil || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Counts.PartsSkipped == 0 {
		t.Fatalf("resumed run: %+v %v", res.Dumps, err)
	}
	if len(tb.rows) != 60 {
		t.Errorf("%d rows, want 60", len(tb.rows))
	}
	// Rows of parts recorded by the first run were not written again.
	again := 0
	for k, n := range before {
		if tb.writes[k] > n {
			again++
		}
	}
	if again > 10 {
		t.Errorf("%d rows of the first run written again; only the unfinished part's (at most 10) may be", again)
	}
}

func TestRunWholeParts(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, true)
	_, prefix := loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 7, "a"), memRows(7, 5, "b")}})
	res, err := Run(ctx, memOpts(t, store.Location().String()+"/"+prefix, to))
	if err != nil || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Counts.RowsWritten != 12 || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("%+v %v", res.Dumps, err)
	}
	if n := len(mt.tables["t"].rows); n != 12 {
		t.Errorf("%d rows, want 12", n)
	}
}

// A table that loads whole parts and cannot read rows back still loads,
// and --verify full says it was skipped and why instead of passing.
func TestRunWholePartsVerifyFullSkipped(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, true)
	_, prefix := loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 4, "a")}})
	o := memOpts(t, store.Location().String()+"/"+prefix, to)
	o.Verify = VerifyFull
	res, err := Run(ctx, o)
	if err != nil || len(res.Dumps) != 1 {
		t.Fatalf("%+v %v", res.Dumps, err)
	}
	d := res.Dumps[0]
	if d.Outcome != "loaded" || d.Verify.Mode != VerifyFull || d.Verify.Result != "skipped" || !strings.Contains(d.Verify.Detail, "cannot read rows back") {
		t.Errorf("verify %+v, want full skipped because the target cannot read rows back", d.Verify)
	}
	if n := len(mt.tables["t"].rows); n != 4 {
		t.Errorf("%d rows, want 4", n)
	}
	if got := o.Run.Counter("rows"); got != 4 {
		t.Errorf("rows counter %d, want 4", got)
	}
	if ev := o.Run.Events("verify_skipped"); len(ev) != 1 {
		t.Errorf("report events verify_skipped: %v, want one giving the reason", ev)
	}
}

// noLoadTable has neither way of loading: the loader refuses it before
// writing anything.
type noLoadTable struct{ wholeTable }

func (*noLoadTable) LoadPart() {} // shadows wholeTable's: not a PartLoader

func TestRunRefusesTableThatCannotLoad(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, false)
	mt.wrap = func(tb *memTable) Table { return &noLoadTable{wholeTable{tb}} }
	_, prefix := loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 4, "a")}})
	_, err := Run(ctx, memOpts(t, store.Location().String()+"/"+prefix, to))
	if err == nil || !strings.Contains(err.Error(), "neither load.RowLoader nor load.PartLoader") {
		t.Fatalf("err %v, want a refusal naming the missing interfaces", err)
	}
	if n := len(mt.tables["t"].rows); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

func TestRunNewIncarnationLoadsAgain(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, false)
	loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 5, "a")}})
	from := store.Location().String()
	for i, want := range []string{"loaded", "already loaded"} {
		res, err := Run(ctx, memOpts(t, from, to))
		if err != nil || res.Dumps[0].Outcome != want {
			t.Fatalf("run %d: %+v %v, want %s", i, res.Dumps, err, want)
		}
	}
	mt.drop("t")
	res, err := Run(ctx, memOpts(t, from, to))
	if err != nil || res.Dumps[0].Outcome != "loaded" || len(mt.tables["t"].rows) != 5 {
		t.Fatalf("after drop: %+v %v", res.Dumps, err)
	}
}

// A forced reload of an older dump into a table that also holds a newer
// dump's rows cannot be verified by a count: it is skipped, not failed.
func TestForcedReloadSkipsCount(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	_, to := newMemTarget(t, false)
	_, p1 := loadtest.Write(t, store, loadtest.Dump{Batch: "d1", Timestamp: "20260101T000000Z", Table: memTableSchema(), Parts: [][]format.Row{memRows(0, 5, "a")}})
	loadtest.Write(t, store, loadtest.Dump{Batch: "d2", Timestamp: "20260102T000000Z", Table: memTableSchema(), Parts: [][]format.Row{memRows(5, 5, "b")}})
	if _, err := Run(ctx, memOpts(t, store.Location().String(), to)); err != nil {
		t.Fatal(err)
	}
	o := memOpts(t, store.Location().String()+"/"+p1, to)
	o.Force = true
	res, err := Run(ctx, o)
	if err != nil || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "skipped" {
		t.Fatalf("forced reload: %+v %v, want loaded with the count skipped", res.Dumps, err)
	}
}

// Rows whose TTLs run out between the load and the count do not fail
// count verification.
func TestCountAllowsForExpiredRows(t *testing.T) {
	ctx := context.Background()
	store := fileStore(t)
	mt, to := newMemTarget(t, false)
	mt.clock = new(atomic.Int64)
	mt.clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	rows := append(memRows(0, 5, "short"), memRows(5, 5, "long")...)
	_, prefix := loadtest.Write(t, store, loadtest.Dump{Table: memTableSchema(), Parts: [][]format.Row{rows}})
	o := memOpts(t, store.Location().String()+"/"+prefix, to)
	o.Now = func() time.Time { return time.Unix(mt.clock.Load(), 0) }
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Dumps[0]
	if d.Verify.Result != "passed" || d.Verify.Found != 5 || d.Counts.ExpiringRows != 5 {
		t.Errorf("%+v", d)
	}
}
