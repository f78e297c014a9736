package cql

import (
	"encoding/binary"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Raw is one value as CQL native-protocol bytes; nil is null (an empty,
// non-nil Raw is an empty value, which Cassandra keeps apart from null).
// Scanning into a *Raw copies the driver's bytes; binding a Raw sends
// them unchanged.
type Raw []byte

// UnmarshalCQL implements gocql.Unmarshaler: it keeps a copy of data.
func (r *Raw) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	if data == nil {
		*r = nil
		return nil
	}
	*r = append(make(Raw, 0, len(data)), data...)
	return nil
}

// MarshalCQL implements gocql.Marshaler: the bytes go out as they are.
func (r Raw) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return r, nil }

// arenaCell receives one column of a row straight into a shared byte
// arena, so that a page of rows costs a few allocations, not one per
// value. A top-level tuple column arrives from the driver element by
// element (gocql scans tuples into one destination per element); the
// cell reassembles the tuple's wire bytes from them.
type arenaCell struct {
	arena *[]byte
	start int
	end   int
	null  bool
}

func (c *arenaCell) reset(arena *[]byte) {
	c.arena, c.start, c.end, c.null = arena, len(*arena), len(*arena), false
}

// UnmarshalCQL implements gocql.Unmarshaler.
func (c *arenaCell) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	if data == nil {
		c.null = true
		return nil
	}
	*c.arena = append(*c.arena, data...)
	c.start, c.end = len(*c.arena)-len(data), len(*c.arena)
	return nil
}

// value returns the cell's bytes (nil for null).
func (c *arenaCell) value() []byte {
	if c.null {
		return nil
	}
	return (*c.arena)[c.start:c.end:c.end]
}

// tupleElem receives one element of a top-level tuple column.
type tupleElem struct {
	arena      *[]byte
	start, end int
	null       bool
}

// UnmarshalCQL implements gocql.Unmarshaler: it appends the element as
// [int32 length][bytes] (length -1 for null), the tuple's own encoding.
func (e *tupleElem) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	e.start = len(*e.arena)
	defer func() { e.end = len(*e.arena) }()
	if data == nil {
		e.null = true
		*e.arena = binary.BigEndian.AppendUint32(*e.arena, 0xffffffff)
		return nil
	}
	*e.arena = binary.BigEndian.AppendUint32(*e.arena, uint32(len(data)))
	*e.arena = append(*e.arena, data...)
	return nil
}
