package bigtable

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
)

// Compare reads the rows of a chunk back (one ReadRows over their keys
// and their partitions' static rows), decodes each row key and cell
// value back to CQL values and compares them with the dump's: every
// non-null column present with the same value and timestamp, every null
// column absent. A cell whose TTL ran out may be present or not (it was
// live when loaded; Bigtable does not expire cells by TTL).
func (tb *Table) Compare(ctx context.Context, p load.PartInfo, rows []load.DumpRow) ([]load.Mismatch, error) {
	if tb.dyn != nil {
		return tb.dynamoCompare(ctx, p, rows)
	}
	ck := tb.clock(p)
	type keys struct{ row, static []byte }
	ks := make([]keys, len(rows))
	var list bigtable.RowList
	seen := map[string]bool{}
	add := func(k []byte) {
		if k != nil && !seen[string(k)] {
			seen[string(k)] = true
			list = append(list, string(k))
		}
	}
	for i := range rows {
		rc := &rowCells{}
		if err := tb.split(&rows[i].Row, ck, rc); err != nil {
			return nil, fmt.Errorf("part %s line %d: %w", p.File.Name, rows[i].Line, err)
		}
		if rc.staticOnly {
			rc.key = rc.staticKey
		}
		ks[i] = keys{rc.key, rc.staticKey}
		add(rc.key)
		add(rc.staticKey)
	}
	got := map[string]bigtable.Row{}
	err := tb.tbl.ReadRows(ctx, list, func(r bigtable.Row) bool {
		got[r.Key()] = r
		return true
	}, bigtable.RowFilter(bigtable.ChainFilters(bigtable.FamilyFilter(tb.t.cfg.Family), bigtable.LatestNFilter(1))))
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", tb.name, err)
	}
	var out []load.Mismatch
	for i := range rows {
		r := &rows[i]
		mm := tb.compareRow(&r.Row, ck, got[string(ks[i].row)], got[string(ks[i].static)], ks[i].row)
		for _, m := range mm {
			m.Part, m.Line, m.Key = p.File.Name, r.Line, tb.describeKey(&r.Row)
			out = append(out, m)
		}
	}
	return out, nil
}

// cellsByQualifier indexes a row's cells by qualifier.
func (tb *Table) cellsByQualifier(r bigtable.Row) map[string]bigtable.ReadItem {
	out := map[string]bigtable.ReadItem{}
	prefix := tb.t.cfg.Family + ":"
	for _, it := range r[tb.t.cfg.Family] {
		out[strings.TrimPrefix(it.Column, prefix)] = it
	}
	return out
}

func (tb *Table) compareRow(row *format.Row, ck clock, own, static bigtable.Row, key []byte) []load.Mismatch {
	var out []load.Mismatch
	bad := func(col, format string, args ...any) {
		out = append(out, load.Mismatch{Column: col, Detail: fmt.Sprintf(format, args...)})
	}
	ownCells, staticCells := tb.cellsByQualifier(own), tb.cellsByQualifier(static)
	staticOnly := len(tb.keys) > tb.npk && row.Values[tb.keyIdx[tb.npk]] == nil
	if staticOnly {
		ownCells = staticCells
	}
	// The row itself: its marker, and its key decoded back.
	timed, live := 0, 0
	for i := range tb.cols {
		c := &tb.cols[i]
		if row.Values[c.idx] == nil || c.static != staticOnly {
			continue
		}
		timed++
		if !tb.expired(row, c, ck) {
			live++
		}
	}
	mayBeGone := timed > 0 && live == 0
	if _, ok := ownCells[markerQualifier]; !ok {
		if !mayBeGone {
			bad("", "row missing from Bigtable (row key %x)", key)
		}
		return out
	}
	n := len(tb.keys)
	if staticOnly {
		n = tb.npk
	}
	dec, err := decodeKey(key, tb.keys, n)
	if err != nil {
		bad("", "row key %x does not decode: %v", key, err)
		return out
	}
	for i := 0; i < n; i++ {
		if want := row.Values[tb.keyIdx[i]]; !bytes.Equal(dec[i], want) {
			bad(tb.keys[i].name, "row key decodes to 0x%x, dump has 0x%x", dec[i], want)
		}
	}
	for i := range tb.cols {
		c := &tb.cols[i]
		cells := ownCells
		if c.static {
			cells = staticCells
		}
		it, have := cells[c.name]
		want := row.Values[c.idx]
		expired := want != nil && tb.expired(row, c, ck)
		switch {
		case want == nil && have:
			bad(c.name, "Bigtable has a value, the dump has null")
		case want == nil, expired:
		case !have:
			bad(c.name, "missing from Bigtable")
		default:
			v, err := decodeValue(c, it.Value)
			if err != nil {
				bad(c.name, "value does not decode: %v", err)
				continue
			}
			if !bytes.Equal(v, want) {
				bad(c.name, "Bigtable has 0x%s, the dump has 0x%s", short(v), short(want))
			}
			if ts := tb.cellTimestamp(row, c, ck); it.Timestamp != ts {
				bad(c.name, "cell timestamp %d, want %d", it.Timestamp, ts)
			}
		}
	}
	return out
}

func (tb *Table) cellTimestamp(row *format.Row, c *valCol, ck clock) bigtable.Timestamp {
	if len(row.Writetime) > 0 {
		if wt := maxOf(row.Writetime[c.idx]); wt != nil {
			return toTimestamp(*wt)
		}
	}
	return ck.defTS
}

func (tb *Table) expired(row *format.Row, c *valCol, ck clock) bool {
	if len(row.TTL) == 0 {
		return false
	}
	ttl := maxOf(row.TTL[c.idx])
	return ttl != nil && !ck.readAt.Add(time.Duration(*ttl)*time.Second).After(ck.now)
}

func short(v []byte) string {
	s := hex.EncodeToString(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

func (tb *Table) describeKey(row *format.Row) string {
	parts := make([]string, len(tb.keys))
	for i, k := range tb.keys {
		s := "null"
		if v := row.Values[tb.keyIdx[i]]; v != nil {
			s = "0x" + short(v)
		}
		parts[i] = k.name + "=" + s
	}
	return strings.Join(parts, ", ")
}
