// Package bigtable is the loader's Cloud Bigtable target: it loads a dump
// into one column family of a Bigtable table, one Bigtable row per CQL
// row, so that replays and retries rewrite the same cells.
//
// The row key is the CQL primary key in an order-preserving encoding
// (rowkey.go), each column one qualifier named after it (value.go), each
// cell's timestamp the source's writetime or, without one, the dump's
// start time: a row key, qualifier and timestamp name a cell, so writing
// it twice leaves one cell. Static columns live in the partition's own
// row, keyed by the partition key alone. Writes go out in MutateRows
// requests the loader encodes itself (wire.go) under Bigtable's
// 100,000-mutation limit; entries that fail are retried alone
// (write.go). docs/loader.md and docs/format.md describe all of this for
// users.
package bigtable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"

	"cloud.google.com/go/bigtable"
	"google.golang.org/api/option"
	gtransport "google.golang.org/api/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
)

func init() { load.Register(Scheme, Open) }

// MaxMessageBytes is the largest gRPC message the client sends or takes:
// Bigtable's request limit (256 MB), which the client library sets for
// Bigtable itself. For an emulator it dials a connection of gRPC's
// default 4 MB instead, and a row read back whole (--verify full) over
// that fails; Open dials the emulator itself with this limit.
const MaxMessageBytes = 256 << 20

// Endpoint is Bigtable's data API, where the loader's own MutateRows
// connection goes (the client library's default endpoint).
const Endpoint = "bigtable.googleapis.com:443"

// Target is an open Bigtable instance.
type Target struct {
	cfg    *Config
	client *bigtable.Client
	admin  *bigtable.AdminClient
	// emulator is the connection dialled to BIGTABLE_EMULATOR_HOST.
	emulator *grpc.ClientConn
	// data carries the MutateRows requests the loader encodes itself
	// (wire.go): the emulator connection, or one dialled to Bigtable
	// with the client library's own endpoint, scope and credentials.
	data     grpc.ClientConnInterface
	dataConn *grpc.ClientConn
	logger   *slog.Logger
	run      *report.Run
}

var _ load.Target = (*Target)(nil)

// Open connects to the instance a bigtable:// URL names, with Application
// Default Credentials (BIGTABLE_EMULATOR_HOST, when set, points both
// clients at an emulator instead).
func Open(ctx context.Context, rawURL string, opts load.TargetOptions) (load.Target, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	getenv := opts.Env
	if getenv == nil {
		getenv = os.Getenv
	}
	t := &Target{cfg: cfg, logger: logger, run: opts.Run}
	var copts []option.ClientOption
	if addr := getenv("BIGTABLE_EMULATOR_HOST"); addr != "" {
		t.emulator, err = grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
		if err != nil {
			return nil, fmt.Errorf("connect to the emulator at %s: %w", addr, err)
		}
		copts = append(copts, option.WithGRPCConn(t.emulator))
		t.data = t.emulator
	} else {
		t.dataConn, err = gtransport.Dial(ctx,
			option.WithEndpoint(Endpoint),
			option.WithScopes(bigtable.Scope),
			option.WithGRPCDialOption(grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes))))
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", cfg.Redacted(), err)
		}
		t.data = t.dataConn
	}
	t.client, err = bigtable.NewClientWithConfig(ctx, cfg.Project, cfg.Instance, bigtable.ClientConfig{
		AppProfile:      cfg.AppProfile,
		MetricsProvider: bigtable.NoopMetricsProvider{},
	}, copts...)
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("connect to %s: %w", cfg.Redacted(), err)
	}
	if t.admin, err = bigtable.NewAdminClient(ctx, cfg.Project, cfg.Instance, copts...); err != nil {
		t.Close()
		return nil, fmt.Errorf("connect to %s (admin): %w", cfg.Redacted(), err)
	}
	return t, nil
}

// Close closes the clients (and the emulator connection).
func (t *Target) Close() error {
	var errs []error
	if t.client != nil {
		errs = append(errs, t.client.Close())
	}
	if t.admin != nil {
		errs = append(errs, t.admin.Close())
	}
	if t.emulator != nil {
		errs = append(errs, t.emulator.Close())
	}
	if t.dataConn != nil {
		errs = append(errs, t.dataConn.Close())
	}
	return errors.Join(errs...)
}

// families returns the table's column families, or ok=false when the
// table does not exist.
func (t *Target) families(ctx context.Context, name string) (fams []string, ok bool, err error) {
	info, err := t.admin.TableInfo(ctx, name)
	if status.Code(err) == codes.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read table %s in %s: %w", name, t.cfg.Redacted(), err)
	}
	for _, f := range info.FamilyInfos {
		fams = append(fams, f.Name)
	}
	sort.Strings(fams)
	return fams, true, nil
}

// Table checks (or creates) the target table for a dump.
func (t *Target) Table(ctx context.Context, m *manifest.Manifest, opts load.TableOptions) (load.Table, error) {
	name := opts.Name
	if name == "" {
		name = m.Source.Table.Name
	}
	if !tableRE.MatchString(name) {
		return nil, fault.Usagef("target table name %q: a Bigtable table id is 1 to 50 letters, digits, '_', '-' and '.', not starting with '-' or '.'; name another with --target-table or --map", name)
	}
	versions := opts.Versions
	if versions <= 0 {
		versions = 1
	}
	tb, err := newTable(t, m, name)
	if err != nil {
		return nil, err
	}
	_, exists, err := t.families(ctx, name)
	if err != nil {
		return nil, err
	}
	if !exists {
		if !opts.Create {
			return nil, fault.Usagef("table %s does not exist in %s (pass --create-table to create it with column family %s)", name, t.cfg.Redacted(), t.cfg.Family)
		}
		if !opts.DryRun {
			if err := t.create(ctx, name, versions); err != nil {
				return nil, err
			}
			exists = true
		}
	}
	tb.exists, tb.dryRun = exists, opts.DryRun
	if exists {
		// The incarnation cell needs the family: check it before the
		// loader asks for the incarnation.
		if err := tb.CheckSchema(ctx); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// create creates the table with the one column family and its GC policy.
func (t *Target) create(ctx context.Context, name string, versions int) error {
	conf := &bigtable.TableConf{
		TableID:        name,
		ColumnFamilies: map[string]bigtable.Family{t.cfg.Family: {GCPolicy: bigtable.MaxVersionsPolicy(versions)}},
	}
	err := t.admin.CreateTableFromConf(ctx, conf)
	if status.Code(err) == codes.AlreadyExists {
		// Another loader created it first; CheckSchema looks at it.
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s in %s: %w", name, t.cfg.Redacted(), err)
	}
	t.logger.Info("created table", "table", name, "family", t.cfg.Family, "max_versions", versions)
	t.run.Event("table_created", "table", name)
	return nil
}

// CheckSchema checks that the table has the URL's column family. Columns
// need no schema in Bigtable: they are qualifiers of that family.
func (tb *Table) CheckSchema(ctx context.Context) error {
	fams, ok, err := tb.t.families(ctx, tb.name)
	if err != nil {
		return err
	}
	if !ok {
		return fault.Usagef("table %s vanished from %s", tb.name, tb.t.cfg.Redacted())
	}
	for _, f := range fams {
		if f == tb.t.cfg.Family {
			return nil
		}
	}
	have := "none"
	if len(fams) > 0 {
		have = strings.Join(fams, ", ")
	}
	return fault.Usagef("table %s in %s has no column family %s (it has: %s); create the family, or name one in the URL (?family=NAME)", tb.name, tb.t.cfg.Redacted(), tb.t.cfg.Family, have)
}
