package dynamodb

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/format"
)

// One data-file line as AWS documents DynamoDB JSON (N as text, B as
// base64), decoded into the same values a Scan gives, whatever the
// test's own export builder writes.
func TestDecodeExportLine(t *testing.T) {
	line := `{"Item":{"pk":{"S":"a\"b"},"n":{"N":"-12345678901234567890123456789012345678"},"b":{"B":"AAH/"},` +
		`"e":{"B":""},"t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["x","y"]},"ns":{"NS":["1E+125","0.5"]},` +
		`"bs":{"BS":["AA==","/w=="]},"l":{"L":[{"N":"1"},{"L":[]},{"M":{}}]},"m":{"M":{"SS":{"L":[{"S":"not a set"}]}}}}}`
	want := format.DynamoItem{
		"pk": {Kind: format.DynamoS, S: `a"b`},
		"n":  {Kind: format.DynamoN, S: "-12345678901234567890123456789012345678"},
		"b":  {Kind: format.DynamoB, B: []byte{0, 1, 0xff}},
		"e":  {Kind: format.DynamoB, B: []byte{}},
		"t":  {Kind: format.DynamoBOOL, Bool: true},
		"z":  {Kind: format.DynamoNULL},
		"ss": {Kind: format.DynamoSS, Set: []string{"x", "y"}},
		"ns": {Kind: format.DynamoNS, Set: []string{"1E+125", "0.5"}},
		"bs": {Kind: format.DynamoBS, BSet: [][]byte{{0}, {0xff}}},
		"l": {Kind: format.DynamoL, L: []format.DynamoValue{
			{Kind: format.DynamoN, S: "1"}, {Kind: format.DynamoL, L: []format.DynamoValue{}}, {Kind: format.DynamoM, M: map[string]format.DynamoValue{}},
		}},
		"m": {Kind: format.DynamoM, M: map[string]format.DynamoValue{
			"SS": {Kind: format.DynamoL, L: []format.DynamoValue{{Kind: format.DynamoS, S: "not a set"}}},
		}},
	}
	got, err := decodeExportLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	g, err1 := format.AppendDynamoItem(nil, got)
	w, err2 := format.AppendDynamoItem(nil, want)
	if err1 != nil || err2 != nil || string(g) != string(w) {
		t.Fatalf("decoded\n%s(%v)\nwant\n%s(%v)", g, err1, w, err2)
	}
	for _, bad := range []string{
		`{"Item":{"a":{"S":"x","N":"1"}}}`, // two tags
		`{"Item":{"a":{"X":"1"}}}`,         // unknown tag
		`{"Item":{"a":{"NULL":false}}}`,
		`{"Item":{"a":{"B":"not base64!"}}}`,
		`{"item":{}}`,
		`{"Item":{"a":{"L":[{"S":1}]}}}`,
		`{"Item":{"a":` + strings.Repeat(`{"L":[`, 70) + `{"S":"x"}` + strings.Repeat(`]}`, 70) + `}}`,
	} {
		if _, err := decodeExportLine([]byte(bad)); err == nil {
			t.Errorf("%s: decoded, want an error", bad)
		}
	}
}

// The manifests' keys are read inside the export's directory, with or
// without the export prefix (AWS's own example leaves it out), and never
// outside it.
func TestRelKey(t *testing.T) {
	sum := &exportSummary{S3Prefix: "2020-Nov"}
	for key, want := range map[string]string{
		"2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4/data/abc.json.gz": "data/abc.json.gz",
		"AWSDynamoDB/01345678901234-abc12345/manifest-files.json":       "manifest-files.json",
		"other/AWSDynamoDB/0123/data/x.json.gz":                         "",
		"2020-Nov/AWSDynamoDB/0123/../../x":                             "",
		"2020-Nov/AWSDynamoDB/0123/":                                    "",
		"data/x.json.gz":                                                "",
	} {
		got, err := relKey(sum, key)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("relKey(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
}
