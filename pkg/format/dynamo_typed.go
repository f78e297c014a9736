package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// DynamoDB's own JSON form of an attribute value ("DynamoDB JSON", as
// AWS's exports, streams and SDKs write it): an object with one member
// named after the value's type.
//
//	{"S":"text"}  {"N":"12.5"}  {"B":"<base64>"}  {"BOOL":true}  {"NULL":true}
//	{"L":[…]}  {"M":{"name":…}}  {"SS":["a"]}  {"NS":["1"]}  {"BS":["<base64>"]}
//
// Numbers are strings, so every digit survives any JSON reader; binary
// is standard base64 with padding. The loader's targets store attribute
// values in this form (a Bigtable cell per attribute, the attributes of
// Spanner's JSON column), where a reader meets them without lading's
// dump format. AppendDynamoTyped writes map members sorted by name and
// set members sorted by their JSON text, so one value is one text.

// AppendDynamoTyped appends v in DynamoDB JSON.
func AppendDynamoTyped(dst []byte, v DynamoValue) ([]byte, error) {
	return appendTyped(dst, v, 0)
}

func appendTyped(dst []byte, v DynamoValue, depth int) ([]byte, error) {
	if depth > maxDynamoDepth {
		return dst, fmt.Errorf("nested deeper than %d levels", maxDynamoDepth)
	}
	var err error
	dst = append(dst, `{"`...)
	dst = append(dst, v.Kind...)
	dst = append(dst, `":`...)
	switch v.Kind {
	case DynamoS:
		dst, err = appendDynamoString(dst, v.S)
	case DynamoN:
		if !dynamoNumber.MatchString(v.S) {
			return dst, fmt.Errorf("number %q is not a decimal number", v.S)
		}
		dst = append(append(append(dst, '"'), v.S...), '"')
	case DynamoB:
		dst = appendBase64(dst, v.B)
	case DynamoBOOL:
		dst = append(dst, fmt.Sprint(v.Bool)...)
	case DynamoNULL:
		dst = append(dst, "true"...)
	case DynamoL:
		dst = append(dst, '[')
		for i, e := range v.L {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendTyped(dst, e, depth+1); err != nil {
				return dst, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		dst = append(dst, ']')
	case DynamoM:
		dst, err = appendTypedMap(dst, v.M, depth+1)
	case DynamoSS, DynamoNS, DynamoBS:
		dst, err = appendTypedSet(dst, v)
	default:
		return dst, fmt.Errorf("unknown attribute type %q", v.Kind)
	}
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendDynamoTypedMap appends attributes as one JSON object of name →
// DynamoDB JSON value, names sorted (the form of an M's members, and of
// a whole item in DynamoDB JSON).
func AppendDynamoTypedMap(dst []byte, m map[string]DynamoValue) ([]byte, error) {
	return appendTypedMap(dst, m, 0)
}

func appendTypedMap(dst []byte, m map[string]DynamoValue, depth int) ([]byte, error) {
	return appendSortedMap(dst, m, depth, appendTyped)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

func appendTypedSet(dst []byte, v DynamoValue) ([]byte, error) {
	var members [][]byte
	for _, s := range v.Set {
		if v.Kind == DynamoNS && !dynamoNumber.MatchString(s) {
			return dst, fmt.Errorf("number %q is not a decimal number", s)
		}
		b, err := appendDynamoString(nil, s)
		if err != nil {
			return dst, err
		}
		members = append(members, b)
	}
	for _, b := range v.BSet {
		members = append(members, appendBase64(nil, b))
	}
	if len(members) == 0 {
		return dst, fmt.Errorf("empty %s (DynamoDB sets are never empty)", v.Kind)
	}
	slices.SortFunc(members, bytes.Compare)
	dst = append(dst, '[')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m...)
	}
	return append(dst, ']'), nil
}

// DecodeDynamoTyped decodes one value in DynamoDB JSON.
func DecodeDynamoTyped(text []byte) (DynamoValue, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		return DynamoValue{}, fmt.Errorf("DynamoDB JSON: %w", err)
	}
	return decodeTyped(raw, 0)
}

// DecodeDynamoTypedMap decodes a JSON object of name → DynamoDB JSON
// value (what AppendDynamoTypedMap writes).
func DecodeDynamoTypedMap(text []byte) (map[string]DynamoValue, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, fmt.Errorf("DynamoDB JSON: %w", err)
	}
	return decodeTypedMembers(raw, 0)
}

func decodeTypedMembers(raw map[string]json.RawMessage, depth int) (map[string]DynamoValue, error) {
	out := make(map[string]DynamoValue, len(raw))
	for k, x := range raw {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(x, &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		v, err := decodeTyped(obj, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func decodeTyped(obj map[string]json.RawMessage, depth int) (DynamoValue, error) {
	if depth > maxDynamoDepth {
		return DynamoValue{}, fmt.Errorf("nested deeper than %d levels", maxDynamoDepth)
	}
	if len(obj) != 1 {
		return DynamoValue{}, fmt.Errorf("a DynamoDB JSON value has one member, this has %d", len(obj))
	}
	for tag, x := range obj {
		v := DynamoValue{Kind: DynamoKind(tag)}
		var err error
		switch v.Kind {
		case DynamoS:
			err = json.Unmarshal(x, &v.S)
		case DynamoN:
			if err = json.Unmarshal(x, &v.S); err == nil && !dynamoNumber.MatchString(v.S) {
				err = fmt.Errorf("number %q is not a decimal number", v.S)
			}
		case DynamoB:
			err = json.Unmarshal(x, &v.B) // []byte takes standard base64
			if v.B == nil && err == nil {
				v.B = []byte{}
			}
		case DynamoBOOL:
			err = json.Unmarshal(x, &v.Bool)
		case DynamoNULL:
			var b bool
			if err = json.Unmarshal(x, &b); err == nil && !b {
				err = errors.New(`{"NULL": false} is not a value`)
			}
		case DynamoL:
			var elems []map[string]json.RawMessage
			if err = json.Unmarshal(x, &elems); err != nil {
				break
			}
			v.L = make([]DynamoValue, len(elems))
			for i, e := range elems {
				if v.L[i], err = decodeTyped(e, depth+1); err != nil {
					return DynamoValue{}, fmt.Errorf("[%d]: %w", i, err)
				}
			}
		case DynamoM:
			var members map[string]json.RawMessage
			if err = json.Unmarshal(x, &members); err == nil {
				v.M, err = decodeTypedMembers(members, depth)
			}
		case DynamoSS, DynamoNS:
			if err = json.Unmarshal(x, &v.Set); err == nil && len(v.Set) == 0 {
				err = fmt.Errorf("empty %s", tag)
			}
			for _, s := range v.Set {
				if err == nil && v.Kind == DynamoNS && !dynamoNumber.MatchString(s) {
					err = fmt.Errorf("number %q is not a decimal number", s)
				}
			}
		case DynamoBS:
			if err = json.Unmarshal(x, &v.BSet); err == nil && len(v.BSet) == 0 {
				err = fmt.Errorf("empty %s", tag)
			}
			for i := range v.BSet {
				if v.BSet[i] == nil {
					v.BSet[i] = []byte{}
				}
			}
		default:
			return DynamoValue{}, fmt.Errorf("unknown attribute type %q", tag)
		}
		if err != nil {
			return DynamoValue{}, fmt.Errorf("%s: %w", tag, err)
		}
		return v, nil
	}
	return DynamoValue{}, errors.New("empty DynamoDB JSON value")
}
