package format

import (
	"fmt"
	"strconv"

	"github.com/lading-dev/lading/pkg/schema"
)

// Encoder writes rows as NDJSON lines. It holds no mutable state: one
// Encoder may serve many goroutines.
type Encoder struct {
	cols []column
	opts Options
}

// NewEncoder returns an encoder for the given columns of t (nil: all of
// them, in t.Columns order). t must have been resolved (Table.Resolve).
func NewEncoder(t *schema.Table, columns []string, opts Options) (*Encoder, error) {
	cols, err := codecColumns(t, columns, opts)
	if err != nil {
		return nil, fmt.Errorf("format encoder: %w", err)
	}
	return &Encoder{cols: cols, opts: opts}, nil
}

// AppendRow appends r as one JSON object and '\n'. Null values are left
// out. On error dst is returned unchanged, and the error names the column.
func (e *Encoder) AppendRow(dst []byte, r *Row) ([]byte, error) {
	start := len(dst)
	if len(r.Values) != len(e.cols) {
		return dst, fmt.Errorf("row has %d values, want %d", len(r.Values), len(e.cols))
	}
	dst = append(dst, '{')
	first := true
	for i := range e.cols {
		v := r.Values[i]
		if v == nil {
			continue
		}
		c := &e.cols[i]
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, c.key...)
		var err error
		if dst, err = appendValue(dst, c.t, v); err != nil {
			return dst[:start], fmt.Errorf("column %q: %w", c.name, err)
		}
	}
	var err error
	if e.opts.Writetime {
		if dst, err = e.appendMeta(dst, WritetimeKey, r.Writetime, &first); err != nil {
			return dst[:start], err
		}
	}
	if e.opts.TTL {
		if dst, err = e.appendMeta(dst, TTLKey, r.TTL, &first); err != nil {
			return dst[:start], err
		}
	}
	return append(dst, '}', '\n'), nil
}

// appendMeta writes "_writetime"/"_ttl": {"col": n or [n, ...]} for the
// columns that have some; nothing when none has.
func (e *Encoder) appendMeta(dst []byte, key string, m [][]int64, first *bool) ([]byte, error) {
	if len(m) == 0 {
		return dst, nil
	}
	if len(m) != len(e.cols) {
		return dst, fmt.Errorf("%s: %d entries, want 0 or %d", key, len(m), len(e.cols))
	}
	open := false
	for i, v := range m {
		if v == nil {
			continue
		}
		c := &e.cols[i]
		if !c.timed {
			return dst, fmt.Errorf("%s: column %q is a key column", key, c.name)
		}
		if !c.multi && (len(v) != 1 || v[0] == NullElement) {
			return dst, fmt.Errorf("%s: column %q has %d values, want 1 (not NullElement)", key, c.name, len(v))
		}
		if !open {
			if !*first {
				dst = append(dst, ',')
			}
			*first = false
			dst = append(dst, '"')
			dst = append(dst, key...)
			dst = append(dst, '"', ':', '{')
			open = true
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, c.key...)
		if !c.multi {
			dst = strconv.AppendInt(dst, v[0], 10)
			continue
		}
		dst = append(dst, '[')
		for j, n := range v {
			if j > 0 {
				dst = append(dst, ',')
			}
			if n == NullElement {
				dst = append(dst, "null"...)
				continue
			}
			dst = strconv.AppendInt(dst, n, 10)
		}
		dst = append(dst, ']')
	}
	if open {
		dst = append(dst, '}')
	}
	return dst, nil
}
