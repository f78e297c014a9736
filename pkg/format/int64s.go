package format

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lading-dev/lading/pkg/schema"
)

// NullElement stands for a null element in the writetime or TTL list of a
// multi-cell column, written as JSON null. Cassandra reserves the value
// (Long.MIN_VALUE means "no timestamp"), so no real writetime or TTL
// equals it; rows may not carry it anywhere else.
const NullElement int64 = math.MinInt64

// DecodeInt64s converts the raw result of WRITETIME(col) or TTL(col) to
// numbers: t is bigint or int (one value for a single-cell column) or
// list<bigint> or list<int> (one per element of a multi-cell column, as
// Cassandra 5.0 returns them). nil raw gives nil. A null element of a list
// (the TTL of an element that has none, the writetime of a user type field
// that is null) gives NullElement.
func DecodeInt64s(t *schema.Type, raw []byte) ([]int64, error) {
	if raw == nil {
		return nil, nil
	}
	one := func(t *schema.Type, b []byte) (int64, error) {
		switch {
		case t.Kind == schema.Bigint && len(b) == 8:
			return int64(binary.BigEndian.Uint64(b)), nil
		case t.Kind == schema.Int && len(b) == 4:
			return int64(int32(binary.BigEndian.Uint32(b))), nil
		case t.Kind == schema.Bigint || t.Kind == schema.Int:
			return 0, fmt.Errorf("%s of %d bytes", t.Kind, len(b))
		}
		return 0, fmt.Errorf("want bigint, int or a list of them, got %s", t)
	}
	if t.Kind != schema.List {
		v, err := one(t, raw)
		if err != nil {
			return nil, fmt.Errorf("writetime/ttl: %w", err)
		}
		if v == NullElement {
			return nil, fmt.Errorf("writetime/ttl: reserved value %d", v)
		}
		return []int64{v}, nil
	}
	w := wire(raw)
	n, err := w.count()
	if err != nil {
		return nil, fmt.Errorf("writetime/ttl list: %w", err)
	}
	out := make([]int64, n)
	for i := range out {
		e, err := w.elem()
		if err != nil {
			return nil, fmt.Errorf("writetime/ttl list element %d: %w", i, err)
		}
		if e == nil {
			out[i] = NullElement
			continue
		}
		if out[i], err = one(t.Params[0], e); err != nil {
			return nil, fmt.Errorf("writetime/ttl list element %d: %w", i, err)
		}
		if out[i] == NullElement {
			return nil, fmt.Errorf("writetime/ttl list element %d: reserved value %d", i, NullElement)
		}
	}
	if len(w) != 0 {
		return nil, fmt.Errorf("writetime/ttl list: %d trailing bytes", len(w))
	}
	return out, nil
}
