package format

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dynamoGolden is an item with every DynamoDB attribute type and the
// edge cases of the mapping; testdata/golden/dynamodb.ndjson is its line.
func dynamoGolden() DynamoItem {
	return DynamoItem{
		"pk":     {Kind: DynamoS, S: "order#1"},
		"empty":  {Kind: DynamoS, S: ""},
		"text":   {Kind: DynamoS, S: "quote\" back\\ tab\t nl\n é 中 😀 \u2028"},
		"n38":    {Kind: DynamoN, S: "12345678901234567890123456789012345678"},
		"nfrac":  {Kind: DynamoN, S: "-0.12345678901234567890123456789012345678"},
		"nexp":   {Kind: DynamoN, S: "1E+125"},
		"bin":    {Kind: DynamoB, B: []byte{0, 1, 0xfe, 0xff}},
		"bin0":   {Kind: DynamoB, B: []byte{}},
		"yes":    {Kind: DynamoBOOL, Bool: true},
		"no":     {Kind: DynamoBOOL},
		"nil":    {Kind: DynamoNULL},
		"ss":     {Kind: DynamoSS, Set: []string{"b", "a", ""}},
		"ns":     {Kind: DynamoNS, Set: []string{"10", "-1.5", "12345678901234567890123456789012345678"}},
		"bs":     {Kind: DynamoBS, BSet: [][]byte{{0xff}, {0}}},
		"list":   {Kind: DynamoL, L: []DynamoValue{{Kind: DynamoS, S: "x"}, {Kind: DynamoN, S: "1"}, {Kind: DynamoL, L: []DynamoValue{}}, {Kind: DynamoSS, Set: []string{"in a list"}}}},
		"lempty": {Kind: DynamoL, L: []DynamoValue{}},
		"map": {Kind: DynamoM, M: map[string]DynamoValue{
			"b":      {Kind: DynamoS, S: "nested"},
			"a":      {Kind: DynamoM, M: map[string]DynamoValue{"deep": {Kind: DynamoB, B: []byte("hi")}}},
			"":       {Kind: DynamoNULL},
			"mempty": {Kind: DynamoM, M: map[string]DynamoValue{}},
		}},
		"tagmap": {Kind: DynamoM, M: map[string]DynamoValue{"SS": {Kind: DynamoL, L: []DynamoValue{{Kind: DynamoS, S: "not a set"}}}}},
		"tagm":   {Kind: DynamoM, M: map[string]DynamoValue{"M": {Kind: DynamoS, S: "a map whose key is M"}}},
	}
}

func TestDynamoGolden(t *testing.T) {
	line, err := AppendDynamoItem(nil, dynamoGolden())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "dynamodb.ndjson")
	if *update {
		if err := os.WriteFile(path, line, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(line, want) {
		t.Fatalf("encoding changed (go test -run TestDynamoGolden -update rewrites it):\ngot  %s\nwant %s", line, want)
	}
	back, err := DecodeDynamoItem(line[:len(line)-1])
	if err != nil {
		t.Fatal(err)
	}
	again, err := AppendDynamoItem(nil, back)
	if err != nil || !bytes.Equal(again, line) {
		t.Fatalf("decode and encode again: %v\n%s\n%s", err, again, line)
	}
	// Kinds survive: a set is no list, binary no string, a tag-like map
	// no tagged value.
	for name, kind := range map[string]DynamoKind{"ss": DynamoSS, "ns": DynamoNS, "bs": DynamoBS, "list": DynamoL, "bin": DynamoB,
		"text": DynamoS, "n38": DynamoN, "tagmap": DynamoM, "tagm": DynamoM, "nil": DynamoNULL, "lempty": DynamoL} {
		if back[name].Kind != kind {
			t.Errorf("%s decodes as %s, want %s", name, back[name].Kind, kind)
		}
	}
	if back["n38"].S != "12345678901234567890123456789012345678" {
		t.Errorf("n38 = %s", back["n38"].S)
	}
}

func TestDynamoRejects(t *testing.T) {
	for _, it := range []DynamoItem{
		{"n": {Kind: DynamoN, S: "1,5"}},
		{"n": {Kind: DynamoN, S: "NaN"}},
		{"s": {Kind: DynamoSS}},
		{"s": {Kind: DynamoSS, Set: []string{"a", "a"}}},
		{"s": {Kind: DynamoS, S: "\xff"}},
		{"x": {Kind: "Q"}},
	} {
		if _, err := AppendDynamoItem(nil, it); err == nil {
			t.Errorf("AppendDynamoItem(%v) succeeded", it)
		}
	}
	for _, line := range []string{`[1]`, `{"a":{"B":"00"}}`, `{"a":{"B":"0xZZ"}}`, `{"a":{"B":"0xAB"}}`, `{"a":{"SS":[]}}`, `{"a":{"NS":["1"]}}`, `{"a":{"M":1}}`, `{"a":1}{}`} {
		if _, err := DecodeDynamoItem([]byte(line)); err == nil {
			t.Errorf("DecodeDynamoItem(%s) succeeded", line)
		}
	}
}

// FuzzDecodeDynamoItem: whatever decodes encodes, and the encoding
// decodes to itself (the canonical form is a fixed point).
func FuzzDecodeDynamoItem(f *testing.F) {
	line, _ := AppendDynamoItem(nil, dynamoGolden())
	f.Add(line[:len(line)-1])
	f.Add([]byte(`{"a":{"M":{"B":{"B":"0x00"}}}}`))
	f.Add([]byte(`{"n":1e5,"s":{"NS":[1,2]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := DecodeDynamoItem(data)
		if err != nil {
			return
		}
		enc, err := AppendDynamoItem(nil, it)
		if err != nil {
			// Sets with duplicate members decode but are not DynamoDB's.
			if strings.Contains(err.Error(), "duplicate member") {
				return
			}
			t.Fatalf("decoded %q but cannot encode it: %v", data, err)
		}
		back, err := DecodeDynamoItem(enc[:len(enc)-1])
		if err != nil {
			t.Fatalf("cannot decode own encoding %s: %v", enc, err)
		}
		again, err := AppendDynamoItem(nil, back)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("not a fixed point: %s vs %s (%v)", enc, again, err)
		}
	})
}
