package format

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DynamoKind is the type of a DynamoDB attribute value, as DynamoDB
// names it.
type DynamoKind string

// DynamoDB attribute value types.
const (
	DynamoS    DynamoKind = "S"
	DynamoN    DynamoKind = "N"
	DynamoB    DynamoKind = "B"
	DynamoBOOL DynamoKind = "BOOL"
	DynamoNULL DynamoKind = "NULL"
	DynamoL    DynamoKind = "L"
	DynamoM    DynamoKind = "M"
	DynamoSS   DynamoKind = "SS"
	DynamoNS   DynamoKind = "NS"
	DynamoBS   DynamoKind = "BS"
)

// DynamoValue is one DynamoDB attribute value in lading's own terms (the
// AWS SDK's types stay in the DynamoDB source).
type DynamoValue struct {
	Kind DynamoKind
	// S holds an S, or an N as its exact decimal text.
	S    string
	B    []byte
	Bool bool
	L    []DynamoValue
	M    map[string]DynamoValue
	// Set holds the strings of an SS, the decimal texts of an NS.
	Set []string
	// BSet holds the values of a BS.
	BSet [][]byte
}

// DynamoItem is one item: attribute name to value.
type DynamoItem map[string]DynamoValue

// A DynamoDB item is written as one JSON object, attribute names sorted
// bytewise, each value as follows (docs/format.md has the table):
//
//	S     string
//	N     number, DynamoDB's decimal text as it is (38 digits stay exact)
//	BOOL  true / false
//	NULL  null
//	L     array
//	M     object, or {"M": {…}} when the map's only key is one of the tags
//	B     {"B": "0x…"}
//	SS    {"SS": ["…", …]}      set members sorted by their JSON text
//	NS    {"NS": [1, 2.5, …]}
//	BS    {"BS": ["0x…", …]}
//
// An object with exactly one member whose name is a tag (B, SS, NS, BS,
// M) is a tagged value; any other object is a map. So sets stay sets,
// binary stays binary, and a map that looks like a tag is wrapped.
var dynamoTags = []string{"B", "BS", "M", "NS", "SS"}

// dynamoNumber is DynamoDB's number syntax that is also JSON's: what
// DynamoDB returns (it normalises numbers it stores).
var dynamoNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// maxDynamoDepth bounds nesting (DynamoDB allows 32 levels).
const maxDynamoDepth = 64

// AppendDynamoItem appends item as one NDJSON line (with its newline).
func AppendDynamoItem(dst []byte, item DynamoItem) ([]byte, error) {
	start := len(dst)
	dst, err := appendDynamoMap(dst, item, 0)
	if err != nil {
		return dst[:start], err
	}
	return append(dst, '\n'), nil
}

func appendDynamoMap(dst []byte, m map[string]DynamoValue, depth int) ([]byte, error) {
	return appendSortedMap(dst, m, depth, appendDynamoValue)
}

// appendSortedMap writes m as a JSON object, names sorted, each value
// with value at depth+1: the dump's item form and the targets' typed
// form differ only in how they write a value.
func appendSortedMap(dst []byte, m map[string]DynamoValue, depth int, value func([]byte, DynamoValue, int) ([]byte, error)) ([]byte, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendDynamoString(dst, k); err != nil {
			return dst, fmt.Errorf("attribute name: %w", err)
		}
		dst = append(dst, ':')
		if dst, err = value(dst, m[k], depth+1); err != nil {
			return dst, fmt.Errorf("%s: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

func appendDynamoString(dst []byte, s string) ([]byte, error) {
	return appendJSONString(dst, []byte(s))
}

func appendDynamoValue(dst []byte, v DynamoValue, depth int) ([]byte, error) {
	if depth > maxDynamoDepth {
		return dst, fmt.Errorf("nested deeper than %d levels", maxDynamoDepth)
	}
	var err error
	switch v.Kind {
	case DynamoS:
		return appendDynamoString(dst, v.S)
	case DynamoN:
		if !dynamoNumber.MatchString(v.S) {
			return dst, fmt.Errorf("number %q is not a decimal number", v.S)
		}
		return append(dst, v.S...), nil
	case DynamoBOOL:
		if v.Bool {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case DynamoNULL:
		return append(dst, "null"...), nil
	case DynamoB:
		dst = append(dst, `{"B":`...)
		return append(appendBlob(dst, v.B), '}'), nil
	case DynamoL:
		dst = append(dst, '[')
		for i, e := range v.L {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendDynamoValue(dst, e, depth+1); err != nil {
				return dst, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return append(dst, ']'), nil
	case DynamoM:
		if len(v.M) == 1 {
			for k := range v.M {
				if slices.Contains(dynamoTags, k) {
					dst = append(dst, `{"M":`...)
					if dst, err = appendDynamoMap(dst, v.M, depth); err != nil {
						return dst, err
					}
					return append(dst, '}'), nil
				}
			}
		}
		return appendDynamoMap(dst, v.M, depth)
	case DynamoSS, DynamoNS, DynamoBS:
		return appendDynamoSet(dst, v)
	}
	return dst, fmt.Errorf("unknown attribute type %q", v.Kind)
}

func appendDynamoSet(dst []byte, v DynamoValue) ([]byte, error) {
	var members [][]byte
	switch v.Kind {
	case DynamoSS:
		for _, s := range v.Set {
			b, err := appendDynamoString(nil, s)
			if err != nil {
				return dst, err
			}
			members = append(members, b)
		}
	case DynamoNS:
		for _, s := range v.Set {
			if !dynamoNumber.MatchString(s) {
				return dst, fmt.Errorf("number %q is not a decimal number", s)
			}
			members = append(members, []byte(s))
		}
	case DynamoBS:
		for _, b := range v.BSet {
			members = append(members, appendBlob(nil, b))
		}
	}
	if len(members) == 0 {
		return dst, fmt.Errorf("empty %s (DynamoDB sets are never empty)", v.Kind)
	}
	slices.SortFunc(members, bytes.Compare)
	dst = append(dst, `{"`...)
	dst = append(dst, v.Kind...)
	dst = append(dst, `":[`...)
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(m, members[i-1]) {
				return dst, fmt.Errorf("duplicate member %s in %s", m, v.Kind)
			}
			dst = append(dst, ',')
		}
		dst = append(dst, m...)
	}
	return append(dst, ']', '}'), nil
}

// DecodeDynamoItem decodes one line written by AppendDynamoItem.
func DecodeDynamoItem(line []byte) (DynamoItem, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("item: %w", err)
	}
	if dec.More() {
		return nil, errors.New("item: trailing data")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("item: not a JSON object")
	}
	item := make(DynamoItem, len(obj))
	for k, x := range obj {
		v, err := decodeDynamoValue(x, 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		item[k] = v
	}
	return item, nil
}

func decodeHex(x any) ([]byte, error) {
	s, ok := x.(string)
	if !ok || !strings.HasPrefix(s, "0x") {
		return nil, errors.New("binary is not a 0x… string")
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil || strings.ToLower(s[2:]) != s[2:] {
		return nil, fmt.Errorf("binary %q is not lower-case hex", s)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func decodeDynamoValue(x any, depth int) (DynamoValue, error) {
	if depth > maxDynamoDepth {
		return DynamoValue{}, fmt.Errorf("nested deeper than %d levels", maxDynamoDepth)
	}
	switch t := x.(type) {
	case nil:
		return DynamoValue{Kind: DynamoNULL}, nil
	case bool:
		return DynamoValue{Kind: DynamoBOOL, Bool: t}, nil
	case string:
		return DynamoValue{Kind: DynamoS, S: t}, nil
	case json.Number:
		if !dynamoNumber.MatchString(string(t)) {
			return DynamoValue{}, fmt.Errorf("number %q is not a decimal number", t)
		}
		return DynamoValue{Kind: DynamoN, S: string(t)}, nil
	case []any:
		l := make([]DynamoValue, len(t))
		for i, e := range t {
			v, err := decodeDynamoValue(e, depth+1)
			if err != nil {
				return DynamoValue{}, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = v
		}
		return DynamoValue{Kind: DynamoL, L: l}, nil
	case map[string]any:
		if len(t) == 1 {
			for k, inner := range t {
				if slices.Contains(dynamoTags, k) {
					return decodeTagged(k, inner, depth)
				}
			}
		}
		return decodeMap(t, depth)
	}
	return DynamoValue{}, fmt.Errorf("unexpected JSON value %T", x)
}

func decodeMap(t map[string]any, depth int) (DynamoValue, error) {
	m := make(map[string]DynamoValue, len(t))
	for k, e := range t {
		v, err := decodeDynamoValue(e, depth+1)
		if err != nil {
			return DynamoValue{}, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = v
	}
	return DynamoValue{Kind: DynamoM, M: m}, nil
}

func decodeTagged(tag string, inner any, depth int) (DynamoValue, error) {
	switch tag {
	case "B":
		b, err := decodeHex(inner)
		return DynamoValue{Kind: DynamoB, B: b}, err
	case "M":
		obj, ok := inner.(map[string]any)
		if !ok {
			return DynamoValue{}, errors.New(`{"M": …} holds no object`)
		}
		return decodeMap(obj, depth)
	}
	arr, ok := inner.([]any)
	if !ok || len(arr) == 0 {
		return DynamoValue{}, fmt.Errorf("%s: want a non-empty array", tag)
	}
	v := DynamoValue{Kind: DynamoKind(tag)}
	for i, e := range arr {
		switch tag {
		case "SS":
			s, ok := e.(string)
			if !ok {
				return DynamoValue{}, fmt.Errorf("SS[%d]: not a string", i)
			}
			v.Set = append(v.Set, s)
		case "NS":
			n, ok := e.(json.Number)
			if !ok || !dynamoNumber.MatchString(string(n)) {
				return DynamoValue{}, fmt.Errorf("NS[%d]: not a decimal number", i)
			}
			v.Set = append(v.Set, string(n))
		case "BS":
			b, err := decodeHex(e)
			if err != nil {
				return DynamoValue{}, fmt.Errorf("BS[%d]: %w", i, err)
			}
			v.BSet = append(v.BSet, b)
		}
	}
	return v, nil
}
