package spanner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/load"
)

// Compare reads the rows of a chunk back by key and compares every
// dumped column with the value the load sent, exactly, in the mapped
// type's own terms: NUMERIC as a number (1.50 = 1.5), JSON as a JSON
// value (key order and spacing aside), timestamps as instants, floats by
// value. Rows the load refused (in the reject file) are not passed in.
func (tb *Table) Compare(ctx context.Context, p load.PartInfo, rows []load.DumpRow) ([]load.Mismatch, error) {
	cv, err := tb.Converter(p)
	if err != nil {
		return nil, err
	}
	type want struct {
		line int64
		vals []*structpb.Value
		key  string
	}
	var wants []want
	var keyList []spanner.Key
	var muts []load.Mutation
	for i := range rows {
		var err error
		muts, _, err = cv.Convert(&rows[i].Row, rows[i].Line, muts[:0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", rows[i].Line, err)
		}
		o := muts[0].Op.(*op)
		if o.refused != nil {
			return []load.Mismatch{{Part: p.File.Name, Line: rows[i].Line, Detail: "a row Spanner refuses is not in the reject file: " + o.refused.Error()}}, nil
		}
		k := make(spanner.Key, len(tb.keys))
		for j, c := range tb.keys {
			if k[j], err = keyValue(c.st.k, o.values[j]); err != nil {
				return nil, fmt.Errorf("line %d column %s: %w", rows[i].Line, c.name, err)
			}
		}
		keyList = append(keyList, k)
		wants = append(wants, want{line: rows[i].Line, vals: o.values, key: keyOf(o.values[:len(tb.keys)])})
	}
	keys := spanner.KeySetFromKeys(keyList...)
	got := map[string][]*structpb.Value{}
	iter := tb.t.client.Single().Read(ctx, tb.name, keys, tb.colName)
	err = iter.Do(func(r *spanner.Row) error {
		vals := make([]*structpb.Value, r.Size())
		for i := range vals {
			var g spanner.GenericColumnValue
			if err := r.Column(i, &g); err != nil {
				return err
			}
			vals[i] = g.Value
		}
		got[tb.rowKey(vals)] = vals
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s back: %w", tb.name, err)
	}
	var out []load.Mismatch
	for _, w := range wants {
		g, ok := got[tb.rowKey(w.vals)]
		if !ok {
			out = append(out, load.Mismatch{Part: p.File.Name, Line: w.line, Key: w.key, Detail: "row missing in the target"})
			continue
		}
		for i, c := range tb.cols {
			if !sameValue(c.st, w.vals[i], g[i]) {
				wj, _ := w.vals[i].MarshalJSON()
				gj, _ := g[i].MarshalJSON()
				out = append(out, load.Mismatch{Part: p.File.Name, Line: w.line, Key: w.key, Column: c.name, Detail: fmt.Sprintf("want %s, found %s", wj, gj)})
			}
		}
	}
	return out, nil
}

// rowKey is a row's key in a canonical form, so that a key read back
// matches the one sent whatever the server's formatting of it.
func (tb *Table) rowKey(vals []*structpb.Value) string {
	var out []byte
	for i, c := range tb.keys {
		out = append(out, canonical(c.st.k, vals[i])...)
		out = append(out, 0)
	}
	return string(out)
}

// canonical renders a scalar in one form per value.
func canonical(k kind, v *structpb.Value) string {
	if _, null := v.Kind.(*structpb.Value_NullValue); null || v.Kind == nil {
		return "\x00null"
	}
	switch k {
	case kTimestamp:
		if t, err := time.Parse(time.RFC3339Nano, v.GetStringValue()); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	case kNumeric:
		if r, ok := new(big.Rat).SetString(v.GetStringValue()); ok {
			return r.RatString()
		}
	case kFloat32, kFloat64:
		if s, ok := v.Kind.(*structpb.Value_StringValue); ok {
			return s.StringValue
		}
		f := v.GetNumberValue()
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "Infinity"
		case math.IsInf(f, -1):
			return "-Infinity"
		}
		if k == kFloat32 {
			f = float64(float32(f))
		}
		return strconv.FormatUint(math.Float64bits(f), 16)
	case kJSON:
		var x any
		d := json.NewDecoder(strings.NewReader(v.GetStringValue()))
		d.UseNumber()
		if d.Decode(&x) == nil {
			b, _ := json.Marshal(x) // maps marshal with sorted keys
			return string(b)
		}
	}
	b, _ := v.MarshalJSON()
	return string(b)
}

// sameValue compares a value sent with the one read back.
func sameValue(st spannerType, want, got *structpb.Value) bool {
	if st.k != kArray {
		return canonical(st.k, want) == canonical(st.k, got)
	}
	wl, gl := want.GetListValue(), got.GetListValue()
	if wl == nil || gl == nil {
		return reflect.DeepEqual(canonical(kString, want), canonical(kString, got))
	}
	if len(wl.Values) != len(gl.Values) {
		return false
	}
	for i := range wl.Values {
		if canonical(st.elem, wl.Values[i]) != canonical(st.elem, gl.Values[i]) {
			return false
		}
	}
	return true
}

// keyValue is a key column's value as the client wants it in a Key (the
// client encodes Go values only, and a null as a typed null: a
// clustering column is null in a partition that has only static cells).
func keyValue(k kind, v *structpb.Value) (any, error) {
	if _, null := v.Kind.(*structpb.Value_NullValue); null {
		return nullOf(k), nil
	}
	s := v.GetStringValue()
	switch k {
	case kInt:
		return strconv.ParseInt(s, 10, 64)
	case kFloat32, kFloat64:
		f := v.GetNumberValue()
		switch s {
		case "NaN":
			f = math.NaN()
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		}
		if k == kFloat32 {
			return float32(f), nil
		}
		return f, nil
	case kNumeric:
		// The text sent (key values carry no type on the wire; Spanner
		// reads a NUMERIC's from a string): a big.Rat would go out as
		// FloatString(9), "3.000000000", which a store that keeps the
		// text (spannertest behind the test proxy) does not match.
		if _, ok := new(big.Rat).SetString(s); !ok {
			return nil, fmt.Errorf("numeric %q", s)
		}
		return s, nil
	case kBool:
		return v.GetBoolValue(), nil
	case kBytes:
		return base64.StdEncoding.DecodeString(s)
	case kTimestamp:
		return time.Parse(time.RFC3339Nano, s)
	case kDate:
		return civil.ParseDate(s)
	}
	return s, nil
}

// nullOf is the client's typed null of a kind.
func nullOf(k kind) any {
	switch k {
	case kInt:
		return spanner.NullInt64{}
	case kFloat32:
		return spanner.NullFloat32{}
	case kFloat64:
		return spanner.NullFloat64{}
	case kNumeric:
		return spanner.NullNumeric{}
	case kBool:
		return spanner.NullBool{}
	case kBytes:
		return []byte(nil)
	case kTimestamp:
		return spanner.NullTime{}
	case kDate:
		return spanner.NullDate{}
	}
	return spanner.NullString{}
}
