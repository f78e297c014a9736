package bigtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/schema"
)

// everyType has every CQL type as a column (keys of text with NUL bytes,
// negative varints, decimals, timeuuid DESC, doubles; statics; a user
// type frozen and not).
const everyType = `CREATE TYPE %[1]s.addr (street text, zip int, tags frozen<set<text>>);
CREATE TABLE %[1]s.every (
  t text, vi varint, de decimal, tu timeuuid, db double,
  a ascii, bi bigint, bl blob, bo boolean, de2 decimal, db2 double, du duration, fl float,
  ine inet, i int, si smallint, te text, ti time, ts timestamp, tiny tinyint, u uuid, vc varchar,
  vi2 varint, dt date, li list<int>, se set<text>, ma map<text, bigint>, fli frozen<list<text>>,
  tup tuple<int, text>, ad addr, fad frozen<addr>, vec vector<float, 3>,
  st text static, sli list<int> static,
  PRIMARY KEY ((t, vi), de, tu, db)) WITH CLUSTERING ORDER BY (de ASC, tu DESC, db ASC)`

// everyCols are the regular and static columns, in the order read back.
var everyCols = []string{"a", "bi", "bl", "bo", "de2", "db2", "du", "fl", "ine", "i", "si", "te", "ti", "ts", "tiny", "u", "vc", "vi2", "dt", "li", "se", "ma", "fli", "tup", "ad", "fad", "vec", "st", "sli"}

func fillEvery(t *testing.T, s *cql.Session, ks string) {
	t.Helper()
	cqltest.Exec(t, s, strings.Split(fmt.Sprintf(everyType, ks), ";\n")...)
	q := func(stmt string, args ...any) {
		t.Helper()
		if err := s.Driver().Query(stmt, args...).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for p := range 6 {
		key := fmt.Sprintf("p\x00%d", p)
		vi := fmt.Sprintf("%d%s", 1-2*(p%2), strings.Repeat("7", p*4)) // negative and positive, short and long
		base := int64(1_700_000_000_123_456 + p*1000)
		q(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d SET st = 'static %d', sli = [%d, %d] WHERE t = ? AND vi = %s", ks, base, p, p, -p, vi), key)
		if p == 5 {
			continue // a partition with statics only
		}
		for r := range 4 {
			de := []string{"-1.50", "0", "0.000", "123456789012345678901234567890.5"}[r]
			tu := gocql.TimeUUID()
			ttl := ""
			if r == 1 {
				ttl = " AND TTL 86400"
			}
			q(fmt.Sprintf(`INSERT INTO %s.every (t, vi, de, tu, db, a, bi, bl, bo, de2, db2, du, fl, ine, i, si, te, ti, ts, tiny, u, vc, vi2, dt,
				li, se, ma, fli, tup, ad, fad, vec) VALUES (?, %s, %s, ?, %v, 'ascii %d', %d, 0xcafe00%02x, %v, -12345678901234567890.%03d, %v, 1h2m3s%dns, -1.5,
				'%s', %d, %d, 'text é %d', '08:12:54.123456789', '2026-11-22 15:45:30.123Z', %d, %s, 'vc', -%d00000000000000000000, '1969-12-%02d',
				[1, 2, %d], {'x', 'y%d'}, {'k': %d}, ['f', 'g'], (%d, 'tup'), {street: 'main %d', zip: %d}, {street: 'frozen', zip: 1, tags: {'a', 'b'}}, [1.5, -2.25, %d.0])
				USING TIMESTAMP %d%s`,
				ks, vi, de, -float64(r)*1.25, p, -int64(p)*1e12, p, r%2 == 0, p, 0.1+float64(p), p,
				[]string{"10.0.0.1", "::1", "fe80::1", "255.255.255.255"}[r], -p, p%30000, p, -p, gocql.TimeUUID(), p, 1+r,
				r, p, p*7, p, p, p, r, base+int64(r)*10+7, ttl), key, tu)
			if r == 2 {
				// Elements written later, one with a TTL; a null over a value.
				q(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d SET li = li + [%d], ma = ma + {'late': 1} WHERE t = ? AND vi = %s AND de = %s AND tu = ? AND db = %v", ks, base+500, 100+p, vi, de, -float64(r)*1.25), key, tu)
			}
		}
	}
}

// TestEveryTypeFromCassandra: a table with every CQL type is exported by
// the real exporter (writetimes and TTLs) and loaded by the real loader
// into a new Bigtable table with --verify full. The test then reads the
// source and Bigtable itself: the same rows; keys that decode to the
// source's values and sort as Cassandra sorts each partition; values
// that decode to the source's bytes; timestamps the writetimes cut to
// milliseconds. A forced second load changes no cell.
func TestEveryTypeFromCassandra(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	fillEvery(t, s, ks)
	e := newBTEnv(t)
	bins := buildCommands(t, "exporter", "loader")
	out, code := runCmd(t, nil, filepath.Join(bins, "exporter"), "--source", "cassandra://"+testenv.CassandraHosts(t), "--table", ks+".every", "--dest", e.storeURL, "--batch", "b", "--writetime", "--ttl")
	if code != 0 {
		t.Fatalf("exporter exit %d: %s", code, out)
	}
	load := func(extra ...string) {
		t.Helper()
		args := append([]string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--versions", "3", "--verify", "full"}, extra...)
		out, code := runCmd(t, nil, filepath.Join(bins, "loader"), args...)
		if code != 0 || !strings.Contains(out, "verify full: passed") {
			t.Fatalf("loader %v: exit %d: %s", extra, code, out)
		}
	}
	load()
	before := e.readAll("every")

	typ := func(s string) *schema.Type {
		return mustType(t, strings.ReplaceAll(s, "addr", "frozen<tuple<text, int, frozen<set<text>>>>"))
	}
	keys := []keyCol{{name: "t", t: typ("text")}, {name: "vi", t: typ("varint")}, {name: "de", t: typ("decimal")}, {name: "tu", t: typ("timeuuid"), desc: true}, {name: "db", t: typ("double")}}
	sel := []string{"t", "vi", "de", "tu", "db"}
	for _, c := range everyCols {
		sel = append(sel, c, "writetime("+c+")")
	}
	iter := s.Driver().Query("SELECT " + strings.Join(sel, ", ") + " FROM " + ks + ".every").Iter()
	// tup is scanned element by element (the driver splits top-level tuples).
	width := len(sel) + 1
	raws := make([]cql.Raw, width)
	dest := make([]any, width)
	for i := range raws {
		dest[i] = &raws[i]
	}
	var prevKey []byte
	var prevPart string
	rows, statics := 0, map[string]bool{}
	for iter.Scan(dest...) {
		vals := map[string][]byte{}
		wts := map[string][]byte{}
		i := 5
		for _, c := range everyCols {
			if c == "tup" {
				vals[c] = appendWireElem(appendWireElem(nil, raws[i]), raws[i+1])
				if raws[i] == nil && raws[i+1] == nil {
					vals[c] = nil
				}
				wts[c] = raws[i+2]
				i += 3
				continue
			}
			vals[c], wts[c] = raws[i], raws[i+1]
			i += 2
		}
		pk, err := encodeKey(nil, keys[:2], [][]byte{raws[0], raws[1]})
		if err != nil {
			t.Fatal(err)
		}
		statics[string(pk)] = true
		if raws[2] == nil { // the static-only partition
			continue
		}
		key, err := encodeKey(nil, keys, [][]byte{raws[0], raws[1], raws[2], raws[3], raws[4]})
		if err != nil {
			t.Fatal(err)
		}
		rows++
		if string(pk) == prevPart && bytes.Compare(prevKey, key) >= 0 {
			t.Errorf("Cassandra's clustering order and the row keys disagree at %x", key)
		}
		prevKey, prevPart = key, string(pk)
		got, ok := before[string(key)]
		if !ok {
			t.Errorf("row %x missing from Bigtable", key)
			continue
		}
		dec, err := decodeKey([]byte(key), keys, len(keys))
		if err != nil || !reflect.DeepEqual(dec, [][]byte{raws[0], raws[1], raws[2], raws[3], raws[4]}) {
			t.Errorf("row key %x decodes to %x, %v", key, dec, err)
		}
		for _, c := range everyCols {
			cells := got[c]
			if c == "st" || c == "sli" {
				cells = before[string(pk)][c]
			}
			checkCell(t, key, c, cells, vals[c], wts[c])
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(dataKeys(before)); n != rows+1 || rows != 20 {
		t.Errorf("Bigtable has %d rows with a marker, the source %d rows and one static-only partition", n, rows)
	}
	for pk := range statics {
		if got := before[pk]["st"]; len(got) != 1 || !strings.HasPrefix(got[0].value, "static ") {
			t.Errorf("static row %x: st = %v", pk, got)
		}
	}

	load("--force")
	after := e.readAll("every")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a second load changed the table (%d rows before, %d after)", len(before), len(after))
	}
}

// checkCell compares one Bigtable column with the source's value and
// writetime (a list of them for a non-frozen collection).
func checkCell(t *testing.T, key []byte, name string, cells []btCell, want, wt []byte) {
	t.Helper()
	if want == nil {
		if len(cells) != 0 {
			t.Errorf("row %x %s: %v in Bigtable, null in the source", key, name, cells)
		}
		return
	}
	if len(cells) != 1 {
		t.Errorf("row %x %s: %d cells, want 1", key, name, len(cells))
		return
	}
	var c valCol
	for _, col := range everyTypeCols(t) {
		if col.name == name {
			c = col
		}
	}
	got, err := decodeValue(&c, []byte(cells[0].value))
	if err != nil {
		t.Errorf("row %x %s: %q does not decode: %v", key, name, cells[0].value, err)
		return
	}
	if c.t.Kind == schema.UDT {
		got, want = trimNullFields(got), trimNullFields(want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("row %x %s: Bigtable %x (%q), source %x", key, name, got, cells[0].value, want)
	}
	var maxWT int64
	if len(wt) == 8 {
		maxWT = int64(binary.BigEndian.Uint64(wt))
	} else {
		// A list with null for elements without a writetime (UDT fields).
		rest := wt[4:]
		for len(rest) > 0 {
			e, r, err := wireElem(rest)
			if err != nil {
				t.Fatalf("writetime(%s) = %x: %v", name, wt, err)
			}
			if e != nil {
				maxWT = max(maxWT, int64(binary.BigEndian.Uint64(e)))
			}
			rest = r
		}
	}
	if want := maxWT / 1000 * 1000; int64(cells[0].ts) != want {
		t.Errorf("row %x %s: timestamp %d, writetime %d (want %d)", key, name, cells[0].ts, maxWT, want)
	}
}

// trimNullFields drops a user type value's trailing null fields (a
// non-frozen UDT may read back with or without them).
func trimNullFields(v []byte) []byte {
	var out, pending []byte
	for len(v) > 0 {
		e, rest, err := wireElem(v)
		if err != nil {
			return v
		}
		field := appendWireElem(nil, e)
		v = rest
		if e == nil {
			pending = append(pending, field...)
			continue
		}
		out = append(append(out, pending...), field...)
		pending = nil
	}
	return out
}

var everyTypeColsCache []valCol

// everyTypeCols are the value columns of the every table as the target
// sees them (types parsed with the user type resolved).
func everyTypeCols(t *testing.T) []valCol {
	if everyTypeColsCache != nil {
		return everyTypeColsCache
	}
	tbl := schema.Table{Keyspace: "k", Name: "every", UserTypes: []schema.UserType{{Name: "addr", Fields: []schema.Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}, {Name: "tags", Type: "frozen<set<text>>"}}}}}
	types := map[string]string{"a": "ascii", "bi": "bigint", "bl": "blob", "bo": "boolean", "de2": "decimal", "db2": "double", "du": "duration", "fl": "float",
		"ine": "inet", "i": "int", "si": "smallint", "te": "text", "ti": "time", "ts": "timestamp", "tiny": "tinyint", "u": "uuid", "vc": "varchar",
		"vi2": "varint", "dt": "date", "li": "list<int>", "se": "set<text>", "ma": "map<text, bigint>", "fli": "frozen<list<text>>",
		"tup": "tuple<int, text>", "ad": "addr", "fad": "frozen<addr>", "vec": "vector<float, 3>", "st": "text", "sli": "list<int>"}
	tbl.Columns = append(tbl.Columns, schema.Column{Name: "k", Type: "int", Role: schema.PartitionKey})
	for _, c := range everyCols {
		tbl.Columns = append(tbl.Columns, schema.Column{Name: c, Type: types[c], Role: schema.Regular})
	}
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	for _, c := range tbl.Columns[1:] {
		everyTypeColsCache = append(everyTypeColsCache, valCol{name: c.Name, t: c.T, json: jsonValued(c.T)})
	}
	return everyTypeColsCache
}
