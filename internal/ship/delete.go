package ship

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// deleteSource removes a dump from the source once the destination holds
// a complete copy: it first re-verifies the destination (every file's size
// and store-computed CRC32C, the manifest's bytes, the marker), writes
// the batch's deleted-dump note (see noteDeleted), then deletes the
// source's _SUCCESS (so a crash part-way leaves an incomplete
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
	if err := s.noteDeleted(ctx, d, data); err != nil {
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

// noteDeleted creates <batch>/<table>/_state/deleted.json at the source
// before anything of the dump is deleted. The batch's dump.json stays
// (the batch keeps naming its one dump), and without this note an export
// of the table into the same batch would find no _SUCCESS and no plan
// and write a second, different dump under the deleted one's path, which
// this shipper would then skip as shipped and loaders as loaded. The
// exporter refuses to export where the note is. A note already there
// from an interrupted deletion of the same dump is kept; one naming
// another dump is a verification failure, and nothing is deleted.
func (s *shipper) noteDeleted(ctx context.Context, d discover.Dump, manifestData []byte) error {
	n := &manifest.DeletedDump{
		Format: manifest.FormatDeleted, Batch: d.Batch, Table: d.Table, Timestamp: d.Timestamp,
		ManifestSHA256: sha256Hex(manifestData),
		ShippedTo:      s.c.dst.Location().Join(d.Prefix).String(),
		Deleted:        s.cfg.Now().UTC().Truncate(time.Millisecond),
	}
	body, err := n.Marshal()
	if err != nil {
		return err
	}
	key := manifest.DeletedKey(d.Batch, d.Table)
	err = s.c.src.CreateIfAbsent(ctx, key, body)
	if err == nil || !errors.Is(err, objstore.ErrExists) {
		return err
	}
	data, err := s.c.src.ReadAll(ctx, key)
	if err != nil {
		return err
	}
	old, err := manifest.DecodeDeletedDump(data)
	if err != nil {
		return fault.Verifyf("%s: %w; source kept", s.c.src.Location().Join(key), err)
	}
	if old.Timestamp != d.Timestamp || old.ManifestSHA256 != n.ManifestSHA256 {
		return fault.Verifyf("%s says dump %s (manifest sha256 %s) was deleted, not this one (manifest sha256 %s); source kept",
			s.c.src.Location().Join(key), old.Timestamp, old.ManifestSHA256, n.ManifestSHA256)
	}
	return nil
}
