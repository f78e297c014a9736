package format

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/lading-dev/lading/pkg/schema"
)

// Row is one row: per column of the codec's column list, the CQL
// serialized value (native protocol v4/v5; nil = null or absent).
//
// Writetime (microseconds) and TTL (seconds) are per column too, nil when
// not captured or null: one value for a single-cell column, one per
// element for a non-frozen collection or user type (Cassandra 5.0 returns
// WRITETIME/TTL of a multi-cell column as a list, with null for an element
// without TTL or a null field: NullElement here). Only regular and static
// columns have them. Encoders accept Writetime/TTL of length 0 (none) or
// one entry per column.
//
// DecodeRow reuses the row's memory: the slices it fills stay valid until
// the next DecodeRow into the same Row.
type Row struct {
	Values    [][]byte
	Writetime [][]int64
	TTL       [][]int64
	// Item is the row of a DynamoDB dump (source kind dynamodb), which
	// has no columns: Values, Writetime and TTL are then empty.
	Item DynamoItem

	buf  []byte  // backing array of Values after DecodeRow
	nums []int64 // backing array of Writetime and TTL after DecodeRow
}

// Options say which per-cell metadata rows carry.
type Options struct {
	// Writetime adds "_writetime": {"col": µs, ...} to rows.
	Writetime bool
	// TTL adds "_ttl": {"col": seconds, ...} to rows.
	TTL bool
}

// Keys of the per-cell metadata objects.
const (
	WritetimeKey = "_writetime"
	TTLKey       = "_ttl"
)

// column is one column of a codec, with what the hot paths need.
type column struct {
	name string
	t    *schema.Type
	key  []byte // `"name":`
	// timed: a regular or static column, which may carry writetime/TTL.
	timed bool
	multi bool
}

// codecColumns resolves a column list against a resolved table.
func codecColumns(t *schema.Table, names []string, opts Options) ([]column, error) {
	if t == nil {
		return nil, errors.New("no table")
	}
	if names == nil {
		for _, c := range t.Columns {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no columns")
	}
	seen := make(map[string]bool, len(names))
	cols := make([]column, 0, len(names))
	for _, n := range names {
		c := t.Column(n)
		if c == nil {
			return nil, fmt.Errorf("column %q: not in table %s", n, t.QualifiedName())
		}
		if seen[n] {
			return nil, fmt.Errorf("column %q: listed twice", n)
		}
		seen[n] = true
		if c.T == nil {
			return nil, fmt.Errorf("column %q: type not resolved (call Table.Resolve)", n)
		}
		if !utf8.ValidString(n) {
			return nil, fmt.Errorf("column %q: name is not valid UTF-8", n)
		}
		if opts.Writetime && n == WritetimeKey || opts.TTL && n == TTLKey {
			return nil, fmt.Errorf("column %q: clashes with the row's metadata key; export without writetime/ttl", n)
		}
		key, err := appendKey(nil, n)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", n, err)
		}
		cols = append(cols, column{
			name:  n,
			t:     c.T,
			key:   key,
			timed: c.Role == schema.Regular || c.Role == schema.Static,
			multi: c.T.MultiCell(),
		})
	}
	return cols, nil
}
