package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"

	"github.com/lading-dev/lading/pkg/schema"
)

// CQL serialized value -> JSON.

// AppendValue appends the JSON text of one CQL value of type t, given as
// the native protocol (v4/v5) serializes it; nil raw is null.
func AppendValue(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	if raw == nil {
		return append(dst, "null"...), nil
	}
	return appendValue(dst, t, raw)
}

// emptyAsString reports whether an empty (zero-byte, not null) value of
// kind k is written as "" : Cassandra accepts such values for most native
// types (e.g. blobAsInt(0x)), and "" is not otherwise a valid value of
// these kinds, so it round-trips.
func emptyAsString(k schema.Kind) bool {
	switch k {
	case schema.Bigint, schema.Boolean, schema.Counter, schema.Date, schema.Decimal,
		schema.Double, schema.Duration, schema.Float, schema.Inet, schema.Int,
		schema.Smallint, schema.Time, schema.Timestamp, schema.Timeuuid,
		schema.Tinyint, schema.UUID, schema.Varint:
		return true
	}
	return false
}

// fixedSize is the serialized size of t when all its values have one size
// (Cassandra's valueLengthIfFixed), else 0; -1 for a vector too large to
// hold in memory. Vectors store such elements without a length prefix.
func fixedSize(t *schema.Type) int {
	switch t.Kind {
	case schema.Boolean:
		return 1
	case schema.Int, schema.Float:
		return 4
	case schema.Bigint, schema.Double, schema.Timestamp:
		return 8
	case schema.UUID, schema.Timeuuid:
		return 16
	case schema.Vector:
		e := fixedSize(t.Params[0])
		if e < 0 || t.Dim > 1<<31/max(e, 1) {
			return -1
		}
		return e * t.Dim
	}
	return 0
}

func sizeError(t *schema.Type, want string, got int) error {
	return fmt.Errorf("%s: want %s bytes, got %d", t.Kind, want, got)
}

func appendValue(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	if len(raw) == 0 && emptyAsString(t.Kind) {
		return append(dst, '"', '"'), nil
	}
	switch t.Kind {
	case schema.Text, schema.Varchar:
		out, err := appendJSONString(dst, raw)
		if err != nil {
			return dst, fmt.Errorf("text: %w", err)
		}
		return out, nil
	case schema.Ascii:
		for i, c := range raw {
			if c >= 0x80 {
				return dst, fmt.Errorf("ascii: non-ASCII byte %#x at %d", c, i)
			}
		}
		return appendJSONString(dst, raw)
	case schema.Boolean:
		if len(raw) != 1 {
			return dst, sizeError(t, "1", len(raw))
		}
		if raw[0] == 0 {
			return append(dst, "false"...), nil
		}
		return append(dst, "true"...), nil
	case schema.Tinyint:
		if len(raw) != 1 {
			return dst, sizeError(t, "1", len(raw))
		}
		return strconv.AppendInt(dst, int64(int8(raw[0])), 10), nil
	case schema.Smallint:
		if len(raw) != 2 {
			return dst, sizeError(t, "2", len(raw))
		}
		return strconv.AppendInt(dst, int64(int16(binary.BigEndian.Uint16(raw))), 10), nil
	case schema.Int:
		if len(raw) != 4 {
			return dst, sizeError(t, "4", len(raw))
		}
		return strconv.AppendInt(dst, int64(int32(binary.BigEndian.Uint32(raw))), 10), nil
	case schema.Bigint, schema.Counter:
		if len(raw) != 8 {
			return dst, sizeError(t, "8", len(raw))
		}
		return strconv.AppendInt(dst, int64(binary.BigEndian.Uint64(raw)), 10), nil
	case schema.Varint:
		return appendVarint(dst, raw), nil
	case schema.Decimal:
		out, err := appendDecimal(dst, raw)
		if err != nil {
			return dst, fmt.Errorf("decimal: %w", err)
		}
		return out, nil
	case schema.Float:
		if len(raw) != 4 {
			return dst, sizeError(t, "4", len(raw))
		}
		u := binary.BigEndian.Uint32(raw)
		return appendFloat(dst, float64(math.Float32frombits(u)), 32, uint64(u)), nil
	case schema.Double:
		if len(raw) != 8 {
			return dst, sizeError(t, "8", len(raw))
		}
		u := binary.BigEndian.Uint64(raw)
		return appendFloat(dst, math.Float64frombits(u), 64, u), nil
	case schema.Blob:
		return appendBlob(dst, raw), nil
	case schema.UUID, schema.Timeuuid:
		if len(raw) != 16 {
			return dst, sizeError(t, "16", len(raw))
		}
		return appendUUID(dst, raw), nil
	case schema.Inet:
		var a netip.Addr
		switch len(raw) {
		case 4:
			a = netip.AddrFrom4([4]byte(raw))
		case 16:
			a = netip.AddrFrom16([16]byte(raw))
		default:
			return dst, sizeError(t, "4 or 16", len(raw))
		}
		dst = append(dst, '"')
		dst = a.AppendTo(dst)
		return append(dst, '"'), nil
	case schema.Timestamp:
		if len(raw) != 8 {
			return dst, sizeError(t, "8", len(raw))
		}
		return appendTimestamp(dst, int64(binary.BigEndian.Uint64(raw))), nil
	case schema.Date:
		if len(raw) != 4 {
			return dst, sizeError(t, "4", len(raw))
		}
		dst = append(dst, '"')
		dst = appendDate(dst, int64(binary.BigEndian.Uint32(raw))-dateEpoch)
		return append(dst, '"'), nil
	case schema.Time:
		if len(raw) != 8 {
			return dst, sizeError(t, "8", len(raw))
		}
		return appendTime(dst, raw)
	case schema.Duration:
		return appendDuration(dst, raw)
	case schema.List, schema.Set:
		return appendList(dst, t, raw)
	case schema.Map:
		return appendMap(dst, t, raw)
	case schema.Tuple:
		return appendTuple(dst, t, raw)
	case schema.UDT:
		return appendUDT(dst, t, raw)
	case schema.Vector:
		return appendVector(dst, t, raw)
	}
	return dst, fmt.Errorf("unsupported type %s", t)
}

func appendUUID(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = appendHexDigits(dst, b[:4])
	dst = append(dst, '-')
	dst = appendHexDigits(dst, b[4:6])
	dst = append(dst, '-')
	dst = appendHexDigits(dst, b[6:8])
	dst = append(dst, '-')
	dst = appendHexDigits(dst, b[8:10])
	dst = append(dst, '-')
	dst = appendHexDigits(dst, b[10:16])
	return append(dst, '"')
}

// wire reads the [int32 length][bytes] framing of collections, tuples and
// user types.
type wire []byte

var errTruncated = errors.New("truncated value")

func (w *wire) int32() (int32, error) {
	if len(*w) < 4 {
		return 0, errTruncated
	}
	v := int32(binary.BigEndian.Uint32(*w))
	*w = (*w)[4:]
	return v, nil
}

// count reads a collection's element count; each element takes at least
// 4 bytes, which bounds it.
func (w *wire) count() (int, error) {
	n, err := w.int32()
	if err != nil {
		return 0, err
	}
	if n < 0 || int(n) > len(*w)/4 {
		return 0, fmt.Errorf("element count %d does not fit in %d bytes", n, len(*w))
	}
	return int(n), nil
}

// elem reads one element; a length of -1 is null (nil).
func (w *wire) elem() ([]byte, error) {
	n, err := w.int32()
	if err != nil {
		return nil, err
	}
	if n == -1 {
		return nil, nil
	}
	if n < 0 || int(n) > len(*w) {
		return nil, fmt.Errorf("element length %d does not fit in %d bytes", n, len(*w))
	}
	e := (*w)[:n:n]
	*w = (*w)[n:]
	return e, nil
}

func trailing(t *schema.Type, w wire) error {
	if len(w) != 0 {
		return fmt.Errorf("%s: %d trailing bytes", t.Kind, len(w))
	}
	return nil
}

func appendList(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	w := wire(raw)
	n, err := w.count()
	if err != nil {
		return dst, fmt.Errorf("%s: %w", t.Kind, err)
	}
	dst = append(dst, '[')
	for i := 0; i < n; i++ {
		e, err := w.elem()
		if err != nil {
			return dst, fmt.Errorf("%s element %d: %w", t.Kind, i, err)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = AppendValue(dst, t.Params[0], e); err != nil {
			return dst, fmt.Errorf("%s element %d: %w", t.Kind, i, err)
		}
	}
	return append(dst, ']'), trailing(t, w)
}

// textKeyed reports whether a map is written as a JSON object.
func textKeyed(t *schema.Type) bool {
	switch t.Params[0].Kind {
	case schema.Text, schema.Varchar, schema.Ascii:
		return true
	}
	return false
}

func appendMap(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	w := wire(raw)
	n, err := w.count()
	if err != nil {
		return dst, fmt.Errorf("map: %w", err)
	}
	obj := textKeyed(t)
	if obj {
		dst = append(dst, '{')
	} else {
		dst = append(dst, '[')
	}
	for i := 0; i < n; i++ {
		k, err := w.elem()
		if err != nil {
			return dst, fmt.Errorf("map entry %d key: %w", i, err)
		}
		v, err := w.elem()
		if err != nil {
			return dst, fmt.Errorf("map entry %d value: %w", i, err)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if obj {
			if k == nil {
				return dst, fmt.Errorf("map entry %d: null key", i)
			}
			dst, err = appendValue(dst, t.Params[0], k)
			dst = append(dst, ':')
		} else {
			dst = append(dst, '[')
			dst, err = AppendValue(dst, t.Params[0], k)
			dst = append(dst, ',')
		}
		if err != nil {
			return dst, fmt.Errorf("map entry %d key: %w", i, err)
		}
		if dst, err = AppendValue(dst, t.Params[1], v); err != nil {
			return dst, fmt.Errorf("map entry %d value: %w", i, err)
		}
		if !obj {
			dst = append(dst, ']')
		}
	}
	if obj {
		dst = append(dst, '}')
	} else {
		dst = append(dst, ']')
	}
	return dst, trailing(t, w)
}

// appendTuple writes a tuple as an array; a value with fewer components
// than its type (written by an older schema) gives a shorter array.
func appendTuple(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	w := wire(raw)
	dst = append(dst, '[')
	for i, p := range t.Params {
		if len(w) == 0 {
			break
		}
		e, err := w.elem()
		if err != nil {
			return dst, fmt.Errorf("tuple component %d: %w", i, err)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = AppendValue(dst, p, e); err != nil {
			return dst, fmt.Errorf("tuple component %d: %w", i, err)
		}
	}
	return append(dst, ']'), trailing(t, w)
}

// appendUDT writes a user type value as an object in field order, a null
// field as null; fields missing at the end of the value (added to the type
// after it was written) are left out.
func appendUDT(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	w := wire(raw)
	dst = append(dst, '{')
	for i, p := range t.Params {
		if len(w) == 0 {
			break
		}
		e, err := w.elem()
		if err != nil {
			return dst, fmt.Errorf("field %s: %w", t.Fields[i], err)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendKey(dst, t.Fields[i]); err != nil {
			return dst, fmt.Errorf("field name %q: %w", t.Fields[i], err)
		}
		if dst, err = AppendValue(dst, p, e); err != nil {
			return dst, fmt.Errorf("field %s: %w", t.Fields[i], err)
		}
	}
	return append(dst, '}'), trailing(t, w)
}

func appendVector(dst []byte, t *schema.Type, raw []byte) ([]byte, error) {
	et := t.Params[0]
	size := fixedSize(et)
	if size < 0 || t.Dim > len(raw) {
		return dst, fmt.Errorf("vector: %d bytes cannot hold %d elements", len(raw), t.Dim)
	}
	if size > 0 && len(raw) != size*t.Dim {
		return dst, fmt.Errorf("vector: want %d bytes, got %d", size*t.Dim, len(raw))
	}
	dst = append(dst, '[')
	b := raw
	for i := 0; i < t.Dim; i++ {
		var e []byte
		if size > 0 {
			e, b = b[:size:size], b[size:]
		} else {
			n, k, err := readUvint(b)
			if err != nil || n > uint64(len(b)-k) {
				return dst, fmt.Errorf("vector element %d: truncated", i)
			}
			e, b = b[k:k+int(n):k+int(n)], b[k+int(n):]
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendValue(dst, et, e); err != nil {
			return dst, fmt.Errorf("vector element %d: %w", i, err)
		}
	}
	if len(b) != 0 {
		return dst, fmt.Errorf("vector: %d trailing bytes", len(b))
	}
	return append(dst, ']'), nil
}

// appendKey appends name as an object key and ':'. Plain names (the usual
// case) are copied without the escaping pass.
func appendKey(dst []byte, name string) ([]byte, error) {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			out, err := appendJSONString(dst, []byte(name))
			if err != nil {
				return dst, err
			}
			return append(out, ':'), nil
		}
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':'), nil
}
