// Package cassandra is the loader's Cassandra and ScyllaDB target, and
// lading's disaster-recovery path: it restores a dump into a table so
// that every value, writetime and TTL is what the source had.
//
// Rows become prepared INSERT and UPDATE statements, one per (writetime,
// TTL) group of a row's cells, with USING TIMESTAMP and TTL; absent cells
// are bound as unset (no tombstones); set, map and user type cells are
// written element by element with their own timestamps. Non-frozen lists
// are written so that a replayed or retried write never duplicates an
// element (see list.go). Statements of one partition go out in unlogged
// batches under the batch size threshold; counter tables load all or
// nothing under a claim (counter.go).
package cassandra

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

func init() { load.Register(cql.Scheme, Open) }

// DefaultReplication is the keyspace replication --create-keyspace uses
// when none is given.
const DefaultReplication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"

// Target is an open Cassandra cluster with the keyspace the URL names.
type Target struct {
	sess    *cql.Session
	s       *gocql.Session
	ks      string
	cluster cql.ClusterInfo
	cons    gocql.Consistency
	logger  *slog.Logger
	run     *report.Run
	// staleAfter: a counter claim older than this is taken over.
	staleAfter time.Duration
	// cfg and connOpts open a counter claim's fenced session.
	cfg      *cql.Config
	connOpts cql.Options
	// workers is the most concurrent requests the loader sends; a
	// count's slices stay within it too.
	workers int
}

var _ load.Target = (*Target)(nil)

// testConnect, set only by this package's tests, adjusts the session's
// options (e.g. sends every connection through a fault proxy).
var testConnect func(*cql.Options)

// Open connects to the cluster a cassandra:// URL names; its path is the
// target keyspace, which must exist unless opts.CreateNamespace is set.
func Open(ctx context.Context, rawURL string, opts load.TargetOptions) (load.Target, error) {
	cfg, err := cql.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if cfg.Keyspace == "" {
		return nil, fault.Usagef("--to %s: name the target keyspace in the URL's path (cassandra://host:9042/keyspace)", cfg.Redacted())
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cons := gocql.LocalQuorum
	if opts.Consistency != "" {
		if cons, err = cql.ParseConsistency(opts.Consistency); err != nil {
			return nil, err
		}
	}
	connOpts := cql.Options{Logger: logger, Env: opts.Env, NumConns: max(2, opts.Workers/8)}
	if testConnect != nil {
		testConnect(&connOpts)
	}
	sess, err := cql.Connect(ctx, cfg, connOpts)
	if err != nil {
		return nil, err
	}
	t := &Target{sess: sess, s: sess.Driver(), ks: cfg.Keyspace, cons: cons, logger: logger, run: opts.Run, staleAfter: opts.ClaimStaleAfter, cfg: cfg, connOpts: connOpts, workers: opts.Workers}
	if t.staleAfter <= 0 {
		t.staleAfter = DefaultStaleAfter
	}
	if t.cluster, err = cql.ReadCluster(ctx, sess); err != nil {
		sess.Close()
		return nil, err
	}
	if err := t.ensureKeyspace(ctx, opts); err != nil {
		sess.Close()
		return nil, err
	}
	return t, nil
}

// Close closes the session.
func (t *Target) Close() error {
	t.sess.Close()
	return nil
}

func (t *Target) ensureKeyspace(ctx context.Context, opts load.TargetOptions) error {
	var name string
	err := t.s.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, t.ks).ScanContext(ctx, &name)
	if err == nil {
		return nil
	}
	if err != gocql.ErrNotFound {
		return fmt.Errorf("read keyspace %s: %w", t.ks, err)
	}
	if !opts.CreateNamespace {
		return fault.Usagef("keyspace %s does not exist in the target (create it, or pass --create-keyspace)", t.ks)
	}
	repl := opts.Replication
	if repl == "" {
		repl = DefaultReplication
	}
	if !strings.HasPrefix(strings.TrimSpace(repl), "{") {
		return fault.Usagef("--replication %q: want a CQL map such as %s", repl, DefaultReplication)
	}
	stmt := fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", schema.QuoteIdent(t.ks), repl)
	if err := t.ddl(ctx, stmt); err != nil {
		return fault.Usage(fmt.Errorf("create keyspace %s: %w", t.ks, err))
	}
	t.logger.Info("created keyspace", "keyspace", t.ks, "replication", repl)
	return nil
}

// ddl runs a schema statement and waits for the cluster to agree on it.
func (t *Target) ddl(ctx context.Context, stmt string) error {
	if err := t.s.Query(stmt).Consistency(gocql.All).ExecContext(ctx); err != nil {
		// Schema statements want no particular consistency; retry with
		// the default when ALL is refused.
		if err2 := t.s.Query(stmt).ExecContext(ctx); err2 != nil {
			return err2
		}
	}
	return t.s.AwaitSchemaAgreement(ctx)
}

// tableID returns the table's id, or "" when it does not exist.
func (t *Target) tableID(ctx context.Context, name string) (string, error) {
	var id gocql.UUID
	err := t.s.Query(`SELECT id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?`, t.ks, name).ScanContext(ctx, &id)
	if err == gocql.ErrNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read table %s.%s: %w", t.ks, name, err)
	}
	return id.String(), nil
}

// Table checks (or creates) the target table for a dump.
func (t *Target) Table(ctx context.Context, m *manifest.Manifest, opts load.TableOptions) (load.Table, error) {
	src := &m.Source.Table
	name := opts.Name
	if name == "" {
		name = src.Name
	}
	if !cql.ValidName(name) {
		return nil, fault.Usagef("target table name %q: Cassandra wants letters, digits and '_'; name another with --target-table or --map", name)
	}
	id, err := t.tableID(ctx, name)
	if err != nil {
		return nil, err
	}
	exists := id != ""
	if !exists {
		if !opts.Create {
			return nil, fault.Usagef("table %s.%s does not exist in the target (pass --create-table to create it from the dump's schema)", t.ks, name)
		}
		if !opts.DryRun {
			if err := t.create(ctx, src, name); err != nil {
				return nil, err
			}
			exists = true
		}
	}
	return newTable(t, m, name, exists)
}

// CheckSchema compares the target table with the dump's.
func (tb *Table) CheckSchema(ctx context.Context) error {
	have, _, err := cql.ReadTable(ctx, tb.t.sess, tb.t.ks, tb.name)
	if err != nil {
		return err
	}
	if diffs := compareSchema(&tb.m.Source.Table, tb.m.Options.Columns, have); len(diffs) > 0 {
		return fault.Usagef("table %s.%s does not match the dump's schema: %s", tb.t.ks, tb.name, strings.Join(diffs, "; "))
	}
	return nil
}

// create creates the dump's user types in the target keyspace, then the
// table.
func (t *Target) create(ctx context.Context, src *schema.Table, name string) error {
	for i := range src.UserTypes {
		u := &src.UserTypes[i]
		if err := t.ddl(ctx, u.CreateTypeCQL(t.ks)); err != nil {
			return fmt.Errorf("create type %s.%s: %w", t.ks, u.Name, err)
		}
	}
	stmt := src.CreateTableCQL(t.ks, name)
	stmt = "CREATE TABLE IF NOT EXISTS " + strings.TrimPrefix(stmt, "CREATE TABLE ")
	if err := t.ddl(ctx, stmt); err != nil {
		return fmt.Errorf("create table %s.%s: %w", t.ks, name, err)
	}
	t.logger.Info("created table", "table", t.ks+"."+name, "user_types", len(src.UserTypes))
	t.run.Event("table_created", "table", t.ks+"."+name)
	return nil
}
