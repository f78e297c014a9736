package format

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/schema"
)

// rawCQL receives a column's serialized bytes (nil for null) when scanned,
// and sends them unchanged when bound.
type rawCQL []byte

func (r *rawCQL) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	if data == nil {
		*r = nil
		return nil
	}
	*r = append(rawCQL{}, data...)
	return nil
}

func (r rawCQL) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return r, nil }

func cassandraSession(t *testing.T) (*gocql.Session, string) {
	t.Helper()
	hosts := testenv.CassandraHosts(t)
	var session *gocql.Session
	var err error
	for _, proto := range []int{5, 4} {
		c := gocql.NewCluster(strings.Split(hosts, ",")...)
		c.ProtoVersion = proto
		c.Timeout = 60 * time.Second
		c.ConnectTimeout = 30 * time.Second
		c.WriteTimeout = 60 * time.Second
		c.Consistency = gocql.One
		if session, err = c.CreateSession(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("connect to Cassandra at %s: %v", hosts, err)
	}
	t.Cleanup(session.Close)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	ks := "lading_format_" + hex.EncodeToString(suffix)
	exec(t, session, fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", ks))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = session.Query("DROP KEYSPACE IF EXISTS " + ks).ExecContext(ctx)
	})
	return session, ks
}

func exec(t *testing.T, s *gocql.Session, stmt string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Query(stmt, args...).ExecContext(ctx); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// cassandraTable is the table with every type the round trip uses.
func cassandraTable(t *testing.T, ks string) *schema.Table {
	t.Helper()
	cols := []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "ck", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "s", Type: "text", Role: schema.Static},
	}
	for _, c := range [][2]string{
		{"c_ascii", "ascii"}, {"c_bigint", "bigint"}, {"c_blob", "blob"}, {"c_boolean", "boolean"},
		{"c_date", "date"}, {"c_decimal", "decimal"}, {"c_double", "double"}, {"c_duration", "duration"},
		{"c_float", "float"}, {"c_inet", "inet"}, {"c_int", "int"}, {"c_smallint", "smallint"},
		{"c_text", "text"}, {"c_time", "time"}, {"c_timestamp", "timestamp"}, {"c_timeuuid", "timeuuid"},
		{"c_tinyint", "tinyint"}, {"c_uuid", "uuid"}, {"c_varchar", "varchar"}, {"c_varint", "varint"},
		{"l_int", "list<int>"}, {"s_text", "set<text>"}, {"m_text", "map<text, int>"}, {"m_int", "map<int, text>"},
		{"f_list", "frozen<list<text>>"}, {"f_set", "frozen<set<timestamp>>"},
		{"f_map", "frozen<map<uuid, frozen<list<double>>>>"}, {"l_map", "list<frozen<map<text, blob>>>"},
		{"tup", "frozen<tuple<int, text, boolean>>"}, {"tup_nested", "frozen<tuple<frozen<tuple<int, varint>>, frozen<list<text>>>>"},
		{"addr", "address"}, {"f_addr", "frozen<address>"}, {"person", "frozen<person>"},
		{"v_float", "vector<float, 3>"}, {"v_text", "vector<text, 2>"}, {"v_small", "vector<smallint, 2>"},
		{"Mixed Case", "text"},
	} {
		cols = append(cols, schema.Column{Name: c[0], Type: c[1], Role: schema.Regular})
	}
	tb := &schema.Table{Keyspace: ks, Name: "src", Columns: cols, UserTypes: []schema.UserType{
		{Name: "address", Fields: []schema.Field{{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}, {Name: "tags", Type: "frozen<set<text>>"}}},
		{Name: "person", Fields: []schema.Field{{Name: "name", Type: "text"}, {Name: "home", Type: "frozen<address>"}, {Name: "Odd \"Name\"", Type: "frozen<list<frozen<address>>>"}}},
	}}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tb
}

func colList(tb *schema.Table, wrap string) string {
	var names []string
	for _, c := range tb.Columns {
		n := schema.QuoteIdent(c.Name)
		if wrap != "" {
			n = wrap + "(" + n + ")"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// scanRaw reads every row of stmt as raw values, one per column of cols.
// A top-level tuple arrives from gocql component by component; it is put
// back together (all components null is taken for a null tuple).
func scanRaw(t *testing.T, s *gocql.Session, cols []schema.Column, stmt string) [][][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	iter := s.Query(stmt).IterContext(ctx)
	var out [][][]byte
	for {
		var dests []any
		var cells [][]*rawCQL
		for _, c := range cols {
			n := 1
			if c.T.Kind == schema.Tuple {
				n = len(c.T.Params)
			}
			var cs []*rawCQL
			for j := 0; j < n; j++ {
				r := new(rawCQL)
				cs = append(cs, r)
				dests = append(dests, r)
			}
			cells = append(cells, cs)
		}
		if !iter.Scan(dests...) {
			break
		}
		row := make([][]byte, len(cols))
		for i, c := range cols {
			if c.T.Kind != schema.Tuple {
				row[i] = *cells[i][0]
				continue
			}
			var parts [][]byte
			null := true
			for _, r := range cells[i] {
				parts = append(parts, *r)
				null = null && *r == nil
			}
			if !null {
				row[i] = frame(parts...)
			}
		}
		out = append(out, row)
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return out
}

// gocql binds a tuple column component by component (as it scans it), so
// tuples are written as literals of placeholders, "(?, (?, ?))".
func tupleGo(typ *schema.Type, v []any) (string, []any) {
	var marks []string
	var args []any
	for i, p := range typ.Params {
		if p.Kind == schema.Tuple {
			m, a := tupleGo(p, v[i].([]any))
			marks, args = append(marks, m), append(args, a...)
			continue
		}
		marks, args = append(marks, "?"), append(args, v[i])
	}
	return "(" + strings.Join(marks, ", ") + ")", args
}

// tupleRaw is tupleGo for serialized tuple bytes.
func tupleRaw(t *testing.T, typ *schema.Type, raw []byte) (string, []any) {
	t.Helper()
	w := wire(raw)
	var marks []string
	var args []any
	for _, p := range typ.Params {
		var e []byte
		if len(w) > 0 {
			var err error
			if e, err = w.elem(); err != nil {
				t.Fatal(err)
			}
		}
		if p.Kind == schema.Tuple {
			m, a := tupleRaw(t, p, e)
			marks, args = append(marks, m), append(args, a...)
			continue
		}
		marks = append(marks, "?")
		if e == nil {
			args = append(args, nil)
		} else {
			args = append(args, rawCQL(e))
		}
	}
	return "(" + strings.Join(marks, ", ") + ")", args
}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// TestCassandraRoundTrip writes edge values of every type with gocql's Go
// types, reads them back raw, encodes, decodes, and compares bytes; then
// writes the decoded bytes to a second table and reads them back.
func TestCassandraRoundTrip(t *testing.T) {
	session, ks := cassandraSession(t)
	tb := cassandraTable(t, ks)
	for _, u := range tb.UserTypes {
		exec(t, session, u.CreateTypeCQL(ks))
	}
	exec(t, session, tb.CreateTableCQL(ks, "src"))
	exec(t, session, tb.CreateTableCQL(ks, "dst"))

	asciiAll := make([]byte, 128)
	for i := range asciiAll {
		asciiAll[i] = byte(i)
	}
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	uuid1, _ := gocql.ParseUUID("123e4567-e89b-42d3-a456-426614174000")
	tuuid, _ := gocql.ParseUUID("5b6f0e10-913a-11ef-8a0b-0242ac120002")
	p200 := pow2(200)
	type vals = map[string]any
	rows := []vals{
		{ // maxima, text with every kind of character
			"k": 1, "ck": 1, "s": "static ☃",
			"c_ascii": string(asciiAll), "c_bigint": int64(math.MaxInt64), "c_blob": allBytes, "c_boolean": true,
			"c_date": day(5881580, 7, 11), "c_decimal": inf.NewDecBig(big.NewInt(123), 300), "c_double": math.MaxFloat64,
			"c_duration": gocql.Duration{Months: math.MaxInt32, Days: math.MaxInt32, Nanoseconds: math.MaxInt64},
			"c_float":    float32(math.MaxFloat32), "c_inet": net.ParseIP("2001:db8::1"), "c_int": int32(math.MaxInt32),
			"c_smallint": int16(math.MaxInt16), "c_text": "héllo \"wörld\" \\ 日本語 😀 \x00\x01\n\t\u2028\u2029 \x7f",
			"c_time": 86399999999999 * time.Nanosecond, "c_timestamp": time.UnixMilli(math.MaxInt64).UTC(),
			"c_timeuuid": tuuid, "c_tinyint": int8(math.MaxInt8), "c_uuid": uuid1, "c_varchar": "varchar",
			"c_varint": p200, "l_int": []int32{3, 1, 2, math.MinInt32}, "s_text": []string{"b", "a", "ä"},
			"m_text": map[string]int32{"b": 2, "a": 1, "we\"ird\n": -1}, "m_int": map[int32]string{1: "one", -2: "minus two"},
			"f_list": []string{"x", "", "z"}, "f_set": []time.Time{time.UnixMilli(-1).UTC(), time.UnixMilli(0).UTC()},
			"f_map": map[gocql.UUID][]float64{uuid1: {math.Inf(-1), 0.5, math.NaN()}},
			"l_map": []map[string][]byte{{"k": {}}, {}, {"a": {1}, "b": {2}}},
			"tup":   []any{int32(1), "x", nil}, "tup_nested": []any{[]any{int32(7), pow2(70)}, []string{"a"}},
			"addr":   map[string]any{"street": "1 Main St", "zip": int32(12345), "tags": []string{"home", "work"}},
			"f_addr": map[string]any{"street": nil, "zip": int32(0), "tags": []string{}},
			"person": map[string]any{"name": "Ann", "home": map[string]any{"street": "x", "zip": int32(1), "tags": []string{}},
				"Odd \"Name\"": []map[string]any{{"street": "y"}}},
			"v_float": []float32{1, -0.5, float32(math.Inf(1))}, "v_text": []string{"a", ""}, "v_small": []int16{-1, math.MaxInt16},
			"Mixed Case": "quoted column",
		},
		{ // minima, empties
			"k": 1, "ck": 2,
			"c_ascii": "", "c_bigint": int64(math.MinInt64), "c_blob": []byte{}, "c_boolean": false,
			"c_date": day(-5877641, 6, 23), "c_decimal": inf.NewDec(-42, -1), "c_double": math.Copysign(0, -1),
			"c_duration": gocql.Duration{Months: math.MinInt32, Days: math.MinInt32, Nanoseconds: math.MinInt64},
			"c_float":    float32(math.Inf(-1)), "c_inet": net.ParseIP("0.0.0.0"), "c_int": int32(math.MinInt32),
			"c_smallint": int16(math.MinInt16), "c_text": "", "c_time": time.Duration(0), "c_timestamp": time.UnixMilli(math.MinInt64).UTC(),
			"c_tinyint": int8(math.MinInt8), "c_varchar": "", "c_varint": neg(p200),
			"l_int": []int32{}, "s_text": []string{}, "m_text": map[string]int32{}, "m_int": map[int32]string{},
			"f_list": []string{}, "f_set": []time.Time{}, "f_map": map[gocql.UUID][]float64{}, "l_map": []map[string][]byte{},
			"tup": []any{nil, "", false}, "addr": map[string]any{"street": "s"},
			"v_float": []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN())}, "v_text": []string{"", "é"},
		},
		{ // calendar edges, special floats, negative durations
			"k": 2, "ck": 0,
			"c_date":    msOf(1, 1, 1), // int64: gocql writes the zero time.Time as an empty value
			"c_decimal": inf.NewDec(150, 2), "c_double": math.NaN(), "c_float": float32(math.NaN()),
			"c_duration":  gocql.Duration{Months: -14, Days: -25, Nanoseconds: -(5*3600e9 + 10)},
			"c_timestamp": time.UnixMilli(msOf(10000, 1, 1)).UTC(), "c_time": 45296789000001 * time.Nanosecond,
			"c_varint": big.NewInt(0), "c_inet": net.ParseIP("127.0.0.1"),
		},
		{"k": 2, "ck": 1, "c_timestamp": time.UnixMilli(msOf(0, 12, 31)).UTC(), "c_date": day(9999, 12, 31), "c_double": math.Inf(1),
			"c_decimal": inf.NewDecBig(neg(p200), -10)},
		{"k": 3, "ck": 0}, // keys only: everything else null
	}
	for _, r := range rows {
		var names, marks []string
		var args []any
		for _, c := range tb.Columns {
			if v, ok := r[c.Name]; ok {
				names = append(names, schema.QuoteIdent(c.Name))
				if c.T.Kind == schema.Tuple {
					m, a := tupleGo(c.T, v.([]any))
					marks, args = append(marks, m), append(args, a...)
					continue
				}
				marks = append(marks, "?")
				args = append(args, v)
			}
		}
		exec(t, session, fmt.Sprintf("INSERT INTO %s.src (%s) VALUES (%s)", ks, strings.Join(names, ", "), strings.Join(marks, ", ")), args...)
	}
	// Vectors written as CQL literals, so that Cassandra (not gocql)
	// serializes them: this checks the element framing of vectors.
	exec(t, session, fmt.Sprintf(`INSERT INTO %s.src (k, ck, v_float, v_text, v_small) VALUES (4, 0, [1.5, -2, 0], ['x', 'yz'], [7, -300])`, ks))

	got := scanRaw(t, session, tb.Columns, fmt.Sprintf("SELECT %s FROM %s.src", colList(tb, ""), ks))
	if len(got) != len(rows)+1 {
		t.Fatalf("%d rows read back, want %d", len(got), len(rows)+1)
	}
	enc, err := NewEncoder(tb, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(tb, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{} // "k/ck" -> line
	var decoded [][][]byte
	for _, raw := range got {
		line, err := enc.AppendRow(nil, &Row{Values: raw})
		if err != nil {
			t.Fatalf("encode %x: %v", raw, err)
		}
		var r Row
		if err := dec.DecodeRow(line, &r); err != nil {
			t.Fatalf("decode %s: %v", line, err)
		}
		for i, c := range tb.Columns {
			if !bytes.Equal(r.Values[i], raw[i]) || (r.Values[i] == nil) != (raw[i] == nil) {
				t.Errorf("column %s: decoded %x, Cassandra gave %x (line %s)", c.Name, r.Values[i], raw[i], line)
			}
		}
		decoded = append(decoded, append([][]byte(nil), r.Values...))
		byKey[fmt.Sprintf("%x/%x", raw[0], raw[1])] = string(line)
		t.Logf("%s", line)
	}

	// The JSON text of a few values.
	for _, c := range []struct{ key, want string }{
		{"1/1", `"c_varint":1606938044258990275541962092341162602522202993782792835301376,`},
		{"1/1", `"c_decimal":1.23E-298,`},
		{"1/1", `"c_timestamp":"+292278994-08-17T07:12:55.807Z",`},
		{"1/1", `"c_date":"+5881580-07-11",`},
		{"1/1", `"c_time":"23:59:59.999999999",`},
		{"1/1", `"c_duration":"178956970y7mo2147483647d2562047h47m16s854ms775us807ns",`},
		{"1/1", `"c_text":"héllo \"wörld\" \\ 日本語 😀 \u0000\u0001\n\t\u2028\u2029 ` + "\x7f" + `",`},
		{"1/1", `"m_text":{"a":1,"b":2,"we\"ird\n":-1},`},
		{"1/1", `"m_int":[[-2,"minus two"],[1,"one"]],`},
		{"1/1", `"f_map":[["123e4567-e89b-42d3-a456-426614174000",["-Infinity",0.5,"NaN(0x7ff8000000000001)"]]],`},
		{"1/1", `"tup":[1,"x",null],`},
		{"1/1", `"f_addr":{"street":null,"zip":0,"tags":[]},`},
		{"1/1", `"person":{"name":"Ann","home":{"street":"x","zip":1,"tags":[]},"Odd \"Name\"":[{"street":"y","zip":null,"tags":null}]},`},
		{"1/1", `"v_float":[1,-0.5,"Infinity"],"v_text":["a",""],"v_small":[-1,32767],`},
		{"1/1", `"c_inet":"2001:db8::1",`},
		{"1/2", `"c_blob":"0x",`},
		{"1/2", `"c_decimal":-4.2E+2,`},
		{"1/2", `"c_double":-0,`},
		{"1/2", `"c_timestamp":"-292275055-05-16T16:47:04.192Z",`},
		{"1/2", `"c_date":"-5877641-06-23",`},
		{"1/2", `"c_duration":"-178956970y8mo2147483648d2562047h47m16s854ms775us808ns",`},
		{"1/2", `"f_list":[],"f_set":[],"f_map":[],`},
		{"1/2", `"tup":[null,"",false],`},
		{"2/0", `"c_duration":"-1y2mo25d5h10ns",`},
		{"2/0", `"c_timestamp":"+10000-01-01T00:00:00.000Z",`},
		{"2/0", `"c_float":"NaN",`},
		{"2/1", `"c_timestamp":"0000-12-31T00:00:00.000Z"}`},
		{"2/0", `"c_decimal":1.50,`},
		{"2/1", `"c_double":"Infinity",`},
		{"3/0", `{"k":3,"ck":0}`},
		{"4/0", `"v_float":[1.5,-2,0],"v_text":["x","yz"],"v_small":[7,-300]}`},
	} {
		var k, ck int
		fmt.Sscanf(c.key, "%d/%d", &k, &ck)
		line := byKey[fmt.Sprintf("%x/%x", i32(int32(k)), i32(int32(ck)))]
		if !strings.Contains(line, c.want) {
			t.Errorf("row %s: %s\ndoes not contain %s", c.key, line, c.want)
		}
	}
	// The documented exception: an empty non-frozen collection reads back
	// as null (absent key); an empty frozen one stays.
	line := byKey[fmt.Sprintf("%x/%x", i32(1), i32(2))]
	for _, col := range []string{"l_int", "s_text", "m_text", "m_int", "l_map"} {
		if strings.Contains(line, `"`+col+`"`) {
			t.Errorf("empty non-frozen %s is in the row: %s", col, line)
		}
	}

	// Write the decoded bytes back, read them again: identical.
	for _, vals := range decoded {
		var names, marks []string
		var args []any
		for i, v := range vals {
			if v == nil {
				continue // no tombstones
			}
			c := tb.Columns[i]
			names = append(names, schema.QuoteIdent(c.Name))
			if c.T.Kind == schema.Tuple {
				m, a := tupleRaw(t, c.T, v)
				marks, args = append(marks, m), append(args, a...)
				continue
			}
			marks = append(marks, "?")
			args = append(args, rawCQL(v))
		}
		exec(t, session, fmt.Sprintf("INSERT INTO %s.dst (%s) VALUES (%s)", ks, strings.Join(names, ", "), strings.Join(marks, ", ")), args...)
	}
	again := scanRaw(t, session, tb.Columns, fmt.Sprintf("SELECT %s FROM %s.dst", colList(tb, ""), ks))
	if len(again) != len(got) {
		t.Fatalf("dst has %d rows, want %d", len(again), len(got))
	}
	for i := range got {
		for j, c := range tb.Columns {
			if !bytes.Equal(again[i][j], got[i][j]) || (again[i][j] == nil) != (got[i][j] == nil) {
				t.Errorf("row %d column %s: written back %x, read %x", i, c.Name, got[i][j], again[i][j])
			}
		}
	}
}

// TestCassandraWritetimeTTL reads WRITETIME and TTL of single-cell and
// multi-cell columns (Cassandra 5.0 gives a list per element for the
// latter), converts them with DecodeInt64s, and round-trips them.
func TestCassandraWritetimeTTL(t *testing.T) {
	session, ks := cassandraSession(t)
	tb := &schema.Table{Keyspace: ks, Name: "meta", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "ck", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "s", Type: "text", Role: schema.Static},
		{Name: "t", Type: "text", Role: schema.Regular},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
		{Name: "m", Type: "map<text, int>", Role: schema.Regular},
		{Name: "u", Type: "pair", Role: schema.Regular},
		{Name: "f", Type: "frozen<list<int>>", Role: schema.Regular},
	}, UserTypes: []schema.UserType{{Name: "pair", Fields: []schema.Field{{Name: "a", Type: "int"}, {Name: "b", Type: "text"}}}}}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	exec(t, session, tb.UserTypes[0].CreateTypeCQL(ks))
	exec(t, session, tb.CreateTableCQL(ks, "meta"))
	const ts = 1234567890123456
	exec(t, session, fmt.Sprintf(`INSERT INTO %s.meta (k, ck, s, t, l, m, u, f) VALUES (1, 1, 'st', 'x', [1, 2, 3], {'a': 1}, {a: 1, b: 'b'}, [9])
		USING TIMESTAMP %d AND TTL 86400`, ks, ts))
	exec(t, session, fmt.Sprintf(`UPDATE %s.meta USING TTL 100 SET l = l + [4] WHERE k = 1 AND ck = 1`, ks))
	exec(t, session, fmt.Sprintf(`INSERT INTO %s.meta (k, ck, t, l, u) VALUES (2, 1, 'y', [5, 6], {a: 2})`, ks))
	exec(t, session, fmt.Sprintf(`INSERT INTO %s.meta (k, ck) VALUES (3, 1)`, ks))

	var sel []string
	for _, c := range tb.Columns {
		sel = append(sel, c.Name)
	}
	timed := tb.Columns[2:]
	for _, c := range timed {
		sel = append(sel, "WRITETIME("+c.Name+")", "TTL("+c.Name+")")
	}
	// The query's result columns: the table's, then bigint/int or their
	// lists for the metadata.
	cols := append([]schema.Column(nil), tb.Columns...)
	for _, c := range timed {
		wt, ttl := "bigint", "int"
		if c.T.MultiCell() {
			wt, ttl = "list<bigint>", "list<int>"
		}
		cols = append(cols, schema.Column{Name: "wt", T: mustType(t, wt, nil)}, schema.Column{Name: "ttl", T: mustType(t, ttl, nil)})
	}
	got := scanRaw(t, session, cols, fmt.Sprintf("SELECT %s FROM %s.meta", strings.Join(sel, ", "), ks))
	if len(got) != 3 {
		t.Fatalf("%d rows, want 3", len(got))
	}
	opts := Options{Writetime: true, TTL: true}
	enc, err := NewEncoder(tb, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(tb, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := len(tb.Columns)
	lines := map[int32]string{}
	for _, raw := range got {
		in := Row{Values: raw[:n], Writetime: make([][]int64, n), TTL: make([][]int64, n)}
		for j := range timed {
			i := 2 + j
			wtRaw, ttlRaw := raw[n+2*j], raw[n+2*j+1]
			if in.Writetime[i], err = DecodeInt64s(cols[n+2*j].T, wtRaw); err != nil {
				t.Fatalf("writetime %s: %v", tb.Columns[i].Name, err)
			}
			if in.TTL[i], err = DecodeInt64s(cols[n+2*j+1].T, ttlRaw); err != nil {
				t.Fatalf("ttl %s: %v", tb.Columns[i].Name, err)
			}
		}
		line, err := enc.AppendRow(nil, &in)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var out Row
		if err := dec.DecodeRow(line, &out); err != nil {
			t.Fatalf("decode %s: %v", line, err)
		}
		for i := range tb.Columns {
			if !bytes.Equal(out.Values[i], in.Values[i]) || !equalInts(out.Writetime[i], in.Writetime[i]) || !equalInts(out.TTL[i], in.TTL[i]) {
				t.Errorf("column %s: decoded %x %v %v, want %x %v %v", tb.Columns[i].Name,
					out.Values[i], out.Writetime[i], out.TTL[i], in.Values[i], in.Writetime[i], in.TTL[i])
			}
		}
		lines[int32(varintInt64(raw[0]))] = string(line)
		t.Logf("%s", line)

		if varintInt64(raw[0]) == 1 {
			// Row 1: everything written at ts with TTL 86400, then one
			// more list element with TTL 100 at the server's time.
			for _, i := range []int{2, 3, 5, 6, 7} {
				for _, w := range in.Writetime[i] {
					if w != ts {
						t.Errorf("writetime of %s: %v, want all %d", tb.Columns[i].Name, in.Writetime[i], ts)
					}
				}
			}
			if l := in.Writetime[4]; len(l) != 4 || l[0] != ts || l[3] <= ts {
				t.Errorf("writetime of l: %v, want [%d x3, later]", l, ts)
			}
			if l := in.TTL[4]; len(l) != 4 || l[0] <= 86000 || l[0] > 86400 || l[3] <= 0 || l[3] > 100 {
				t.Errorf("ttl of l: %v, want [~86400 x3, ~100]", l)
			}
			if v := in.TTL[3]; len(v) != 1 || v[0] <= 86000 || v[0] > 86400 {
				t.Errorf("ttl of t: %v", v)
			}
			if len(in.Writetime[6]) != 2 {
				t.Errorf("writetime of a non-frozen UDT: %v, want one per field", in.Writetime[6])
			}
		}
	}
	if want := `"_writetime":{"s":1234567890123456,"t":1234567890123456,"l":[1234567890123456,1234567890123456,1234567890123456,`; !strings.Contains(lines[1], want) {
		t.Errorf("row 1: %s\ndoes not contain %s", lines[1], want)
	}
	// Row 2: no TTL; field b of u is null. Cassandra gives null list
	// elements for them.
	if want := `"u":[`; !strings.Contains(lines[2], want) || !strings.Contains(lines[2], `,null]},"_ttl":{"l":[null,null],"u":[null,null]}}`) {
		t.Errorf("row 2: %s, want null elements for the null field and the missing TTLs", lines[2])
	}
	if want := `{"k":3,"ck":1}`; !strings.HasPrefix(lines[3], want) {
		t.Errorf("row 3: %s, want %s", lines[3], want)
	}
}

func equalInts(a, b []int64) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCassandraCounter round-trips counters at both ends of their range.
func TestCassandraCounter(t *testing.T) {
	session, ks := cassandraSession(t)
	tb := &schema.Table{Keyspace: ks, Name: "counts", Counter: true, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "n", Type: "counter", Role: schema.Regular},
	}}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	exec(t, session, tb.CreateTableCQL(ks, "counts"))
	exec(t, session, fmt.Sprintf("UPDATE %s.counts SET n = n + ? WHERE k = 1", ks), int64(math.MaxInt64))
	exec(t, session, fmt.Sprintf("UPDATE %s.counts SET n = n + ? WHERE k = 2", ks), int64(math.MinInt64))
	exec(t, session, fmt.Sprintf("UPDATE %s.counts SET n = n + 0 WHERE k = 3", ks))
	got := scanRaw(t, session, tb.Columns, fmt.Sprintf("SELECT k, n FROM %s.counts", ks))
	enc, _ := NewEncoder(tb, nil, Options{})
	dec, _ := NewDecoder(tb, nil, Options{})
	want := map[string]bool{`{"k":1,"n":9223372036854775807}`: true, `{"k":2,"n":-9223372036854775808}`: true, `{"k":3,"n":0}`: true}
	for _, raw := range got {
		line, err := enc.AppendRow(nil, &Row{Values: raw})
		if err != nil {
			t.Fatal(err)
		}
		if !want[strings.TrimSuffix(string(line), "\n")] {
			t.Errorf("unexpected line %s", line)
		}
		delete(want, strings.TrimSuffix(string(line), "\n"))
		var r Row
		if err := dec.DecodeRow(line, &r); err != nil || !bytes.Equal(r.Values[1], raw[1]) {
			t.Errorf("decode %s: %x, %v; want %x", line, r.Values[1], err, raw[1])
		}
	}
	if len(want) != 0 {
		t.Errorf("rows not read: %v", want)
	}
}
