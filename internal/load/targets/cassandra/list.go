package cassandra

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/schema"
)

// A non-frozen list gives every appended element a new cell, named by a
// time UUID the coordinator makes at write time, even when the element
// and its timestamp are the same as before. So a write that is replayed
// (a part loaded again, a batch retried after a timeout) would append the
// elements a second time, and no deletion can remove the first copy
// without also hiding the second when both carry the restored timestamp.
//
// A write whose outcome is unknown (a timeout, a lost connection) may
// also be applied later, after a retry has read the list and written it:
// a read cannot see a write still on its way.
//
// The restore therefore writes a list in one of three ways:
//
//   - fresh: when no earlier attempt can have written the row (the
//     table was empty when the dump's load began, this loader created the
//     part's started mark and this is the batch's first try), the
//     elements are appended in order, each run of elements that share a
//     writetime and TTL in one statement with them: values, order,
//     per-element writetimes and TTLs come out exactly as dumped.
//   - carefully: when this loader began the part but the table held rows
//     (and for static lists), the list is read first, with its elements'
//     writetimes. If it already equals the dump (values and writetimes),
//     nothing is written. If its newest element is newer than the dump's
//     newest, the target holds newer data and is left alone. Else its
//     current elements are removed by value (cell tombstones at its
//     newest writetime, which cover exactly the cells that are there)
//     and the dump's runs appended, in one batch: again exact.
//   - replaced: when another write of the list may still land (a retried
//     batch; a part begun before, by a killed run or by another loader
//     now), the list is read as above and, unless equal or newer,
//     replaced as a whole at one writetime of its own just above the
//     dump's newest (see replace): the collection tombstone below it
//     shadows whatever the other writes appended, whenever they land.
//     Values, order and TTLs are exact; the elements share that
//     writetime.
//
// Static lists are never fresh: a partition's static cells reach several
// parts of a dump.

// listOp writes one non-frozen list of one row.
type listOp struct {
	tb      *Table
	c       *col
	where   []any
	elems   []elem
	times   []cellTime
	careful bool
	// shared: another attempt began this list's part (PartInfo.Shared).
	shared bool
	conv   *converter
}

// appends returns the statements that append the list's runs in order.
func (o *listOp) appends() []stmt {
	var out []stmt
	for i := 0; i < len(o.elems); {
		j := i + 1
		for j < len(o.elems) && o.times[j] == o.times[i] {
			j++
		}
		ts, ttl := o.conv.bindTime(o.times[i])
		args := append([]any{ts, ttl, cql.Raw(joinCells(schema.List, o.elems[i:j]))}, o.where...)
		out = append(out, stmt{o.c.add, args})
		i = j
	}
	return out
}

// overwriteWindow bounds how far above the dump's newest element
// writetime a list replaced as a whole lands: all its elements get one
// writetime in (newest, newest+overwriteWindow] µs, drawn at random for
// each write, so that two such writes of one list almost never share it.
const overwriteWindow = 1 << 20

// writeCarefully reads the list, then writes it so that the result is
// the dump's list whatever an earlier attempt left. converge is set when
// an earlier write of this list may still land (the batch is a retry
// after an unknown outcome, or another attempt began the part, perhaps
// another loader now): the list is then replaced as a whole, one
// collection tombstone just below a writetime of its own above the
// dump's, which shadows every element an earlier or concurrent write
// appended at the dump's writetimes, whenever that write lands.
func (o *listOp) writeCarefully(ctx context.Context, converge bool) error {
	tb := o.tb
	// Two parts of one dump may reach the same static list at once: the
	// read and the write of one list must not interleave with another's.
	mu := tb.listLock(o.c.name, o.where)
	mu.Lock()
	defer mu.Unlock()
	if o.c.noTimes {
		// The target cannot tell the list's element writetimes: replace
		// it as a whole, unread, just above the dump's newest writetime.
		// Two such writes converge (the higher one's collection
		// tombstone shadows the other's elements) and so do fresh
		// appends below them; a newer list in the target is not
		// recognised and is overwritten.
		tb.t.run.Add("lists_replaced", 1)
		return tb.exec(ctx, o.replace(o.newest()+1+rand.Int64N(overwriteWindow)))
	}
	var val, wts cql.Raw
	err := tb.t.s.Query(o.c.read, o.where...).Consistency(tb.t.cons).ScanContext(ctx, &val, &wts)
	if err != nil && !errors.Is(err, gocql.ErrNotFound) {
		return err
	}
	var cur []elem
	var curTS []int64
	if val != nil {
		if cur, err = splitCells(o.c.t, val); err != nil {
			return fmt.Errorf("read list %s: %w", o.c.name, err)
		}
		if curTS, err = int64List(wts); err != nil {
			return fmt.Errorf("read writetimes of list %s: %w", o.c.name, err)
		}
	}
	dumpNewest := o.newest()
	if sameList(cur, curTS, o.elems, o.times) || replaced(cur, curTS, o.elems, dumpNewest) {
		tb.t.run.Add("lists_already_there", 1)
		return nil
	}
	var newest int64
	for _, t := range curTS {
		newest = max(newest, t)
	}
	if len(cur) > 0 && newest > dumpNewest {
		tb.t.run.Add("lists_newer_kept", 1)
		return nil
	}
	if converge {
		tb.t.run.Add("lists_replaced", 1)
		return tb.exec(ctx, o.replace(dumpNewest+1+rand.Int64N(overwriteWindow)))
	}
	var stmts []stmt
	if len(cur) > 0 {
		args := append([]any{newest, cql.Raw(joinCells(schema.List, cur))}, o.where...)
		stmts = append(stmts, stmt{o.c.discard, args})
		tb.t.run.Add("lists_repaired", 1)
	}
	stmts = append(stmts, o.appends()...)
	return tb.exec(ctx, stmts)
}

// newest is the dump's newest element writetime.
func (o *listOp) newest() int64 {
	var n int64
	for _, t := range o.times {
		n = max(n, t.ts)
	}
	return n
}

// replace returns the statements that replace the whole list with the
// dump's elements, all at writetime at: the first run of elements that
// share a TTL sets the list (a collection tombstone at at-1), the others
// are appended, in one batch of one partition (applied whole).
func (o *listOp) replace(at int64) []stmt {
	var out []stmt
	for i := 0; i < len(o.elems); {
		j := i + 1
		for j < len(o.elems) && sameTTL(o.times[j], o.times[i]) {
			j++
		}
		_, ttl := o.conv.bindTime(o.times[i])
		q := o.c.add
		if i == 0 {
			q = o.c.set
		}
		args := append([]any{at, ttl, cql.Raw(joinCells(schema.List, o.elems[i:j]))}, o.where...)
		out = append(out, stmt{q, args})
		i = j
	}
	return out
}

// sameTTL reports whether two cells are restored with the same TTL.
func sameTTL(a, b cellTime) bool {
	return a.ttl == b.ttl && a.dumped == b.dumped
}

// replaced reports whether a list read from the target holds the dump's
// elements as replace wrote them: the values in order, every writetime
// one value just above the dump's newest.
func replaced(cur []elem, curTS []int64, want []elem, dumpNewest int64) bool {
	if len(cur) == 0 || len(cur) != len(want) || len(curTS) != len(cur) {
		return false
	}
	at := curTS[0]
	if at <= dumpNewest || at > dumpNewest+overwriteWindow {
		return false
	}
	for i := range cur {
		if !bytes.Equal(cur[i].value, want[i].value) || curTS[i] != at {
			return false
		}
	}
	return true
}

// sameList reports whether a list read from the target equals the dump's.
func sameList(cur []elem, curTS []int64, want []elem, times []cellTime) bool {
	if len(cur) != len(want) || len(curTS) != len(cur) {
		return false
	}
	for i := range cur {
		if !bytes.Equal(cur[i].value, want[i].value) || curTS[i] != times[i].ts {
			return false
		}
	}
	return true
}

// int64List decodes a serialized list<bigint> (as WRITETIME of a
// multi-cell column returns it); null elements are 0.
func int64List(v []byte) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	es, err := splitCells(&schema.Type{Kind: schema.List}, v)
	if err != nil {
		// splitCells refuses null elements; decode leniently instead.
		return int64ListLenient(v)
	}
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = beInt(e.value)
	}
	return out, nil
}

func int64ListLenient(v []byte) ([]int64, error) {
	if len(v) < 4 {
		return nil, fmt.Errorf("list of %d bytes", len(v))
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	v = v[4:]
	out := make([]int64, 0, max(n, 0))
	for range n {
		item, rest, null, err := readItem(v)
		if err != nil {
			return nil, err
		}
		v = rest
		if null {
			out = append(out, 0)
			continue
		}
		out = append(out, beInt(item))
	}
	return out, nil
}

// beInt decodes a big-endian signed integer of 1 to 8 bytes.
func beInt(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	var v int64
	if b[0]&0x80 != 0 {
		v = -1
	}
	for _, x := range b {
		v = v<<8 | int64(x)
	}
	return v
}

// listLock returns the lock of one list (column and row key), striped.
func (tb *Table) listLock(column string, key []any) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(column))
	for _, k := range key {
		if r, ok := k.(cql.Raw); ok {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(r))))
			h.Write(r)
		}
	}
	return &tb.listLocks[h.Sum32()%uint32(len(tb.listLocks))]
}
