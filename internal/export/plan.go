package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/version"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// ToolName names the exporter in the documents it writes.
const ToolName = "lading exporter"

func tool() manifest.Tool { return manifest.Tool{Name: ToolName, Version: version.Version} }

// source is the live source table.
type source struct {
	s     *cql.Session
	table *schema.Table
	info  cql.ClusterInfo
	part  *cql.Partitioner
}

// options returns the data-shaping options of cfg for table t: the
// columns resolved (all by default, key columns always, table order).
func (c Config) options(t *schema.Table) (manifest.Options, error) {
	cols, err := resolveColumns(t, c.Columns)
	if err != nil {
		return manifest.Options{}, err
	}
	return manifest.Options{
		Compression:    c.Compression,
		Writetime:      c.Writetime,
		TTL:            c.TTL,
		Consistency:    c.Consistency,
		Columns:        cols,
		Where:          strings.TrimSpace(c.Where),
		AllowFiltering: c.AllowFiltering,
		LimitRows:      c.LimitRows,
		Mode:           c.mode(),
		PartBytes:      c.PartBytes,
	}, nil
}

// mode is the plan mode the options ask for.
func (c Config) mode() string {
	if c.Keys != "" {
		return manifest.ModeKeys
	}
	return manifest.ModeRanges
}

// resolveColumns checks the named columns and returns them with the
// primary key columns, in the table's column order.
func resolveColumns(t *schema.Table, names []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if t.Column(n) == nil {
			var known []string
			for _, c := range t.Columns {
				known = append(known, c.Name)
			}
			return nil, fault.Usagef("--columns: %q is not a column of %s (columns: %s)", n, t.QualifiedName(), strings.Join(known, ", "))
		}
		want[n] = true
	}
	var out []string
	for _, c := range t.Columns {
		if len(names) == 0 || want[c.Name] || c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// loadOrCreatePlan returns the dump's plan: the existing one, checked
// against this run's options and the live schema, or a new one made from
// the ring (or, with --keys, from the key list, stored first) and
// created conditionally (a concurrent first run may win the race; its
// plan is then read back and checked like any other).
func loadOrCreatePlan(ctx context.Context, root *objstore.Bucket, d dump, src *source, cfg Config, logger *slog.Logger) (*manifest.Plan, error) {
	opts, err := cfg.options(src.table)
	if err != nil {
		return nil, err
	}
	key := d.key(manifest.PlanName)
	data, err := root.ReadAll(ctx, key)
	switch {
	case err == nil:
		return checkPlan(root, key, data, src, opts, cfg, "", logger)
	case !errors.Is(err, objstore.ErrNotFound):
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var keys *storedKeys
	if cfg.Keys != "" {
		if keys, err = storeKeys(ctx, root, d, src.table, cfg, logger); err != nil {
			return nil, err
		}
	}
	plan, err := makePlan(ctx, d, src, cfg, opts, keys, logger)
	if err != nil {
		return nil, err
	}
	data, err = plan.Marshal()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	err = root.CreateIfAbsent(ctx, key, data)
	switch {
	case err == nil:
		if keys != nil {
			logger.Info("planned", "units", len(plan.Units), "keys", keys.count)
		} else {
			logger.Info("planned", "units", len(plan.Units), "splits", countRanges(plan))
		}
		return plan, nil
	case errors.Is(err, objstore.ErrExists):
		data, err := root.ReadAll(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("read plan: %w", err)
		}
		sha := ""
		if keys != nil {
			sha = keys.sha
		}
		return checkPlan(root, key, data, src, opts, cfg, sha, logger)
	default:
		return nil, fmt.Errorf("create plan: %w", err)
	}
}

func countRanges(p *manifest.Plan) int {
	n := 0
	for _, u := range p.Units {
		n += len(u.Ranges)
	}
	return n
}

// checkPlan decodes an existing plan and refuses it if this run's
// options contradict it or the source is not the one it was made from.
// A run without --keys continues a key-list plan; a run with --keys FILE
// must name the plan's list (keysSHA, when this run already stored or
// compared its list, else the file is read and compared); --keys - is
// not read again: the stored list is the dump's.
func checkPlan(root *objstore.Bucket, key string, data []byte, src *source, opts manifest.Options, cfg Config, keysSHA string, logger *slog.Logger) (*manifest.Plan, error) {
	plan, err := manifest.DecodePlan(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", root.Location().Join(key), err)
	}
	// The source first: a changed schema also changes the default
	// columns, and the schema change is the news.
	if err := sameSource(&plan.Source, src); err != nil {
		return nil, err
	}
	if cfg.Keys == "" && plan.Options.Mode == manifest.ModeKeys {
		opts.Mode = manifest.ModeKeys
	}
	if diffs := manifest.OptionsConflict(plan.Options, opts); len(diffs) > 0 {
		hint := "use the plan's options or another --batch"
		if plan.Options.Mode != opts.Mode {
			hint = "a batch holds one dump of a table: use another --batch"
		}
		return nil, fault.Usagef("options contradict the dump's plan (%s): %s; %s",
			root.Location().Join(key), strings.Join(diffs, "; "), hint)
	}
	if plan.Options.Mode != manifest.ModeKeys || cfg.Keys == "" {
		return plan, nil
	}
	if keysSHA == "" && cfg.Keys == "-" {
		logger.Info("the dump's key list is stored; standard input is not read", "keys", plan.KeysCount)
		return plan, nil
	}
	if keysSHA == "" {
		list, err := readKeyInput(cfg, src)
		if err != nil {
			return nil, err
		}
		keysSHA = sha256Hex(list.bytes())
	}
	if keysSHA != plan.KeysSHA256 {
		return nil, fault.Usagef("--keys %s is not the key list of the dump's plan (%s, %d keys, SHA-256 %s); a batch holds one dump of a table: use another --batch, or run without --keys to continue",
			cfg.Keys, root.Location().Join(strings.TrimSuffix(key, manifest.PlanName)+plan.KeysName), plan.KeysCount, plan.KeysSHA256)
	}
	return plan, nil
}

// sameSource fails if the live source is not what the plan was made
// from: another cluster, partitioner, or a changed table.
func sameSource(planned *manifest.Source, src *source) error {
	if planned.Cluster != src.info.Name {
		return fault.Usagef("the dump was planned from cluster %q, but the source is cluster %q", planned.Cluster, src.info.Name)
	}
	if planned.Partitioner != src.info.Partitioner {
		return fault.Usagef("the dump was planned with partitioner %s, but the source uses %s", planned.Partitioner, src.info.Partitioner)
	}
	if d := schemaDiff(&planned.Table, src.table); d != "" {
		return fault.Usagef("the schema of %s changed since the dump was planned: %s; the dump cannot be completed consistently, start a new one (another --batch)",
			src.table.QualifiedName(), d)
	}
	return nil
}

// schemaDiff describes the first difference between two tables' schemas
// (columns, their types and roles, user types), or "".
func schemaDiff(a, b *schema.Table) string {
	if a.QualifiedName() != b.QualifiedName() {
		return fmt.Sprintf("table %s vs %s", a.QualifiedName(), b.QualifiedName())
	}
	for _, c := range a.Columns {
		d := b.Column(c.Name)
		switch {
		case d == nil:
			return fmt.Sprintf("column %q was dropped", c.Name)
		case d.Type != c.Type:
			return fmt.Sprintf("column %q changed type from %s to %s", c.Name, c.Type, d.Type)
		case d.Role != c.Role || d.Position != c.Position || d.Order != c.Order:
			return fmt.Sprintf("column %q changed its key role or order", c.Name)
		}
	}
	for _, d := range b.Columns {
		if a.Column(d.Name) == nil {
			return fmt.Sprintf("column %q was added", d.Name)
		}
	}
	for _, u := range a.UserTypes {
		i := slices.IndexFunc(b.UserTypes, func(v schema.UserType) bool { return v.Name == u.Name })
		if i < 0 {
			return fmt.Sprintf("user type %q is no longer used", u.Name)
		}
		if !slices.Equal(u.Fields, b.UserTypes[i].Fields) {
			return fmt.Sprintf("user type %q changed its fields", u.Name)
		}
	}
	if len(a.UserTypes) != len(b.UserTypes) {
		return "the set of user types changed"
	}
	return ""
}

// makePlan divides the ring (or the stored key list) into units.
func makePlan(ctx context.Context, d dump, src *source, cfg Config, opts manifest.Options, keys *storedKeys, logger *slog.Logger) (*manifest.Plan, error) {
	t := src.table
	plan := &manifest.Plan{
		Format:    manifest.FormatPlan,
		Tool:      tool(),
		Batch:     d.batch,
		Table:     d.table,
		Timestamp: d.timestamp,
		Created:   cfg.Now().UTC(),
		Source: manifest.Source{
			Kind:        manifest.KindCassandra,
			Cluster:     src.info.Name,
			Partitioner: src.info.Partitioner,
			Table:       *t,
		},
		Options: opts,
	}
	if keys != nil {
		plan.Units = planKeyUnits(keys.count, int64(cfg.KeysPerUnit))
		plan.KeysName, plan.KeysSHA256, plan.KeysCount = KeysName, keys.sha, keys.count
		return plan, nil
	}
	ring, err := cql.ReadRing(ctx, src.s, src.part, t.Keyspace)
	if err != nil {
		return nil, err
	}
	var est []cql.Estimate
	if cfg.Splits == 0 {
		est, err = cql.ReadEstimates(ctx, src.s, src.part, t.Keyspace, t.Name)
		if err != nil {
			logger.Warn("no size estimates; sizing splits by token width", "err", err)
		}
	}
	minSplits := 4 * cfg.Parallel * cfg.Shards
	splits := cql.Splits(ring, est, cql.SplitOptions{Count: cfg.Splits, Min: minSplits})
	units, err := planUnits(src.part, splits, cfg.PartBytes, minSplits)
	if err != nil {
		return nil, err
	}
	logger.Debug("ring", "ranges", len(ring.Ranges), "estimates", len(est), "splits", len(splits), "units", len(units))
	plan.Units = units
	return plan, nil
}
