package export_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

const allTypesDDL = `CREATE TABLE %s.all (
	k int, c int,
	a ascii, bi bigint, bl blob, bo boolean, da date, de decimal, do double, du duration,
	fl float, ip inet, i int, si smallint, te text, ti time, ts timestamp, tu timeuuid,
	tin tinyint, u uuid, vc varchar, vi varint,
	li list<int>, se set<text>, ma map<text, int>, mi map<int, text>, fli frozen<list<int>>,
	tup tuple<int, text>, ud addr, fud frozen<addr>, ve vector<float, 3>,
	nest map<int, frozen<list<frozen<addr>>>>,
	st text STATIC,
	PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)`

// Every CQL type, with writetimes and TTLs, survives the export and
// decodes to exactly the bytes gocql reads from the table directly.
func TestExportEveryTypeExact(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TYPE "+ks+".addr (street text, zip int)", fmt.Sprintf(allTypesDDL, ks))
	cqltest.Exec(t, s,
		"INSERT INTO "+ks+`.all (k, c, a, bi, bl, bo, da, de, do, du, fl, ip, i, si, te, ti, ts, tu, tin, u, vc, vi,
			li, se, ma, mi, fli, tup, ud, fud, ve, nest, st) VALUES (1, 1, 'ascii', -9223372036854775808, 0xcafe, true,
			'-5877641-06-23', 123456789012345678901234567890.000000001, -0.0, -1y2mo3d4h5m6s7ms8us9ns, NaN,
			'::ffff:1.2.3.4', -2147483648, -32768, 'héllo "q" \n', '23:59:59.999999999', -62135596800001,
			50554d6e-29bb-11e5-b345-feff819cdc9f, -128, 123e4567-e89b-12d3-a456-426614174000, '', -123456789012345678901234567890,
			[1, 2, 2], {'x', 'y'}, {'a': 1, 'b': -1}, {3: 'three'}, [3], (7, null), {street: 'rue', zip: 75001}, {street: null, zip: 1},
			[1.5, -2.5, -Infinity], {1: [{street: 's', zip: 2}]}, 'static') USING TTL 86400 AND TIMESTAMP 1234567890123456`,
		"INSERT INTO "+ks+".all (k, c, tup, bl, te, li, ma) VALUES (1, 2, (null, null), 0x, '', [], {}) USING TIMESTAMP 42",
		"INSERT INTO "+ks+".all (k, c) VALUES (2, 1)",
		"UPDATE "+ks+".all USING TTL 5000 SET li = li + [9], ma['z'] = 26 WHERE k = 2 AND c = 1",
		"UPDATE "+ks+".all SET li = li + [10], ud.zip = 9 WHERE k = 2 AND c = 1",
	)
	dest := fileDest(t)
	res, err := runExport(t, export.Config{
		Source: cqltest.URL(t), Table: ks + ".all", Dest: dest, Batch: "b1",
		Writetime: true, TTL: true, PageSize: 1, Parallel: 3, PartBytes: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Manifest.Totals.Rows != 3 {
		t.Fatalf("result %+v", res)
	}
	root := openRoot(t, dest)
	d := readDump(t, root, res.Dump)
	m := d.m
	if !m.Options.Writetime || !m.Options.TTL || m.Source.Table.CQL == "" || len(m.Source.Table.UserTypes) != 1 {
		t.Fatalf("manifest options/source: %+v / %+v", m.Options, m.Source.Table.UserTypes)
	}
	// The two partitions may share a unit (small adjacent ranges are
	// grouped, and a fresh cluster's tokens are random), so the number of
	// parts varies; none may be empty.
	for _, f := range m.Files {
		if f.Rows == 0 {
			t.Errorf("part %s has no rows", f.Name)
		}
	}
	byKey := map[string]format.Row{}
	for _, r := range d.rows {
		byKey[fmt.Sprintf("%x/%x", r.Values[0], r.Values[1])] = r
	}
	cols := m.Options.Columns
	tab := &m.Source.Table
	for ci, name := range cols {
		col := tab.Column(name)
		q := fmt.Sprintf("SELECT k, c, %s", schema.QuoteIdent(name))
		timed := cql.Timed(col)
		if timed {
			q += fmt.Sprintf(", WRITETIME(%s), TTL(%s)", schema.QuoteIdent(name), schema.QuoteIdent(name))
		}
		iter := s.Driver().Query(q + " FROM " + ks + ".all").Iter()
		var k, c, v, wt, ttl cql.Raw
		dest := []any{&k, &c, &v}
		if timed {
			dest = append(dest, &wt, &ttl)
		}
		if col.T.Kind == schema.Tuple {
			// gocql scans a tuple element by element; compare with the
			// values inserted instead.
			iter.Close()
			continue
		}
		n := 0
		for iter.Scan(dest...) {
			n++
			key := fmt.Sprintf("%x/%x", []byte(k), []byte(c))
			r, ok := byKey[key]
			if !ok {
				t.Fatalf("row %s missing from the dump", key)
			}
			got := r.Values[ci]
			if !bytes.Equal(got, v) || (got == nil) != (v == nil) {
				t.Errorf("row %s %s: dump %x (null %v), source %x (null %v)", key, name, got, got == nil, []byte(v), v == nil)
			}
			if !timed {
				continue
			}
			wtT, ttlT := "bigint", "int"
			if col.T.MultiCell() {
				wtT, ttlT = "list<bigint>", "list<int>"
			}
			wantWT := decodeNums(t, wtT, wt)
			wantTTL := decodeNums(t, ttlT, ttl)
			if !slices.Equal(r.Writetime[ci], wantWT) {
				t.Errorf("row %s %s: writetime %v, source %v", key, name, r.Writetime[ci], wantWT)
			}
			// TTLs count down between the export and this read: allow a
			// few seconds, never more than the source's.
			if len(r.TTL[ci]) != len(wantTTL) {
				t.Errorf("row %s %s: ttl %v, source %v", key, name, r.TTL[ci], wantTTL)
			}
			for j := range wantTTL {
				if g, w := r.TTL[ci][j], wantTTL[j]; g != w && (w == format.NullElement || g == format.NullElement || g < w || g > w+30) {
					t.Errorf("row %s %s: ttl %v, source %v", key, name, r.TTL[ci], wantTTL)
				}
			}
		}
		if err := iter.Close(); err != nil || n != 3 {
			t.Fatalf("read %s directly: %v (%d rows)", name, err, n)
		}
	}
	ti := slices.Index(cols, "tup")
	for key, want := range map[string][]byte{
		fmt.Sprintf("%x/%x", be32(1), be32(1)): cqltest.TupleWire(be32(7), nil),
		fmt.Sprintf("%x/%x", be32(1), be32(2)): cqltest.TupleWire(nil, nil),
		fmt.Sprintf("%x/%x", be32(2), be32(1)): nil,
	} {
		got := byKey[key].Values[ti]
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("row %s tup: %x (null %v), want %x (null %v)", key, got, got == nil, want, want == nil)
		}
	}
	// The writetime the statement set, exactly.
	r11 := byKey[fmt.Sprintf("%x/%x", be32(1), be32(1))]
	if w := r11.Writetime[slices.Index(cols, "te")]; len(w) != 1 || w[0] != 1234567890123456 {
		t.Errorf("writetime of te = %v, want [1234567890123456]", w)
	}
	for _, f := range m.Files {
		if f.ReadAt.IsZero() || f.ReadAt.After(m.Totals.Finished) || f.ReadAt.Before(m.Totals.Started) {
			t.Errorf("part %s read_at %v outside the dump's %v..%v", f.Name, f.ReadAt, m.Totals.Started, m.Totals.Finished)
		}
	}

	// A second run finds the dump complete and touches nothing.
	again, err := runExport(t, export.Config{Source: cqltest.URL(t), Table: ks + ".all", Dest: dest, Batch: "b1", Writetime: true, TTL: true})
	if err != nil || !again.AlreadyComplete || again.Dump != res.Dump {
		t.Fatalf("second run: %+v, %v; want already complete", again, err)
	}
}

func decodeNums(t testing.TB, typ string, raw []byte) []int64 {
	t.Helper()
	tt, err := schema.Parse(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := format.DecodeInt64s(tt, raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// A counter table (no writetimes: counters have none) and an empty table
// export exactly; the empty one is a complete dump of no parts.
func TestExportCountersAndEmpty(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s,
		"CREATE TABLE "+ks+".hits (page text, day int, views counter, clicks counter, PRIMARY KEY (page, day))",
		"CREATE TABLE "+ks+".empty (k int PRIMARY KEY)",
		"UPDATE "+ks+".hits SET views = views + 9223372036854775807, clicks = clicks - 5 WHERE page = 'a' AND day = 1",
		"UPDATE "+ks+".hits SET views = views + 1 WHERE page = 'b' AND day = 2",
	)
	dest := fileDest(t)
	res, err := runExport(t, export.Config{Source: cqltest.URL(t), Table: ks + ".hits", Dest: dest, Batch: "c", Writetime: true, TTL: true})
	if err != nil {
		t.Fatal(err)
	}
	d := readDump(t, openRoot(t, dest), res.Dump)
	if !d.m.Source.Table.Counter || d.m.Totals.Rows != 2 {
		t.Fatalf("counter table: counter %v, %d rows", d.m.Source.Table.Counter, d.m.Totals.Rows)
	}
	want := map[string][2][]byte{
		"a": {be64(9223372036854775807), be64(-5)},
		"b": {be64(1), nil},
	}
	for _, r := range d.rows {
		w := want[string(r.Values[0])]
		// columns: page, day, clicks, views
		if !bytes.Equal(r.Values[3], w[0]) || !bytes.Equal(r.Values[2], w[1]) || (r.Values[2] == nil) != (w[1] == nil) {
			t.Errorf("row %q: views %x clicks %x, want %x %x", r.Values[0], r.Values[3], r.Values[2], w[0], w[1])
		}
		for _, wt := range r.Writetime {
			if wt != nil {
				t.Errorf("row %q has a writetime %v; counters have none", r.Values[0], wt)
			}
		}
	}

	res, err = runExport(t, export.Config{Source: cqltest.URL(t), Table: ks + ".empty", Dest: dest, Batch: "c"})
	if err != nil {
		t.Fatal(err)
	}
	d = readDump(t, openRoot(t, dest), res.Dump)
	if d.m.Totals.Rows != 0 || d.m.Totals.Files != 0 || len(d.m.Files) != 0 {
		t.Fatalf("empty table: %+v", d.m.Totals)
	}
}

func be64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
