//go:build chaos

package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load/targets/cassandra"
)

// raw captures a value as the bytes Cassandra sent: nil for null, a
// non-nil (maybe empty) slice otherwise. Comparing these compares
// exactly, whatever the type, with no client-side decoding in between.
type raw []byte

// UnmarshalCQL implements gocql.Unmarshaler.
func (r *raw) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	if data == nil {
		*r = nil
		return nil
	}
	*r = append(make([]byte, 0, len(data)), data...)
	return nil
}

func (r raw) String() string {
	if r == nil {
		return "null"
	}
	s := hex.EncodeToString(r)
	if len(s) > 64 {
		s = s[:64] + fmt.Sprintf("…(%d bytes)", len(r))
	}
	return "0x" + s
}

func sameRaw(a, b raw) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// multiCell reports whether WRITETIME/TTL of the column are lists (one
// value per element or field).
func multiCell(c column) bool {
	return strings.HasPrefix(c.cqlType, "list<") || strings.HasPrefix(c.cqlType, "set<") ||
		strings.HasPrefix(c.cqlType, "map<") || c.cqlType == "address"
}

// compareRow is one CQL row of a scan.
type compareRow struct {
	ck   string // clustering key bytes
	key  [4]raw
	vals []raw // per value column
	wt   []raw
	ttl  []raw
	at   time.Time // when it was scanned
}

// partitionScan reads a table partition by partition, in token order.
type partitionScan struct {
	iter  *gocql.Iter
	cells []raw
	dest  []any
	next  *compareRow // read ahead: the first row of the next partition
	nextT int64
	nextP string
	done  bool
}

type scanPartition struct {
	token int64
	pk    string
	rows  []*compareRow
}

func scanQuery(ks string) string {
	sel := []string{"token(id, region)"}
	sel = append(sel, keyColumns...)
	for _, c := range valueColumns {
		sel = append(sel, c.name)
	}
	for _, c := range valueColumns {
		sel = append(sel, "WRITETIME("+c.name+")")
	}
	for _, c := range valueColumns {
		sel = append(sel, "TTL("+c.name+")")
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + ks + "." + tableName
}

func newPartitionScan(s *gocql.Session, ks string) *partitionScan {
	n := 1 + len(keyColumns) + 3*len(valueColumns)
	p := &partitionScan{
		iter:  s.Query(scanQuery(ks)).Consistency(gocql.One).PageSize(2000).Iter(),
		cells: make([]raw, n),
	}
	for i := range p.cells {
		p.dest = append(p.dest, &p.cells[i])
	}
	p.advance()
	return p
}

// advance reads one row into next.
func (p *partitionScan) advance() {
	if !p.iter.Scan(p.dest...) {
		p.done, p.next = true, nil
		return
	}
	nv := len(valueColumns)
	r := &compareRow{at: time.Now()}
	copy(r.key[:], p.cells[1:5])
	r.ck = string(lenPrefixed(p.cells[3], p.cells[4]))
	r.vals = append([]raw{}, p.cells[5:5+nv]...)
	r.wt = append([]raw{}, p.cells[5+nv:5+2*nv]...)
	r.ttl = append([]raw{}, p.cells[5+2*nv:5+3*nv]...)
	p.next = r
	p.nextT = int64(binary.BigEndian.Uint64(p.cells[0]))
	p.nextP = string(lenPrefixed(p.cells[1], p.cells[2]))
}

func lenPrefixed(parts ...raw) []byte {
	var b []byte
	for _, x := range parts {
		if x == nil {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		b = append(b, x...)
	}
	return b
}

// partition returns the next partition, nil at the end.
func (p *partitionScan) partition() *scanPartition {
	if p.next == nil {
		return nil
	}
	sp := &scanPartition{token: p.nextT, pk: p.nextP}
	for p.next != nil && p.nextT == sp.token && p.nextP == sp.pk {
		sp.rows = append(sp.rows, p.next)
		p.advance()
	}
	return sp
}

func (p *partitionScan) close() error { return p.iter.Close() }

// comparison counts what differs between the source and the restore.
type comparison struct {
	ttlSlackLow time.Duration // how much earlier a restored cell may expire
	rows, parts int64
	missingRows int64
	extraRows   int64
	valueDiff   map[string]int64
	wtDiff      map[string]int64
	ttlDiff     map[string]int64
	longerLists int64
	// replacedLists counts lists restored at one writetime of their own
	// just above the source's newest (a list the loader replaced as a
	// whole after a kill): documented, and not a difference.
	replacedLists int64
	examples      []string
	maxTTLBehind  time.Duration
	maxTTLAhead   time.Duration
	ttlCells      int64
}

func (cmp *comparison) example(format string, args ...any) {
	if len(cmp.examples) < 25 {
		cmp.examples = append(cmp.examples, fmt.Sprintf(format, args...))
	}
}

func describeKey(k [4]raw) string {
	var id gocql.UUID
	copy(id[:], k[0])
	region, ts, seq := "null", "null", "null"
	if len(k[1]) == 4 {
		region = fmt.Sprint(int32(binary.BigEndian.Uint32(k[1])))
	}
	if len(k[2]) == 8 {
		ts = time.UnixMilli(int64(binary.BigEndian.Uint64(k[2]))).UTC().Format(time.RFC3339Nano)
	}
	if len(k[3]) == 8 {
		seq = fmt.Sprint(int64(binary.BigEndian.Uint64(k[3])))
	}
	return fmt.Sprintf("(id=%s, region=%s, ts=%s, seq=%s)", id, region, ts, seq)
}

// comparePartition compares the rows of one partition present in both
// tables.
func (cmp *comparison) comparePartition(src, dst *scanPartition) {
	byCK := make(map[string]*compareRow, len(dst.rows))
	for _, r := range dst.rows {
		byCK[r.ck] = r
	}
	for _, s := range src.rows {
		cmp.rows++
		d, ok := byCK[s.ck]
		if !ok {
			cmp.missingRows++
			cmp.example("row %s missing in the restore", describeKey(s.key))
			continue
		}
		delete(byCK, s.ck)
		cmp.compareRow(s, d)
	}
	for _, d := range byCK {
		cmp.extraRows++
		cmp.example("row %s in the restore only", describeKey(d.key))
	}
}

func (cmp *comparison) compareRow(s, d *compareRow) {
	for i, c := range valueColumns {
		if !sameRaw(s.vals[i], d.vals[i]) {
			cmp.valueDiff[c.name]++
			if strings.HasPrefix(c.cqlType, "list<") && len(d.vals[i]) > len(s.vals[i]) {
				cmp.longerLists++
			}
			cmp.example("row %s column %s: source %s, restore %s", describeKey(s.key), c.name, s.vals[i], d.vals[i])
		}
		if !sameRaw(s.wt[i], d.wt[i]) && !cmp.listReplaced(c, s.wt[i], d.wt[i]) {
			cmp.wtDiff[c.name]++
			cmp.example("row %s WRITETIME(%s): source %s, restore %s", describeKey(s.key), c.name, s.wt[i], d.wt[i])
		}
		cmp.compareTTL(c, s, d, i)
	}
}

// listReplaced reports whether a list column's restored writetimes are
// those of a list the loader replaced as a whole (documented: one
// writetime just above the source's newest), and counts it.
func (cmp *comparison) listReplaced(c column, src, dst raw) bool {
	if !strings.HasPrefix(c.cqlType, "list<") || !multiCell(c) {
		return false
	}
	sw, err1 := decodeInts(src, 8)
	dw, err2 := decodeInts(dst, 8)
	if err1 != nil || err2 != nil || !cassandra.ListReplaced(dw, sw) {
		return false
	}
	cmp.replacedLists++
	return true
}

// compareTTL compares when the cells of one column expire, in whole
// seconds as Cassandra keeps them (the scan time plus the TTL it
// returned): a restored cell never outlives the source's by more than
// the rounding of the two writes and scans to seconds, and expires at
// most the export's duration earlier (its TTL was cut by the time since
// its part's read_at, a lower bound of when its row was read).
func (cmp *comparison) compareTTL(c column, s, d *compareRow, i int) {
	st, err1 := decodeTTL(s.ttl[i], multiCell(c))
	dt, err2 := decodeTTL(d.ttl[i], multiCell(c))
	bad := err1 != nil || err2 != nil || len(st) != len(dt)
	const rounding = 2 // seconds
	for j := 0; !bad && j < len(st); j++ {
		if (st[j] < 0) != (dt[j] < 0) {
			bad = true
			break
		}
		if st[j] < 0 {
			continue
		}
		cmp.ttlCells++
		se := s.at.Unix() + st[j]
		de := d.at.Unix() + dt[j]
		cmp.maxTTLAhead = max(cmp.maxTTLAhead, time.Duration(de-se)*time.Second)
		cmp.maxTTLBehind = max(cmp.maxTTLBehind, time.Duration(se-de)*time.Second)
		if de > se+rounding || de < se-int64(cmp.ttlSlackLow.Seconds())-rounding {
			bad = true
		}
	}
	if bad {
		cmp.ttlDiff[c.name]++
		cmp.example("row %s TTL(%s): source %v, restore %v (scanned %s apart)", describeKey(s.key), c.name, st, dt, d.at.Sub(s.at).Round(time.Millisecond))
	}
}

// decodeTTL decodes TTL(c): an int, or for a multi-cell column a list of
// ints (null elements: cells without a TTL). -1 stands for null.
func decodeTTL(r raw, multi bool) ([]int64, error) {
	if r == nil {
		return nil, nil
	}
	if !multi {
		if len(r) != 4 {
			return nil, fmt.Errorf("TTL of %d bytes", len(r))
		}
		return []int64{int64(int32(binary.BigEndian.Uint32(r)))}, nil
	}
	return decodeInts(r, 4)
}

// decodeInts decodes a serialized list of ints (width 4) or bigints
// (width 8); -1 stands for a null element.
func decodeInts(r raw, width int) ([]int64, error) {
	if len(r) < 4 {
		return nil, fmt.Errorf("list of %d bytes", len(r))
	}
	n := int(int32(binary.BigEndian.Uint32(r)))
	r = r[4:]
	var out []int64
	for range n {
		if len(r) < 4 {
			return nil, fmt.Errorf("list cut short")
		}
		l := int(int32(binary.BigEndian.Uint32(r)))
		r = r[4:]
		if l < 0 {
			out = append(out, -1)
			continue
		}
		if l != width || len(r) < width {
			return nil, fmt.Errorf("list element of %d bytes, want %d", l, width)
		}
		if width == 4 {
			out = append(out, int64(int32(binary.BigEndian.Uint32(r))))
		} else {
			out = append(out, int64(binary.BigEndian.Uint64(r)))
		}
		r = r[width:]
	}
	return out, nil
}

// compareTables scans both tables in token order, side by side, and
// compares every row: key, values, writetimes, TTLs.
func compareTables(s *gocql.Session, srcKS, dstKS string, ttlSlack time.Duration) (*comparison, error) {
	cmp := &comparison{ttlSlackLow: ttlSlack, valueDiff: map[string]int64{}, wtDiff: map[string]int64{}, ttlDiff: map[string]int64{}}
	a, b := newPartitionScan(s, srcKS), newPartitionScan(s, dstKS)
	pa, pb := a.partition(), b.partition()
	for pa != nil || pb != nil {
		switch {
		case pb == nil || pa != nil && (pa.token < pb.token || pa.token == pb.token && pa.pk < pb.pk):
			cmp.rows += int64(len(pa.rows))
			cmp.missingRows += int64(len(pa.rows))
			cmp.example("partition %s (%d rows) missing in the restore", describeKey(pa.rows[0].key), len(pa.rows))
			pa = a.partition()
		case pa == nil || pb.token < pa.token || pb.pk < pa.pk:
			cmp.extraRows += int64(len(pb.rows))
			cmp.example("partition %s (%d rows) in the restore only", describeKey(pb.rows[0].key), len(pb.rows))
			pb = b.partition()
		default:
			cmp.parts++
			cmp.comparePartition(pa, pb)
			pa, pb = a.partition(), b.partition()
		}
	}
	if err := a.close(); err != nil {
		return nil, fmt.Errorf("scan %s: %w", srcKS, err)
	}
	if err := b.close(); err != nil {
		return nil, fmt.Errorf("scan %s: %w", dstKS, err)
	}
	return cmp, nil
}

// problems says what differs, or "" when nothing does.
func (cmp *comparison) problems() string {
	var p []string
	if cmp.missingRows > 0 {
		p = append(p, fmt.Sprintf("%d rows missing in the restore", cmp.missingRows))
	}
	if cmp.extraRows > 0 {
		p = append(p, fmt.Sprintf("%d rows in the restore only", cmp.extraRows))
	}
	for _, m := range []struct {
		what string
		n    map[string]int64
	}{{"values", cmp.valueDiff}, {"writetimes", cmp.wtDiff}, {"TTLs", cmp.ttlDiff}} {
		var cols []string
		for c, n := range m.n {
			cols = append(cols, fmt.Sprintf("%s: %d", c, n))
		}
		sort.Strings(cols)
		if len(cols) > 0 {
			p = append(p, fmt.Sprintf("rows with different %s (%s)", m.what, strings.Join(cols, ", ")))
		}
	}
	if cmp.longerLists > 0 {
		p = append(p, fmt.Sprintf("%d lists longer in the restore (duplicated elements?)", cmp.longerLists))
	}
	if len(p) == 0 {
		return ""
	}
	return strings.Join(p, "; ") + "\nfirst differences:\n  " + strings.Join(cmp.examples, "\n  ")
}

// compareStage compares the source and the restored table directly.
func (c *chaos) compareStage(exportElapsed time.Duration) {
	t := c.t
	start := time.Now()
	cmp, err := compareTables(c.s, c.srcKS, c.dstKS, exportElapsed)
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	fig := stageFigures{Stage: "compare", Runs: 1, Wall: wall, Rows: cmp.rows,
		Notes: []string{fmt.Sprintf("%d partitions, %d rows, %d cells with a TTL: restored ones expire at most %s earlier (the export took %s) and at most %s later (rounding to seconds); %d lists replaced as a whole after a kill (one writetime just above the source's newest, as documented)",
			cmp.parts, cmp.rows, cmp.ttlCells, cmp.maxTTLBehind.Round(time.Millisecond), exportElapsed.Round(time.Second), cmp.maxTTLAhead.Round(time.Millisecond), cmp.replacedLists)}}
	c.addFigures(fig)
	if p := cmp.problems(); p != "" {
		t.Fatalf("the restored table %s.%s differs from the source %s.%s: %s", c.dstKS, tableName, c.srcKS, tableName, p)
	}
	if cmp.rows != c.src.Rows {
		t.Fatalf("compared %d rows, the source holds %d", cmp.rows, c.src.Rows)
	}
}
