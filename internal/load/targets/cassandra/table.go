package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// Batch limits. Every batch holds one partition's statements, which the
// server applies as one mutation; Cassandra (since 3.0, CASSANDRA-10876)
// and ScyllaDB check batch_size_warn_threshold and
// batch_size_fail_threshold only for batches of more than one mutation,
// so those 5 and 50 KiB do not bound these. What does is the largest
// mutation the commit log takes (half a segment: 16 MiB by default) and
// the native protocol's frame (16 MiB since 4.0). The hard limit stays
// far under both, so a batch is written well inside the write timeout and
// the batches in flight stay a small part of the loader's memory; a wide
// partition goes in a few hundred rows a mutation rather than a few
// dozen. Measured against 40 KiB and 1 MiB on a Cassandra 5.0 node of
// its own (bench/loader-cpu.md), 256 KiB cost the server the least CPU a
// row in most rounds: 40 KiB cuts more partitions into several
// mutations, and 1 MiB saves few batches more (one a partition is the
// floor) while its larger mutations cost the server more and hold more
// memory in flight. Sizing starts small and grows while full batches
// succeed.
const (
	HardBatchBytes    = 256 << 10
	InitialBatchBytes = 4 << 10
	MinBatchBytes     = 1 << 10
	// statementOverhead is added per statement and per bound value to the
	// values' bytes in a batch size estimate.
	statementOverhead = 24
	valueOverhead     = 8
)

// col is one dumped column of the target table.
type col struct {
	name  string
	idx   int // index into the row's values
	c     *schema.Column
	t     *schema.Type
	multi bool
	tuple bool // a top-level tuple: written by a statement of its own
	// noTimes: the target refuses WRITETIME/TTL of this multi-cell column
	// (Cassandra before 5.0): verification compares its values only, and
	// a list is replaced without being read (see writeCarefully).
	noTimes bool
	// add appends to a list (a tuple: sets it); discard removes list
	// elements by value; set replaces a whole list; read reads a list
	// and its writetimes.
	add, discard, set, read string
	// scalarPos is the column's position among the INSERT's values.
	scalarPos int
	// updPos is the position of the column's first value among
	// updateRow's or updateStatic's SET values (fold.go).
	updPos int
	// collPos is a non-static set's or map's position among
	// insertRowColl's values after the key (fold.go).
	collPos int
}

// Table is one target table being loaded.
type Table struct {
	t       *Target
	name    string
	q       string // quoted keyspace.table
	exists  bool
	m       *manifest.Manifest
	pk, ck  []*col // key columns
	cols    []*col // regular and static columns, in row order
	scalars []*col // single-cell regular and static columns (INSERT's)
	statics []*col // single-cell static columns
	counter bool

	insertRow, insertStatic string
	// Folded writes (fold.go): an INSERT of the scalars with whole sets
	// and maps, and one UPDATE of the regular (and one of the static)
	// sets, maps and user types.
	colls                   []*col
	insertRowColl           string
	updateRow, updateStatic string
	updRowN, updStatN       int
	counterRow, counterStat string
	selectRow, selectStatic string
	selectCols              []*col // what selectRow returns after the key

	listLocks [64]sync.Mutex // see listOp.writeCarefully

	claim atomic.Pointer[claim] // a counter table's held claim
}

var (
	_ load.Table               = (*Table)(nil)
	_ load.RowLoader           = (*Table)(nil)
	_ load.Comparer            = (*Table)(nil)
	_ load.IdempotenceReporter = (*Table)(nil)
)

func newTable(t *Target, m *manifest.Manifest, name string, exists bool) (*Table, error) {
	src := &m.Source.Table
	names := m.Options.Columns
	if len(names) == 0 {
		for _, c := range src.Columns {
			names = append(names, c.Name)
		}
	}
	tb := &Table{t: t, name: name, q: schema.QuoteIdent(t.ks) + "." + schema.QuoteIdent(name), exists: exists, m: m, counter: src.Counter}
	pk := make([]*col, len(src.KeyColumns()))
	ck := make([]*col, len(src.ClusteringColumns()))
	for i, n := range names {
		c := src.Column(n)
		if c == nil {
			return nil, fmt.Errorf("manifest: column %q is not in the table", n)
		}
		cc := &col{name: n, idx: i, c: c, t: c.T, multi: c.T.MultiCell(), tuple: c.T.Kind == schema.Tuple}
		cc.noTimes = cc.multi && cql.Timed(c) && beforeCellTimes(t.cluster.ReleaseVersion)
		switch c.Role {
		case schema.PartitionKey:
			pk[c.Position] = cc
		case schema.Clustering:
			ck[c.Position] = cc
		default:
			tb.cols = append(tb.cols, cc)
		}
	}
	for i, c := range pk {
		if c == nil {
			return nil, fmt.Errorf("manifest: partition key column #%d was not dumped", i)
		}
	}
	for i, c := range ck {
		if c == nil {
			return nil, fmt.Errorf("manifest: clustering column #%d was not dumped", i)
		}
	}
	tb.pk, tb.ck = pk, ck
	tb.build()
	return tb, nil
}

func quoted(cs []*col) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = schema.QuoteIdent(c.name)
	}
	return out
}

func marks(cs []*col) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = marker(c.t)
	}
	return strings.Join(parts, ", ")
}

func where(cs []*col) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = schema.QuoteIdent(c.name) + " = " + marker(c.t)
	}
	return strings.Join(parts, " AND ")
}

// build prepares the statement texts.
func (tb *Table) build() {
	keys := append(append([]*col{}, tb.pk...), tb.ck...)
	rowWhere, statWhere := where(keys), where(tb.pk)
	for _, c := range tb.cols {
		if tb.counter {
			continue
		}
		w := rowWhere
		if c.c.Role == schema.Static {
			w = statWhere
		}
		qn := schema.QuoteIdent(c.name)
		if c.tuple {
			c.add = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? AND TTL ? SET %s = %s WHERE %s", tb.q, qn, marker(c.t), w)
			continue
		}
		if !c.multi {
			c.scalarPos = len(tb.scalars)
			tb.scalars = append(tb.scalars, c)
			if c.c.Role == schema.Static {
				tb.statics = append(tb.statics, c)
			}
			continue
		}
		// Sets, maps and user types are written by the folded
		// statements (fold.go); a list by its own (list.go).
		if c.t.Kind != schema.List {
			continue
		}
		c.add = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? AND TTL ? SET %s = %s + ? WHERE %s", tb.q, qn, qn, w)
		c.discard = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? SET %s = %s - ? WHERE %s", tb.q, qn, qn, w)
		c.set = fmt.Sprintf("UPDATE %s USING TIMESTAMP ? AND TTL ? SET %s = ? WHERE %s", tb.q, qn, w)
		c.read = fmt.Sprintf("SELECT %s, WRITETIME(%s) FROM %s WHERE %s", qn, qn, tb.q, w)
	}
	if tb.counter {
		var rs, ss []string
		for _, c := range tb.cols {
			qn := schema.QuoteIdent(c.name)
			if c.c.Role == schema.Static {
				ss = append(ss, qn+" = "+qn+" + ?")
			} else {
				rs = append(rs, qn+" = "+qn+" + ?")
			}
		}
		if len(rs) > 0 {
			tb.counterRow = fmt.Sprintf("UPDATE %s SET %s WHERE %s", tb.q, strings.Join(rs, ", "), rowWhere)
		}
		if len(ss) > 0 {
			tb.counterStat = fmt.Sprintf("UPDATE %s SET %s WHERE %s", tb.q, strings.Join(ss, ", "), statWhere)
		}
	} else {
		all := append(append([]*col{}, keys...), tb.scalars...)
		tb.insertRow = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) USING TIMESTAMP ? AND TTL ?", tb.q, strings.Join(quoted(all), ", "), marks(all))
		st := append(append([]*col{}, tb.pk...), tb.statics...)
		tb.insertStatic = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) USING TIMESTAMP ? AND TTL ?", tb.q, strings.Join(quoted(st), ", "), marks(st))
		tb.buildFolded(all, rowWhere, statWhere)
	}
	// Verification reads every dumped column, with WRITETIME and TTL of
	// the timed ones when the dump has them.
	sel := quoted(tb.cols)
	tb.selectCols = tb.cols
	for _, c := range tb.cols {
		if !cql.Timed(c.c) || c.noTimes {
			continue
		}
		qn := schema.QuoteIdent(c.name)
		sel = append(sel, "WRITETIME("+qn+")", "TTL("+qn+")")
	}
	if len(sel) == 0 {
		sel = []string{"COUNT(*)"}
	}
	tb.selectRow = fmt.Sprintf("SELECT %s FROM %s WHERE %s", strings.Join(sel, ", "), tb.q, rowWhere)
	tb.selectStatic = fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT 1", strings.Join(sel, ", "), tb.q, statWhere)
}

// Identity names the table by cluster name and keyspace.table.
func (tb *Table) Identity() load.Identity {
	return load.Identity{Kind: "cassandra", Cluster: tb.t.cluster.Name, Namespace: tb.t.ks, Table: tb.name}
}

// Exists reports whether the table exists.
func (tb *Table) Exists() bool { return tb.exists }

// Incarnation is the table's id in system_schema.tables.
func (tb *Table) Incarnation(ctx context.Context) (string, error) {
	id, err := tb.t.tableID(ctx, tb.name)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("table %s vanished", tb.q)
	}
	return id, nil
}

// Empty reports whether the table has no row.
func (tb *Table) Empty(ctx context.Context) (bool, error) {
	stmt := fmt.Sprintf("SELECT %s FROM %s LIMIT 1", strings.Join(quoted(tb.pk), ", "), tb.q)
	iter := tb.t.s.Query(stmt).Consistency(tb.t.cons).IterContext(ctx)
	n := iter.NumRows()
	if err := iter.Close(); err != nil {
		return false, fmt.Errorf("read %s: %w", tb.q, err)
	}
	return n == 0, nil
}

// Idempotent is false for counter tables.
func (tb *Table) Idempotent() bool { return !tb.counter }

// Limits are one partition per batch, under HardBatchBytes.
func (tb *Table) Limits() load.Limits {
	return load.Limits{MaxBytes: HardBatchBytes, InitialBytes: InitialBatchBytes, MinBytes: MinBatchBytes, SameGroup: true}
}

// Classify maps driver errors to what the loader does about them.
func (tb *Table) Classify(err error) load.ErrorKind {
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeInvalid:
			if strings.Contains(strings.ToLower(re.Message()), "batch too large") {
				return load.TooLarge
			}
			return load.Rejected
		case gocql.ErrCodeUnavailable, gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping:
			// Refused before anything was applied: safe to retry, even
			// for counters.
			return load.Overloaded
		case gocql.ErrCodeWriteTimeout, gocql.ErrCodeReadTimeout, gocql.ErrCodeWriteFailure,
			gocql.ErrCodeReadFailure, gocql.ErrCodeServer, gocql.ErrCodeTruncate:
			if tb.counter {
				return load.Fatal
			}
			return load.Overloaded
		}
		return load.Fatal
	}
	if errors.Is(err, context.Canceled) {
		return load.Fatal
	}
	if tb.counter {
		// A counter write whose outcome is unknown cannot be retried.
		return load.Fatal
	}
	if transient(err) {
		return load.Overloaded
	}
	if errors.Is(err, gocql.ErrFrameTooBig) {
		return load.TooLarge
	}
	return load.Fatal
}

// transient reports client-side errors that say nothing about the
// request: no answer in time, a lost connection, no host right now.
func transient(err error) bool {
	var ne net.Error
	return errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, gocql.ErrConnectionClosed) ||
		errors.Is(err, gocql.ErrNoConnections) || errors.Is(err, gocql.ErrNoStreams) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne)
}
