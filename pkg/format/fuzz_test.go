package format

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// allTypesTable has one regular column per golden case, c0, c1, ...
func allTypesTable(t testing.TB) (*schema.Table, []goldenCase) {
	t.Helper()
	cases := goldenCases()
	tb := &schema.Table{Keyspace: "ks", Name: "all", UserTypes: testUserTypes(),
		Columns: []schema.Column{{Name: "k", Type: "int", Role: schema.PartitionKey}}}
	for i, c := range cases {
		tb.Columns = append(tb.Columns, schema.Column{Name: fmt.Sprintf("c%d", i), Type: c.typ, Role: schema.Regular})
	}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tb, cases
}

// FuzzDecodeRow: no line makes the decoder panic, and whatever it accepts
// re-encodes to a line that decodes to the same values (and re-encodes to
// itself).
func FuzzDecodeRow(f *testing.F) {
	tb, cases := allTypesTable(f)
	opts := Options{Writetime: true, TTL: true}
	enc, err := NewEncoder(tb, nil, opts)
	if err != nil {
		f.Fatal(err)
	}
	dec, err := NewDecoder(tb, nil, opts)
	if err != nil {
		f.Fatal(err)
	}
	// Seeds: rows taking the j-th value of every case.
	for j := 0; j < 21; j++ {
		r := Row{Values: make([][]byte, len(tb.Columns)), Writetime: make([][]int64, len(tb.Columns))}
		r.Values[0] = i32(int32(j))
		for i, c := range cases {
			if len(c.values) > 0 {
				r.Values[i+1] = c.values[j%len(c.values)]
			}
		}
		r.Writetime[1] = []int64{int64(j)}
		line, err := enc.AppendRow(nil, &r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(line)
	}
	f.Add([]byte(`{"k":1,"_writetime":{"c1":5},"_ttl":{"c25":[1,2]}}`))
	f.Add([]byte(`{"c30":{"zip":1,"street":"x"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r Row
		if err := dec.DecodeRow(line, &r); err != nil {
			return
		}
		line2, err := enc.AppendRow(nil, &r)
		if err != nil {
			t.Fatalf("accepted %q but cannot re-encode: %v", line, err)
		}
		var r2 Row
		if err := dec.DecodeRow(line2, &r2); err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", line2, err)
		}
		if !reflect.DeepEqual(r.Values, r2.Values) || !reflect.DeepEqual(r.Writetime, r2.Writetime) || !reflect.DeepEqual(r.TTL, r2.TTL) {
			t.Fatalf("%q -> %q decodes differently", line, line2)
		}
		line3, err := enc.AppendRow(nil, &r2)
		if err != nil || !bytes.Equal(line2, line3) {
			t.Fatalf("re-encoding is not stable: %q vs %q (%v)", line2, line3, err)
		}
	})
}

// FuzzPartReader: no byte stream makes the reader panic or return lines
// with '\n' in them; for valid parts the lines come back unchanged.
func FuzzPartReader(f *testing.F) {
	for _, comp := range []string{"zstd", "gzip", "none"} {
		f.Add(writePart(f, comp, CompressOptions{}, [][]byte{[]byte("{}\n"), []byte(`{"a":1}` + "\n")}), comp)
	}
	f.Add([]byte("{}\n{"), "none")
	f.Fuzz(func(t *testing.T, data []byte, comp string) {
		ext, err := Extension(comp)
		if err != nil {
			return
		}
		pr, err := NewPartReader(bytes.NewReader(data), "p"+ext)
		if err != nil {
			return
		}
		defer pr.Close()
		var total int
		for {
			line, err := pr.Next()
			if err != nil {
				if err != io.EOF && comp == "none" && bytes.HasSuffix(data, []byte("\n")) {
					t.Fatalf("valid uncompressed part rejected: %v", err)
				}
				return
			}
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatal("line contains a newline")
			}
			total += len(line) + 1
			if comp == "none" && !bytes.Equal(line, data[total-len(line)-1:total-1]) {
				t.Fatal("uncompressed line differs from the input")
			}
		}
	})
}

// fuzzTypes are the types of the golden cases, indexed by a fuzzed byte.
func fuzzTypes(f *testing.F) ([]*schema.Type, []goldenCase) {
	tb, cases := allTypesTable(f)
	types := make([]*schema.Type, len(cases))
	for i := range cases {
		types[i] = tb.Columns[i+1].T
	}
	return types, cases
}

// FuzzAppendValue: whatever bytes a column holds, encoding never panics,
// and JSON it writes always decodes, to bytes that encode to the same JSON.
func FuzzAppendValue(f *testing.F) {
	types, cases := fuzzTypes(f)
	for i, c := range cases {
		for _, v := range c.values {
			f.Add(uint8(i), v)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		typ := types[int(which)%len(types)]
		js, err := AppendValue(nil, typ, raw)
		if err != nil {
			return
		}
		back, err := ParseValue(typ, js)
		if err != nil {
			t.Fatalf("%s %x: wrote %s, which does not parse: %v", typ, raw, js, err)
		}
		js2, err := AppendValue(nil, typ, back)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s %x: %s -> %x -> %s (%v)", typ, raw, js, back, js2, err)
		}
	})
}

// FuzzParseValue: whatever JSON is given for a type, parsing never panics,
// and what it accepts encodes to JSON that parses to the same bytes.
func FuzzParseValue(f *testing.F) {
	types, cases := fuzzTypes(f)
	for i, c := range cases {
		for _, v := range c.values {
			js, err := AppendValue(nil, types[i], v)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), js)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, js []byte) {
		typ := types[int(which)%len(types)]
		raw, err := ParseValue(typ, js)
		if err != nil || raw == nil {
			return
		}
		js2, err := AppendValue(nil, typ, raw)
		if err != nil {
			t.Fatalf("%s %s: parsed to %x, which does not encode: %v", typ, js, raw, err)
		}
		raw2, err := ParseValue(typ, js2)
		if err != nil || !bytes.Equal(raw, raw2) {
			t.Fatalf("%s %s -> %x -> %s -> %x (%v)", typ, js, raw, js2, raw2, err)
		}
	})
}
