package cassandra

import (
	"bytes"
	"fmt"
	"math"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// stmt is one statement with its bound values.
type stmt struct {
	cql  string
	args []any
}

// cellTime is a cell's restored writetime and remaining TTL (0: none),
// with the TTL the dump recorded, from which the TTL sent is computed.
type cellTime struct {
	ts     int64
	ttl    int64
	dumped int64
}

// converter turns the rows of one part into statements.
type converter struct {
	tb      *Table
	info    load.PartInfo
	wt, ttl bool     // the dump captured writetimes / TTLs
	untimed []string // columns dumped without times (manifest options.untimed)
	readAt  time.Time
	lastPK  string // partition of the previous row (statics are written once per partition and part; a counter table's once per partition)
	expiry  time.Time
	arena   *rowArena // the current row's (see arena.go)
}

// RowExpiry says when the last converted row expires (zero: never).
func (cv *converter) RowExpiry() time.Time { return cv.expiry }

// Converter returns the converter of one part's rows. A counter
// table's part that begins with the partition its predecessor ended
// with (p.Previous) does not increment that partition's static cells:
// the part where the partition began did.
func (tb *Table) Converter(p load.PartInfo) (load.Converter, error) {
	cv := &converter{tb: tb, info: p, wt: p.Manifest.Options.Writetime, ttl: p.Manifest.Options.TTL, readAt: p.File.ReadAt,
		untimed: p.Manifest.Options.Untimed}
	if tb.counter && p.Previous != nil {
		cv.lastPK = tb.partitionOf(p.Previous)
	}
	return cv, nil
}

// UsesPreviousRow is true for counter tables with static columns (see
// Converter).
func (tb *Table) UsesPreviousRow() bool {
	if !tb.counter {
		return false
	}
	for _, c := range tb.cols {
		if c.c.Role == schema.Static {
			return true
		}
	}
	return false
}

var _ load.PreviousRowUser = (*Table)(nil)

// partitionOf returns the group (partition key) of a row, "" when a
// partition key column is null.
func (tb *Table) partitionOf(row *format.Row) string {
	parts := make([][]byte, len(tb.pk))
	for i, c := range tb.pk {
		if parts[i] = valueOf(row, c.idx); parts[i] == nil {
			return ""
		}
	}
	return joinKey(parts)
}

// remaining returns the TTL left of a cell whose TTL was ttl when its row
// was read (no earlier than readAt): never longer than the source's.
// expired is set when nothing is left.
func remaining(ttl int64, readAt, now time.Time) (left int64, expired bool) {
	if ttl <= 0 {
		return 0, false
	}
	elapsed := int64(math.Ceil(now.Sub(readAt).Seconds()))
	if elapsed < 0 {
		elapsed = 0
	}
	left = ttl - elapsed
	return left, left <= 0
}

// timeOf returns cell i of column c's writetime and remaining TTL.
func (cv *converter) timeOf(row *format.Row, c *col, i int, now time.Time) (cellTime, bool, error) {
	ct := cellTime{ts: cv.readAt.UnixMicro()}
	if cv.wt {
		w := metaOf(row.Writetime, c.idx)
		if w != nil {
			if i >= len(w) {
				return ct, false, fmt.Errorf("column %s: %d writetimes for more cells", c.name, len(w))
			}
			if w[i] != format.NullElement {
				ct.ts = w[i]
			}
		} else if isUntimed(cv.untimed, c.name) {
			ct.ts = rowNewest(row, ct.ts)
		}
	}
	if cv.ttl {
		t := metaOf(row.TTL, c.idx)
		if t != nil {
			if i >= len(t) {
				return ct, false, fmt.Errorf("column %s: %d TTLs for more cells", c.name, len(t))
			}
			left, expired := remaining(t[i], cv.readAt, now)
			if expired {
				return ct, true, nil
			}
			ct.ttl, ct.dumped = left, t[i]
		}
	}
	return ct, false, nil
}

func metaOf(m [][]int64, i int) []int64 {
	if i < len(m) {
		return m[i]
	}
	return nil
}

// bindTime returns the USING TIMESTAMP and TTL values. The TTL is
// computed when the statement is sent (see ttlBind).
func (cv *converter) bindTime(ct cellTime) (any, any) {
	var ttl any = gocql.UnsetValue // the table's default TTL
	switch {
	case cv.ttl && ct.ttl > 0:
		ttl = ttlBind{dumped: ct.dumped, readAt: cv.readAt, now: cv.info.Now}
	case cv.ttl:
		ttl = 0
	}
	return ct.ts, ttl
}

// Convert turns one row into mutations: per (writetime, TTL) group of
// its cells an INSERT of its single-cell columns and an UPDATE of its
// set and map elements and user type fields (fold.go), a statement per
// tuple, and a list write per non-frozen list.
func (cv *converter) Convert(row *format.Row, line int64, dst []load.Mutation) ([]load.Mutation, bool, error) {
	tb := cv.tb
	now := cv.info.Now()
	cv.expiry = time.Time{}
	cv.arena = newRowArena(row)
	keyArgs := make([]any, 0, len(tb.pk)+len(tb.ck))
	pkParts := make([][]byte, len(tb.pk))
	keyBytes := 0
	for i, c := range tb.pk {
		v := valueOf(row, c.idx)
		if v == nil {
			return dst, false, fmt.Errorf("partition key column %s is null", c.name)
		}
		pkParts[i] = v
		keyArgs = bindValue(keyArgs, c.t, v, cv.arena)
		keyBytes += len(v) + valueOverhead
	}
	pkN := len(keyArgs)
	nullCK := 0
	for _, c := range tb.ck {
		v := valueOf(row, c.idx)
		if v == nil {
			nullCK++
		}
		keyArgs = bindValue(keyArgs, c.t, v, cv.arena)
		if v != nil {
			keyBytes += len(v) + valueOverhead
		}
	}
	staticOnly := len(tb.ck) > 0 && nullCK == len(tb.ck)
	if nullCK > 0 && !staticOnly {
		return dst, false, fmt.Errorf("some but not all clustering columns are null")
	}
	group := joinKey(pkParts)
	newPartition := group != cv.lastPK
	cv.lastPK = group
	pkArgs := keyArgs[:pkN:pkN]
	rowKey := keyArgs
	if staticOnly {
		rowKey = pkArgs
	}

	mut := func(s stmt, n int) load.Mutation {
		return load.Mutation{Group: group, Bytes: n + keyBytes + statementOverhead + valueOverhead*len(s.args), Line: line, Op: &op{stmts: []stmt{s}}}
	}

	if tb.counter {
		return cv.convertCounter(row, line, dst, group, keyArgs, pkArgs, staticOnly, newPartition, keyBytes)
	}

	// Every cell goes into its (writetime, TTL) group (fold.go).
	var gs rowGroups
	// Of the row's regular (non-static) cells: how many the dump has,
	// how many expired, how many are written.
	regDump, regExpired, regWritten := 0, 0, 0
	statDump, statExpired := 0, 0
	var maxTS int64 = math.MinInt64
	allTTL := true
	var maxTTL, maxDumped int64
	count := func(static, expired bool) {
		if static {
			statDump++
			if expired {
				statExpired++
			}
			return
		}
		regDump++
		if expired {
			regExpired++
		}
	}
	statWritten, statAllTTL, statMaxTTL := 0, true, int64(0)
	note := func(static bool, ct cellTime) {
		if static {
			statWritten++
			statAllTTL = statAllTTL && ct.ttl > 0
			statMaxTTL = max(statMaxTTL, ct.ttl)
			return
		}
		regWritten++
		maxTS = max(maxTS, ct.ts)
		if ct.ttl == 0 {
			allTTL = false
		}
		maxTTL, maxDumped = max(maxTTL, ct.ttl), max(maxDumped, ct.dumped)
	}
	// cell reads a single-cell column's value and time, counts it, and
	// says whether it is written: not when null or expired, nor a static
	// cell its partition already had written by an earlier row.
	cell := func(c *col) (v []byte, ct cellTime, static, write bool, err error) {
		if v = valueOf(row, c.idx); v == nil {
			return nil, ct, false, false, nil
		}
		static = c.c.Role == schema.Static
		if staticOnly && !static {
			return nil, ct, static, false, fmt.Errorf("column %s has a value in a row without clustering key", c.name)
		}
		ct, expired, err := cv.timeOf(row, c, 0, now)
		if err != nil {
			return nil, ct, static, false, err
		}
		count(static, expired)
		if expired || static && !newPartition {
			return v, ct, static, false, nil
		}
		note(static, ct)
		return v, ct, static, true, nil
	}
	for _, c := range tb.scalars {
		v, ct, _, write, err := cell(c)
		if err != nil {
			return dst, false, err
		}
		if write {
			cv.addScalar(&gs, c, v, ct, staticOnly)
		}
	}

	// Tuple columns, each by a statement of its own (see bind.go).
	for _, c := range tb.cols {
		if !c.tuple {
			continue
		}
		v, ct, static, write, err := cell(c)
		if err != nil {
			return dst, false, err
		}
		if !write {
			continue
		}
		w := rowKey
		if static {
			w = pkArgs
		}
		ts, ttl := cv.bindTime(ct)
		args := bindValue([]any{ts, ttl}, c.t, v, cv.arena)
		dst = append(dst, mut(stmt{c.add, append(args, w...)}, len(v)))
	}

	// Multi-cell columns, cell by cell.
	for _, c := range tb.cols {
		if !c.multi {
			continue
		}
		v := valueOf(row, c.idx)
		if v == nil {
			continue
		}
		static := c.c.Role == schema.Static
		if staticOnly && !static {
			return dst, false, fmt.Errorf("column %s has a value in a row without clustering key", c.name)
		}
		w := rowKey
		if static {
			w = pkArgs
		}
		es, err := splitCells(c.t, v)
		if err != nil {
			return dst, false, fmt.Errorf("column %s: %w", c.name, err)
		}
		if w := metaOf(row.Writetime, c.idx); cv.wt && w != nil && len(w) != len(es) && !(c.t.Kind == schema.UDT && len(w) == len(c.t.Fields)) {
			return dst, false, fmt.Errorf("column %s: %d cells but %d writetimes", c.name, len(es), len(w))
		}
		times := make([]cellTime, 0, len(es))
		live := es[:0:0]
		for i := range es {
			ct, expired, err := cv.timeOf(row, c, metaIndex(row, c, es, i), now)
			if err != nil {
				return dst, false, err
			}
			count(static, expired)
			if expired {
				continue
			}
			note(static, ct)
			live = append(live, es[i])
			times = append(times, ct)
		}
		if len(live) == 0 || static && !newPartition {
			continue
		}
		if c.t.Kind == schema.List {
			for i := range live {
				live[i].value = bytes.Clone(live[i].value)
			}
			lo := &listOp{tb: tb, c: c, where: w, elems: live, times: times, careful: static || !cv.info.Fresh, shared: cv.info.Shared, conv: cv}
			n := 0
			for _, e := range live {
				n += len(e.value) + valueOverhead
			}
			dst = append(dst, load.Mutation{Group: group, Bytes: n + keyBytes + statementOverhead, Line: line, Op: lo})
			continue
		}
		cv.addCells(&gs, c, v, len(es), live, times, static)
	}
	dst = cv.emitGroups(dst, gs, rowKey, pkArgs, staticOnly, mut)

	if staticOnly {
		// The partition's static row: gone when every static cell expired.
		if statWritten > 0 && statAllTTL {
			cv.expiry = now.Add(time.Duration(statMaxTTL) * time.Second)
		}
		return dst, statDump > 0 && statExpired == statDump, nil
	}
	if regWritten > 0 && allTTL {
		// Every cell (and so every row marker) of the row has a TTL.
		cv.expiry = now.Add(time.Duration(maxTTL) * time.Second)
	}
	switch {
	case regDump > 0 && regWritten == 0:
		// Every regular cell expired: so did the row (statics, if any
		// are live, were written above).
		return dst, true, nil
	case regDump == 0:
		// A row with no regular cell lives by its row marker alone; its
		// time is unknown, so it takes the part's read time.
		ts, ttl := cv.bindTime(cellTime{ts: cv.readAt.UnixMicro()})
		dst = append(dst, cv.marker(rowKey, false, ts, ttl, mut))
	case !gs.hasInsert():
		// Only multi-cell regular cells: give the row a marker that
		// lives as long as its longest-lived cell, as an INSERT would.
		ct := cellTime{ts: maxTS}
		if allTTL {
			ct.ttl, ct.dumped = maxTTL, maxDumped
		}
		ts, ttl := cv.bindTime(ct)
		dst = append(dst, cv.marker(rowKey, false, ts, ttl, mut))
	}
	return dst, false, nil
}

// metaIndex is the index of cell i's writetime and TTL: a user type's
// WRITETIME/TTL lists have one entry per field (Cassandra 5.0), other
// multi-cell columns one per cell.
func metaIndex(row *format.Row, c *col, es []elem, i int) int {
	if c.t.Kind != schema.UDT {
		return i
	}
	n := len(metaOf(row.Writetime, c.idx))
	if n == 0 {
		n = len(metaOf(row.TTL, c.idx))
	}
	if n == len(c.t.Fields) {
		return es[i].field
	}
	return i
}

// marker is an INSERT of the key alone (every other column unset).
func (cv *converter) marker(key []any, staticOnly bool, ts, ttl any, mut func(stmt, int) load.Mutation) load.Mutation {
	tb := cv.tb
	q, n := tb.insertRow, len(tb.scalars)
	if staticOnly {
		q, n = tb.insertStatic, len(tb.statics)
	}
	args := append(make([]any, 0, len(key)+n+2), key...)
	for range n {
		args = append(args, gocql.UnsetValue)
	}
	return mut(stmt{q, append(args, ts, ttl)}, 0)
}

// scalarIndex is c's position among an INSERT's bound values.
func (cv *converter) scalarIndex(c *col, staticOnly bool) int {
	tb := cv.tb
	if staticOnly {
		for i, s := range tb.statics {
			if s == c {
				return i
			}
		}
	}
	return c.scalarPos
}

// cellRun is a run of cells with one writetime and TTL.
type cellRun struct {
	ct    cellTime
	elems []elem
}

// groupCells groups cells by (writetime, TTL), keeping their order
// within each group and ordering groups by first appearance.
func groupCells(es []elem, times []cellTime) []cellRun {
	var out []cellRun
	for i, e := range es {
		j := 0
		for j < len(out) && out[j].ct != times[i] {
			j++
		}
		if j == len(out) {
			out = append(out, cellRun{ct: times[i]})
		}
		out[j].elems = append(out[j].elems, e)
	}
	return out
}

// own copies a value out of the row's reused memory, for binding.
func own(v []byte) cql.Raw {
	if v == nil {
		return nil
	}
	return cql.Raw(bytes.Clone(v))
}

// valueOf returns column i's value (nil when absent).
func valueOf(row *format.Row, i int) []byte {
	if i < len(row.Values) {
		return row.Values[i]
	}
	return nil
}

// convertCounter turns a counter row into increments.
func (cv *converter) convertCounter(row *format.Row, line int64, dst []load.Mutation, group string, keyArgs, pkArgs []any, staticOnly, newPartition bool, keyBytes int) ([]load.Mutation, bool, error) {
	tb := cv.tb
	var rowArgs, statArgs []any
	any1, anyS := false, false
	for _, c := range tb.cols {
		v := valueOf(row, c.idx)
		var a any = gocql.UnsetValue
		if v != nil {
			a = own(v)
		}
		if c.c.Role == schema.Static {
			if !newPartition {
				a = gocql.UnsetValue
			}
			anyS = anyS || a != gocql.UnsetValue
			statArgs = append(statArgs, a)
		} else {
			if staticOnly && v != nil {
				return dst, false, fmt.Errorf("column %s has a value in a row without clustering key", c.name)
			}
			any1 = any1 || v != nil
			rowArgs = append(rowArgs, a)
		}
	}
	if any1 {
		args := append(rowArgs, keyArgs...)
		dst = append(dst, load.Mutation{Group: group, Bytes: keyBytes + statementOverhead + 16*len(rowArgs), Line: line, Op: &op{stmts: []stmt{{tb.counterRow, args}}, counter: true}})
	}
	if anyS {
		args := append(statArgs, pkArgs...)
		dst = append(dst, load.Mutation{Group: group, Bytes: keyBytes + statementOverhead + 16*len(statArgs), Line: line, Op: &op{stmts: []stmt{{tb.counterStat, args}}, counter: true}})
	}
	return dst, false, nil
}
