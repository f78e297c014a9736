package discover

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Options tune Find.
type Options struct {
	// Logger receives debug lines about prefixes that are not dumps;
	// nil discards them.
	Logger *slog.Logger
	// Concurrency bounds listings and marker checks in flight (default 16).
	Concurrency int
}

// Find returns the dumps under root that match f, sorted by table, then
// timestamp, then batch, each with whether its _SUCCESS exists. root is
// the level above <batch>. Prefixes whose names are not valid batch,
// table or timestamp names (such as _state/) are skipped.
func Find(ctx context.Context, root *objstore.Bucket, f Filter, opts *Options) ([]Dump, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}

	batches := []string{f.Batch}
	if f.Batch == "" {
		var err error
		if batches, err = children(ctx, root, "", manifest.ValidateBatch, o.Logger); err != nil {
			return nil, err
		}
	}

	var (
		mu    sync.Mutex
		dumps []Dump
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, batch := range batches {
		g.Go(func() error {
			tables := []string{f.Table}
			if f.Table == "" {
				var err error
				if tables, err = children(gctx, root, batch+"/", manifest.ValidateTableName, o.Logger); err != nil {
					return err
				}
			}
			for _, table := range tables {
				stamps, err := children(gctx, root, batch+"/"+table+"/", validTimestamp, o.Logger)
				if err != nil {
					return err
				}
				for _, ts := range stamps {
					if f.Timestamp != "" && ts != f.Timestamp {
						continue
					}
					d, err := NewDump(batch, table, ts)
					if err != nil {
						return err // names were validated: cannot happen
					}
					mu.Lock()
					dumps = append(dumps, d)
					mu.Unlock()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	if err := markComplete(ctx, root, dumps, o.Concurrency); err != nil {
		return nil, err
	}
	Sort(dumps)
	return dumps, nil
}

// Sort orders dumps by table, then timestamp, then batch.
func Sort(dumps []Dump) {
	slices.SortFunc(dumps, func(a, b Dump) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Timestamp, b.Timestamp), cmp.Compare(a.Batch, b.Batch))
	})
}

// markComplete sets Complete on every dump whose _SUCCESS exists.
func markComplete(ctx context.Context, root *objstore.Bucket, dumps []Dump, limit int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range dumps {
		g.Go(func() error {
			ok, err := root.Exists(gctx, dumps[i].SuccessKey())
			if err != nil {
				return fmt.Errorf("discover %s: %w", dumps[i], err)
			}
			dumps[i].Complete = ok
			return nil
		})
	}
	return g.Wait()
}

// children lists the sub-prefixes one level below prefix and returns the
// names that pass valid; others are logged and skipped.
func children(ctx context.Context, root *objstore.Bucket, prefix string, valid func(string) error, log *slog.Logger) ([]string, error) {
	var names []string
	err := root.List(ctx, prefix, "/", func(p objstore.Page) error {
		for _, sub := range p.Prefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(sub, prefix), "/")
			if name == "" || strings.Contains(name, "/") {
				continue
			}
			if err := valid(name); err != nil {
				if !strings.HasPrefix(name, "_") {
					log.Debug("skipping prefix that is not part of a dump", "prefix", prefix+name, "reason", err)
				}
				continue
			}
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("discover dumps: %w", err)
	}
	return names, nil
}

func validTimestamp(s string) error {
	_, err := manifest.ParseTimestamp(s)
	return err
}
