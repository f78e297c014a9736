package bigtable

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// Bigtable's hard limits and where batch sizing starts. A MutateRows
// request may carry at most 100,000 mutations (one per cell set) and 256
// MB; the byte limit keeps far below the latter so that the requests in
// flight (16 by default) stay within the loader's memory, and because the
// emulator measured slower with larger requests (7 MB requests: 17k
// rows/s, 1 MB: 35k rows/s, 1 KB rows).
const (
	MaxRequestMutations = 100_000
	HardBatchBytes      = 4 << 20
	InitialBatchBytes   = 1 << 20
	MinBatchBytes       = 16 << 10
)

// initialBatchBytes is InitialBatchBytes; tests start higher to reach the
// mutation limit.
var initialBatchBytes = InitialBatchBytes

// markerQualifier is the qualifier of the cell every loaded CQL row has
// (empty value): a row whose columns are all null still exists, and
// counting rows counts these cells. No CQL column has an empty name.
const markerQualifier = ""

// incarnationKey is the row holding the table's incarnation cell. It
// cannot be told apart from a data row's key in general, but a data row
// that shared it would only gain a qualifier no column has.
const (
	incarnationKey       = "\xfflading-incarnation"
	incarnationQualifier = "lading.incarnation"
)

// valCol is one regular or static column of the dump.
type valCol struct {
	name   string
	idx    int // index into the row's values
	t      *schema.Type
	static bool
	json   bool // value stored as the dump's JSON text
}

// Table is one Bigtable table being loaded.
type Table struct {
	t      *Target
	tbl    *bigtable.Table
	w      *writer
	name   string
	m      *manifest.Manifest
	exists bool
	dryRun bool

	keys    []keyCol // partition key then clustering columns
	keyIdx  []int    // their indexes into the row's values
	npk     int
	cols    []valCol
	statics bool
	// dyn is the key of a DynamoDB table (dynamo.go); nil for a CQL one.
	dyn *dynamoKey
}

var _ load.Table = (*Table)(nil)

func newTable(t *Target, m *manifest.Manifest, name string) (*Table, error) {
	if m.Source.Kind == manifest.KindDynamoDB {
		return newDynamoTable(t, m, name)
	}
	src := &m.Source.Table
	if src.Counter {
		// Counters load as their values; nothing in Bigtable adds them up
		// twice, so the table stays idempotent.
		t.logger.Info("counter table: counters load as 64-bit big-endian values", "table", name)
	}
	names := m.Options.Columns
	if len(names) == 0 {
		for _, c := range src.Columns {
			names = append(names, c.Name)
		}
	}
	pk := make([]*schema.Column, len(src.KeyColumns()))
	ck := make([]*schema.Column, len(src.ClusteringColumns()))
	pkIdx, ckIdx := make([]int, len(pk)), make([]int, len(ck))
	tb := &Table{t: t, tbl: t.client.Open(name), w: newWriter(t.data, t.cfg.Project, t.cfg.Instance, name, t.cfg.AppProfile), name: name, m: m}
	for i, n := range names {
		c := src.Column(n)
		if c == nil {
			return nil, fmt.Errorf("manifest: column %q is not in the table", n)
		}
		switch c.Role {
		case schema.PartitionKey:
			pk[c.Position], pkIdx[c.Position] = c, i
		case schema.Clustering:
			ck[c.Position], ckIdx[c.Position] = c, i
		default:
			tb.cols = append(tb.cols, valCol{name: n, idx: i, t: c.T, static: c.Role == schema.Static, json: jsonValued(c.T)})
			tb.statics = tb.statics || c.Role == schema.Static
		}
	}
	for i, c := range append(append([]*schema.Column{}, pk...), ck...) {
		if c == nil {
			return nil, fmt.Errorf("manifest: key column #%d was not dumped", i)
		}
		if err := keyable(c.T); err != nil {
			return nil, fault.Usagef("column %s: %v, so table %s cannot load into Bigtable", c.Name, err, src.QualifiedName())
		}
		tb.keys = append(tb.keys, keyCol{name: c.Name, t: c.T, desc: c.Role == schema.Clustering && c.Order == schema.Desc})
	}
	tb.keyIdx = append(pkIdx, ckIdx...)
	tb.npk = len(pk)
	return tb, nil
}

// keyable reports whether values of t can be encoded in a row key.
func keyable(t *schema.Type) error {
	switch t.Kind {
	case schema.Duration, schema.Vector:
		return fmt.Errorf("type %s has no row key encoding", t)
	}
	for _, p := range t.Params {
		if err := keyable(p); err != nil {
			return err
		}
	}
	return nil
}

// Identity names the table by project/instance, column family and table.
func (tb *Table) Identity() load.Identity {
	return load.Identity{Kind: Scheme, Cluster: tb.t.cfg.Project + "/" + tb.t.cfg.Instance, Namespace: tb.t.cfg.Family, Table: tb.name}
}

// Exists reports whether the table exists.
func (tb *Table) Exists() bool { return tb.exists }

// Incarnation is a random id kept in a cell of the table itself (Bigtable
// tables have no id or creation time): the first load of a table writes
// it, conditionally so that two loaders agree on one, and a table dropped
// and recreated has lost it. A dry run writes nothing and reports
// "unmarked" for a table that has none yet.
func (tb *Table) Incarnation(ctx context.Context) (string, error) {
	if id, err := tb.readIncarnation(ctx); err != nil || id != "" {
		return id, err
	}
	if tb.dryRun {
		return "unmarked", nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	mut := bigtable.NewMutation()
	mut.Set(tb.t.cfg.Family, incarnationQualifier, 0, []byte(hex.EncodeToString(b[:])))
	cond := bigtable.ChainFilters(bigtable.FamilyFilter(tb.t.cfg.Family), bigtable.ColumnFilter(regexp.QuoteMeta(incarnationQualifier)))
	if err := tb.tbl.Apply(ctx, incarnationKey, bigtable.NewCondMutation(cond, nil, mut)); err != nil {
		return "", fmt.Errorf("mark table %s: %w", tb.name, err)
	}
	id, err := tb.readIncarnation(ctx)
	if err == nil && id == "" {
		err = fmt.Errorf("table %s: incarnation cell not found after writing it", tb.name)
	}
	return id, err
}

func (tb *Table) readIncarnation(ctx context.Context) (string, error) {
	row, err := tb.tbl.ReadRow(ctx, incarnationKey, bigtable.RowFilter(bigtable.ChainFilters(
		bigtable.FamilyFilter(tb.t.cfg.Family), bigtable.ColumnFilter(regexp.QuoteMeta(incarnationQualifier)), bigtable.LatestNFilter(1))))
	if err != nil {
		return "", fmt.Errorf("read table %s: %w", tb.name, err)
	}
	for _, it := range row[tb.t.cfg.Family] {
		return string(it.Value), nil
	}
	return "", nil
}

// Idempotent: every write names its cells by key, qualifier and
// timestamp.
func (tb *Table) Idempotent() bool { return true }

// Limits: MaxMutations counts entries (rows), each up to one cell per
// column plus the row marker, so that no request passes Bigtable's
// mutation limit.
func (tb *Table) Limits() load.Limits {
	if tb.dyn != nil {
		return tb.dynamoLimits()
	}
	perRow := len(tb.cols) + 1
	return load.Limits{
		MaxBytes: HardBatchBytes, InitialBytes: initialBatchBytes, MinBytes: MinBatchBytes,
		MaxMutations: max(1, MaxRequestMutations/perRow),
	}
}

// markerFilter keeps one marker cell per loaded row, without its value.
func (tb *Table) markerFilter() bigtable.Filter {
	return bigtable.ChainFilters(bigtable.ColumnRangeFilter(tb.t.cfg.Family, markerQualifier, "\x00"),
		bigtable.CellsPerRowLimitFilter(1), bigtable.StripValueFilter())
}

// Empty reports whether the table holds no loaded row.
func (tb *Table) Empty(ctx context.Context) (bool, error) {
	n := 0
	err := tb.tbl.ReadRows(ctx, bigtable.InfiniteRange(""), func(bigtable.Row) bool { n++; return false },
		bigtable.RowFilter(tb.markerFilter()), bigtable.LimitRows(1))
	if err != nil {
		return false, fmt.Errorf("read table %s: %w", tb.name, err)
	}
	return n == 0, nil
}

// Count counts the rows with a marker cell: every CQL row loaded, and
// the static rows of partitions that have no other row.
func (tb *Table) Count(ctx context.Context) (int64, error) {
	var n int64
	err := tb.tbl.ReadRows(ctx, bigtable.InfiniteRange(""), func(bigtable.Row) bool { n++; return true },
		bigtable.RowFilter(tb.markerFilter()))
	if err != nil {
		return 0, fmt.Errorf("count table %s: %w", tb.name, err)
	}
	return n, nil
}
