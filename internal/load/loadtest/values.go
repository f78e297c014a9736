package loadtest

import (
	"encoding/binary"
	"math"
)

// CQL native-protocol serializations of test values.

// Int serializes an int.
func Int(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// Bigint serializes a bigint (also counter, timestamp).
func Bigint(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// Double serializes a double.
func Double(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }

// Text serializes text, varchar or ascii.
func Text(s string) []byte { return append([]byte{}, s...) }

// Bool serializes a boolean.
func Bool(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// Coll serializes a list or set of serialized elements.
func Coll(elems ...[]byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(elems)))
	for _, e := range elems {
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out
}

// Map serializes a map from alternating keys and values.
func Map(kv ...[]byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(kv)/2))
	for _, e := range kv {
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out
}

// UDT serializes a user type (or tuple) value; nil fields are null.
func UDT(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		if f == nil {
			out = binary.BigEndian.AppendUint32(out, 0xffffffff)
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}
