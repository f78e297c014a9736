package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/version"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// ToolName names the exporter in the documents it writes.
const ToolName = "lading exporter"

func tool() manifest.Tool { return manifest.Tool{Name: ToolName, Version: version.Version} }

// loadOrCreatePlan returns the dump's plan: the existing one, checked
// against this run's options and the live schema, or a new one made from
// the ring (or, with --keys, from the key list, stored first) and
// created conditionally (a concurrent first run may win the race; its
// plan is then read back and checked like any other).
func loadOrCreatePlan(ctx context.Context, root *objstore.Bucket, d dump, src source.Source, live *manifest.Source, cfg Config, logger *slog.Logger) (*manifest.Plan, error) {
	opts, err := src.Options(live, cfg.request())
	if err != nil {
		return nil, err
	}
	key := d.key(manifest.PlanName)
	data, err := root.ReadAll(ctx, key)
	switch {
	case err == nil:
		return checkPlan(root, key, data, src, live, opts, cfg, "", logger)
	case !errors.Is(err, objstore.ErrNotFound):
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var keys *storedKeys
	if cfg.Keys != "" {
		if keys, err = storeKeys(ctx, root, d, src, live, cfg, logger); err != nil {
			return nil, err
		}
	}
	plan, err := makePlan(ctx, d, src, live, cfg, opts, keys)
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
		return checkPlan(root, key, data, src, live, opts, cfg, sha, logger)
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
func checkPlan(root *objstore.Bucket, key string, data []byte, src source.Source, live *manifest.Source, opts manifest.Options, cfg Config, keysSHA string, logger *slog.Logger) (*manifest.Plan, error) {
	plan, err := manifest.DecodePlan(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", root.Location().Join(key), err)
	}
	// The source first: a changed schema also changes the default
	// columns, and the schema change is the news.
	if err := sameSource(src, &plan.Source, live); err != nil {
		return nil, err
	}
	// The number of Scan segments is the plan's, like its token ranges.
	opts.Segments = plan.Options.Segments
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
		lines, _, err := readKeyInput(cfg, src, live)
		if err != nil {
			return nil, err
		}
		keysSHA = sha256Hex(joinLines(lines))
	}
	if keysSHA != plan.KeysSHA256 {
		return nil, fault.Usagef("--keys %s is not the key list of the dump's plan (%s, %d keys, SHA-256 %s); a batch holds one dump of a table: use another --batch, or run without --keys to continue",
			cfg.Keys, root.Location().Join(strings.TrimSuffix(key, manifest.PlanName)+plan.KeysName), plan.KeysCount, plan.KeysSHA256)
	}
	return plan, nil
}

// sameSource fails if the live source is not what the plan was made
// from: another cluster, partitioner, or a changed table.
func sameSource(src source.Source, planned, live *manifest.Source) error {
	if d := src.Diff(planned, live); d != "" {
		return fault.Usagef("%s; the dump cannot be completed consistently, start a new one (another --batch)", d)
	}
	return nil
}

// makePlan divides the source (or the stored key list) into units.
func makePlan(ctx context.Context, d dump, src source.Source, live *manifest.Source, cfg Config, opts manifest.Options, keys *storedKeys) (*manifest.Plan, error) {
	plan := &manifest.Plan{
		Format:    manifest.FormatPlan,
		Tool:      tool(),
		Batch:     d.batch,
		Table:     d.table,
		Timestamp: d.timestamp,
		Created:   cfg.Now().UTC(),
		Source:    *live,
		Options:   opts,
	}
	if keys != nil {
		plan.Units = planKeyUnits(keys.count, int64(cfg.KeysPerUnit))
		plan.KeysName, plan.KeysSHA256, plan.KeysCount = KeysName, keys.sha, keys.count
		return plan, nil
	}
	units, err := src.Plan(ctx, live, source.PlanRequest{
		Splits: cfg.Splits, MinUnits: 4 * cfg.Parallel * cfg.Shards, PartBytes: cfg.PartBytes,
		Parallel: cfg.Parallel, Shards: cfg.Shards,
	})
	if err != nil {
		return nil, err
	}
	plan.Units = units
	if opts.Mode == manifest.ModeSegments {
		plan.Options.Segments = len(units)
	}
	return plan, nil
}
