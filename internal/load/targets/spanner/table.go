package spanner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// Commit limits (https://cloud.google.com/spanner/quotas).
const (
	// MaxCommitMutations is Spanner's limit of mutations in one commit:
	// an insert or update counts once per column it writes, and once more
	// per secondary index entry it changes.
	MaxCommitMutations = 80_000
	// MaxCommitBytes is Spanner's limit of one commit's size.
	MaxCommitBytes = 100_000_000
	// HardBatchBytes is the most bytes (by the converter's estimate) a
	// batch may carry: a margin under MaxCommitBytes for what the
	// estimate leaves out.
	HardBatchBytes = 64 << 20
	// InitialBatchBytes is where sizing starts; MinBatchBytes the least
	// it shrinks to.
	InitialBatchBytes = 1 << 20
	MinBatchBytes     = 16 << 10
)

// IncarnationTable is the table in which lading records the incarnation
// of each table it loads (Spanner has no table id).
const IncarnationTable = "lading_incarnations"

// Table is one target table being loaded.
type Table struct {
	t       *Target
	name    string
	m       *manifest.Manifest
	cols    []*column // every dumped column, keys first in key order
	keys    []*column
	colName []string
	exists  bool
	have    *ddlTable
	indexes int
	// dyn is set for the table of a DynamoDB dump (dynamo.go).
	dyn *dynamoTable
}

var _ load.Table = (*Table)(nil)

func newTable(t *Target, m *manifest.Manifest, name string) (*Table, error) {
	if m.Source.Kind == manifest.KindDynamoDB {
		return newDynamoTable(t, m, name)
	}
	src := &m.Source.Table
	names := m.Options.Columns
	if len(names) == 0 {
		for _, c := range src.Columns {
			names = append(names, c.Name)
		}
	}
	tb := &Table{t: t, name: name, m: m}
	pk := make([]*column, len(src.KeyColumns()))
	ck := make([]*column, len(src.ClusteringColumns()))
	var rest []*column
	for i, n := range names {
		c := src.Column(n)
		if c == nil {
			return nil, fault.Usagef("manifest: column %q is not in the table", n)
		}
		if !validName.MatchString(n) {
			return nil, fault.Usagef("column %q: not a valid Spanner column name", n)
		}
		key := c.Role == schema.PartitionKey || c.Role == schema.Clustering
		cc := &column{name: n, idx: i, c: c, st: mapType(c.T, key), key: key}
		switch c.Role {
		case schema.PartitionKey:
			pk[c.Position] = cc
		case schema.Clustering:
			ck[c.Position] = cc
		default:
			rest = append(rest, cc)
		}
	}
	for i, c := range append(append([]*column{}, pk...), ck...) {
		if c == nil {
			return nil, fault.Usagef("manifest: key column #%d was not dumped", i)
		}
	}
	tb.keys = append(append([]*column{}, pk...), ck...)
	tb.cols = append(append([]*column{}, tb.keys...), rest...)
	for _, c := range tb.cols {
		tb.colName = append(tb.colName, c.name)
	}
	return tb, nil
}

// Identity names the table by project/instance, database and table.
func (tb *Table) Identity() load.Identity {
	return load.Identity{Kind: "spanner", Cluster: tb.t.inst, Namespace: tb.t.name, Table: tb.name}
}

// Exists reports whether the table exists.
func (tb *Table) Exists() bool { return tb.exists }

// CheckSchema compares the table with the dump's schema as mapped.
func (tb *Table) CheckSchema(ctx context.Context) error {
	stmts, err := tb.t.ddl(ctx)
	if err != nil {
		return err
	}
	have := findTable(stmts, tb.name)
	if have == nil {
		return fault.Usagef("table %s no longer exists in %s", tb.name, tb.t.db)
	}
	tb.indexes = countIndexes(stmts, tb.name)
	if diffs := tb.compare(have); len(diffs) > 0 {
		return fault.Usagef("table %s of %s does not match the dump's schema: %s", tb.name, tb.t.db, strings.Join(diffs, "; "))
	}
	return nil
}

// Incarnation is the random id lading recorded for this table in
// IncarnationTable when it created the table (or first met it, for a
// table created by someone else). lading creates a new id whenever it
// creates the table, so a table lading recreates loads every dump again.
// A table dropped and recreated by hand keeps its old id; the loader's
// check of loaded dumps over an empty table (refused without --force)
// covers that case.
func (tb *Table) Incarnation(ctx context.Context) (string, error) {
	id, err := tb.t.readIncarnation(ctx, tb.name)
	if err != nil || id != "" {
		return id, err
	}
	if err := tb.t.ensureIncarnationTable(ctx); err != nil {
		return "", err
	}
	_, err = tb.t.client.Apply(ctx, []*spanner.Mutation{spanner.Insert(IncarnationTable, []string{"table_name", "incarnation"}, []any{strings.ToLower(tb.name), randomID()})})
	if err != nil && spanner.ErrCode(err) != codes.AlreadyExists {
		return "", fmt.Errorf("record the incarnation of %s: %w", tb.name, err)
	}
	id, err = tb.t.readIncarnation(ctx, tb.name)
	if err == nil && id == "" {
		err = fmt.Errorf("the incarnation of %s vanished", tb.name)
	}
	return id, err
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (t *Target) ensureIncarnationTable(ctx context.Context) error {
	stmts, err := t.ddl(ctx)
	if err != nil {
		return err
	}
	if findTable(stmts, IncarnationTable) != nil {
		return nil
	}
	err = t.updateDDL(ctx, "CREATE TABLE "+IncarnationTable+" (\n  table_name STRING(MAX) NOT NULL,\n  incarnation STRING(MAX) NOT NULL,\n) PRIMARY KEY (table_name)")
	if err != nil {
		if stmts, err2 := t.ddl(ctx); err2 == nil && findTable(stmts, IncarnationTable) != nil {
			return nil // created by another loader meanwhile
		}
		return fmt.Errorf("create %s: %w", IncarnationTable, err)
	}
	return nil
}

// readIncarnation returns the recorded id, or "" when there is none.
func (t *Target) readIncarnation(ctx context.Context, name string) (string, error) {
	row, err := t.client.Single().ReadRow(ctx, IncarnationTable, spanner.Key{strings.ToLower(name)}, []string{"incarnation"})
	if spanner.ErrCode(err) == codes.NotFound || errors.Is(err, spanner.ErrRowNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the incarnation of %s: %w", name, err)
	}
	var id string
	if err := row.Columns(&id); err != nil {
		return "", err
	}
	return id, nil
}

// newIncarnation records a new id for a table lading just created.
func (t *Target) newIncarnation(ctx context.Context, name string) error {
	if err := t.ensureIncarnationTable(ctx); err != nil {
		return err
	}
	_, err := t.client.Apply(ctx, []*spanner.Mutation{spanner.InsertOrUpdate(IncarnationTable, []string{"table_name", "incarnation"}, []any{strings.ToLower(name), randomID()})})
	if err != nil {
		return fmt.Errorf("record the incarnation of %s: %w", name, err)
	}
	return nil
}

// Empty reports whether the table has no row.
func (tb *Table) Empty(ctx context.Context) (bool, error) {
	iter := tb.t.client.Single().Query(ctx, spanner.Statement{SQL: fmt.Sprintf("SELECT 1 FROM `%s` LIMIT 1", tb.name)})
	defer iter.Stop()
	_, err := iter.Next()
	if err == nil {
		return false, nil
	}
	if errors.Is(err, iterator.Done) {
		return true, nil
	}
	return false, fmt.Errorf("read %s: %w", tb.name, err)
}

// Count counts the rows with SELECT COUNT(*).
func (tb *Table) Count(ctx context.Context) (int64, error) {
	iter := tb.t.client.Single().Query(ctx, spanner.Statement{SQL: fmt.Sprintf("SELECT COUNT(*) FROM `%s`", tb.name)})
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", tb.name, err)
	}
	var n int64
	if err := row.Columns(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// Idempotent: an InsertOrUpdate of a full row is.
func (tb *Table) Idempotent() bool { return true }

// MutationsPerRow is how many mutations one row counts in a commit:
// one per column written, plus one per secondary index of the table.
func (tb *Table) MutationsPerRow() int { return len(tb.cols) + tb.indexes }

// Limits keep each commit under MaxCommitMutations by Spanner's count
// and under HardBatchBytes.
func (tb *Table) Limits() load.Limits {
	return load.Limits{
		MaxBytes:     HardBatchBytes,
		MaxMutations: max(1, (MaxCommitMutations-1)/tb.MutationsPerRow()),
		InitialBytes: InitialBatchBytes,
		MinBytes:     MinBatchBytes,
	}
}

// Converter converts the rows of a part.
func (tb *Table) Converter(load.PartInfo) (load.Converter, error) {
	if tb.dyn != nil {
		return &dynamoConverter{tb: tb}, nil
	}
	return &converter{tb: tb}, nil
}
