package cassandra

import (
	"fmt"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/schema"
)

// A row is written in as few statements as its cells' (writetime, TTL)
// groups allow: every statement costs the server work of its own (and
// the client some), even inside one partition's batch. Per group:
//
//   - one INSERT of the group's single-cell columns, which also gives the
//     row its marker, as it always did. In a fresh part it carries whole
//     the row's sets and maps whose live elements all belong to the
//     group;
//   - one UPDATE that adds the group's other set and map elements and
//     sets its user type fields (SET m = m + ?, s = s + ?, u.f = ?, every
//     value not in the group unset), and one more for static columns.
//
// An INSERT of a collection writes a collection tombstone one
// microsecond below its timestamp, under its elements. In a fresh part
// (the table was empty when the dump's load began and no earlier attempt
// wrote the part's rows) nothing of the row can be below that timestamp
// but the same dump's cells, and a whole collection has none of its own
// there: the tombstone covers nothing, and writing it again (a retried
// batch) changes nothing. Elsewhere it could cover elements the target
// held before the load, which a load keeps (a load is an upsert), so
// there a collection is always added, never inserted. Static sets and
// maps are always added: a partition's static cells reach several parts.
// A whole collection joins only an INSERT its group has anyway, so no
// row gets a marker it did not get before.

// buildFolded prepares the folded statements; all is insertRow's key and
// scalar columns.
func (tb *Table) buildFolded(all []*col, rowWhere, statWhere string) {
	var rowSets, statSets []string
	for _, c := range tb.cols {
		if !c.multi || c.tuple || c.t.Kind == schema.List {
			continue
		}
		qn := schema.QuoteIdent(c.name)
		sets, n := &rowSets, &tb.updRowN
		if c.c.Role == schema.Static {
			sets, n = &statSets, &tb.updStatN
		}
		c.updPos = *n
		if c.t.Kind == schema.UDT {
			for _, f := range c.t.Fields {
				*sets = append(*sets, qn+"."+schema.QuoteIdent(f)+" = ?")
			}
			*n += len(c.t.Fields)
			continue
		}
		*sets = append(*sets, qn+" = "+qn+" + ?")
		*n++
		if c.c.Role != schema.Static {
			c.collPos = len(tb.scalars) + len(tb.colls)
			tb.colls = append(tb.colls, c)
		}
	}
	if len(tb.colls) > 0 {
		ins := append(append([]*col{}, all...), tb.colls...)
		tb.insertRowColl = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) USING TIMESTAMP ? AND TTL ?", tb.q, strings.Join(quoted(ins), ", "), marks(ins))
	}
	if len(rowSets) > 0 {
		tb.updateRow = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? AND TTL ? SET %s WHERE %s", tb.q, strings.Join(rowSets, ", "), rowWhere)
	}
	if len(statSets) > 0 {
		tb.updateStatic = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? AND TTL ? SET %s WHERE %s", tb.q, strings.Join(statSets, ", "), statWhere)
	}
}

// rowGroup is what one row writes at one (writetime, TTL).
type rowGroup struct {
	ct cellTime
	// insert holds the INSERT's values after the key: the scalars (a
	// static-only row's: the statics), then tb.colls; nil: no INSERT.
	insert []any
	// whole: insert carries a whole set or map (insertRowColl).
	whole bool
	// update and static hold updateRow's and updateStatic's SET values;
	// nil: none.
	update, static                []any
	insBytes, updBytes, statBytes int
}

// rowGroups are one row's groups, in the order they were met; a row has
// few, so they are searched in order.
type rowGroups []rowGroup

// at returns the group of ct, added if new. The pointer is valid until
// the next call.
func (gs *rowGroups) at(ct cellTime) *rowGroup {
	if g := gs.find(ct); g != nil {
		return g
	}
	*gs = append(*gs, rowGroup{ct: ct})
	return &(*gs)[len(*gs)-1]
}

func (gs rowGroups) find(ct cellTime) *rowGroup {
	for i := range gs {
		if gs[i].ct == ct {
			return &gs[i]
		}
	}
	return nil
}

// hasInsert reports whether the row gets an INSERT (which writes its
// row marker).
func (gs rowGroups) hasInsert() bool {
	for i := range gs {
		if gs[i].insert != nil {
			return true
		}
	}
	return false
}

func unsets(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = gocql.UnsetValue
	}
	return a
}

// addScalar puts a single-cell column's value into its group's INSERT.
func (cv *converter) addScalar(gs *rowGroups, c *col, v []byte, ct cellTime, staticOnly bool) {
	tb := cv.tb
	g := gs.at(ct)
	if g.insert == nil {
		n := len(tb.scalars) + len(tb.colls)
		if staticOnly {
			n = len(tb.statics)
		}
		g.insert = unsets(n)
	}
	g.insert[cv.scalarIndex(c, staticOnly)] = cv.arena.own(v)
	g.insBytes += len(v) + valueOverhead
}

// addCells puts the live cells of a set, map or user type into their
// groups: a whole set or map into its group's INSERT where it may (see
// above), else each group's cells into its UPDATE. v is the dumped
// value, of n cells.
func (cv *converter) addCells(gs *rowGroups, c *col, v []byte, n int, live []elem, times []cellTime, static bool) {
	tb := cv.tb
	if cv.info.Fresh && !static && c.t.Kind != schema.UDT && oneTime(times) {
		if g := gs.find(times[0]); g != nil && g.insert != nil {
			size := len(v)
			val := cv.arena.own(v)
			if len(live) != n {
				j := joinCells(c.t.Kind, live)
				size, val = len(j), cv.arena.bind(j)
			}
			g.insert[c.collPos] = val
			g.whole = true
			g.insBytes += size + valueOverhead
			return
		}
	}
	for _, run := range groupCells(live, times) {
		g := gs.at(run.ct)
		vals, size, bytes := &g.update, tb.updRowN, &g.updBytes
		if static {
			vals, size, bytes = &g.static, tb.updStatN, &g.statBytes
		}
		if *vals == nil {
			*vals = unsets(size)
		}
		if c.t.Kind == schema.UDT {
			for _, e := range run.elems {
				(*vals)[c.updPos+e.field] = cv.arena.own(e.value)
				*bytes += len(e.value) + valueOverhead
			}
			continue
		}
		val := joinCells(c.t.Kind, run.elems)
		(*vals)[c.updPos] = cv.arena.bind(val)
		*bytes += len(val) + valueOverhead
	}
}

// oneTime reports whether all the times are the same (and there is one).
func oneTime(times []cellTime) bool {
	for _, t := range times {
		if t != times[0] {
			return false
		}
	}
	return len(times) > 0
}

// emitGroups appends the groups' statements, in the order the groups
// were met.
func (cv *converter) emitGroups(dst []load.Mutation, gs rowGroups, rowKey, pkArgs []any, staticOnly bool, mut func(stmt, int) load.Mutation) []load.Mutation {
	tb := cv.tb
	for _, g := range gs {
		ts, ttl := cv.bindTime(g.ct)
		if g.insert != nil {
			q, vals := tb.insertRow, g.insert
			switch {
			case staticOnly:
				q = tb.insertStatic
			case g.whole:
				q = tb.insertRowColl
			default:
				vals = vals[:len(tb.scalars)]
			}
			args := make([]any, 0, len(rowKey)+len(vals)+2)
			args = append(append(append(args, rowKey...), vals...), ts, ttl)
			dst = append(dst, mut(stmt{q, args}, g.insBytes))
		}
		if g.update != nil {
			args := make([]any, 0, len(g.update)+len(rowKey)+2)
			args = append(append(append(args, ts, ttl), g.update...), rowKey...)
			dst = append(dst, mut(stmt{tb.updateRow, args}, g.updBytes))
		}
		if g.static != nil {
			args := make([]any, 0, len(g.static)+len(pkArgs)+2)
			args = append(append(append(args, ts, ttl), g.static...), pkArgs...)
			dst = append(dst, mut(stmt{tb.updateStatic, args}, g.statBytes))
		}
	}
	return dst
}
