package cql

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/schema"
)

// DefaultPageSize is the rows per page a scan asks for by default.
const DefaultPageSize = 1000

// DefaultRetry is how a page that failed with a retryable error is tried
// again: up to 8 tries, backing off from 200ms to at most 20s.
var DefaultRetry = throttle.Backoff{Initial: 200 * time.Millisecond, Max: 20 * time.Second, Attempts: 8}

// ScanSpec says what a range scan reads.
type ScanSpec struct {
	// Table is the source table (its partition key drives token()).
	Table *schema.Table
	// Columns are the columns to read, in the order rows carry them.
	Columns []*schema.Column
	// Writetime and TTL add WRITETIME(c) and TTL(c) of every selected
	// regular and static non-counter column (Timed lists them).
	Writetime, TTL bool
	// Untimed names columns read without WRITETIME/TTL even so (servers
	// before 5.0 refuse them on multi-cell columns).
	Untimed []string
	// Where is an extra restriction ANDed to each range's query;
	// AllowFiltering appends ALLOW FILTERING.
	Where          string
	AllowFiltering bool
	// PageSize is rows per page; default DefaultPageSize.
	PageSize int
	// Consistency is a CQL consistency level name; default LOCAL_ONE.
	Consistency string
	// Retry is the per-page retry policy; zero is DefaultRetry.
	Retry throttle.Backoff
	// Gate, if set, bounds (and adapts) the number of page requests in
	// flight across all scans that share it.
	Gate *throttle.Controller
	// Limiter, if set, caps rows per second across all scans sharing it.
	Limiter *throttle.Limiter
}

// Row is one row of a page: raw CQL bytes, nil for null.
type Row struct {
	// Values has one entry per ScanSpec.Columns.
	Values [][]byte
	// Writetime and TTL have one entry per Scanner.Timed column when
	// requested: the raw result of WRITETIME(c)/TTL(c) (a bigint or int,
	// or a list of them for a non-frozen collection or user type).
	Writetime [][]byte
	TTL       [][]byte
}

// Page is one page of a range scan. Its rows are valid until Release.
type Page struct {
	// ReadAt is the time just before the page was requested (the
	// successful try).
	ReadAt time.Time
	Rows   []Row
	arena  []byte
	vals   [][]byte
	pool   *sync.Pool
}

// Release hands the page's memory back for reuse; the page and its rows
// must not be used afterwards.
func (p *Page) Release() {
	if p == nil || p.pool == nil {
		return
	}
	p.Rows, p.arena, p.vals = p.Rows[:0], p.arena[:0], p.vals[:0]
	p.pool.Put(p)
}

// Scanner reads token ranges of one table with one statement.
type Scanner struct {
	s        *Session
	spec     ScanSpec
	stmt     string
	keyStmt  string
	cons     gocql.Consistency
	timed    []int
	outputs  []output // per result column of the statement
	nCols    int
	logger   *slog.Logger
	run      *report.Run
	pagePool sync.Pool
	arena    arenaHint
	// fault, when set (tests), runs before each page request and fails it
	// with its error.
	fault func() error
}

// outKind says where a result column goes.
type outKind uint8

const (
	outValue outKind = iota
	outWritetime
	outTTL
	outProbe // WRITETIME of a tuple column read only to tell null apart
)

type output struct {
	kind  outKind
	index int  // column index (outValue) or timed index
	tuple int  // >0: a top-level tuple column with this many elements
	probe int  // for a nullable tuple value: index of its writetime output, else -1
	key   bool // a primary key column (never null)
}

// NewScanner prepares the statement of spec. It fails with a usage error
// for an unknown consistency level or a column that is not in the table.
func NewScanner(s *Session, spec ScanSpec, logger *slog.Logger, run *report.Run) (*Scanner, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if spec.PageSize <= 0 {
		spec.PageSize = DefaultPageSize
	}
	if spec.Consistency == "" {
		spec.Consistency = "LOCAL_ONE"
	}
	if spec.Retry == (throttle.Backoff{}) {
		spec.Retry = DefaultRetry
	}
	cons, err := ParseConsistency(spec.Consistency)
	if err != nil {
		return nil, err
	}
	t := spec.Table
	if len(spec.Columns) == 0 {
		return nil, fault.Usagef("scan %s: no columns", t.QualifiedName())
	}
	sc := &Scanner{s: s, spec: spec, cons: cons, logger: logger, run: run, nCols: len(spec.Columns)}
	var sel []string
	for i, c := range spec.Columns {
		if t.Column(c.Name) == nil {
			return nil, fault.Usagef("column %q is not in table %s", c.Name, t.QualifiedName())
		}
		if c.T == nil {
			return nil, fmt.Errorf("scan %s: column %q has no parsed type (call Table.Resolve)", t.QualifiedName(), c.Name)
		}
		if Timed(c) && !slices.Contains(spec.Untimed, c.Name) {
			sc.timed = append(sc.timed, i)
		}
		sel = append(sel, schema.QuoteIdent(c.Name))
		o := output{kind: outValue, index: i, probe: -1, key: c.Role == schema.PartitionKey || c.Role == schema.Clustering}
		if c.T.Kind == schema.Tuple {
			o.tuple = len(c.T.Params)
		}
		sc.outputs = append(sc.outputs, o)
	}
	for ti, ci := range sc.timed {
		name := schema.QuoteIdent(spec.Columns[ci].Name)
		if spec.Writetime {
			sel = append(sel, "WRITETIME("+name+")")
			sc.outputs = append(sc.outputs, output{kind: outWritetime, index: ti, probe: -1})
			if sc.outputs[ci].tuple > 0 {
				sc.outputs[ci].probe = len(sc.outputs) - 1
			}
		}
		if spec.TTL {
			sel = append(sel, "TTL("+name+")")
			sc.outputs = append(sc.outputs, output{kind: outTTL, index: ti, probe: -1})
		}
	}
	// A top-level tuple that may be null needs its writetime to tell a
	// null tuple from one whose elements are all null (the driver hands
	// both over as all-null elements).
	for i := range sc.nCols {
		o := &sc.outputs[i]
		if o.tuple > 0 && !o.key && o.probe < 0 {
			sel = append(sel, "WRITETIME("+schema.QuoteIdent(spec.Columns[i].Name)+")")
			sc.outputs = append(sc.outputs, output{kind: outProbe, index: i, probe: -1})
			o.probe = len(sc.outputs) - 1
		}
	}
	var pk, eq []string
	for _, c := range t.KeyColumns() {
		pk = append(pk, schema.QuoteIdent(c.Name))
		eq = append(eq, schema.QuoteIdent(c.Name)+" = ?")
	}
	tok := "token(" + strings.Join(pk, ", ") + ")"
	statement := func(restriction string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "SELECT %s FROM %s.%s WHERE %s", strings.Join(sel, ", "),
			schema.QuoteIdent(t.Keyspace), schema.QuoteIdent(t.Name), restriction)
		if w := strings.TrimSpace(spec.Where); w != "" {
			b.WriteString(" AND ")
			b.WriteString(w)
		}
		if spec.AllowFiltering {
			b.WriteString(" ALLOW FILTERING")
		}
		return b.String()
	}
	sc.stmt = statement(tok + " > ? AND " + tok + " <= ?")
	sc.keyStmt = statement(strings.Join(eq, " AND "))
	sc.pagePool.New = func() any { return &Page{} }
	return sc, nil
}

// Timed reports whether a column has a WRITETIME and TTL: regular and
// static columns that are not counters.
func Timed(c *schema.Column) bool {
	return (c.Role == schema.Regular || c.Role == schema.Static) && c.T != nil && c.T.Kind != schema.Counter
}

// ParseConsistency parses a consistency level name for reads (ONE,
// LOCAL_ONE, QUORUM, LOCAL_QUORUM, EACH_QUORUM, ALL, TWO, THREE).
func ParseConsistency(s string) (gocql.Consistency, error) {
	c, err := gocql.ParseConsistencyWrapper(s)
	if err != nil || c == gocql.Any || c == gocql.Serial || c == gocql.LocalSerial {
		return 0, fault.Usagef("consistency %q: want one of ONE, LOCAL_ONE, TWO, THREE, QUORUM, LOCAL_QUORUM, EACH_QUORUM, ALL", s)
	}
	return c, nil
}

// Statement returns the CQL the scanner runs for every range.
func (sc *Scanner) Statement() string { return sc.stmt }

// Timed returns the indexes (into ScanSpec.Columns) of the columns whose
// WRITETIME/TTL rows carry, in the order of Row.Writetime and Row.TTL.
func (sc *Scanner) Timed() []int { return sc.timed }

// Scan reads the range r page by page, calling fn with each page in
// order (fn owns the page and must Release it). A page that fails with a
// retryable error is requested again with the same paging state, after a
// capped, jittered backoff, so no row is read twice or skipped. The query
// goes to r's replicas first. fn's error stops the scan and is returned.
// A request Cassandra refuses (bad --where, missing ALLOW FILTERING) is a
// usage error.
func (sc *Scanner) Scan(ctx context.Context, p *Partitioner, r Range, fn func(*Page) error) error {
	lo, hi := queryBounds(p, r)
	return sc.scan(withReplicas(ctx, r.Replicas), "read range "+r.String(), sc.stmt, []any{lo, hi}, fn)
}

// KeyStatement returns the CQL the scanner runs for one partition key
// (ScanKey).
func (sc *Scanner) KeyStatement() string { return sc.keyStmt }

// ScanKey reads the partition whose key is key (one raw value per
// partition key column, in key order) page by page, as Scan reads a
// range: a wide partition is paged, failed pages are retried with the
// same paging state, and the driver routes the query to the key's
// replicas. A partition that does not exist yields no page.
func (sc *Scanner) ScanKey(ctx context.Context, key []Raw, fn func(*Page) error) error {
	if n := len(sc.spec.Table.KeyColumns()); len(key) != n {
		return fmt.Errorf("scan key: %d values for a partition key of %d columns", len(key), n)
	}
	args := make([]any, len(key))
	for i, v := range key {
		if v == nil {
			return fault.Usagef("scan key: partition key column %s is null", sc.spec.Table.KeyColumns()[i].Name)
		}
		args[i] = v
	}
	return sc.scan(ctx, "read key", sc.keyStmt, args, func(p *Page) error {
		if len(p.Rows) == 0 {
			p.Release()
			return nil
		}
		return fn(p)
	})
}

// scan runs stmt with args page by page (see Scan).
func (sc *Scanner) scan(qctx context.Context, op, stmt string, args []any, fn func(*Page) error) error {
	var state []byte
	for {
		var page *Page
		var next []byte
		err := throttle.Retry(qctx, sc.spec.Retry, RetryableIn(qctx, IsRetryable), sc.logger, sc.run, op, func(ctx context.Context) error {
			if g := sc.spec.Gate; g != nil {
				if err := g.Acquire(ctx); err != nil {
					return err
				}
			}
			start := time.Now()
			var pg *Page
			var ns []byte
			var err error
			if sc.fault != nil {
				err = sc.fault()
			}
			if err == nil {
				pg, ns, err = sc.fetch(ctx, stmt, args, state)
			}
			if g := sc.spec.Gate; g != nil {
				g.Release(time.Since(start), Outcome(err))
			}
			if err != nil {
				sc.run.Add("source_errors", 1)
				return err
			}
			page, next = pg, ns
			return nil
		})
		if err != nil {
			if fault.IsDenied(err) {
				return fmt.Errorf("%s: Cassandra denied the query (the user lacks a permission): %w", op, err)
			}
			if isInvalid(err) {
				return fault.Usagef("%s: Cassandra refused the query (check --where/--allow-filtering/--columns): %w", op, err)
			}
			return err
		}
		sc.run.Add("pages", 1)
		if err := sc.spec.Limiter.Wait(qctx, len(page.Rows)); err != nil {
			page.Release()
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(next) == 0 {
			return nil
		}
		state = next
	}
}

// fetch runs one page request and copies its rows into a pooled page.
func (sc *Scanner) fetch(ctx context.Context, stmt string, args []any, state []byte) (*Page, []byte, error) {
	readAt := time.Now()
	q := sc.s.s.Query(stmt, args...).
		Consistency(sc.cons).
		PageSize(sc.spec.PageSize).
		PageState(state).
		Idempotent(true)
	iter := q.IterContext(ctx)
	next := append([]byte(nil), iter.PageState()...)
	page := sc.pagePool.Get().(*Page)
	page.pool = &sc.pagePool
	page.ReadAt = readAt
	sc.arena.presize(page)
	if err := sc.readRows(iter, page); err != nil {
		page.Release()
		return nil, nil, err
	}
	sc.arena.observe(len(page.arena))
	return page, next, nil
}

// readRows scans every row of the iterator's page into page.
func (sc *Scanner) readRows(iter *gocql.Iter, page *Page) error {
	cols := iter.Columns()
	if len(cols) > 0 && len(cols) != len(sc.outputs) {
		_ = iter.Close()
		return fmt.Errorf("scan: the result has %d columns, want %d (did the table change?)", len(cols), len(sc.outputs))
	}
	cells := make([]arenaCell, len(sc.outputs))
	var elems [][]tupleElem
	dest := make([]any, 0, len(sc.outputs))
	for i, o := range sc.outputs {
		n, tuple := o.tuple, o.tuple > 0
		if len(cols) > 0 {
			tt, ok := cols[i].TypeInfo.(gocql.TupleTypeInfo)
			n, tuple = len(tt.Elems), ok
		}
		if tuple {
			es := make([]tupleElem, n)
			elems = append(elems, es)
			for j := range es {
				dest = append(dest, &es[j])
			}
			continue
		}
		elems = append(elems, nil)
		dest = append(dest, &cells[i])
	}
	nt := len(sc.timed)
	// Iter.Scan, not Iter.Scanner: the Scanner of gocql 2.1 misplaces the
	// columns after a tuple.
	for {
		for i := range cells {
			if elems[i] != nil {
				for j := range elems[i] {
					elems[i][j] = tupleElem{arena: &page.arena}
				}
				continue
			}
			cells[i].reset(&page.arena)
		}
		if !iter.Scan(dest...) {
			break
		}
		// Every value of the row, in one slice from the page's pool.
		need := sc.nCols
		if sc.spec.Writetime {
			need += nt
		}
		if sc.spec.TTL {
			need += nt
		}
		if cap(page.vals)-len(page.vals) < need {
			page.vals = make([][]byte, 0, max(need*256, 2*cap(page.vals)))
		}
		vals := page.vals[len(page.vals) : len(page.vals)+need : len(page.vals)+need]
		page.vals = page.vals[:len(page.vals)+need]
		row := Row{Values: vals[:sc.nCols:sc.nCols]}
		rest := vals[sc.nCols:]
		if sc.spec.Writetime {
			row.Writetime, rest = rest[:nt:nt], rest[nt:]
		}
		if sc.spec.TTL {
			row.TTL = rest[:nt:nt]
		}
		for i, o := range sc.outputs {
			var v []byte
			if elems[i] != nil {
				v = tupleBytes(page.arena, elems[i])
			} else {
				v = cells[i].value()
			}
			switch o.kind {
			case outValue:
				if o.probe >= 0 && v != nil && cells[o.probe].null && allNull(elems[i]) {
					v = nil // no cell: a null tuple
				}
				row.Values[o.index] = v
			case outWritetime:
				row.Writetime[o.index] = v
			case outTTL:
				row.TTL[o.index] = v
			}
		}
		page.Rows = append(page.Rows, row)
	}
	return iter.Close()
}

// tupleBytes returns the bytes the tuple elements appended to the arena:
// they are contiguous, in element order.
func tupleBytes(arena []byte, es []tupleElem) []byte {
	if len(es) == 0 {
		return arena[:0:0]
	}
	start, end := es[0].start, es[len(es)-1].end
	return arena[start:end:end]
}

func allNull(es []tupleElem) bool {
	for _, e := range es {
		if !e.null {
			return false
		}
	}
	return true
}
