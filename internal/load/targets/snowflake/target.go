package snowflake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

func init() {
	// gosnowflake logs to stderr by itself; the loader's own log says
	// what happened (and gosnowflake's lines could carry connection
	// details).
	sf.GetLogger().SetLogLevel("fatal")
	load.Register(Scheme, open)
	load.RegisterReplacer(Scheme)
}

// target is one Snowflake schema.
type target struct {
	cfg  *config
	db   *sql.DB
	log  *slog.Logger
	opts load.TargetOptions
}

var _ load.Target = (*target)(nil)

func open(ctx context.Context, rawURL string, opts load.TargetOptions) (load.Target, error) {
	c, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	env := opts.Env
	if env == nil {
		env = os.Getenv
	}
	cfg, err := c.connConfig(env)
	if err != nil {
		return nil, err
	}
	if opts.CopyParts < 0 || opts.CopyParts > maxFilesPerCopy {
		return nil, fault.Usagef("--copy-parts %d: want 1 to %d", opts.CopyParts, maxFilesPerCopy)
	}
	if opts.Stage != "" && opts.StorageIntegration != "" {
		return nil, fault.Usagef("--stage and --storage-integration: give one (a stage to use, or an integration to create one with)")
	}
	if c.Load == LoadInsert && (opts.Stage != "" || opts.StorageIntegration != "") {
		return nil, fault.Usagef("--to …load=insert loads without a stage: drop --stage and --storage-integration, or load=insert")
	}
	if opts.StorageIntegration != "" && opts.Store.Scheme != "s3" && opts.Store.Scheme != "gs" {
		return nil, fault.Usagef("--storage-integration %s: the dumps are in %s; an external stage reads s3:// or gs:// only", opts.StorageIntegration, opts.Store.Scheme)
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	db.SetMaxOpenConns(max(opts.Workers, 4))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, connectError(c, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &target{cfg: c, db: db, log: log, opts: opts}, nil
}

// connectError names the account and user (never a secret); a refused
// login is a usage error, anything else worth retrying.
func connectError(c *config, err error) error {
	var se *sf.SnowflakeError
	msg := fmt.Errorf("connect to Snowflake account %s as %s: %w", c.Account, c.User, err)
	if errors.As(err, &se) && se.Number >= 390000 && se.Number < 391000 {
		return fault.Usage(msg)
	}
	return msg
}

func (t *target) Close() error { return t.db.Close() }

// Table maps the dump's table onto a Snowflake table of the same name
// (or opts.Name) in the URL's schema, creating it when asked.
func (t *target) Table(ctx context.Context, m *manifest.Manifest, opts load.TableOptions) (load.Table, error) {
	src := m.Source.Table
	if err := src.Resolve(); err != nil {
		return nil, fault.Usage(fmt.Errorf("the dump's schema: %w", err))
	}
	if len(m.Options.Columns) > 0 {
		keep := map[string]bool{}
		for _, c := range m.Options.Columns {
			keep[c] = true
		}
		var cols []schema.Column
		for _, c := range src.Columns {
			if keep[c.Name] || c.Role == schema.PartitionKey || c.Role == schema.Clustering {
				cols = append(cols, c)
			}
		}
		src.Columns = cols
	}
	if t.cfg.Load == LoadInsert {
		if err := checkInsertDump(strings.Join([]string{m.Batch, m.Table, m.Timestamp}, "/"), m.Totals.Bytes); err != nil {
			return nil, err
		}
	}
	cols, err := columns(&src, m.Options.Writetime, m.Options.TTL)
	if err != nil {
		return nil, fault.Usage(err)
	}
	name := opts.Name
	if name == "" {
		name = m.Source.Table.Name
	}
	tbl := &table{t: t, name: tableName{t.cfg.Database, t.cfg.Schema, name}, cols: cols,
		dump: strings.Join([]string{m.Batch, m.Table, m.Timestamp}, "/")}
	got, err := readColumns(ctx, t.db, tbl.name)
	if err != nil {
		return nil, err
	}
	tbl.exists = len(got) > 0
	switch {
	case tbl.exists || opts.DryRun && opts.Create:
	case !opts.Create:
		return nil, fault.Usagef("table %s does not exist (use --create-table)", tbl.name)
	default:
		if _, err := t.db.ExecContext(ctx, createTableSQL(tbl.name, cols, newIncarnation())); err != nil {
			return nil, fmt.Errorf("create table %s: %w", tbl.name, err)
		}
		tbl.exists = true
	}
	return tbl, nil
}

// newIncarnation is a new table's id, kept in its COMMENT: a table
// dropped and created again is told apart even where CREATED is not
// precise enough (the stand-in shows one CREATED for every table).
func newIncarnation() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// stageURL is the external stage URL over the store root, as Snowflake
// spells it (gcs:// for Google Cloud Storage).
func stageURL(loc objstore.Location) string {
	scheme := loc.Scheme
	if scheme == "gs" {
		scheme = "gcs"
	}
	u := scheme + "://" + loc.Bucket + "/"
	if loc.Prefix != "" {
		u += loc.Prefix + "/"
	}
	return u
}
