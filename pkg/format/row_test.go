package format

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// wideTable has key, clustering, static and regular columns, multi-cell
// ones among them, and names that need quoting in JSON.
func wideTable(t testing.TB) *schema.Table {
	t.Helper()
	tb := &schema.Table{Keyspace: "ks", Name: "wide", Columns: []schema.Column{
		{Name: "id", Type: "uuid", Role: schema.PartitionKey},
		{Name: "ck", Type: "int", Role: schema.Clustering, Order: schema.Desc},
		{Name: "s", Type: "text", Role: schema.Static},
		{Name: "Odd \"Name\" é", Type: "bigint", Role: schema.Regular},
		{Name: "tags", Type: "set<text>", Role: schema.Regular},
		{Name: "home", Type: "address", Role: schema.Regular},
	}, UserTypes: testUserTypes()}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestRowRoundTrip(t *testing.T) {
	tb := wideTable(t)
	opts := Options{Writetime: true, TTL: true}
	enc, err := NewEncoder(tb, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(tb, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	id := bytes.Repeat([]byte{1}, 16)
	in := Row{
		Values:    [][]byte{id, i32(7), []byte("st"), i64(-5), coll(2, []byte("a"), []byte("b")), frame([]byte("x"), i32(1), nil)},
		Writetime: [][]int64{nil, nil, {1700000000000000}, {1700000000000001}, {1, 2}, {3, NullElement, 5}},
		TTL:       [][]int64{nil, nil, nil, {3600}, {10, 20}, nil},
	}
	line, err := enc.AppendRow([]byte("prefix"), &in)
	if err != nil {
		t.Fatal(err)
	}
	want := `prefix{"id":"01010101-0101-0101-0101-010101010101","ck":7,"s":"st","Odd \"Name\" é":-5,` +
		`"tags":["a","b"],"home":{"street":"x","zip":1,"tags":null},` +
		`"_writetime":{"s":1700000000000000,"Odd \"Name\" é":1700000000000001,"tags":[1,2],"home":[3,null,5]},` +
		`"_ttl":{"Odd \"Name\" é":3600,"tags":[10,20]}}` + "\n"
	if string(line) != want {
		t.Fatalf("got  %s\nwant %s", line, want)
	}
	var out Row
	if err := dec.DecodeRow(line[len("prefix"):], &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Values, in.Values) || !reflect.DeepEqual(out.Writetime, in.Writetime) || !reflect.DeepEqual(out.TTL, in.TTL) {
		t.Fatalf("decoded %+v\nwant    %+v", out, in)
	}

	// Nulls are absent keys; metadata of null cells too.
	in2 := Row{Values: [][]byte{id, i32(8), nil, nil, nil, nil}}
	line2, err := enc.AppendRow(nil, &in2)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"01010101-0101-0101-0101-010101010101","ck":8}` + "\n"; string(line2) != want {
		t.Fatalf("got %s, want %s", line2, want)
	}
	// Decoding into the same Row reuses it: old values are gone.
	keep := append([]byte(nil), out.Values[2]...)
	if err := dec.DecodeRow(line2, &out); err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 6; i++ {
		if out.Values[i] != nil || out.Writetime[i] != nil || out.TTL[i] != nil {
			t.Fatalf("column %d not null after reuse: %+v", i, out)
		}
	}
	if len(out.Writetime) != 6 || len(out.TTL) != 6 || !bytes.Equal(keep, []byte("st")) {
		t.Fatalf("meta lengths %d %d", len(out.Writetime), len(out.TTL))
	}
	// Values are capacity-limited: appending to one cannot clobber the next.
	if err := dec.DecodeRow(line[len("prefix"):], &out); err != nil {
		t.Fatal(err)
	}
	_ = append(out.Values[0], 0xee)
	if !bytes.Equal(out.Values[1], i32(7)) {
		t.Fatal("append to a decoded value changed the next one")
	}
	// Explicit nulls and whitespace are accepted.
	if err := dec.DecodeRow([]byte(` { "ck" : 9 , "id":"01010101-0101-0101-0101-010101010101", "s": null, "_ttl": null } `+"\r\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Values[1], i32(9)) || out.Values[2] != nil {
		t.Fatalf("got %+v", out.Values)
	}
}

func TestColumnSubset(t *testing.T) {
	tb := wideTable(t)
	cols := []string{"tags", "id"}
	enc, err := NewEncoder(tb, cols, Options{})
	if err != nil {
		t.Fatal(err)
	}
	line, err := enc.AppendRow(nil, &Row{Values: [][]byte{coll(1, []byte("z")), make([]byte, 16)}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tags":["z"],"id":"00000000-0000-0000-0000-000000000000"}` + "\n"; string(line) != want {
		t.Fatalf("got %s want %s", line, want)
	}
	dec, err := NewDecoder(tb, cols, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var r Row
	if err := dec.DecodeRow(line, &r); err != nil || len(r.Values) != 2 || !bytes.Equal(r.Values[0], coll(1, []byte("z"))) {
		t.Fatalf("%+v %v", r, err)
	}
	if err := dec.DecodeRow([]byte(`{"s":"x"}`), &r); err == nil || !strings.Contains(err.Error(), `unknown column "s"`) {
		t.Fatalf("column outside the subset: %v", err)
	}
}

func TestCodecErrors(t *testing.T) {
	tb := wideTable(t)
	for _, c := range []struct {
		cols []string
		opts Options
		want string
	}{
		{[]string{"nope"}, Options{}, `column "nope": not in table ks.wide`},
		{[]string{"id", "id"}, Options{}, `column "id": listed twice`},
		{[]string{}, Options{}, "no columns"},
	} {
		if _, err := NewEncoder(tb, c.cols, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewEncoder(%v): %v, want %q", c.cols, err, c.want)
		}
		if _, err := NewDecoder(tb, c.cols, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDecoder(%v): %v, want %q", c.cols, err, c.want)
		}
	}
	unresolved := &schema.Table{Keyspace: "ks", Name: "t", Columns: []schema.Column{{Name: "k", Type: "int", Role: schema.PartitionKey}}}
	if _, err := NewEncoder(unresolved, nil, Options{}); err == nil || !strings.Contains(err.Error(), "Resolve") {
		t.Errorf("unresolved table: %v", err)
	}
	clash := &schema.Table{Keyspace: "ks", Name: "t", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey}, {Name: "_ttl", Type: "int", Role: schema.Regular}}}
	if err := clash.Resolve(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEncoder(clash, nil, Options{TTL: true}); err == nil || !strings.Contains(err.Error(), "clashes") {
		t.Errorf("_ttl column with TTL capture: %v", err)
	}
	if _, err := NewEncoder(clash, nil, Options{Writetime: true}); err != nil {
		t.Errorf("_ttl column without TTL capture: %v", err)
	}

	enc, err := NewEncoder(tb, nil, Options{Writetime: true})
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	for _, c := range []struct {
		row  Row
		want string
	}{
		{Row{Values: [][]byte{id}}, "row has 1 values, want 6"},
		{Row{Values: [][]byte{id, i32(1), []byte("\xff"), nil, nil, nil}}, `column "s": text: invalid UTF-8`},
		{Row{Values: [][]byte{id, {1}, nil, nil, nil, nil}}, `column "ck": int: want 4 bytes`},
		{Row{Values: [][]byte{id, i32(1), nil, nil, nil, nil}, Writetime: [][]int64{{1}}}, "_writetime: 1 entries, want 0 or 6"},
		{Row{Values: [][]byte{id, i32(1), nil, nil, nil, nil}, Writetime: [][]int64{nil, {1}, nil, nil, nil, nil}}, `column "ck" is a key column`},
		{Row{Values: [][]byte{id, i32(1), nil, nil, nil, nil}, Writetime: [][]int64{nil, nil, {1, 2}, nil, nil, nil}}, `column "s" has 2 values, want 1`},
		{Row{Values: [][]byte{id, i32(1), nil, nil, nil, nil}, Writetime: [][]int64{nil, nil, {NullElement}, nil, nil, nil}}, `column "s" has 1 values, want 1 (not NullElement)`},
	} {
		dst := []byte("keep")
		out, err := enc.AppendRow(dst, &c.row)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AppendRow: %v, want %q", err, c.want)
		}
		if string(out) != "keep" {
			t.Errorf("AppendRow changed dst on error: %q", out)
		}
	}
}

func TestDecodeRowRejects(t *testing.T) {
	tb := wideTable(t)
	dec, err := NewDecoder(tb, nil, Options{Writetime: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ line, want string }{
		{``, "want a JSON object, got the end of the line"},
		{`[]`, "want a JSON object, got an array"},
		{`{"ck":1`, "want ',' or '}' after a row value"},
		{`{"ck":1}x`, "unexpected data after the row object"},
		{`{"ck":1}{}`, "unexpected data after the row object"},
		{`{"ck":1,"ck":2}`, `column "ck" given twice`},
		{`{"ck":"1"}`, `column "ck": offset 6: want an integer for int, got a string`},
		{`{"nope":1}`, `unknown column "nope"`},
		{`{"_ttl":{}}`, `unknown column "_ttl"`},
		{`{ck:1}`, "row key: offset 1: want a string"},
		{`{"ck" 1}`, `column "ck": offset 6: want ':'`},
		{`{"_writetime":{"ck":1}}`, `_writetime: column "ck" is a key column`},
		{`{"_writetime":{"s":[1]}}`, `_writetime: column "s": offset 19: want an integer, got an array`},
		{`{"_writetime":{"tags":1}}`, `want an array for a multi-cell column`},
		{`{"_writetime":{"tags":[1,"2"]}}`, `want an integer, got a string`},
		{`{"_writetime":{"s":1.5}}`, `is not a 64-bit integer`},
		{`{"_writetime":{"s":-9223372036854775808}}`, `is reserved`},
		{`{"_writetime":{"tags":[-9223372036854775808]}}`, `is reserved`},
		{`{"_writetime":{"s":null,"tags":[null]}}x`, `unexpected data`},
		{`{"_writetime":{"s":1,"s":2}}`, `column "s" given twice`},
		{`{"_writetime":{"x":1}}`, `unknown column "x"`},
		{`{"_writetime":{},"_writetime":{}}`, `"_writetime" given twice`},
		{`{"_writetime":[]}`, `want an object, got an array`},
		{`{"home":{"zip":"x"}}`, `column "home": offset 15: want an integer for int`},
	} {
		var r Row
		err := dec.DecodeRow([]byte(c.line), &r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeRow(%s): %v, want %q", c.line, err, c.want)
		}
	}
}

func TestDecodeInt64s(t *testing.T) {
	for _, c := range []struct {
		typ  string
		raw  []byte
		want []int64
		err  string
	}{
		{"bigint", nil, nil, ""},
		{"bigint", i64(-5), []int64{-5}, ""},
		{"int", i32(3600), []int64{3600}, ""},
		{"list<bigint>", coll(2, i64(1), i64(2)), []int64{1, 2}, ""},
		{"list<int>", coll(3, i32(1), nil, i32(3)), []int64{1, NullElement, 3}, ""},
		{"bigint", i64(NullElement), nil, "reserved"},
		{"list<bigint>", coll(1, i64(NullElement)), nil, "reserved"},
		{"list<int>", coll(0), []int64{}, ""},
		{"bigint", i32(1), nil, "bigint of 4 bytes"},
		{"text", []byte("x"), nil, "want bigint, int or a list of them"},
		{"list<int>", append(coll(1, i32(1)), 0), nil, "trailing"},
		{"list<int>", coll(1, i64(1)), nil, "int of 8 bytes"},
	} {
		got, err := DecodeInt64s(mustType(t, c.typ, nil), c.raw)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %x: %v, want %q", c.typ, c.raw, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %x: %v, %v; want %v", c.typ, c.raw, got, err, c.want)
		}
	}
}
