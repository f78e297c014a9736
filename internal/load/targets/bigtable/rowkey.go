package bigtable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/lading-dev/lading/pkg/schema"
)

// Row keys are the partition key columns then the clustering columns, each
// encoded so that comparing keys byte by byte (as Bigtable does) orders
// them as CQL orders the values of their types, and so that no column's
// encoding is a prefix of another value's encoding of the same type: the
// concatenation then orders like the tuple of its columns. A DESC
// clustering column has every byte of its encoding inverted. The
// encodings, column by column (CQL native-protocol bytes in, docs/format.md
// "Bigtable row keys" says the same for readers in other languages):
//
//	boolean                       1 byte, 0x00 or 0x01
//	tinyint smallint int bigint   big-endian two's complement, sign bit flipped
//	counter timestamp             (8 bytes; timestamp in ms since the epoch)
//	float double                  IEEE bits; positive: sign bit flipped,
//	                              negative: all bits inverted (NaN as 0x7fc00000 /
//	                              0x7ff8000000000000, greatest, as in CQL)
//	date                          the 4 wire bytes (unsigned, epoch at 2^31)
//	time                          the 8 wire bytes (nanoseconds, never negative)
//	text ascii varchar blob inet  bytes escaped: 0x00 → 0x00 0xff; then 0x00 0x01
//	varint                        0x00 negative, 0x01 zero, 0x02 positive; then the
//	                              magnitude's length (uint32) and magnitude, both
//	                              inverted when negative
//	decimal                       0x00 negative, 0x01 zero, 0x02 positive; for non-zero,
//	                              the adjusted exponent (int32, sign bit flipped), each
//	                              significant digit + 1 (trailing zeros dropped), 0x00,
//	                              all inverted when negative; the scale (int32) goes
//	                              to the key's trailer (see keyCodec), so that 1.0 and
//	                              1.00 order alike but decode apart
//	uuid                          version byte; version 1: the 60-bit time (8 bytes)
//	                              then the low 8 bytes; otherwise the 16 bytes
//	timeuuid                      version byte, the 60-bit time, then the low 8 bytes
//	                              with each byte's top bit flipped (CQL compares
//	                              them as signed bytes)
//	frozen list, set              per element 0x01 + element; then 0x00
//	frozen map                    per entry 0x01 + key + value; then 0x00
//	tuple, frozen user type       per field 0x01 (null) or 0x02 + field; then 0x00
//
// Partition keys are ordered by their values here, not by token as CQL
// orders partitions: a Bigtable scan returns partitions in value order.

// keyCol is one key column of the row key.
type keyCol struct {
	name string
	t    *schema.Type
	desc bool
}

// encodeKey appends the row key of the given key values (CQL wire bytes,
// in key order) to dst. The static row of a partition has the key of its
// partition key columns alone.
func encodeKey(dst []byte, cols []keyCol, vals [][]byte) ([]byte, error) {
	var kc keyCodec
	for i, c := range cols {
		if vals[i] == nil {
			return nil, fmt.Errorf("key column %s is null", c.name)
		}
		start := len(dst)
		var err error
		if dst, err = kc.appendKeyValue(dst, c.t, vals[i]); err != nil {
			return nil, fmt.Errorf("key column %s: %w", c.name, err)
		}
		if c.desc {
			invert(dst[start:])
		}
	}
	return append(dst, kc.trailer...), nil
}

// decodeKey splits a row key into the CQL wire bytes of its columns. A
// key may hold only the leading columns (the static row holds the
// partition key's), given as n; the rest are nil.
func decodeKey(key []byte, cols []keyCol, n int) ([][]byte, error) {
	probe := keyCodec{probe: true}
	end, _, err := probe.readColumns(key, cols[:n])
	if err != nil {
		return nil, err
	}
	if len(key)-end != 4*probe.next {
		return nil, fmt.Errorf("row key: %d bytes after the columns, want %d", len(key)-end, 4*probe.next)
	}
	kc := keyCodec{}
	for i := end; i < len(key); i += 4 {
		kc.scales = append(kc.scales, int32(binary.BigEndian.Uint32(key[i:])))
	}
	_, out, err := kc.readColumns(key, cols[:n])
	if err != nil {
		return nil, err
	}
	return append(out, make([][]byte, len(cols)-n)...), nil
}

func (kc *keyCodec) readColumns(key []byte, cols []keyCol) (int, [][]byte, error) {
	out := make([][]byte, len(cols))
	pos := 0
	for i, c := range cols {
		src := key[pos:]
		if c.desc {
			src = append([]byte{}, src...)
			invert(src)
		}
		v, n, err := kc.readKeyValue(src, c.t)
		if err != nil {
			return 0, nil, fmt.Errorf("row key column %s: %w", c.name, err)
		}
		out[i] = v
		pos += n
	}
	return pos, out, nil
}

// keyCodec carries the decimal scales of one row key: the scale does not
// take part in CQL's order (1.0 = 1.00), so it cannot sit where it would
// decide the order; the scales of every decimal in the key, in order, are
// appended after the last column instead (4 bytes each).
type keyCodec struct {
	trailer []byte  // encoding: scales seen so far
	scales  []int32 // decoding: the trailer's scales
	next    int
	probe   bool // decoding pass that only finds where the columns end
}

func (kc *keyCodec) nextScale() int32 {
	if kc.next < len(kc.scales) {
		s := kc.scales[kc.next]
		kc.next++
		return s
	}
	kc.next++
	return 0
}

func invert(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

var errShort = errors.New("truncated")

func fixedWidth(k schema.Kind) int {
	switch k {
	case schema.Boolean, schema.Tinyint:
		return 1
	case schema.Smallint:
		return 2
	case schema.Int, schema.Date, schema.Float:
		return 4
	case schema.Bigint, schema.Counter, schema.Timestamp, schema.Time, schema.Double:
		return 8
	}
	return 0
}

func (kc *keyCodec) appendKeyValue(dst []byte, t *schema.Type, v []byte) ([]byte, error) {
	if w := fixedWidth(t.Kind); w > 0 && len(v) != w {
		return nil, fmt.Errorf("%s value of %d bytes, want %d", t, len(v), w)
	}
	switch t.Kind {
	case schema.Boolean:
		if v[0] != 0 {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter, schema.Timestamp:
		dst = append(dst, v...)
		dst[len(dst)-len(v)] ^= 0x80
		return dst, nil
	case schema.Date, schema.Time:
		return append(dst, v...), nil
	case schema.Float:
		bits := binary.BigEndian.Uint32(v)
		if f := math.Float32frombits(bits); f != f {
			bits = 0x7fc00000
		}
		if bits&(1<<31) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 31
		}
		return binary.BigEndian.AppendUint32(dst, bits), nil
	case schema.Double:
		bits := binary.BigEndian.Uint64(v)
		if f := math.Float64frombits(bits); f != f {
			bits = 0x7ff8000000000000
		}
		if bits&(1<<63) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		return binary.BigEndian.AppendUint64(dst, bits), nil
	case schema.Text, schema.Ascii, schema.Varchar, schema.Blob, schema.Inet:
		return appendEscaped(dst, v), nil
	case schema.Varint:
		return appendVarint(dst, v), nil
	case schema.Decimal:
		return kc.appendDecimal(dst, v)
	case schema.UUID, schema.Timeuuid:
		return appendUUIDKey(dst, v, t.Kind == schema.Timeuuid)
	case schema.List, schema.Set, schema.Vector:
		return kc.appendElems(dst, t, v)
	case schema.Map:
		return kc.appendElems(dst, t, v)
	case schema.Tuple, schema.UDT:
		return kc.appendFields(dst, t, v)
	}
	return nil, fmt.Errorf("type %s cannot be part of a row key", t)
}

func appendEscaped(dst, v []byte) []byte {
	for _, b := range v {
		if b == 0 {
			dst = append(dst, 0, 0xff)
			continue
		}
		dst = append(dst, b)
	}
	return append(dst, 0, 1)
}

func readEscaped(src []byte) ([]byte, int, error) {
	out := []byte{}
	for i := 0; i < len(src); i++ {
		if src[i] != 0 {
			out = append(out, src[i])
			continue
		}
		if i+1 >= len(src) {
			return nil, 0, errShort
		}
		switch src[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 1:
			return out, i + 2, nil
		default:
			return nil, 0, fmt.Errorf("bad escape 0x00 0x%02x", src[i+1])
		}
	}
	return nil, 0, errShort
}

func appendUUIDKey(dst, v []byte, timeuuid bool) ([]byte, error) {
	if len(v) != 16 {
		return nil, fmt.Errorf("uuid of %d bytes", len(v))
	}
	msb := binary.BigEndian.Uint64(v[:8])
	version := byte(msb>>12) & 0xf
	dst = append(dst, version)
	if version == 1 {
		ts := (msb&0xfff)<<48 | (msb>>16&0xffff)<<32 | msb>>32
		dst = binary.BigEndian.AppendUint64(dst, ts)
	} else {
		dst = append(dst, v[:8]...)
	}
	start := len(dst)
	dst = append(dst, v[8:]...)
	if timeuuid {
		for i := start; i < len(dst); i++ {
			dst[i] ^= 0x80
		}
	}
	return dst, nil
}

func readUUIDKey(src []byte, timeuuid bool) ([]byte, int, error) {
	if len(src) < 17 {
		return nil, 0, errShort
	}
	out := make([]byte, 16)
	version := src[0]
	if version == 1 {
		ts := binary.BigEndian.Uint64(src[1:9])
		msb := (ts&0xffffffff)<<32 | (ts>>32&0xffff)<<16 | uint64(version)<<12 | ts>>48&0xfff
		binary.BigEndian.PutUint64(out, msb)
	} else {
		copy(out, src[1:9])
	}
	copy(out[8:], src[9:17])
	if timeuuid {
		for i := 8; i < 16; i++ {
			out[i] ^= 0x80
		}
	}
	return out, 17, nil
}
