package bigtable

import (
	"bytes"
	"fmt"
	"time"

	"cloud.google.com/go/bigtable"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
)

// cell is one cell a CQL row becomes.
type cell struct {
	col   *valCol // nil for the row marker
	ts    bigtable.Timestamp
	value []byte
}

// rowCells is what one CQL row becomes: the cells of its own row and of
// its partition's static row.
type rowCells struct {
	key, staticKey []byte
	cells, statics []cell
	// staticOnly: the dump row stands for a partition with static
	// columns and no rows (its clustering columns are null); its marker
	// goes in the static row.
	staticOnly bool
	// expired: every cell the row had has expired; it is not written.
	expired bool
	// keyVals is scratch for the key columns' values.
	keyVals [][]byte
}

// clock is what a part's conversion needs to date cells.
type clock struct {
	// defTS is the timestamp of cells without a captured writetime: the
	// dump's start, the same on every replay of the dump.
	defTS bigtable.Timestamp
	// readAt is when the part's rows were read (TTLs count from there);
	// now is the load's clock.
	readAt, now time.Time
}

func (tb *Table) clock(p load.PartInfo) clock {
	c := clock{defTS: toTimestamp(p.Manifest.Totals.Started.UnixMicro()), readAt: p.File.ReadAt, now: time.Now()}
	if p.Now != nil {
		c.now = p.Now()
	}
	if c.readAt.IsZero() {
		c.readAt = p.Manifest.Totals.Finished
	}
	return c
}

// toTimestamp turns microseconds into a Bigtable timestamp: Bigtable
// keeps milliseconds, so the last three digits are dropped; times before
// 1970 (negative) become 0, the least Bigtable accepts.
func toTimestamp(us int64) bigtable.Timestamp {
	if us < 0 {
		return 0
	}
	return bigtable.Timestamp(us).TruncateToMilliseconds()
}

// split turns one dump row into its cells, in rc, whose slices it
// reuses: a converter passes the same rowCells for every row (nothing of
// it outlives the row's encoding), others a new one. Cell values are the
// row's own bytes where the encoding is the identity, so they live only
// as long as the row does.
func (tb *Table) split(row *format.Row, ck clock, rc *rowCells) error {
	keyVals := rc.keyVals[:0]
	for _, idx := range tb.keyIdx {
		keyVals = append(keyVals, row.Values[idx])
	}
	*rc = rowCells{key: rc.key[:0], staticKey: rc.staticKey[:0], cells: rc.cells[:0], statics: rc.statics[:0], keyVals: keyVals}
	nkeys := len(tb.keys)
	if nkeys > tb.npk && keyVals[tb.npk] == nil {
		// A partition with statics and no rows reads back with null
		// clustering columns.
		rc.staticOnly = true
		nkeys = tb.npk
	}
	var err error
	if rc.key, err = encodeKey(rc.key, tb.keys[:nkeys], keyVals[:nkeys]); err != nil {
		return err
	}
	if tb.statics {
		if rc.staticKey, err = encodeKey(rc.staticKey, tb.keys[:tb.npk], keyVals[:tb.npk]); err != nil {
			return err
		}
	} else {
		rc.staticKey = nil
	}
	timed, live := 0, 0
	for i := range tb.cols {
		c := &tb.cols[i]
		v := row.Values[c.idx]
		if v == nil {
			continue
		}
		ts, expiry := ck.defTS, time.Time{}
		if len(row.Writetime) > 0 {
			if wt := maxOf(row.Writetime[c.idx]); wt != nil {
				ts = toTimestamp(*wt)
			}
		}
		if len(row.TTL) > 0 {
			if ttl := maxOf(row.TTL[c.idx]); ttl != nil {
				expiry = ck.readAt.Add(time.Duration(*ttl) * time.Second)
			}
		}
		if !c.static {
			timed++
		}
		if !expiry.IsZero() && !expiry.After(ck.now) {
			// Expired in the source by now: Bigtable could not expire it.
			continue
		}
		val, err := encodeValue(c, v)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
		if c.static {
			rc.statics = append(rc.statics, cell{col: c, ts: ts, value: val})
			continue
		}
		live++
		rc.cells = append(rc.cells, cell{col: c, ts: ts, value: val})
	}
	if rc.staticOnly {
		rc.key, rc.cells = nil, nil
		if len(rc.statics) == 0 {
			rc.expired = true
		}
		return nil
	}
	rc.expired = timed > 0 && live == 0
	return nil
}

// maxOf returns the greatest of a cell's per-element numbers (a
// non-frozen collection has one per element; NullElement entries are
// negative), or nil when there is none.
func maxOf(v []int64) *int64 {
	var best *int64
	for i := range v {
		if v[i] == format.NullElement {
			continue
		}
		if best == nil || v[i] > *best {
			best = &v[i]
		}
	}
	return best
}

// entry is one MutateRows entry, already in its wire bytes (wire.go).
type entry struct {
	wire  []byte
	key   []byte // the row key, within wire
	cells int
}

// newEntry encodes a row key and its cells.
func newEntry(key []byte, family string, cells []wireCell) *entry {
	w := encodeEntry(key, family, cells)
	off := protowire.SizeTag(fieldEntryKey) + protowire.SizeVarint(uint64(len(key)))
	return &entry{wire: w, key: w[off : off+len(key) : off+len(key)], cells: len(cells)}
}

// converter converts the rows of one part.
type converter struct {
	tb *Table
	ck clock
	// lastStatic is the static row written last with its cells: the rows
	// of a partition follow each other in a part and carry the same
	// static values, which need writing once.
	lastStatic []byte
	// rc and wc are scratch reused for every row.
	rc rowCells
	wc []wireCell
}

// Converter returns a converter of one part's rows.
func (tb *Table) Converter(p load.PartInfo) (load.Converter, error) {
	if tb.dyn != nil {
		return &dynamoConverter{tb: tb, ts: tb.clock(p).defTS}, nil
	}
	return &converter{tb: tb, ck: tb.clock(p)}, nil
}

// Convert appends the entries of one row: its own row and, the first
// time its partition is met, the partition's static row.
func (cv *converter) Convert(row *format.Row, line int64, dst []load.Mutation) ([]load.Mutation, bool, error) {
	rc := &cv.rc
	if err := cv.tb.split(row, cv.ck, rc); err != nil {
		return dst, false, err
	}
	fam := cv.tb.t.cfg.Family
	if len(rc.statics) > 0 && (rc.staticOnly || !bytes.Equal(rc.staticKey, cv.lastStatic)) {
		wc := cv.wc[:0]
		for _, c := range rc.statics {
			wc = append(wc, wireCell{qualifier: c.col.name, ts: int64(c.ts), value: c.value})
		}
		if rc.staticOnly {
			wc = append(wc, wireCell{qualifier: markerQualifier, ts: int64(cv.ck.defTS)})
		}
		cv.wc = wc
		e := newEntry(rc.staticKey, fam, wc)
		cv.lastStatic = append(cv.lastStatic[:0], rc.staticKey...)
		dst = append(dst, load.Mutation{Bytes: len(e.wire), Line: line, Op: e})
	}
	if rc.expired || rc.staticOnly {
		return dst, rc.expired, nil
	}
	wc := append(cv.wc[:0], wireCell{qualifier: markerQualifier, ts: int64(cv.ck.defTS)})
	for _, c := range rc.cells {
		wc = append(wc, wireCell{qualifier: c.col.name, ts: int64(c.ts), value: c.value})
	}
	cv.wc = wc
	e := newEntry(rc.key, fam, wc)
	return append(dst, load.Mutation{Bytes: len(e.wire), Line: line, Op: e}), false, nil
}
