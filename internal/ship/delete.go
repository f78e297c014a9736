package ship

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/pkg/objstore"
)

// deleteSource removes a dump from the source once the destination holds
// a complete copy: it first re-verifies the destination (every file's size
// and store-computed CRC32C, the manifest's bytes, the marker), then
// deletes the source's _SUCCESS (so a crash part-way leaves an incomplete
// dump that nothing ships or loads), then the files, the manifest, and
// whatever else is left under the dump's prefix (its _state/).
func (s *shipper) deleteSource(ctx context.Context, r *DumpResult) {
	d := r.Dump
	fail := func(err error) {
		r.Outcome, r.Err = Failed, fmt.Errorf("dump %s: delete source: %w", d, err)
		s.run.Add("dumps_failed", 1)
		s.log.Error("source not deleted", "dump", d.String(), "err", r.Err.Error())
	}
	data, m, err := readManifest(ctx, s.c.src, d)
	if err != nil {
		fail(err)
		return
	}
	if err := s.verifyCopy(ctx, d, m, data); err != nil {
		fail(err)
		return
	}
	del := func(ctx context.Context, key string) error {
		if err := s.c.src.Delete(ctx, key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return err
		}
		return nil
	}
	if err := del(ctx, d.SuccessKey()); err != nil {
		fail(err)
		return
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, f := range m.Files {
		g.Go(func() error { return del(gctx, d.Key(f.Name)) })
	}
	if err := g.Wait(); err != nil {
		fail(err)
		return
	}
	if err := del(ctx, d.ManifestKey()); err != nil {
		fail(err)
		return
	}
	rest, _, err := s.c.src.ListAll(ctx, d.Prefix+"/", "")
	if err != nil {
		fail(err)
		return
	}
	for _, o := range rest {
		if err := del(ctx, o.Key); err != nil {
			fail(err)
			return
		}
	}
	r.Outcome = SourceDeleted
	s.run.Add("dumps_source_deleted", 1)
	s.log.Info("deleted the source dump", "dump", d.String(), "objects", len(m.Files)+2+len(rest))
}
