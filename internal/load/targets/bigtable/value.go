package bigtable

import (
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// Cell values. Native types keep their CQL binary form, which is what
// Bigtable's own tools expect where they care: integers (tinyint to
// bigint, counter) big-endian two's complement, so a 64-bit value works
// with Bigtable's increments and filters; float and double IEEE 754
// big-endian; text, ascii and varchar UTF-8; blob raw; boolean one byte;
// uuid, timeuuid and inet their 16 (or 4) bytes; timestamp 8 bytes of
// milliseconds since the epoch; date 4 bytes (days, epoch at 2^31); time
// 8 bytes of nanoseconds; varint minimal two's complement; decimal a
// 4-byte scale then the unscaled varint. Collections, tuples, user types,
// vectors and durations are the dump's own JSON text for the value
// (docs/format.md), which any reader can parse without CQL's binary
// layouts.

// jsonValued reports whether a column of type t is stored as JSON text.
func jsonValued(t *schema.Type) bool {
	switch t.Kind {
	case schema.List, schema.Set, schema.Map, schema.Tuple, schema.UDT, schema.Vector, schema.Duration:
		return true
	}
	return false
}

// encodeValue returns a cell's value for a column's CQL wire bytes: the
// same bytes (not a copy) where they are stored as they are.
func encodeValue(c *valCol, wire []byte) ([]byte, error) {
	if !c.json {
		return wire, nil
	}
	return format.AppendValue(nil, c.t, wire)
}

// decodeValue returns the CQL wire bytes a cell's value stands for.
func decodeValue(c *valCol, v []byte) ([]byte, error) {
	if !c.json {
		return v, nil
	}
	return format.ParseValue(c.t, v)
}
