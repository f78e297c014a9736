package format

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/schema"
)

// TestValueText pins the JSON of values the dump's users rely on.
func TestValueText(t *testing.T) {
	for _, c := range []struct {
		typ  string
		raw  []byte
		json string
	}{
		{"varint", vi(pow2(200)), "1606938044258990275541962092341162602522202993782792835301376"},
		{"decimal", dec(big.NewInt(123), 300), "1.23E-298"},
		{"decimal", dec(big.NewInt(150), 2), "1.50"},
		{"decimal", dec(big.NewInt(1), -3), "1E+3"},
		{"double", f64(math.Copysign(0, -1)), "-0"},
		{"double", f64bits(0x7ff8000000000000), `"NaN"`},
		{"float", f32(float32(math.Inf(-1))), `"-Infinity"`},
		{"blob", []byte{}, `"0x"`},
		{"blob", []byte{0xCA, 0xFE}, `"0xcafe"`},
		{"timestamp", i64(1795362330123), `"2026-11-22T15:45:30.123Z"`},
		{"timestamp", i64(253402300800000), `"+10000-01-01T00:00:00.000Z"`},
		{"timestamp", i64(-62167219200001), `"-0001-12-31T23:59:59.999Z"`},
		{"date", cdate(0), `"1970-01-01"`},
		{"time", i64(45296789000001), `"12:34:56.789000001"`},
		{"duration", dur(14, 25, 5*3600e9+6*60e9+7e9+8e6+9e3+10), `"1y2mo25d5h6m7s8ms9us10ns"`},
		{"duration", dur(0, -3, 0), `"-3d"`},
		{"inet", []byte{10, 0, 0, 1}, `"10.0.0.1"`},
		{"text", []byte("a\u2028b\x01"), `"a\u2028b\u0001"`},
		{"map<int, text>", coll(1, i32(1), []byte("x")), `[[1,"x"]]`},
		{"map<text, int>", coll(1, []byte("x"), i32(1)), `{"x":1}`},
		{"tuple<int, text>", frame(nil, []byte("x")), `[null,"x"]`},
		{"int", []byte{}, `""`},
	} {
		typ := mustType(t, c.typ, nil)
		got, err := AppendValue(nil, typ, c.raw)
		if err != nil || string(got) != c.json {
			t.Errorf("%s %x: got %s, %v; want %s", c.typ, c.raw, got, err, c.json)
		}
	}
}

// TestParseAccepts covers inputs that are not the encoder's canonical
// output but mean a value unambiguously.
func TestParseAccepts(t *testing.T) {
	udts := udtsOf(t)
	for _, c := range []struct {
		typ, json string
		raw       []byte
	}{
		{"text", `"\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t"`, []byte("é😀/\"\\\b\f\n\r\t")},
		{"text", ` "x" `, []byte("x")},
		{"blob", `"0xCAFE"`, []byte{0xca, 0xfe}},
		{"blob", `"0X00"`, []byte{0}},
		{"uuid", `"123E4567-E89B-42D3-A456-426614174000"`, []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}},
		{"decimal", `1.50e0`, dec(big.NewInt(150), 2)},
		{"decimal", `-0.00`, dec(big.NewInt(0), 2)},
		{"decimal", `12e-1`, dec(big.NewInt(12), 1)},
		{"decimal", `1E+3`, dec(big.NewInt(1), -3)},
		{"decimal", `0001`[3:], dec(big.NewInt(1), 0)},
		{"double", `1E2`, f64(100)},
		{"double", `-0.0`, f64(math.Copysign(0, -1))},
		{"double", `"NaN(0x7ff0000000000001)"`, f64bits(0x7ff0000000000001)},
		{"float", `0.1`, f32(0.1)},
		{"int", `-0`, i32(0)},
		{"timestamp", `"2026-11-22T15:45:30Z"`, i64(1795362330000)},
		{"timestamp", `"2026-11-22T15:45:30.1Z"`, i64(1795362330100)},
		{"timestamp", `"2026-11-22T15:45:30.123000Z"`, i64(1795362330123)},
		{"timestamp", `"+2026-11-22T15:45:30.123Z"`, i64(1795362330123)},
		{"time", `"12:34:56"`, i64(45296000000000)},
		{"time", `"12:34:56.5"`, i64(45296500000000)},
		{"duration", `"1y2mo3w4d5h6m7s8ms9us10ns"`, dur(14, 25, 5*3600e9+6*60e9+7e9+8e6+9e3+10)},
		{"duration", `"2µs"`, dur(0, 0, 2000)},
		{"duration", `"-0s"`, dur(0, 0, 0)},
		{"inet", `"::FFFF:192.0.2.1"`, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}},
		{"list<int>", `[ 1 , 2 ]`, coll(2, i32(1), i32(2))},
		{"list<int>", `[null]`, coll(1, nil)},
		{"frozen<address>", `{"zip":5,"street":"s"}`, frame([]byte("s"), i32(5))},
		{"frozen<address>", `{"tags":[]}`, frame(nil, nil, coll(0))},
		{"frozen<address>", `{"street":"s","tags":null}`, frame([]byte("s"), nil, nil)},
	} {
		typ := mustType(t, c.typ, udts)
		got, err := ParseValue(typ, []byte(c.json))
		if err != nil || !bytes.Equal(got, c.raw) {
			t.Errorf("ParseValue(%s, %s) = %x, %v; want %x", c.typ, c.json, got, err, c.raw)
		}
	}
	if got, err := ParseValue(mustType(t, "int", nil), []byte(" null ")); got != nil || err != nil {
		t.Errorf("null: %x, %v", got, err)
	}
}

// TestParseRejects: every bad input is an error saying what is wrong.
func TestParseRejects(t *testing.T) {
	udts := udtsOf(t)
	for _, c := range []struct{ typ, json, want string }{
		{"int", `01`, "malformed number"},
		{"int", `+1`, "want an integer for int, got '+'"},
		{"int", `0x10`, "malformed number"},
		{"int", `1.0`, "is not a int"},
		{"int", `1e2`, "is not a int"},
		{"int", `2147483648`, "out of the int range"},
		{"int", `"1"`, "want an integer for int, got a string"},
		{"int", `.5`, "got '.'"},
		{"int", `1.`, "no digit after '.'"},
		{"int", `1 2`, "unexpected data after the value"},
		{"tinyint", `128`, "out of the tinyint range"},
		{"smallint", `-32769`, "out of the smallint range"},
		{"bigint", `9223372036854775808`, "is not a bigint"},
		{"bigint", `NaN`, "want an integer for bigint"},
		{"varint", `1.5`, "want an integer for varint"},
		{"varint", `1e3`, "want an integer for varint"},
		{"decimal", `"1.5"`, "want a number for decimal, got a string"},
		{"decimal", `1e-2147483648`, "scale out of the int32 range"},
		{"double", `1e400`, "out of the double range"},
		{"float", `1e39`, "out of the float range"},
		{"double", `"nan"`, "bad double"},
		{"double", `"NaN(0x0000000000000001)"`, "bad double"},
		{"boolean", `1`, "want true or false for boolean, got a number"},
		{"boolean", `"true"`, "want true or false"},
		{"boolean", `truex`, "want true or false"},
		{"text", `"a`, "unterminated string"},
		{"text", "\"a\nb\"", "control character"},
		{"text", `"\x"`, `unknown escape \x`},
		{"text", `"\ud800"`, "lone UTF-16 surrogate"},
		{"text", `"\udc00x"`, "lone UTF-16 surrogate"},
		{"text", "\"\xff\"", "invalid UTF-8"},
		{"text", `"\u12"`, "malformed \\u escape"},
		{"text", `5`, "want a string for text, got a number"},
		{"ascii", `"é"`, "non-ASCII character"},
		{"blob", `"cafe"`, "want 0x"},
		{"blob", `"0xabc"`, "even number of hex digits"},
		{"blob", `"0xzz"`, "not a hex digit"},
		{"uuid", `"123e4567e89b42d3a456426614174000"`, "8-4-4-4-12"},
		{"uuid", `"123e4567-e89b-42d3-a456-42661417400g"`, "not a hex digit"},
		{"inet", `"1.2.3"`, "bad inet"},
		{"inet", `"fe80::1%eth0"`, "zones"},
		{"inet", `"01.2.3.4"`, "bad inet"},
		{"timestamp", `"2026-11-22 15:45:30.123Z"`, "want 'T'"},
		{"timestamp", `"2026-11-22T15:45:30.123+01:00"`, "want 'Z'"},
		{"timestamp", `"2026-02-29T00:00:00.000Z"`, "want a day 01-28"},
		{"timestamp", `"2026-13-01T00:00:00.000Z"`, "month"},
		{"timestamp", `"2026-11-22T24:00:00.000Z"`, "hours"},
		{"timestamp", `"2026-11-22T15:45:30.1234Z"`, "millisecond precision"},
		{"timestamp", `"+292278994-08-17T07:12:55.808Z"`, "out of the timestamp range"},
		{"timestamp", `"-292275055-05-16T16:47:04.191Z"`, "out of the timestamp range"},
		{"timestamp", `"26-11-22T15:45:30.123Z"`, "four digits"},
		{"timestamp", `1795362330123`, "want a string for timestamp"},
		{"date", `"+5881580-07-12"`, "out of the date range"},
		{"date", `"-5877641-06-22"`, "out of the date range"},
		{"date", `"2026-11-22T00:00:00Z"`, "unexpected"},
		{"time", `"24:00:00"`, "hours"},
		{"time", `"12:00:00.1234567890"`, "unexpected"},
		{"time", `"12:00"`, "':'"},
		{"duration", `"1h1y"`, "misplaced unit \"y\""},
		{"duration", `"1x"`, `unit "x"`},
		{"duration", `"h"`, "want a number"},
		{"duration", `""`[0:2], ""},
		{"duration", `"-"`, "without units"},
		{"duration", `"2147483648mo"`, "out of range"},
		{"duration", `"1us1µs"`, "misplaced unit"},
		{"duration", `"99999999999999999999ns"`, "too large"},
		{"list<int>", `{}`, "want an array for list<int>, got an object"},
		{"list<int>", `[1,]`, "want an integer"},
		{"list<int>", `[1 2]`, "want ',' or ']'"},
		{"map<text, int>", `[["a",1]]`, "want an object for map<text, int>"},
		{"map<text, int>", `{"a":1,}`, "want a string"},
		{"map<int, int>", `{"1":1}`, "want an array of [key, value] pairs"},
		{"map<int, int>", `[[1]]`, "want ','"},
		{"map<int, int>", `[[1,2,3]]`, "want ']'"},
		{"map<int, int>", `[1]`, "want a [key, value] pair"},
		{"tuple<int, int>", `[1,2,3]`, "has 2 components, got more"},
		{"frozen<address>", `{"nope":1}`, `has no field "nope"`},
		{"frozen<address>", `{"zip":1,"zip":2}`, `field "zip" given twice`},
		{"frozen<address>", `[]`, "want an object for frozen<address>"},
		{"vector<float, 3>", `[1,2]`, "has 3 elements, got 2"},
		{"vector<float, 3>", `[1,2,3,4]`, "has 3 elements, got more"},
		{"vector<float, 2>", `[1,null]`, "cannot be null"},
		{"vector<float, 2>", `[1,""]`, "want 4 bytes, got 0"},
		{"vector<vector<bigint, 1073741824>, 4>", `[]`, "too large"},
		{"int", ``, "want an integer for int, got the end of the line"},
		{"int", `nul`, "want an integer"},
	} {
		typ := mustType(t, c.typ, udts)
		got, err := ParseValue(typ, []byte(c.json))
		if c.want == "" {
			// Only checks that the case parses: "" is the empty duration.
			if err != nil {
				t.Errorf("ParseValue(%s, %s): %v", c.typ, c.json, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseValue(%s, %s) = %x, %v; want an error containing %q", c.typ, c.json, got, err, c.want)
		}
	}
}

// TestEncodeRejects: bytes Cassandra would not give are errors, not
// silently different JSON.
func TestEncodeRejects(t *testing.T) {
	udts := udtsOf(t)
	for _, c := range []struct {
		typ  string
		raw  []byte
		want string
	}{
		{"text", []byte("a\xffb"), "invalid UTF-8 at byte 1"},
		{"text", []byte("\xed\xa0\x80"), "invalid UTF-8"},
		{"ascii", []byte("é"), "non-ASCII byte"},
		{"int", []byte{1, 2, 3}, "want 4 bytes, got 3"},
		{"bigint", []byte{1}, "want 8 bytes"},
		{"boolean", []byte{1, 0}, "want 1 bytes"},
		{"uuid", make([]byte, 15), "want 16 bytes"},
		{"inet", make([]byte, 5), "want 4 or 16 bytes"},
		{"decimal", []byte{0, 0, 0, 1}, "at least 5 bytes"},
		{"time", i64(86400000000000), "not a time of day"},
		{"time", i64(-1), "not a time of day"},
		{"duration", cat(uvint(zz(1)), uvint(zz(-1)), uvint(zz(0))), "different signs"},
		{"duration", cat(uvint(zz(1)), uvint(zz(1))), "truncated vint"},
		{"duration", cat(uvint(zz(1)), uvint(zz(1)), uvint(zz(1)), []byte{0}), "trailing"},
		{"duration", cat(uvint(zz(1<<31)), uvint(zz(0)), uvint(zz(0))), "int32 range"},
		{"list<int>", []byte{0, 0, 0}, "truncated"},
		{"list<int>", coll(2, i32(1)), "element 1: truncated"},
		{"list<int>", coll(3, i32(1)), "count 3 does not fit"},
		{"list<int>", append(coll(1, i32(1)), 0), "trailing"},
		{"list<int>", cat(i32(1), i32(-2)), "element length -2"},
		{"list<int>", cat(i32(1), i32(100), i32(1)), "does not fit"},
		{"list<int>", coll(1, []byte{1}), "element 0: int: want 4 bytes"},
		{"map<text, int>", coll(1, nil, i32(1)), "null key"},
		{"map<text, int>", coll(1, []byte("k")), "value: truncated"},
		{"tuple<int>", append(frame(i32(1)), 0), "trailing"},
		{"frozen<address>", append(frame(nil, nil, nil), 0), "trailing"},
		{"frozen<address>", frame([]byte("\xff")), "field street: text: invalid UTF-8"},
		{"vector<float, 2>", f32(1), "want 8 bytes"},
		{"vector<text, 2>", varvec([]byte("a")), "element 1: truncated"},
		{"vector<text, 1>", []byte{5, 'a'}, "element 0: truncated"},
		{"vector<text, 1>", append(varvec([]byte("a")), 0), "trailing"},
		{"vector<vector<bigint, 1073741824>, 4>", []byte{1}, "cannot hold"},
		{"vector<text, 3>", []byte{0, 0}, "cannot hold"},
	} {
		typ := mustType(t, c.typ, udts)
		got, err := AppendValue(nil, typ, c.raw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AppendValue(%s, %x) = %s, %v; want an error containing %q", c.typ, c.raw, got, err, c.want)
		}
	}
}

// TestCalendar checks dates and timestamps against the time package over
// the whole ranges: boundaries and a pseudo-random sample.
func TestCalendar(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dates := []uint32{0, 1, 1<<31 - 1, 1 << 31, 1<<31 + 1, math.MaxUint32 - 1, math.MaxUint32}
	for i := 0; i < 20000; i++ {
		dates = append(dates, rng.Uint32())
	}
	// Every day of four centuries around the Gregorian leap rules, and of
	// year 0 (and the years next to it).
	for d := timeDays(1599, 1, 1); d <= timeDays(2001, 1, 1); d++ {
		dates = append(dates, uint32(d+1<<31))
	}
	for d := timeDays(-2, 1, 1); d <= timeDays(2, 1, 1); d++ {
		dates = append(dates, uint32(d+1<<31))
	}
	typ := mustType(t, "date", nil)
	for _, u := range dates {
		raw := i32(int32(u))
		js, err := AppendValue(nil, typ, raw)
		if err != nil {
			t.Fatal(err)
		}
		tm := time.Unix((int64(u)-1<<31)*86400, 0).UTC()
		if want := `"` + isoDate(tm) + `"`; string(js) != want {
			t.Fatalf("date %d: %s, want %s", u, js, want)
		}
		back, err := ParseValue(typ, js)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("date %s: %x, %v; want %x", js, back, err, raw)
		}
	}
	ms := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	for i := 0; i < 20000; i++ {
		ms = append(ms, int64(rng.Uint64()), rng.Int64N(1<<46)-1<<45)
	}
	typ = mustType(t, "timestamp", nil)
	for _, m := range ms {
		raw := i64(m)
		js, err := AppendValue(nil, typ, raw)
		if err != nil {
			t.Fatal(err)
		}
		tm := time.UnixMilli(m).UTC()
		want := `"` + isoDate(tm) + tm.Format("T15:04:05.000Z") + `"`
		if string(js) != want {
			t.Fatalf("timestamp %d: %s, want %s", m, js, want)
		}
		back, err := ParseValue(typ, js)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("timestamp %s: %x, %v; want %x", js, back, err, raw)
		}
	}
}

// isoDate formats tm's date with the time package's calendar, in the
// ISO 8601 expanded form outside 0000-9999.
func isoDate(tm time.Time) string {
	y, m, d := tm.Date()
	var b []byte
	switch {
	case y < 0:
		b = append(b, '-')
		y = -y
	case y > 9999:
		b = append(b, '+')
	}
	ys := []byte(big.NewInt(int64(y)).String())
	for len(ys) < 4 {
		ys = append([]byte{'0'}, ys...)
	}
	b = append(b, ys...)
	return string(b) + "-" + two(int(m)) + "-" + two(d)
}

func two(v int) string { return string([]byte{byte('0' + v/10), byte('0' + v%10)}) }

// TestNumbersRandom round-trips random floats (all bit patterns, NaN
// payloads included), varints and decimals of up to 40 bytes.
func TestNumbersRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ft, dt := mustType(t, "float", nil), mustType(t, "double", nil)
	vt, dect := mustType(t, "varint", nil), mustType(t, "decimal", nil)
	check := func(ty *schema.Type, raw []byte) {
		t.Helper()
		js, err := AppendValue(nil, ty, raw)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseValue(ty, js)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("%s %x -> %s -> %x, %v", ty, raw, js, back, err)
		}
	}
	for i := 0; i < 100000; i++ {
		check(ft, f32bits(rng.Uint32()))
		check(dt, f64bits(rng.Uint64()))
		mag := make([]byte, 1+rng.IntN(40))
		for k := range mag {
			mag[k] = byte(rng.Uint32())
		}
		x := new(big.Int).SetBytes(mag)
		if rng.IntN(2) == 0 {
			x.Neg(x)
		}
		check(vt, vi(x))
		check(dect, dec(x, int32(rng.Uint32())))
		check(dect, dec(x, int32(rng.IntN(40)-20)))
	}
}

// TestPlainPrefix checks the word-at-a-time scan against the table, with
// every special byte at every position of a 20-byte string.
func TestPlainPrefix(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			b := bytes.Repeat([]byte{'a'}, 20)
			b[pos] = byte(c)
			want := 20
			if !plain[c] {
				want = pos
			}
			if got := plainPrefix(b); got != want {
				t.Fatalf("byte %#x at %d: %d, want %d", c, pos, got, want)
			}
		}
	}
}
