package format

import (
	"encoding/binary"
	"fmt"

	"github.com/lading-dev/lading/pkg/schema"
)

// DecodeInt64s converts the raw result of WRITETIME(col) or TTL(col) to
// numbers: t is bigint or int (one value for a single-cell column) or
// list<bigint> or list<int> (one per element of a multi-cell column, as
// Cassandra 5.0 returns them). nil raw gives nil. A null element of a list
// (an element without a TTL) gives 0, the TTL that means "none".
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
			continue
		}
		if out[i], err = one(t.Params[0], e); err != nil {
			return nil, fmt.Errorf("writetime/ttl list element %d: %w", i, err)
		}
	}
	if len(w) != 0 {
		return nil, fmt.Errorf("writetime/ttl list: %d trailing bytes", len(w))
	}
	return out, nil
}
