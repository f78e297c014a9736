package spanner

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"math/big"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
)

// Spanner's limits on one row (https://cloud.google.com/spanner/quotas).
const (
	// MaxRowBytes is the most data one row may hold.
	MaxRowBytes = 10 << 20
	// MaxKeyBytes is the most data a row's primary key may hold.
	MaxKeyBytes = 8 << 10
)

// errRefused marks a value Spanner cannot hold as the mapping says; the
// row goes to the reject file.
var errRefused = errors.New("refused")

func refusef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errRefused, fmt.Sprintf(format, args...))
}

// numericMax bounds NUMERIC: 29 digits before the point, 9 after.
var numericMax = new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(29), nil), big.NewInt(1))

var nanoRat = big.NewRat(1_000_000_000, 1)

// encode turns one value's dump JSON into the value Spanner receives and
// the bytes it counts towards the row's size.
func encode(k kind, js []byte) (*structpb.Value, int, error) {
	if string(js) == "null" {
		return structpb.NewNullValue(), 0, nil
	}
	if string(js) == `""` && k != kString && k != kJSON && k != kJSONText && k != kBytes {
		return nil, 0, refusef("an empty (zero-byte) value has no Spanner equivalent")
	}
	switch k {
	case kString:
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return nil, 0, err
		}
		return structpb.NewStringValue(s), len(s), nil
	case kJSON, kJSONText:
		return structpb.NewStringValue(string(js)), len(js), nil
	case kInt:
		n, err := strconv.ParseInt(string(js), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("integer %s: %w", js, err)
		}
		return structpb.NewStringValue(strconv.FormatInt(n, 10)), 8, nil
	case kFloat32, kFloat64:
		return encodeFloat(k, js)
	case kNumeric:
		s, err := numericText(js)
		if err != nil {
			return nil, 0, err
		}
		return structpb.NewStringValue(s), 16, nil
	case kNumText:
		// The dump's number exactly as written (docs/format.md): any
		// size, any scale, never rounded.
		return structpb.NewStringValue(string(js)), len(js), nil
	case kBool:
		switch string(js) {
		case "true":
			return structpb.NewBoolValue(true), 1, nil
		case "false":
			return structpb.NewBoolValue(false), 1, nil
		}
		return nil, 0, fmt.Errorf("boolean %s", js)
	case kBytes:
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return nil, 0, err
		}
		b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
		if err != nil {
			return nil, 0, fmt.Errorf("blob %q: %w", s, err)
		}
		return structpb.NewStringValue(base64.StdEncoding.EncodeToString(b)), len(b), nil
	case kTimestamp:
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return nil, 0, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || t.Year() < 1 || t.Year() > 9999 {
			return nil, 0, refusef("timestamp %s is outside Spanner's range (years 0001-9999)", s)
		}
		return structpb.NewStringValue(t.UTC().Format("2006-01-02T15:04:05.000000000Z")), 12, nil
	case kDate:
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return nil, 0, err
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
			return nil, 0, refusef("date %s is outside Spanner's range (years 0001-9999)", s)
		}
		return structpb.NewStringValue(s), 4, nil
	}
	return nil, 0, fmt.Errorf("unexpected kind %d", k)
}

// encodeFloat writes NaN and infinities as the strings the Spanner
// protocol uses. A NaN with a payload loses it: Spanner keeps one NaN.
func encodeFloat(k kind, js []byte) (*structpb.Value, int, error) {
	size := 8
	if k == kFloat32 {
		size = 4
	}
	if js[0] == '"' {
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return nil, 0, err
		}
		switch {
		case s == "Infinity" || s == "-Infinity":
			return structpb.NewStringValue(s), size, nil
		case strings.HasPrefix(s, "NaN"):
			return structpb.NewStringValue("NaN"), size, nil
		}
		return nil, 0, fmt.Errorf("float %q", s)
	}
	bits := 64
	if k == kFloat32 {
		bits = 32
	}
	f, err := strconv.ParseFloat(string(js), bits)
	if err != nil {
		return nil, 0, fmt.Errorf("float %s: %w", js, err)
	}
	return structpb.NewNumberValue(f), size, nil
}

// numericText is the exact NUMERIC text of a decimal or varint, or a
// refusal when NUMERIC cannot hold it exactly (more than 29 integer or 9
// fractional digits): never rounded.
func numericText(js []byte) (string, error) {
	r, ok := new(big.Rat).SetString(string(js))
	if !ok {
		return "", fmt.Errorf("number %s", js)
	}
	if new(big.Rat).Abs(r).Cmp(numericMax) >= 0 || !new(big.Rat).Mul(r, nanoRat).IsInt() {
		return "", refusef("%s does not fit Spanner's NUMERIC (29 digits before the point, 9 after) exactly; load such columns as STRING(MAX) with --numeric-as-string, or create the column as STRING(MAX)", js)
	}
	s := r.FloatString(9)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s, nil
}

// encodeArray encodes a list, set or vector of scalars as an ARRAY.
func encodeArray(elem kind, js []byte) (*structpb.Value, int, error) {
	if string(js) == "null" {
		return structpb.NewNullValue(), 0, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(js, &elems); err != nil {
		return nil, 0, err
	}
	out := make([]*structpb.Value, len(elems))
	size := 0
	for i, e := range elems {
		v, n, err := encode(elem, e)
		if err != nil {
			return nil, 0, fmt.Errorf("element %d: %w", i, err)
		}
		out[i], size = v, size+n
	}
	return structpb.NewListValue(&structpb.ListValue{Values: out}), size, nil
}

// op is a mutation's payload: one row's InsertOrUpdate, or a row Spanner
// cannot take with the reason.
type op struct {
	values  []*structpb.Value
	refused error
}

// converter turns dump rows into InsertOrUpdate mutations of every
// dumped column (absent values as NULL), so that a row written twice, or
// over an older version of itself, ends exactly as the dump says.
type converter struct {
	tb  *Table
	buf []byte
}

var _ load.Converter = (*converter)(nil)

// Convert converts one row. A value Spanner cannot hold, a key over
// MaxKeyBytes or a row over MaxRowBytes yields a mutation that Write
// refuses, so the row lands in the reject file with the reason.
func (cv *converter) Convert(row *format.Row, line int64, dst []load.Mutation) ([]load.Mutation, bool, error) {
	tb := cv.tb
	o := &op{values: make([]*structpb.Value, len(tb.cols))}
	rowBytes, keyBytes := 0, 0
	for i, c := range tb.cols {
		var err error
		cv.buf, err = format.AppendValue(cv.buf[:0], c.c.T, row.Values[c.idx])
		if err != nil {
			return dst, false, fmt.Errorf("column %s: %w", c.name, err)
		}
		var v *structpb.Value
		var n int
		if c.st.k == kArray {
			v, n, err = encodeArray(c.st.elem, cv.buf)
		} else {
			v, n, err = encode(c.st.k, cv.buf)
		}
		if errors.Is(err, errRefused) {
			o.refused = fmt.Errorf("column %s: %w", c.name, err)
			break
		}
		if err != nil {
			return dst, false, fmt.Errorf("column %s: %w", c.name, err)
		}
		o.values[i] = v
		rowBytes += n
		if c.key {
			keyBytes += n
		}
	}
	return appendRow(dst, tb, o, rowBytes, keyBytes, line), false, nil
}

// appendRow appends a converted row's mutation, refused when the row
// breaks Spanner's key or row size limit.
func appendRow(dst []load.Mutation, tb *Table, o *op, rowBytes, keyBytes int, line int64) []load.Mutation {
	switch {
	case o.refused != nil:
	case keyBytes > MaxKeyBytes:
		o.refused = refusef("the primary key holds %d bytes, over Spanner's %d", keyBytes, MaxKeyBytes)
	case rowBytes > MaxRowBytes:
		o.refused = refusef("the row holds %d bytes, over Spanner's %d", rowBytes, MaxRowBytes)
	}
	if o.refused != nil {
		o.values = nil
	}
	return append(dst, load.Mutation{Bytes: rowBytes + rowOverhead*len(tb.cols), Line: line, Op: o})
}

// rowOverhead is added per column to a row's bytes in a commit size
// estimate (the column name and framing of the request).
const rowOverhead = 16

// keyOf renders a row's key values for messages and lookups.
func keyOf(vals []*structpb.Value) string {
	var b bytes.Buffer
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		js, _ := v.MarshalJSON()
		b.Write(js)
	}
	return b.String()
}
