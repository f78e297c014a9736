// Package spanner is the loader's Cloud Spanner target (spanner:// URLs).
//
// The dump's table becomes a Spanner table whose columns follow the type
// mapping of docs/loader.md and whose primary key is the partition key
// then the clustering columns, in order, DESC kept. Each row becomes one
// InsertOrUpdate mutation of every dumped column, absent values written as
// NULL: applying the same full row once or many times, in any order
// relative to other attempts at the same part, leaves the same row, so a
// retried commit, a re-run part or two loaders on one dump converge (the
// idempotence argument the loader's ledger relies on). Commits stay under
// Spanner's 80,000 mutations (columns written per row, plus one per
// secondary index entry) and 100 MB; the loader's controller sizes them
// within that. ABORTED, UNAVAILABLE and DEADLINE_EXCEEDED are retried with
// backoff. A value Spanner cannot hold exactly, a key over 8 KiB or a row
// over 10 MiB is refused into the reject file, not a failed load.
//
// Spanner has no table id, so the incarnation of a table is a random id
// lading records in its own table lading_incarnations when it creates (or
// first meets) the table; see Table.Incarnation.
package spanner

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/urlquery"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Scheme is the URL scheme of Spanner targets.
const Scheme = "spanner"

func init() { load.Register(Scheme, Open) }

// Target is an open Spanner database.
type Target struct {
	db     string // projects/P/instances/I/databases/D
	inst   string // projects/P/instances/I
	name   string // D
	client *spanner.Client
	admin  *database.DatabaseAdminClient
	logger *slog.Logger
	run    *report.Run
	// batchWrite sends batches with BatchWrite, a mutation group per
	// row (write.go), instead of one transaction a batch.
	batchWrite bool
}

var _ load.Target = (*Target)(nil)

var (
	dbPath    = regexp.MustCompile(`^projects/[a-z]([-a-z0-9.:]*[a-z0-9])?/instances/[a-z]([-a-z0-9]*[a-z0-9])?/databases/[a-z]([a-z0-9_-]*[a-z0-9])?$`)
	validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)
)

// ParseURL returns the database path of a spanner:// URL:
// spanner://projects/P/instances/I/databases/D[?write=commit|batch].
// Credentials come from Application Default Credentials, and
// SPANNER_EMULATOR_HOST points the client at an emulator.
func ParseURL(rawURL string) (string, error) {
	db, _, err := parseURL(rawURL)
	return db, err
}

// Write modes (?write=): a transaction per batch, or BatchWrite.
const (
	writeCommit = "commit"
	writeBatch  = "batch"
)

func parseURL(rawURL string) (db, write string, err error) {
	const want = "want spanner://projects/P/instances/I/databases/D[?write=commit|batch]"
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != Scheme {
		return "", "", fault.Usagef("--to %q: %s", rawURL, want)
	}
	path := u.Host + u.Path
	if u.User != nil || u.Fragment != "" {
		return "", "", fault.Usagef("--to %s: a spanner URL takes no user or fragment (%s)", Scheme+"://"+path, want)
	}
	if !dbPath.MatchString(path) {
		return "", "", fault.Usagef("--to %s: %s", Scheme+"://"+path, want)
	}
	names, params, err := urlquery.Params(u.RawQuery)
	if err != nil {
		return "", "", fault.Usagef("--to %s: %v", Scheme+"://"+path, err)
	}
	write = writeCommit
	for _, k := range names {
		v := params[k]
		switch {
		case k == "write" && (v == writeCommit || v == writeBatch):
			write = v
		case k == "write":
			return "", "", fault.Usagef("--to %s: write=%q: want commit (a transaction per batch, the default) or batch (BatchWrite, a mutation group per row)", Scheme+"://"+path, v)
		default:
			return "", "", fault.Usagef("--to %s: unknown parameter %q (a spanner URL takes only write=commit|batch)", Scheme+"://"+path, k)
		}
	}
	return path, write, nil
}

// Open connects to the database a spanner:// URL names. The database
// must exist (lading does not create Spanner databases).
func Open(ctx context.Context, rawURL string, opts load.TargetOptions) (load.Target, error) {
	db, write, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.CreateNamespace {
		return nil, fault.Usagef("--create-keyspace: lading does not create Spanner databases; create %s first", db)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := spanner.ClientConfig{
		DisableNativeMetrics: true,
	}
	client, err := spanner.NewClientWithConfig(ctx, db, cfg)
	if err != nil {
		return nil, fmt.Errorf("spanner %s: %w", db, err)
	}
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("spanner admin: %w", err)
	}
	i := strings.Index(db, "/databases/")
	t := &Target{db: db, inst: db[:i], name: db[i+len("/databases/"):], client: client, admin: admin, logger: logger, run: opts.Run, batchWrite: write == writeBatch}
	if _, err := t.ddl(ctx); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Close closes the clients.
func (t *Target) Close() error {
	t.client.Close()
	return t.admin.Close()
}

// ddl reads the database's schema statements.
func (t *Target) ddl(ctx context.Context) ([]string, error) {
	resp, err := t.admin.GetDatabaseDdl(ctx, &databasepb.GetDatabaseDdlRequest{Database: t.db})
	if err != nil {
		return nil, fmt.Errorf("read the schema of %s: %w", t.db, err)
	}
	return resp.Statements, nil
}

// updateDDL applies schema statements and waits for them.
func (t *Target) updateDDL(ctx context.Context, stmts ...string) error {
	op, err := t.admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: t.db, Statements: stmts})
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// Table checks (or creates) the target table for a dump.
func (t *Target) Table(ctx context.Context, m *manifest.Manifest, opts load.TableOptions) (load.Table, error) {
	src := &m.Source.Table
	if src.Counter {
		return nil, fault.Usagef("table %s is a counter table: the spanner target does not load counter tables (a counter is a sum of deltas that Spanner cannot merge idempotently)", src.QualifiedName())
	}
	name := opts.Name
	if name == "" {
		name = src.Name
	}
	if !validName.MatchString(name) {
		return nil, fault.Usagef("target table name %q: Spanner wants a letter, then letters, digits and '_' (at most 128); name another with --target-table or --map", name)
	}
	if strings.EqualFold(name, IncarnationTable) {
		return nil, fault.Usagef("target table name %q is the table lading keeps incarnations in: give the table another name (--target-table or --map)", name)
	}
	tb, err := newTable(t, m, name)
	if err != nil {
		return nil, err
	}
	if opts.NumericAsString {
		tb.numericAsString()
	}
	stmts, err := t.ddl(ctx)
	if err != nil {
		return nil, err
	}
	have := findTable(stmts, name)
	tb.exists = have != nil
	switch {
	case have != nil:
		tb.have = have
	case !opts.Create:
		return nil, fault.Usagef("table %s does not exist in %s (pass --create-table to create it from the dump's schema)", name, t.db)
	case opts.DryRun:
		if opts.CreateIndexes {
			return tb, t.createIndexes(ctx, tb, true)
		}
		return tb, nil
	default:
		if err := t.create(ctx, tb); err != nil {
			return nil, err
		}
	}
	// A table that does not match is refused by CheckSchema: no index
	// on it.
	if opts.CreateIndexes && (tb.have == nil || len(tb.compare(tb.have)) == 0) {
		if err := t.createIndexes(ctx, tb, opts.DryRun); err != nil {
			return nil, err
		}
		if stmts, err = t.ddl(ctx); err != nil {
			return nil, err
		}
	}
	// Each index entry a row changes is one more mutation.
	tb.indexes = countIndexes(stmts, name)
	return tb, nil
}

// create creates the table, or finds it created meanwhile by another
// loader.
func (t *Target) create(ctx context.Context, tb *Table) error {
	name := tb.name
	if err := t.updateDDL(ctx, tb.createDDL()); err != nil {
		if stmts, err2 := t.ddl(ctx); err2 == nil && findTable(stmts, name) != nil {
			tb.exists, tb.have = true, findTable(stmts, name)
			return nil
		}
		return fault.Usage(fmt.Errorf("create table %s: %w", name, err))
	}
	if err := t.newIncarnation(ctx, name); err != nil {
		return err
	}
	tb.exists = true
	t.logger.Info("created table", "table", name, "database", t.db)
	t.run.Event("table_created", "table", name)
	return nil
}
