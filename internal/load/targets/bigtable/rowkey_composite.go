package bigtable

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/lading-dev/lading/pkg/schema"
)

// Key encodings of frozen collections, tuples and user types, built from
// their elements' encodings (see rowkey.go).

// wireElems splits a collection's wire bytes (int32 count, then int32
// length and bytes per element) into its elements.
func wireElems(v []byte, perEntry int) ([][]byte, error) {
	if len(v) < 4 {
		return nil, errShort
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	if n < 0 {
		return nil, errors.New("negative element count")
	}
	v = v[4:]
	out := make([][]byte, 0, n*perEntry)
	for range n * perEntry {
		e, rest, err := wireElem(v)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, errors.New("null collection element")
		}
		out = append(out, e)
		v = rest
	}
	if len(v) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(v))
	}
	return out, nil
}

// wireElem reads one int32-length-prefixed value (nil for length -1).
func wireElem(v []byte) (elem, rest []byte, err error) {
	if len(v) < 4 {
		return nil, nil, errShort
	}
	l := int(int32(binary.BigEndian.Uint32(v)))
	v = v[4:]
	if l < 0 {
		return nil, v, nil
	}
	if len(v) < l {
		return nil, nil, errShort
	}
	return v[:l:l], v[l:], nil
}

func elemTypes(t *schema.Type) []*schema.Type {
	if t.Kind == schema.Map {
		return t.Params[:2]
	}
	return t.Params[:1]
}

// appendElems encodes a frozen list, set or map: 0x01 before each element
// (map: each key and value pair) and 0x00 after the last, so a collection
// that is a prefix of another sorts first, as in CQL.
func (kc *keyCodec) appendElems(dst []byte, t *schema.Type, v []byte) ([]byte, error) {
	if t.Kind == schema.Vector {
		return nil, fmt.Errorf("type %s cannot be part of a row key", t)
	}
	ts := elemTypes(t)
	elems, err := wireElems(v, len(ts))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	for i := 0; i < len(elems); i += len(ts) {
		dst = append(dst, 1)
		for j, et := range ts {
			if dst, err = kc.appendKeyValue(dst, et, elems[i+j]); err != nil {
				return nil, err
			}
		}
	}
	return append(dst, 0), nil
}

// appendFields encodes a tuple or user type: per field 0x01 (null) or
// 0x02 and the field's encoding, then 0x00 (fewer fields sort first).
func (kc *keyCodec) appendFields(dst []byte, t *schema.Type, v []byte) ([]byte, error) {
	for i := 0; len(v) > 0; i++ {
		if i >= len(t.Params) {
			return nil, fmt.Errorf("%s: more fields than the type has", t)
		}
		e, rest, err := wireElem(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		v = rest
		if e == nil {
			dst = append(dst, 1)
			continue
		}
		dst = append(dst, 2)
		if dst, err = kc.appendKeyValue(dst, t.Params[i], e); err != nil {
			return nil, err
		}
	}
	return append(dst, 0), nil
}

// readKeyValue decodes one column's key encoding from the start of src,
// returning its CQL wire bytes and the encoding's length.
func (kc *keyCodec) readKeyValue(src []byte, t *schema.Type) ([]byte, int, error) {
	if w := fixedWidth(t.Kind); w > 0 && len(src) < w {
		return nil, 0, errShort
	}
	switch t.Kind {
	case schema.Boolean:
		return []byte{src[0]}, 1, nil
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter, schema.Timestamp:
		w := fixedWidth(t.Kind)
		out := append([]byte{}, src[:w]...)
		out[0] ^= 0x80
		return out, w, nil
	case schema.Date, schema.Time:
		w := fixedWidth(t.Kind)
		return append([]byte{}, src[:w]...), w, nil
	case schema.Float:
		bits := binary.BigEndian.Uint32(src)
		if bits&(1<<31) != 0 {
			bits &^= 1 << 31
		} else {
			bits = ^bits
		}
		return binary.BigEndian.AppendUint32(nil, bits), 4, nil
	case schema.Double:
		bits := binary.BigEndian.Uint64(src)
		if bits&(1<<63) != 0 {
			bits &^= 1 << 63
		} else {
			bits = ^bits
		}
		return binary.BigEndian.AppendUint64(nil, bits), 8, nil
	case schema.Text, schema.Ascii, schema.Varchar, schema.Blob, schema.Inet:
		return readEscaped(src)
	case schema.Varint:
		return readVarint(src)
	case schema.Decimal:
		return kc.readDecimal(src)
	case schema.UUID, schema.Timeuuid:
		return readUUIDKey(src, t.Kind == schema.Timeuuid)
	case schema.List, schema.Set, schema.Map:
		return kc.readElems(src, t)
	case schema.Tuple, schema.UDT:
		return kc.readFields(src, t)
	}
	return nil, 0, fmt.Errorf("type %s cannot be part of a row key", t)
}

func appendWireElem(dst, e []byte) []byte {
	if e == nil {
		return binary.BigEndian.AppendUint32(dst, 0xffffffff)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e)))
	return append(dst, e...)
}

func (kc *keyCodec) readElems(src []byte, t *schema.Type) ([]byte, int, error) {
	ts := elemTypes(t)
	out := []byte{0, 0, 0, 0}
	n, count := 0, 0
	for {
		if n >= len(src) {
			return nil, 0, errShort
		}
		marker := src[n]
		n++
		if marker == 0 {
			break
		}
		if marker != 1 {
			return nil, 0, fmt.Errorf("bad element marker 0x%02x", marker)
		}
		for _, et := range ts {
			e, l, err := kc.readKeyValue(src[n:], et)
			if err != nil {
				return nil, 0, err
			}
			out = appendWireElem(out, e)
			n += l
		}
		count++
	}
	binary.BigEndian.PutUint32(out, uint32(count))
	return out, n, nil
}

func (kc *keyCodec) readFields(src []byte, t *schema.Type) ([]byte, int, error) {
	out := []byte{}
	n := 0
	for i := 0; ; i++ {
		if n >= len(src) {
			return nil, 0, errShort
		}
		marker := src[n]
		n++
		switch {
		case marker == 0:
			return out, n, nil
		case i >= len(t.Params):
			return nil, 0, fmt.Errorf("%s: more fields than the type has", t)
		case marker == 1:
			out = appendWireElem(out, nil)
		case marker == 2:
			e, l, err := kc.readKeyValue(src[n:], t.Params[i])
			if err != nil {
				return nil, 0, err
			}
			out = appendWireElem(out, e)
			n += l
		default:
			return nil, 0, fmt.Errorf("bad field marker 0x%02x", marker)
		}
	}
}
