package cassandra

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/schema"
)

// keyTable is a table whose partition key has the given column types
// (named k0, k1, ...), with a clustering column and a value.
func keyTable(t *testing.T, types ...string) *schema.Table {
	t.Helper()
	tb := &schema.Table{Keyspace: "ks", Name: "t"}
	for i, ty := range types {
		tb.Columns = append(tb.Columns, schema.Column{Name: "k" + string(rune('0'+i)), Type: ty, Role: schema.PartitionKey, Position: i})
	}
	tb.Columns = append(tb.Columns,
		schema.Column{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		schema.Column{Name: "v", Type: "text", Role: schema.Regular})
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tb
}

func keyLines(t *testing.T, tb *schema.Table, in string) []string {
	t.Helper()
	list, err := parseKeys(strings.NewReader(in), tb)
	if err != nil {
		t.Fatalf("parseKeys(%q): %v", in, err)
	}
	var out []string
	for _, l := range list.lines {
		out = append(out, string(l))
	}
	return out
}

func TestParseKeysCSVPerType(t *testing.T) {
	for _, tc := range []struct {
		typ, field, want string
	}{
		{"text", "hello", `"hello"`},
		{"text", `"a, b"`, `"a, b"`},
		{"text", `"say ""hi"""`, `"say \"hi\""`},
		{"text", "ünïcode", `"ünïcode"`},
		{"ascii", "abc", `"abc"`},
		{"int", "-42", `-42`},
		{"int", " 7 ", `7`},
		{"bigint", "9223372036854775807", `9223372036854775807`},
		{"smallint", "300", `300`},
		{"tinyint", "-8", `-8`},
		{"varint", "123456789012345678901234567890", `123456789012345678901234567890`},
		{"decimal", "1.50", `1.50`},
		{"double", "2.5", `2.5`},
		{"double", "NaN", `"NaN"`},
		{"boolean", "true", `true`},
		{"uuid", "5e3c6b1e-8a8f-4b7c-9d3c-1f2e3d4c5b6a", `"5e3c6b1e-8a8f-4b7c-9d3c-1f2e3d4c5b6a"`},
		{"timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f", `"50554d6e-29bb-11e5-b345-feff819cdc9f"`},
		{"timestamp", "2026-11-22T15:45:30.123Z", `"2026-11-22T15:45:30.123Z"`},
		{"timestamp", "1700000000000", `"2023-11-14T22:13:20.000Z"`},
		{"timestamp", "2026-11-22 16:45:30+0100", `"2026-11-22T15:45:30.000Z"`},
		{"timestamp", "2026-11-22T16:45:30.5+01:00", `"2026-11-22T15:45:30.500Z"`},
		{"date", "2026-11-22", `"2026-11-22"`},
		{"blob", "0xCAFE", `"0xcafe"`},
		{"inet", "10.0.0.1", `"10.0.0.1"`},
		{"frozen<list<int>>", `"[1,2,3]"`, `[1,2,3]`},
		{"frozen<tuple<int, text>>", `"[1,""x""]"`, `[1,"x"]`},
	} {
		tb := keyTable(t, tc.typ)
		got := keyLines(t, tb, tc.field+"\n")
		want := `{"k0":` + tc.want + `}`
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s %q: %q, want %q", tc.typ, tc.field, got, want)
		}
	}
}

func TestParseKeysCompositeAndDuplicates(t *testing.T) {
	tb := keyTable(t, "text", "int")
	in := "a,1\n\n b,2\na,1\n\"c,d\",3\nb,2\r\n a,1\n"
	got := keyLines(t, tb, in)
	want := []string{`{"k0":" a","k1":1}`, `{"k0":" b","k1":2}`, `{"k0":"a","k1":1}`, `{"k0":"b","k1":2}`, `{"k0":"c,d","k1":3}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	list, _ := parseKeys(strings.NewReader(in), tb)
	if list.dups != 1 {
		t.Errorf("%d duplicates dropped, want 1", list.dups)
	}
	// The same keys in another order with other duplicates are the same
	// list.
	other, err := parseKeys(strings.NewReader("\"c,d\",3\n a,1\nb,2\n b,2\na,1\na,1\n"), tb)
	if err != nil || !bytes.Equal(other.bytes(), list.bytes()) {
		t.Errorf("reordered list: %v\n%s\nvs\n%s", err, other.bytes(), list.bytes())
	}
}

func TestParseKeysNDJSON(t *testing.T) {
	tb := keyTable(t, "text", "bigint", "blob")
	in := `{"k0":"b","k1":-5,"k2":"0xff"}
{"k0":"a","k1":1,"k2":"0x00"}
  {"k2":"0X00", "k1":1, "k0":"a"}
`
	got := keyLines(t, tb, "\n\n"+in)
	want := []string{`{"k0":"a","k1":1,"k2":"0x00"}`, `{"k0":"b","k1":-5,"k2":"0xff"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseKeysErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		types          []string
	}{
		{"empty", "", "empty", []string{"text"}},
		{"only blanks", "\n  \n", "empty", []string{"text"}},
		{"too few fields", "a,1\nb\n", "line 2: 1 fields, want 2", []string{"text", "int"}},
		{"too many fields", "a,1,2\n", "line 1: 3 fields, want 2", []string{"text", "int"}},
		{"bad int", "a,x\n", "line 1, column k1 (int)", []string{"text", "int"}},
		{"int overflow", "3000000000\n", "line 1, column k0 (int)", []string{"int"}},
		{"bad uuid", "nope\n", "column k0 (uuid)", []string{"uuid"}},
		{"bad blob", "cafe\n", "column k0 (blob)", []string{"blob"}},
		{"empty int", "\"\"\n", "column k0 (int): empty", []string{"int"}},
		{"empty text key", "\"\"\n", "empty partition key", []string{"text"}},
		{"json missing column", `{"k0":"a"}`, `line 1: no "k1"`, []string{"text", "int"}},
		{"json extra column", `{"k0":"a","k1":1,"c":2}`, `"c" is not a partition key column`, []string{"text", "int"}},
		{"json null", `{"k0":null}`, "k0 is null", []string{"text"}},
		{"json wrong type", `{"k0":"1"}`, "column k0 (int)", []string{"int"}},
		{"json not an object", "{\"k0\":1}\n[1]\n", "line 2: not a JSON object", []string{"int"}},
		{"bad csv quote", "\"abc\n", "--keys", []string{"text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseKeys(strings.NewReader(tc.in), keyTable(t, tc.types...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !fault.IsUsage(err) {
				t.Errorf("%v is not a usage error", err)
			}
		})
	}
}

func TestStoredKeysRoundTrip(t *testing.T) {
	tb := keyTable(t, "text", "int")
	list, err := parseKeys(strings.NewReader("a,1\nb,2\nc,3\n"), tb)
	if err != nil {
		t.Fatal(err)
	}
	data := list.bytes()
	if !bytes.Equal(data, []byte("{\"k0\":\"a\",\"k1\":1}\n{\"k0\":\"b\",\"k1\":2}\n{\"k0\":\"c\",\"k1\":3}\n")) {
		t.Fatalf("stored form %q", data)
	}
	// The stored form parses back to the same keys and canonical lines.
	again, err := parseKeys(bytes.NewReader(data), tb)
	if err != nil || !bytes.Equal(again.bytes(), data) {
		t.Fatalf("stored list does not parse back to itself: %v", err)
	}
}
