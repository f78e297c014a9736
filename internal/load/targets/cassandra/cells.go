package cassandra

import (
	"encoding/binary"
	"fmt"

	"github.com/lading-dev/lading/pkg/schema"
)

// elem is one cell of a multi-cell column: a list or set element, a map
// entry (key and value), or a user type field (index and value).
type elem struct {
	key   []byte // map key; nil otherwise
	value []byte
	field int // UDT field index
}

// splitCells splits a multi-cell column's serialized value (native
// protocol v3+: [int32 n] then n [int32 len][bytes] items, two per map
// entry; a UDT is its fields' [int32 len][bytes], -1 for null) into its
// cells. Null UDT fields are not cells.
func splitCells(t *schema.Type, v []byte) ([]elem, error) {
	if t.Kind == schema.UDT {
		var out []elem
		for i := 0; len(v) > 0; i++ {
			if i >= len(t.Params) {
				return nil, fmt.Errorf("user type value has more than %d fields", len(t.Params))
			}
			item, rest, null, err := readItem(v)
			if err != nil {
				return nil, err
			}
			v = rest
			if !null {
				out = append(out, elem{value: item, field: i})
			}
		}
		return out, nil
	}
	if len(v) < 4 {
		return nil, fmt.Errorf("collection value of %d bytes", len(v))
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	v = v[4:]
	if n < 0 || n > len(v)/4+1 {
		return nil, fmt.Errorf("collection of %d elements in %d bytes", n, len(v))
	}
	out := make([]elem, 0, n)
	for range n {
		var e elem
		var null bool
		var err error
		if t.Kind == schema.Map {
			if e.key, v, null, err = readItem(v); err != nil || null {
				return nil, fmt.Errorf("map key: %v", orNull(err))
			}
		}
		if e.value, v, null, err = readItem(v); err != nil || null {
			return nil, fmt.Errorf("collection element: %v", orNull(err))
		}
		out = append(out, e)
	}
	if len(v) != 0 {
		return nil, fmt.Errorf("%d bytes after the collection's elements", len(v))
	}
	return out, nil
}

func orNull(err error) error {
	if err == nil {
		return fmt.Errorf("null")
	}
	return err
}

// readItem reads one [int32 len][bytes] item.
func readItem(v []byte) (item, rest []byte, null bool, err error) {
	if len(v) < 4 {
		return nil, nil, false, fmt.Errorf("truncated item")
	}
	n := int32(binary.BigEndian.Uint32(v))
	v = v[4:]
	if n < 0 {
		return nil, v, true, nil
	}
	if int(n) > len(v) {
		return nil, nil, false, fmt.Errorf("item of %d bytes in %d", n, len(v))
	}
	return v[:n:n], v[n:], false, nil
}

// joinCells serializes elements as a list, set or map value.
func joinCells(kind schema.Kind, es []elem) []byte {
	size := 4
	for _, e := range es {
		size += 4 + len(e.value)
		if kind == schema.Map {
			size += 4 + len(e.key)
		}
	}
	out := make([]byte, 0, size)
	out = binary.BigEndian.AppendUint32(out, uint32(len(es)))
	for _, e := range es {
		if kind == schema.Map {
			out = binary.BigEndian.AppendUint32(out, uint32(len(e.key)))
			out = append(out, e.key...)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(e.value)))
		out = append(out, e.value...)
	}
	return out
}

// joinKey composes a partition key for grouping: each component with its
// length, so different keys never collide.
func joinKey(parts [][]byte) string {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return string(b)
}
