package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// dump names the one dump of a batch's table and where its objects are,
// relative to the root bucket.
type dump struct {
	batch, table, timestamp string
	prefix                  string // <batch>/<table>/<timestamp>/
}

func (d dump) key(name string) string { return d.prefix + name }

// String is <batch>/<table>/<timestamp>, or "" before the dump is known.
func (d dump) String() string { return strings.TrimSuffix(d.prefix, "/") }

// resolveDump finds or creates the batch's dump of the table: the
// timestamp in <batch>/<table>/_state/dump.json, created by the first
// run with a conditional create. An explicit timestamp must agree with
// the marker (a batch holds one dump per table).
func resolveDump(ctx context.Context, root *objstore.Bucket, cfg Config, logger *slog.Logger) (dump, error) {
	key := manifest.DumpMarkerKey(cfg.Batch, cfg.dumpTable)
	ts := cfg.Timestamp
	if ts == "" {
		ts = manifest.FormatTimestamp(cfg.Now())
	}
	m := &manifest.DumpMarker{Format: manifest.FormatDump, Batch: cfg.Batch, Table: cfg.dumpTable, Timestamp: ts, Created: cfg.Now().UTC()}
	data, err := m.Marshal()
	if err != nil {
		return dump{}, fmt.Errorf("dump marker: %w", err)
	}
	err = root.CreateIfAbsent(ctx, key, data)
	switch {
	case err == nil:
		logger.Info("new dump", "dump", cfg.Batch+"/"+cfg.dumpTable+"/"+ts)
	case errors.Is(err, objstore.ErrExists):
		got, err := readMarker(ctx, root, key)
		if err != nil {
			return dump{}, err
		}
		if got.Batch != cfg.Batch || got.Table != cfg.dumpTable {
			return dump{}, fault.Usagef("%s names dump %s/%s, not of batch %s table %s", root.Location().Join(key), got.Batch, got.Table, cfg.Batch, cfg.dumpTable)
		}
		if cfg.Timestamp != "" && got.Timestamp != cfg.Timestamp {
			return dump{}, fault.Usagef("batch %s already has dump %s of %s (named in %s); --timestamp %s would be a second one: use another --batch",
				cfg.Batch, got.Timestamp, cfg.dumpTable, key, cfg.Timestamp)
		}
		ts = got.Timestamp
		logger.Info("continuing the batch's dump", "dump", cfg.Batch+"/"+cfg.dumpTable+"/"+ts)
	default:
		return dump{}, fmt.Errorf("create dump marker: %w", err)
	}
	return dump{batch: cfg.Batch, table: cfg.dumpTable, timestamp: ts, prefix: manifest.DumpPrefix(cfg.Batch, cfg.dumpTable, ts)}, nil
}

// findDump returns the batch's dump of the table if its marker exists
// (and agrees with an explicit timestamp), without creating anything.
func findDump(ctx context.Context, root *objstore.Bucket, cfg Config) (dump, bool, error) {
	key := manifest.DumpMarkerKey(cfg.Batch, cfg.dumpTable)
	got, err := readMarker(ctx, root, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return dump{}, false, nil
	}
	if err != nil {
		return dump{}, false, err
	}
	if cfg.Timestamp != "" && got.Timestamp != cfg.Timestamp {
		return dump{}, false, fault.Usagef("batch %s already has dump %s of %s (named in %s); --timestamp %s would be a second one: use another --batch",
			cfg.Batch, got.Timestamp, cfg.dumpTable, key, cfg.Timestamp)
	}
	return dump{batch: cfg.Batch, table: cfg.dumpTable, timestamp: got.Timestamp, prefix: manifest.DumpPrefix(cfg.Batch, cfg.dumpTable, got.Timestamp)}, true, nil
}

func readMarker(ctx context.Context, root *objstore.Bucket, key string) (*manifest.DumpMarker, error) {
	data, err := root.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read dump marker: %w", err)
	}
	m, err := manifest.DecodeDumpMarker(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", root.Location().Join(key), err)
	}
	return m, nil
}

// refuseDeleted refuses to export into a batch whose dump of the table
// the shipper deleted here after copying it elsewhere (its note
// <batch>/<table>/_state/deleted.json). The batch's dump.json still
// names that dump, so a new export would write a second, different dump
// under the same path: a shipper would skip it as already shipped and a
// loader as already loaded. A batch holds one dump per table, so the way
// on is a new batch; a new timestamp in the old batch would break that.
func refuseDeleted(ctx context.Context, root *objstore.Bucket, cfg Config) error {
	key := manifest.DeletedKey(cfg.Batch, cfg.dumpTable)
	data, err := root.ReadAll(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", manifest.DeletedName, err)
	}
	where := root.Location().Join(key)
	n, err := manifest.DecodeDeletedDump(data)
	if err != nil {
		return fault.Usagef("%s: %w", where, err)
	}
	return fault.Usagef("batch %s's dump %s of %s was shipped to %s and deleted here (%s): exporting %s into batch %s again would put another dump under its path; use a new --batch",
		cfg.Batch, n.Timestamp, cfg.dumpTable, n.ShippedTo, where, cfg.dumpTable, cfg.Batch)
}
