package cassandra

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// ttlSlack is how far a restored TTL may be below the one expected at
// verification (seconds rounded at write and at read); cells with less
// than that left are not compared, as they may expire meanwhile.
const ttlSlack = 3

// Compare reads each row back by its primary key and compares every
// dumped column with what the restore promised: the same value, the same
// writetime per cell (where dumped), the TTL that was left (where
// dumped), expired cells absent.
func (tb *Table) Compare(ctx context.Context, p load.PartInfo, rows []load.DumpRow) ([]load.Mismatch, error) {
	var out []load.Mismatch
	now := p.Now()
	readAt := p.File.ReadAt
	wt, ttl := p.Manifest.Options.Writetime, p.Manifest.Options.TTL
	spread := staticSpread(p.Manifest.Totals)
	for i := range rows {
		r := &rows[i]
		mm, err := tb.compareRow(ctx, &r.Row, now, readAt, wt, ttl, spread)
		if err != nil {
			return nil, err
		}
		for _, m := range mm {
			m.Part, m.Line = p.File.Name, r.Line
			m.Key = tb.describeKey(&r.Row)
			out = append(out, m)
		}
	}
	return out, nil
}

func (tb *Table) describeKey(row *format.Row) string {
	var parts []string
	for _, c := range append(append([]*col{}, tb.pk...), tb.ck...) {
		v := valueOf(row, c.idx)
		s := "null"
		if v != nil {
			s = "0x" + hex.EncodeToString(v)
			if len(s) > 42 {
				s = s[:42] + "…"
			}
		}
		parts = append(parts, c.name+"="+s)
	}
	return strings.Join(parts, ", ")
}

// want is a column's expected state.
type want struct {
	skip  bool   // near expiry: not compared
	value []byte // nil: null
	elems []elem // multi-cell: live cells
	wts   []int64
	ttls  []int64 // expected remaining TTL (0: none)
}

// staticSpread is how many seconds a static cell's restored TTL may
// differ from the one a row's copy promises: the export's duration.
//
// A static cell is shared by the rows of its partition, and each row
// carries the TTL that was left when it was read, so the rows of a
// partition read over seconds (a wide one, over minutes) carry different
// TTLs. The restore writes the cell once per partition and part, from
// its first row there; Cassandra keeps, of writes with one writetime, the
// one that expires last (a list keeps the elements first written). So
// the cell may expire later than a row's copy says, by up to the time
// between its part's read_at and the row's reading, or earlier, by up to
// the same for the row that wrote it: both within the export, from the
// plan (Started) to the last commit (Finished). Never later than the
// source's.
func staticSpread(t manifest.Totals) int64 {
	return max(int64(math.Ceil(t.Finished.Sub(t.Started).Seconds())), 0)
}

func (tb *Table) compareRow(ctx context.Context, row *format.Row, now, readAt time.Time, wt, ttl bool, spread int64) ([]load.Mismatch, error) {
	var key []any
	for _, c := range tb.pk {
		key = bindValue(key, c.t, valueOf(row, c.idx), nil)
	}
	pkN := len(key)
	staticOnly := len(tb.ck) > 0
	for _, c := range tb.ck {
		v := valueOf(row, c.idx)
		if v != nil {
			staticOnly = false
		}
		key = bindValue(key, c.t, v, nil)
	}
	q := tb.selectRow
	if staticOnly {
		q, key = tb.selectStatic, key[:pkN]
	}
	// Expected states.
	wants := make([]want, len(tb.cols))
	rowExpected := false
	for i, c := range tb.cols {
		w, err := expect(c, row, now, readAt, wt, ttl, spreadOf(c, spread))
		if err != nil {
			return nil, err
		}
		wants[i] = w
		if w.skip || w.value != nil || len(w.elems) > 0 {
			rowExpected = true
		}
	}
	if len(tb.cols) == 0 || !staticOnly && !tb.counter {
		rowExpected = rowExpected || !tb.rowExpired(row, now, readAt, ttl)
	}

	dest := make([]any, 0, len(tb.cols)*3)
	vals := make([]cql.Raw, len(tb.cols))
	wts := make([]cql.Raw, len(tb.cols))
	ttls := make([]cql.Raw, len(tb.cols))
	tuples := make([]*tupleDest, len(tb.cols))
	for i, c := range tb.cols {
		if c.tuple {
			tuples[i] = newTupleDest(c.t)
			dest = append(dest, tuples[i].dests()...)
			continue
		}
		dest = append(dest, &vals[i])
	}
	for i, c := range tb.cols {
		if cql.Timed(c.c) && !c.noTimes {
			dest = append(dest, &wts[i], &ttls[i])
		}
	}
	var n int64
	if len(tb.cols) == 0 {
		dest = []any{&n}
	}
	err := tb.t.s.Query(q, key...).Consistency(tb.t.cons).ScanContext(ctx, dest...)
	if err == nil && len(tb.cols) == 0 && n == 0 {
		err = gocql.ErrNotFound
	}
	for i, d := range tuples {
		if d != nil {
			vals[i] = d.value(wts[i] != nil || !cql.Timed(tb.cols[i].c))
		}
	}
	if errors.Is(err, gocql.ErrNotFound) {
		if rowExpected {
			return []load.Mismatch{{Detail: "row missing in the target"}}, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", tb.q, err)
	}
	var out []load.Mismatch
	for i, c := range tb.cols {
		w := wants[i]
		if w.skip {
			continue
		}
		if d := compareColumn(c, w, vals[i], wts[i], ttls[i], wt, ttl, spreadOf(c, spread)); d != "" {
			out = append(out, load.Mismatch{Column: c.name, Detail: d})
		}
	}
	return out, nil
}

// rowExpired reports whether every regular cell of a row has expired,
// so that the restore did not write it.
func (tb *Table) rowExpired(row *format.Row, now, readAt time.Time, ttl bool) bool {
	if !ttl {
		return false
	}
	regular := 0
	for _, c := range tb.cols {
		if c.c.Role != schema.Regular || valueOf(row, c.idx) == nil {
			continue
		}
		regular++
		for _, t := range metaOf(row.TTL, c.idx) {
			if _, expired := remaining(t, readAt, now); !expired {
				return false
			}
		}
		if metaOf(row.TTL, c.idx) == nil {
			return false
		}
	}
	return regular > 0
}

// spreadOf is the TTL spread allowed for column c: staticSpread's for
// static columns, none for others.
func spreadOf(c *col, spread int64) int64 {
	if c.c.Role == schema.Static {
		return spread
	}
	return 0
}

// expect computes a column's state after the restore, as of now. With a
// spread (static columns), a cell counts as expired only when it would
// be even spread seconds later, and is not compared while it may or may
// not have expired.
func expect(c *col, row *format.Row, now, readAt time.Time, wt, ttl bool, spread int64) (want, error) {
	v := valueOf(row, c.idx)
	var w want
	if v == nil {
		return w, nil
	}
	left := func(i int) (int64, bool, bool) { // remaining, expired, near
		ts := metaOf(row.TTL, c.idx)
		if !ttl || ts == nil || i >= len(ts) || ts[i] <= 0 {
			return 0, false, false
		}
		l := ts[i] - int64(math.Ceil(now.Sub(readAt).Seconds()))
		return l, l+spread <= 0, l-spread <= ttlSlack
	}
	wtOf := func(i int) int64 {
		ws := metaOf(row.Writetime, c.idx)
		if ws == nil || i >= len(ws) || ws[i] == format.NullElement {
			return 0
		}
		return ws[i]
	}
	if !c.multi {
		l, expired, near := left(0)
		switch {
		case near && !expired:
			w.skip = true
		case expired:
		default:
			w.value = v
			w.wts = []int64{wtOf(0)}
			w.ttls = []int64{l}
		}
		return w, nil
	}
	es, err := splitCells(c.t, v)
	if err != nil {
		return w, fmt.Errorf("column %s: %w", c.name, err)
	}
	for i, e := range es {
		j := metaIndex(row, c, es, i)
		l, expired, near := left(j)
		if near && !expired {
			w.skip = true
			return w, nil
		}
		if expired {
			continue
		}
		w.elems = append(w.elems, e)
		w.wts = append(w.wts, wtOf(j))
		w.ttls = append(w.ttls, l)
	}
	return w, nil
}

// compareColumn compares a column read back with its expected state and
// describes the first difference ("" when none).
func compareColumn(c *col, w want, val, wts, ttls cql.Raw, wt, ttl bool, spread int64) string {
	if c.noTimes {
		wt, ttl = false, false
	}
	if !c.multi {
		if !bytes.Equal(val, w.value) || (val == nil) != (w.value == nil) {
			return fmt.Sprintf("value %s, want %s", show(val), show(w.value))
		}
		if w.value == nil || !cql.Timed(c.c) {
			return ""
		}
		if wt && w.wts[0] != 0 {
			if got := beInt(wts); got != w.wts[0] {
				return fmt.Sprintf("writetime %d, want %d", got, w.wts[0])
			}
		}
		if ttl {
			if d := compareTTL(beIntOrZero(ttls), w.ttls[0], spread); d != "" {
				return d
			}
		}
		return ""
	}
	var got []elem
	if val != nil {
		var err error
		if got, err = splitCells(c.t, val); err != nil {
			return "unreadable value: " + err.Error()
		}
	}
	if len(got) != len(w.elems) {
		return fmt.Sprintf("%d cells, want %d (value %s, want %s)", len(got), len(w.elems), show(val), show(joinWant(c, w.elems)))
	}
	for i := range got {
		if !bytes.Equal(got[i].value, w.elems[i].value) || !bytes.Equal(got[i].key, w.elems[i].key) || got[i].field != w.elems[i].field {
			return fmt.Sprintf("cell %d differs (value %s, want %s)", i, show(val), show(joinWant(c, w.elems)))
		}
	}
	if len(got) == 0 {
		return ""
	}
	// A user type's WRITETIME/TTL lists have an entry per field, null
	// for null fields; other columns' one per cell.
	at := func(list []int64, i int) int64 {
		if c.t.Kind == schema.UDT && len(list) == len(c.t.Fields) {
			i = got[i].field
		}
		if i < len(list) {
			return list[i]
		}
		return 0
	}
	if wt {
		gw, err := int64List(wts)
		if err != nil {
			return fmt.Sprintf("unreadable writetimes (%v)", err)
		}
		if c.t.Kind == schema.List && ListReplaced(gw, w.wts) {
			// Written as a whole after an unknown outcome (list.go).
			gw = w.wts
		}
		for i := range got {
			if g := at(gw, i); w.wts[i] != 0 && g != w.wts[i] {
				return fmt.Sprintf("writetime of cell %d: %d, want %d", i, g, w.wts[i])
			}
		}
	}
	if ttl {
		gt, err := int64List(ttls)
		if err != nil {
			return fmt.Sprintf("unreadable TTLs (%v)", err)
		}
		for i := range w.ttls {
			g := at(gt, i)
			if d := compareTTL(g, w.ttls[i], spread); d != "" {
				return fmt.Sprintf("cell %d: %s", i, d)
			}
		}
	}
	return ""
}

func joinWant(c *col, es []elem) []byte {
	if len(es) == 0 {
		return nil
	}
	if c.t.Kind == schema.UDT {
		return []byte(fmt.Sprintf("%d fields", len(es)))
	}
	return joinCells(c.t.Kind, es)
}

// compareTTL checks a TTL read back against the remaining TTL expected,
// give or take spread seconds (see staticSpread).
func compareTTL(got, want, spread int64) string {
	if want == 0 {
		if got != 0 {
			return fmt.Sprintf("TTL %d, want none", got)
		}
		return ""
	}
	if got < want-ttlSlack-spread || got > want+1+spread {
		if spread > 0 {
			return fmt.Sprintf("TTL %d, want %d (±%ds, and ±%ds for a static cell: the export's duration)", got, want, ttlSlack, spread)
		}
		return fmt.Sprintf("TTL %d, want %d (±%ds)", got, want, ttlSlack)
	}
	return ""
}

func beIntOrZero(b []byte) int64 {
	if b == nil {
		return 0
	}
	return beInt(b)
}

func show(v []byte) string {
	if v == nil {
		return "null"
	}
	s := "0x" + hex.EncodeToString(v)
	if len(s) > 66 {
		s = s[:66] + fmt.Sprintf("…(%d bytes)", len(v))
	}
	return s
}

// ListReplaced reports whether a restored list's element writetimes
// (got) are those of a list the loader replaced as a whole instead of
// the dump's (want): all one value just above the dump's newest (see
// docs/loader.md). Verification, and the end-to-end tests' comparison,
// accept exactly that.
func ListReplaced(got, want []int64) bool {
	if len(got) == 0 || len(got) != len(want) {
		return false
	}
	var newest int64
	for _, w := range want {
		newest = max(newest, w)
	}
	at := got[0]
	for _, g := range got {
		if g != at {
			return false
		}
	}
	return at > newest && at <= newest+overwriteWindow
}
