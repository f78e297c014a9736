package format

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the encoder's output")

// goldenCase is a CQL type and edge values of it. Each case is one golden
// file, one row per value: {"k":i,"v":value}.
type goldenCase struct {
	name   string
	typ    string
	values [][]byte
}

// cdate is CQL's date of days since 1970-01-01.
func cdate(days int64) []byte { return i32(int32(uint32(days + 1<<31))) }

func msOf(y, m, d int) int64 { return timeDays(y, m, d) * 86400000 }

func goldenCases() []goldenCase {
	longText := bytes.Repeat([]byte("lading "), 50)
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	asciiAll := make([]byte, 0, 128)
	for i := 0; i < 128; i++ {
		asciiAll = append(asciiAll, byte(i))
	}
	text := [][]byte{
		{}, []byte("hello"), []byte("héllo wörld ☃ 日本語 😀"), []byte("quote \" backslash \\ slash /"),
		[]byte("\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f"), []byte("line\u2028para\u2029end"),
		[]byte("\uFFFD replacement char is valid"), []byte("<script>&amp;</script>"), longText,
	}
	return []goldenCase{
		{"ascii", "ascii", [][]byte{{}, []byte("hello"), asciiAll, []byte(`"\`)}},
		{"text", "text", text},
		{"varchar", "varchar", text[:4]},
		{"boolean", "boolean", [][]byte{{0}, {1}, {}}},
		{"tinyint", "tinyint", [][]byte{i8(math.MinInt8), i8(-1), i8(0), i8(1), i8(math.MaxInt8), {}}},
		{"smallint", "smallint", [][]byte{i16(math.MinInt16), i16(-1), i16(0), i16(math.MaxInt16), {}}},
		{"int", "int", [][]byte{i32(math.MinInt32), i32(-1), i32(0), i32(42), i32(math.MaxInt32), {}}},
		{"bigint", "bigint", [][]byte{i64(math.MinInt64), i64(-1), i64(0), i64(1 << 53), i64(1<<53 + 1), i64(math.MaxInt64), {}}},
		{"counter", "counter", [][]byte{i64(math.MinInt64), i64(0), i64(math.MaxInt64)}},
		{"varint", "varint", [][]byte{
			vi(big.NewInt(0)), vi(big.NewInt(1)), vi(big.NewInt(-1)), vi(big.NewInt(127)), vi(big.NewInt(128)),
			vi(big.NewInt(-128)), vi(big.NewInt(-129)), vi(big.NewInt(math.MaxInt64)), vi(big.NewInt(math.MinInt64)),
			vi(new(big.Int).Add(big.NewInt(math.MaxInt64), big.NewInt(1))),
			vi(new(big.Int).Sub(big.NewInt(math.MinInt64), big.NewInt(1))),
			vi(pow2(200)), vi(neg(pow2(200))), vi(new(big.Int).Sub(pow2(200), big.NewInt(1))),
			vi(bi("1000000000000000000000000000000000000000000000000000000000000")), {},
		}},
		{"decimal", "decimal", [][]byte{
			dec(big.NewInt(0), 0), dec(big.NewInt(150), 2), dec(big.NewInt(-150), 2), dec(big.NewInt(123), 300),
			dec(big.NewInt(1), -3), dec(big.NewInt(-42), -1), dec(big.NewInt(0), 2), dec(big.NewInt(0), 300),
			dec(big.NewInt(0), -5), dec(big.NewInt(-5), 1), dec(big.NewInt(1), 6), dec(big.NewInt(1), 7),
			dec(big.NewInt(123456), 3), dec(big.NewInt(123456), 10), dec(big.NewInt(math.MinInt64), 0),
			dec(pow2(200), 10), dec(neg(pow2(200)), -10), dec(big.NewInt(7), math.MaxInt32),
			dec(big.NewInt(-7), math.MinInt32), dec(bi("31415926535897932384626433832795028841971"), 40), {},
		}},
		{"float", "float", [][]byte{
			f32(0), f32(float32(math.Copysign(0, -1))), f32(1.5), f32(-0.1), f32(0.1), f32(16777217),
			f32(math.MaxFloat32), f32(-math.MaxFloat32), f32(math.SmallestNonzeroFloat32), f32(1e-7), f32(1e21), f32(123456789),
			f32bits(0x7fc00000), f32bits(0x7fc00001), f32bits(0xffc00000), f32(float32(math.Inf(1))), f32(float32(math.Inf(-1))), {},
		}},
		{"double", "double", [][]byte{
			f64(0), f64(math.Copysign(0, -1)), f64(0.1), f64(-2.5), f64(1e21), f64(1e20), f64(1e-6), f64(1e-7),
			f64(math.MaxFloat64), f64(math.SmallestNonzeroFloat64), f64(math.Pi), f64(123456789012345680000),
			f64bits(0x7ff8000000000000), f64bits(math.Float64bits(math.NaN())), f64bits(0xfff8000000000000),
			f64(math.Inf(1)), f64(math.Inf(-1)), {},
		}},
		{"blob", "blob", [][]byte{{}, {0}, {0xde, 0xad, 0xbe, 0xef}, allBytes}},
		{"uuid", "uuid", [][]byte{make([]byte, 16), bytes.Repeat([]byte{0xff}, 16),
			{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}, {}}},
		{"timeuuid", "timeuuid", [][]byte{{0x5b, 0x6f, 0x0e, 0x10, 0x91, 0x3a, 0x11, 0xef, 0x8a, 0x0b, 0x02, 0x42, 0xac, 0x12, 0x00, 0x02}}},
		{"inet", "inet", [][]byte{{127, 0, 0, 1}, {0, 0, 0, 0}, {255, 255, 255, 255},
			append(make([]byte, 15), 1), make([]byte, 16),
			{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
			{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1},
			{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1b, 0x21, 0xff, 0xfe, 0x3a, 0x4b, 0x5c}, {}}},
		{"timestamp", "timestamp", [][]byte{
			i64(0), i64(-1), i64(1), i64(1795362330123), i64(math.MinInt64), i64(math.MaxInt64),
			i64(msOf(9999, 12, 31) + 86399999), i64(msOf(10000, 1, 1)), i64(msOf(1, 1, 1)), i64(msOf(1, 1, 1) - 1),
			i64(msOf(0, 1, 1)), i64(msOf(0, 1, 1) - 1), i64(msOf(-4713, 11, 24)), i64(msOf(2000, 2, 29) + 43200000), {},
		}},
		{"date", "date", [][]byte{
			i32(0), i32(math.MinInt32), i32(-1), i32(math.MaxInt32), i32(1), cdate(20779),
			cdate(timeDays(9999, 12, 31)), cdate(timeDays(10000, 1, 1)),
			cdate(timeDays(1, 1, 1)), cdate(timeDays(0, 12, 31)),
			cdate(timeDays(-1, 12, 31)), {},
		}},
		{"time", "time", [][]byte{i64(0), i64(1), i64(43200000000000), i64(86399999999999), i64(3723004005006), {}}},
		{"duration", "duration", [][]byte{
			dur(0, 0, 0), dur(14, 25, 5*3600e9+6*60e9+7e9+8e6+9e3+10), dur(-14, -25, -(5*3600e9 + 10)),
			dur(1, 0, 0), dur(0, 1, 0), dur(0, 0, 1), dur(0, 0, -1), dur(math.MaxInt32, math.MaxInt32, math.MaxInt64),
			dur(math.MinInt32, math.MinInt32, math.MinInt64), dur(12, 7, 3600e9), {},
		}},
		{"list", "list<int>", [][]byte{coll(0), coll(3, i32(1), i32(2), i32(3)), coll(2, i32(math.MinInt32), i32(math.MaxInt32))}},
		{"frozen_list_text", "frozen<list<text>>", [][]byte{coll(0), coll(3, []byte("a"), []byte(""), []byte("\"\n"))}},
		{"set", "set<text>", [][]byte{coll(0), coll(2, []byte("a"), []byte("b"))}},
		{"set_timestamp", "frozen<set<timestamp>>", [][]byte{coll(2, i64(-1), i64(math.MaxInt64))}},
		{"map_text", "map<text, int>", [][]byte{coll(0), coll(2, []byte("b"), i32(2), []byte("a"), i32(1)), coll(1, []byte("we\"ird\n"), i32(-1))}},
		{"map_ascii", "map<ascii, boolean>", [][]byte{coll(1, []byte("x"), []byte{1})}},
		{"map_int", "map<int, text>", [][]byte{coll(0), coll(2, i32(1), []byte("one"), i32(-2), []byte("minus two"))}},
		{"map_nested", "map<uuid, frozen<map<date, frozen<list<double>>>>>", [][]byte{
			coll(1, make([]byte, 16), coll(1, i32(math.MinInt32), coll(2, f64(math.Inf(-1)), f64(0.5)))),
		}},
		{"list_of_frozen_map", "list<frozen<map<text, blob>>>", [][]byte{coll(2, coll(0), coll(1, []byte("k"), []byte{}))}},
		{"tuple", "tuple<int, text, boolean>", [][]byte{
			frame(i32(1), []byte("x"), []byte{1}), frame(nil, nil, nil), frame(i32(1)), frame(), frame(i32(0), []byte{}, nil),
		}},
		{"tuple_nested", "frozen<tuple<tuple<int, varint>, list<text>>>", [][]byte{
			frame(frame(i32(7), vi(pow2(70))), coll(1, []byte("a"))),
		}},
		{"udt", "frozen<address>", [][]byte{
			frame([]byte("1 Main St"), i32(12345), coll(2, []byte("home"), []byte("work"))),
			frame(nil, i32(0), nil), frame([]byte("short")), frame(),
		}},
		{"udt_nested", "person", [][]byte{
			frame([]byte("Ann"), frame([]byte("x"), i32(1), coll(0)), coll(2, frame([]byte("y"), nil, nil), frame())),
			frame(nil, nil, nil),
		}},
		{"vector_float", "vector<float, 3>", [][]byte{cat(f32(1), f32(-0.5), f32(float32(math.Inf(1)))), cat(f32(0), f32(float32(math.Copysign(0, -1))), f32bits(0x7fc00000))}},
		{"vector_bigint", "vector<bigint, 2>", [][]byte{cat(i64(math.MinInt64), i64(math.MaxInt64))}},
		{"vector_uuid", "vector<uuid, 1>", [][]byte{bytes.Repeat([]byte{0xab}, 16)}},
		{"vector_text", "vector<text, 2>", [][]byte{varvec([]byte("a"), []byte("")), varvec(longText, []byte("é"))}},
		{"vector_smallint", "vector<smallint, 2>", [][]byte{varvec(i16(-1), i16(math.MaxInt16))}},
		{"vector_of_vector", "vector<vector<int, 2>, 2>", [][]byte{cat(i32(1), i32(2), i32(3), i32(4))}},
		{"vector_of_list", "vector<frozen<list<int>>, 2>", [][]byte{varvec(coll(0), coll(1, i32(5)))}},
	}
}

// TestGolden encodes every case, compares with the committed golden file
// (go test -update rewrites it), then decodes the file and compares the
// bytes with the values.
func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			if seen[gc.name] {
				t.Fatalf("duplicate case %s", gc.name)
			}
			seen[gc.name] = true
			tb := kvTable(t, gc.typ)
			enc, err := NewEncoder(tb, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			for i, v := range gc.values {
				r := Row{Values: [][]byte{i32(int32(i)), v}}
				if got, err = enc.AppendRow(got, &r); err != nil {
					t.Fatalf("value %d (%x): %v", i, v, err)
				}
			}
			path := filepath.Join("testdata", "golden", gc.name+".ndjson")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding differs from %s:\n got: %s\nwant: %s", path, got, want)
			}
			dec, err := NewDecoder(tb, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(want, []byte("\n")), []byte("\n"))
			if len(lines) != len(gc.values) {
				t.Fatalf("%s has %d lines, want %d", path, len(lines), len(gc.values))
			}
			var r Row
			for i, line := range lines {
				if err := dec.DecodeRow(line, &r); err != nil {
					t.Fatalf("line %d %s: %v", i+1, line, err)
				}
				if !bytes.Equal(r.Values[0], i32(int32(i))) || !bytes.Equal(r.Values[1], gc.values[i]) || r.Values[1] == nil {
					t.Fatalf("line %d %s: decoded %x, want %x", i+1, line, r.Values[1], gc.values[i])
				}
				// The per-value functions agree with the row codec.
				js, err := AppendValue(nil, kvTable(t, gc.typ).Columns[1].T, gc.values[i])
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf(`{"k":%d,"v":%s}`, i, js); string(line) != want {
					t.Fatalf("AppendValue gives %s, row %s", want, line)
				}
				raw, err := ParseValue(tb.Columns[1].T, js)
				if err != nil || !bytes.Equal(raw, gc.values[i]) || raw == nil {
					t.Fatalf("ParseValue(%s) = %x, %v; want %x", js, raw, err, gc.values[i])
				}
			}
		})
	}
}
