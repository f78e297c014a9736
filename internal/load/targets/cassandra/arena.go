package cassandra

import (
	"bytes"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/format"
)

// rowArena holds the copies of one row's values that its statements
// bind: a row costs two allocations (the bytes, and the slots the bound
// values point to) instead of two per value (the copy, and the
// interface that holds a slice). Each row gets its own, as its
// statements are still queued when the next row is converted into the
// decoder's reused memory.
type rowArena struct {
	buf  []byte
	raws []cql.Raw
}

func newRowArena(row *format.Row) *rowArena {
	n, k := 0, 0
	for _, v := range row.Values {
		if v != nil {
			n += len(v)
			k++
		}
	}
	// Twice the values: a collection may bind one value per group.
	return &rowArena{buf: make([]byte, 0, n), raws: make([]cql.Raw, 0, 2*k)}
}

// own returns a copy of v to bind (nil binds null). A nil arena, or one
// that is full, copies the value on its own.
func (a *rowArena) own(v []byte) any {
	if v == nil {
		return cql.Raw(nil)
	}
	if a == nil {
		return cql.Raw(bytes.Clone(v))
	}
	var r cql.Raw
	if len(a.buf)+len(v) <= cap(a.buf) {
		s := len(a.buf)
		a.buf = append(a.buf, v...)
		r = a.buf[s:len(a.buf):len(a.buf)]
	} else {
		r = bytes.Clone(v)
	}
	return a.bind(r)
}

// bind returns r ready to bind: a pointer to a slot of the arena (no
// allocation), or r itself once the slots are used up.
func (a *rowArena) bind(r cql.Raw) any {
	if a == nil || len(a.raws) == cap(a.raws) {
		return r
	}
	a.raws = append(a.raws, r)
	return &a.raws[len(a.raws)-1]
}
