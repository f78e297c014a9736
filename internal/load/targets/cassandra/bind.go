package cassandra

import (
	"strings"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/schema"
)

// The driver cannot bind a tuple as one value (it counts a top-level
// tuple bind marker as one value per element, then marshals by the
// unflattened columns), so a tuple is written as a tuple literal of bind
// markers, "(?, ?)", with one bound value per element (nested tuples the
// same way). A tuple therefore cannot be left unset inside a shared
// INSERT: tuple columns get statements of their own. A null nested tuple
// is written as a tuple of nulls.

// marker returns the bind marker text for a value of type t.
func marker(t *schema.Type) string {
	if t.Kind != schema.Tuple {
		return "?"
	}
	parts := make([]string, len(t.Params))
	for i, p := range t.Params {
		parts[i] = marker(p)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// bindValue appends the values that bind v (serialized t; nil is null)
// to args: v itself, or a tuple's elements, copied into a (nil: each
// copied on its own).
func bindValue(args []any, t *schema.Type, v []byte, a *rowArena) []any {
	if t.Kind != schema.Tuple {
		return append(args, a.own(v))
	}
	for _, p := range t.Params {
		var item []byte
		if len(v) >= 4 {
			var null bool
			var err error
			var rest []byte
			item, rest, null, err = readItem(v)
			if err != nil || null {
				item = nil
			}
			v = rest
		}
		args = bindValue(args, p, item, a)
	}
	return args
}

// tupleDest receives a top-level tuple column read back element by
// element (as the driver scans tuples) and reassembles its wire bytes.
type tupleDest struct {
	elems []cql.Raw
}

func newTupleDest(t *schema.Type) *tupleDest {
	return &tupleDest{elems: make([]cql.Raw, len(t.Params))}
}

// dests returns the scan destinations of the tuple's elements.
func (d *tupleDest) dests() []any {
	out := make([]any, len(d.elems))
	for i := range d.elems {
		out[i] = &d.elems[i]
	}
	return out
}

// value reassembles the tuple ([int32 len][bytes] per element, -1 for
// null); null when every element is null and the column has no
// writetime.
func (d *tupleDest) value(hasWritetime bool) []byte {
	allNull := true
	for _, e := range d.elems {
		if e != nil {
			allNull = false
		}
	}
	if allNull && !hasWritetime {
		return nil
	}
	var out []byte
	for _, e := range d.elems {
		if e == nil {
			out = append(out, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		n := len(e)
		out = append(out, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		out = append(out, e...)
	}
	return out
}
