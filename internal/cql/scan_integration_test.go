package cql_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/schema"
)

// scanAll reads the whole table through the ring's splits and returns
// the rows by their first column's raw bytes, failing on a row seen twice.
func scanAll(t *testing.T, s *cql.Session, spec cql.ScanSpec, splits int) (map[string]cql.Row, *cql.Scanner) {
	t.Helper()
	ctx := context.Background()
	sc, err := cql.NewScanner(s, spec, nil, report.New("test"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := cql.ReadRing(ctx, s, murmur(t), spec.Table.Keyspace)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]cql.Row{}
	for _, sp := range cql.Splits(ring, nil, cql.SplitOptions{Count: splits}) {
		err := sc.Scan(ctx, ring.Partitioner, sp.Range, func(p *cql.Page) error {
			defer p.Release()
			for _, r := range p.Rows {
				// Copy: the page's memory is reused after Release.
				c := cql.Row{}
				for _, v := range r.Values {
					c.Values = append(c.Values, clone(v))
				}
				for _, v := range r.Writetime {
					c.Writetime = append(c.Writetime, clone(v))
				}
				for _, v := range r.TTL {
					c.TTL = append(c.TTL, clone(v))
				}
				key := fmt.Sprintf("%x/%x", c.Values[0], c.Values[1])
				if _, dup := rows[key]; dup {
					return fmt.Errorf("row %s read twice", key)
				}
				rows[key] = c
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows, sc
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func murmur(t *testing.T) *cql.Partitioner {
	p, err := cql.PartitionerByName(cql.Murmur3)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const allTypesDDL = `CREATE TABLE %s.all (
	k int, c int,
	a ascii, bi bigint, bl blob, bo boolean, da date, de decimal, do double, du duration,
	fl float, ip inet, i int, si smallint, te text, ti time, ts timestamp, tu timeuuid,
	tin tinyint, u uuid, vc varchar, vi varint,
	li list<int>, se set<text>, ma map<text, int>, fli frozen<list<int>>,
	tup tuple<int, text>, ud addr, fud frozen<addr>, ve vector<float, 3>,
	nest map<int, frozen<list<frozen<addr>>>>,
	st text STATIC,
	PRIMARY KEY (k, c))`

func TestScanAllTypesRaw(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TYPE "+ks+".addr (street text, zip int)", fmt.Sprintf(allTypesDDL, ks))
	cqltest.Exec(t, s,
		"INSERT INTO "+ks+`.all (k, c, a, bi, bl, bo, da, de, do, du, fl, ip, i, si, te, ti, ts, tu, tin, u, vc, vi,
			li, se, ma, fli, tup, ud, fud, ve, nest, st) VALUES (1, 1, 'ascii', -9223372036854775808, 0xcafe, true,
			'2024-02-29', 123456789012345678901234567890.000000001, -0.0, 1y2mo3d4h5m6s7ms8us9ns, 3.4028235e38,
			'::1', -2147483648, -32768, 'héllo', '23:59:59.999999999', '1969-12-31 23:59:59.999+0000',
			50554d6e-29bb-11e5-b345-feff819cdc9f, -128, 123e4567-e89b-12d3-a456-426614174000, '', -123456789012345678901234567890,
			[1, 2, 2], {'x', 'y'}, {'a': 1}, [3], (7, null), {street: 'rue', zip: 75001}, {street: null, zip: 1},
			[1.5, -2.5, NaN], {1: [{street: 's', zip: 2}]}, 'static') USING TTL 86400`,
		"INSERT INTO "+ks+".all (k, c, tup, bl, te, li) VALUES (1, 2, (null, null), 0x, '', [])",
		"INSERT INTO "+ks+".all (k, c) VALUES (2, 1)",
		"UPDATE "+ks+".all SET li = li + [9] WHERE k = 2 AND c = 1",
	)
	tab, _, err := cql.ReadTable(context.Background(), s, ks, "all")
	if err != nil {
		t.Fatal(err)
	}
	var cols []*schema.Column
	for i := range tab.Columns {
		cols = append(cols, &tab.Columns[i])
	}
	rows, sc := scanAll(t, s, cql.ScanSpec{Table: tab, Columns: cols, Writetime: true, TTL: true, PageSize: 2}, 8)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if !strings.Contains(sc.Statement(), `WRITETIME(li)`) || strings.Contains(sc.Statement(), "WRITETIME(k)") {
		t.Errorf("statement %s", sc.Statement())
	}

	// Every non-tuple value equals what gocql reads into a Raw directly.
	for _, col := range cols {
		if col.T.Kind == schema.Tuple {
			continue
		}
		iter := s.Driver().Query(fmt.Sprintf("SELECT k, c, %s FROM %s.all", schema.QuoteIdent(col.Name), ks)).Iter()
		var k, c, v cql.Raw
		n := 0
		for iter.Scan(&k, &c, &v) {
			n++
			key := fmt.Sprintf("%x/%x", []byte(k), []byte(c))
			got := rows[key].Values[indexOf(cols, col.Name)]
			if !bytes.Equal(got, v) || (got == nil) != (v == nil) {
				t.Errorf("row %s column %s: scanned %x (nil %v), direct %x (nil %v)", key, col.Name, got, got == nil, []byte(v), v == nil)
			}
		}
		if err := iter.Close(); err != nil || n != 3 {
			t.Fatalf("direct read of %s: %v (%d rows)", col.Name, err, n)
		}
	}

	// Tuples: (7, null), a present tuple of nulls, and a missing one.
	tupIdx := indexOf(cols, "tup")
	want := map[string][]byte{
		key(1, 1): cqltest.TupleWire(i32(7), nil),
		key(1, 2): cqltest.TupleWire(nil, nil),
		key(2, 1): nil,
	}
	for k, w := range want {
		got := rows[k].Values[tupIdx]
		if !bytes.Equal(got, w) || (got == nil) != (w == nil) {
			t.Errorf("row %s tup = %x (nil %v), want %x (nil %v)", k, got, got == nil, w, w == nil)
		}
	}

	// WRITETIME and TTL: present for set cells, null for unset ones; a
	// list per element for a non-frozen collection.
	timed := sc.Timed()
	for ti, ci := range timed {
		name := cols[ci].Name
		r := rows[key(1, 1)]
		if r.Writetime[ti] == nil {
			t.Errorf("row 1/1: no writetime for %s", name)
		}
		if r.TTL[ti] == nil {
			t.Errorf("row 1/1: no TTL for %s", name)
		}
		r2 := rows[key(2, 1)]
		if name == "li" {
			// list<bigint> of one element: [int32 n=1][int32 len=8][8 bytes]
			if len(r2.Writetime[ti]) != 4+4+8 || binary.BigEndian.Uint32(r2.Writetime[ti]) != 1 {
				t.Errorf("row 2/1: writetime of li = %x, want a one-element list", r2.Writetime[ti])
			}
		} else if name != "st" && r2.Writetime[ti] != nil {
			t.Errorf("row 2/1: writetime of unset %s = %x, want null", name, r2.Writetime[ti])
		}
	}
}

func key(k, c int32) string { return fmt.Sprintf("%x/%x", i32(k), i32(c)) }

func i32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func indexOf(cols []*schema.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	panic(name)
}

func TestScanCoversRingExactlyOnce(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k bigint, c int, v text, PRIMARY KEY (k, c))")
	const n = 3000
	cqltest.Insert(t, s, "INSERT INTO "+ks+".kv (k, c, v) VALUES (?, ?, ?)", n, 64, func(i int) []any {
		// Keys spread over the ring, a few rows per partition.
		return []any{int64(i / 3), i % 3, fmt.Sprint(i)}
	})
	tab, _, err := cql.ReadTable(context.Background(), s, ks, "kv")
	if err != nil {
		t.Fatal(err)
	}
	cols := []*schema.Column{tab.Column("k"), tab.Column("c"), tab.Column("v")}
	for _, splits := range []int{1, 7, 200} {
		rows, _ := scanAll(t, s, cql.ScanSpec{Table: tab, Columns: cols, PageSize: 50}, splits)
		if len(rows) != n {
			t.Errorf("splits %d: %d rows, want %d", splits, len(rows), n)
		}
	}
}

func TestScanBadWhereIsUsageError(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int PRIMARY KEY, v int)", "INSERT INTO "+ks+".kv (k, v) VALUES (1, 1)")
	tab, _, err := cql.ReadTable(context.Background(), s, ks, "kv")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cql.NewScanner(s, cql.ScanSpec{Table: tab, Columns: []*schema.Column{tab.Column("k")}, Where: "v = 1"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := murmur(t)
	err = sc.Scan(context.Background(), p, cql.Range{Start: p.Min, End: p.Min}, func(pg *cql.Page) error { pg.Release(); return nil })
	if err == nil || fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), "ALLOW FILTERING") {
		t.Fatalf("scan with a filter needing ALLOW FILTERING: %v (exit %d), want a usage error", err, fault.Code(err))
	}
	sc, err = cql.NewScanner(s, cql.ScanSpec{Table: tab, Columns: []*schema.Column{tab.Column("k")}, Where: "v = 1", AllowFiltering: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = sc.Scan(context.Background(), p, cql.Range{Start: p.Min, End: p.Min}, func(pg *cql.Page) error { n += len(pg.Rows); pg.Release(); return nil })
	if err != nil || n != 1 {
		t.Fatalf("scan with ALLOW FILTERING: %d rows, %v", n, err)
	}
}

// Pages that fail with retryable errors are requested again from the same
// paging state: every row is read exactly once, and the retries counted.
func TestScanRetriesResumeFromPageState(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int, c int, PRIMARY KEY (k, c))")
	const n = 2000
	cqltest.InsertBatches(t, s, "INSERT INTO "+ks+".kv (k, c) VALUES (?, ?)", n, 100, 16, func(i int) []any { return []any{i / 100, i % 100} })
	tab, _, err := cql.ReadTable(context.Background(), s, ks, "kv")
	if err != nil {
		t.Fatal(err)
	}
	run := report.New("test")
	spec := cql.ScanSpec{Table: tab, Columns: []*schema.Column{tab.Column("k"), tab.Column("c")}, PageSize: 37,
		Retry: throttle.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 4}}
	sc, err := cql.NewScanner(s, spec, nil, run)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	cql.SetFault(sc, func() error {
		calls++
		if calls%3 != 0 { // two failures, then success: within 4 attempts
			return &gocql.RequestErrReadTimeout{}
		}
		return nil
	})
	p := murmur(t)
	seen := map[string]int{}
	err = sc.Scan(context.Background(), p, cql.Range{Start: p.Min, End: p.Min}, func(pg *cql.Page) error {
		for _, r := range pg.Rows {
			seen[fmt.Sprintf("%x/%x", r.Values[0], r.Values[1])]++
		}
		pg.Release()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d distinct rows, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("row %s read %d times", k, c)
		}
	}
	pages := run.Counter("pages")
	if pages < n/37 || run.Counter("retries") != 2*pages {
		t.Errorf("%d pages, %d retries; want 2 retries per page", pages, run.Counter("retries"))
	}

	// A page that keeps failing fails the scan, retryable (exit 1).
	cql.SetFault(sc, func() error { return &gocql.RequestErrUnavailable{} })
	err = sc.Scan(context.Background(), p, cql.Range{Start: p.Min, End: p.Min}, func(pg *cql.Page) error { pg.Release(); return nil })
	if err == nil || fault.Code(err) != fault.ExitRetry || !strings.Contains(err.Error(), "giving up after 4 attempts") {
		t.Fatalf("scan with a page failing for good: %v (exit %d)", err, fault.Code(err))
	}
}

// Raw binds bytes unchanged and reads them back unchanged; nil is null,
// empty is empty.
func TestRawRoundTrip(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".r (k int PRIMARY KEY, b blob, m map<text, int>, t text)")
	m := []byte{0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0, 4, 0, 0, 0, 7} // {'a': 7}
	if err := s.Driver().Query("INSERT INTO "+ks+".r (k, b, m, t) VALUES (?, ?, ?, ?)",
		cql.Raw(i32(1)), cql.Raw([]byte{}), cql.Raw(m), cql.Raw(nil)).Exec(); err != nil {
		t.Fatal(err)
	}
	var b, gm, gt cql.Raw
	if err := s.Driver().Query("SELECT b, m, t FROM "+ks+".r WHERE k = 1").Scan(&b, &gm, &gt); err != nil {
		t.Fatal(err)
	}
	if b == nil || len(b) != 0 || !bytes.Equal(gm, m) || gt != nil {
		t.Fatalf("read back b=%x (nil %v) m=%x t=%x (nil %v)", []byte(b), b == nil, []byte(gm), []byte(gt), gt == nil)
	}
}
