package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// copyAt is what one root holds of one dump.
type copyAt struct {
	root     int
	complete bool
	// One of these is set for a complete copy whose note was readable.
	exported *manifest.ExportedNote
	shipped  *manifest.ShippedNote
	// noteTime is the _SUCCESS object's time when its note is neither.
	noteTime time.Time
	// plan and commits of an export still running here.
	plan    *manifest.Plan
	commits int
}

// rootScan reads one root's dumps.
type rootScan struct {
	idx   int
	name  string
	b     *objstore.Bucket
	limit int
}

// dumps finds the root's dumps matching f and reads what each one's
// state says: the _SUCCESS note of a complete dump, the plan and the
// number of commits of one being exported. It never lists or reads parts.
func (r *rootScan) dumps(ctx context.Context, root *discover.Root, f discover.Filter) ([]discover.Dump, []*copyAt, error) {
	ds, err := root.Find(ctx, f, &discover.Options{Concurrency: r.limit})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", r.name, err)
	}
	copies := make([]*copyAt, len(ds))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.limit)
	for i, d := range ds {
		g.Go(func() error {
			c, err := r.read(gctx, d)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", r.name, d, err)
			}
			copies[i] = c
			return nil
		})
	}
	return ds, copies, g.Wait()
}

func (r *rootScan) read(ctx context.Context, d discover.Dump) (*copyAt, error) {
	c := &copyAt{root: r.idx, complete: d.Complete}
	if d.Complete {
		return c, r.readNote(ctx, d, c)
	}
	data, err := r.b.ReadAll(ctx, d.Key(manifest.PlanName))
	if errors.Is(err, objstore.ErrNotFound) {
		return c, nil // a copy in progress: the shipper writes no plan
	}
	if err != nil {
		return nil, err
	}
	if c.plan, err = manifest.DecodePlan(data); err != nil {
		return nil, err
	}
	objs, _, err := r.b.ListAll(ctx, d.Key(manifest.CommitsDir), "/")
	if err != nil {
		return nil, err
	}
	c.commits = len(objs)
	return c, nil
}

// readNote reads a complete dump's _SUCCESS note: the exporter's or the
// shipper's. A note of neither kind still marks the dump complete; its
// object's time stands for when.
func (r *rootScan) readNote(ctx context.Context, d discover.Dump, c *copyAt) error {
	data, err := r.b.ReadAll(ctx, d.SuccessKey())
	if err != nil {
		return err
	}
	var head struct {
		Format string `json:"format"`
	}
	_ = json.Unmarshal(data, &head)
	switch head.Format {
	case manifest.FormatExported:
		c.exported = new(manifest.ExportedNote)
		return decodeNote(data, c.exported, d)
	case manifest.FormatShipped:
		c.shipped = new(manifest.ShippedNote)
		return decodeNote(data, c.shipped, d)
	}
	a, err := r.b.Attributes(ctx, d.SuccessKey())
	if err != nil {
		return err
	}
	c.noteTime = a.ModTime.UTC()
	return nil
}

func decodeNote(data []byte, v any, d discover.Dump) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", d.SuccessKey(), err)
	}
	return nil
}

// manifestTotals reads a complete copy's manifest, for a dump whose
// exporter's note is in none of the roots (its export root was not
// given, or the shipper deleted the source).
func manifestTotals(ctx context.Context, b *objstore.Bucket, d discover.Dump) (*manifest.Manifest, error) {
	data, err := b.ReadAll(ctx, d.ManifestKey())
	if err != nil {
		return nil, err
	}
	return manifest.DecodeManifest(data)
}

// entry gathers one dump's copies across the roots.
type entry struct {
	d      discover.Dump
	copies []*copyAt
}

// scanRoots reads every root; the result is keyed by batch/table/timestamp.
func scanRoots(ctx context.Context, cfg Config, roots []*discover.Root, names []string) (map[string]*entry, error) {
	var mu sync.Mutex
	out := map[string]*entry{}
	g, gctx := errgroup.WithContext(ctx)
	for i, root := range roots {
		g.Go(func() error {
			r := &rootScan{idx: i, name: names[i], b: root.Bucket, limit: cfg.Concurrency}
			ds, copies, err := r.dumps(gctx, root, cfg.Filter)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for j, d := range ds {
				e := out[d.Prefix]
				if e == nil {
					e = &entry{d: d}
					out[d.Prefix] = e
				}
				e.copies = append(e.copies, copies[j])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, e := range out {
		slices.SortFunc(e.copies, func(a, b *copyAt) int { return a.root - b.root })
	}
	return out, nil
}

// openRoot and openStore open stores (tests watch what status does with
// them).
var (
	openRoot  = discover.Open
	openStore = objstore.Open
)

// openRoots opens the roots; a URL naming one dump narrows the filter to
// it.
func openRoots(ctx context.Context, cfg *Config) ([]*discover.Root, []string, error) {
	var roots []*discover.Root
	var names []string
	for _, u := range cfg.Roots {
		r, err := openRoot(ctx, u, nil)
		if err != nil {
			closeRoots(roots)
			return nil, nil, fmt.Errorf("--root %s: %w", redactURL(u), err)
		}
		roots = append(roots, r)
		if cfg.Filter, err = r.Filter(cfg.Filter); err != nil {
			closeRoots(roots)
			return nil, nil, err
		}
		names = append(names, r.Bucket.Location().String())
	}
	return roots, names, nil
}

func closeRoots(roots []*discover.Root) {
	for _, r := range roots {
		_ = r.Close()
	}
}

// redactURL names a URL that did not parse without echoing what may be
// a credential in it.
func redactURL(u string) string {
	loc, err := objstore.ParseURL(u)
	if err != nil {
		scheme, _, _ := strings.Cut(u, "://")
		return scheme + "://…"
	}
	return loc.String()
}
