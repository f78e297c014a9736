package ship

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Outcome says what became of a dump in a pass.
type Outcome string

// Outcomes.
const (
	// Shipped: copied, verified and marked complete at the destination.
	Shipped Outcome = "shipped"
	// AlreadyMarked: another shipper marked it complete first; this one's
	// copy is identical.
	AlreadyMarked Outcome = "already-marked"
	// WouldShip: due, and not copied because of DryRun.
	WouldShip Outcome = "would-ship"
	// Failed: not marked at the destination; Err says why.
	Failed Outcome = "failed"
	// Partial: this shard's files are copied; another shard's are not all
	// in place yet, so the shard that completes the set marks the dump.
	Partial Outcome = "partial"
	// SourceDeleted: complete at the destination, re-verified, and
	// removed from the source (DeleteSource).
	SourceDeleted Outcome = "source-deleted"
)

// DumpResult is what a pass did with one dump.
type DumpResult struct {
	Dump    discover.Dump
	Outcome Outcome
	// Files and Bytes are the manifest's; the rest are what this pass did.
	Files, FilesCopied, FilesServerSide, FilesSkipped int64
	Bytes, BytesCopied, BytesSkipped                  int64
	Err                                               error
}

// shipDump copies one due dump: every file of its manifest, then the
// manifest, then _SUCCESS.
func (s *shipper) shipDump(ctx context.Context, d discover.Dump) DumpResult {
	res := DumpResult{Dump: d}
	fail := func(err error) DumpResult {
		res.Outcome, res.Err = Failed, err
		s.run.Table(d.Table).Add("dumps_failed", 1)
		s.log.Error("dump not shipped", "dump", d.String(), "err", err.Error())
		return res
	}
	data, m, err := readManifest(ctx, s.c.src, d)
	if err != nil {
		return fail(err)
	}
	res.Files = int64(len(m.Files))
	for _, f := range m.Files {
		res.Bytes += f.StoredBytes
	}
	if s.cfg.DryRun {
		res.Outcome = WouldShip
		s.log.Info("would ship", "dump", d.String(), "files", res.Files, "bytes", res.Bytes)
		return res
	}
	s.addTotal(res.Bytes)
	s.log.Info("shipping", "dump", d.String(), "files", res.Files, "bytes", res.Bytes)

	// One listing of the destination tells which files need not be
	// asked for one by one: those not there yet (all, the first time).
	there, err := s.destinationKeys(ctx, d)
	if err != nil {
		return fail(err)
	}
	if err := s.copyFiles(ctx, d, m, there, &res); err != nil {
		return fail(err)
	}
	if s.cfg.Shards > 1 {
		missing, err := s.othersMissing(ctx, d, m)
		if err != nil {
			return fail(err)
		}
		if missing > 0 {
			res.Outcome = Partial
			s.log.Info("shard done; other shards' files not all in place yet", "dump", d.String(), "shard", s.cfg.Shard, "missing", missing)
			return res
		}
	}
	if err := s.copyManifest(ctx, d, data, !there[d.ManifestKey()]); err != nil {
		return fail(err)
	}
	if err := s.confirm(ctx, d, m, data); err != nil {
		return fail(err)
	}
	note := newSuccess(s.cfg.Tool, d.String(), s.c.src.Location().Join(d.Prefix).String(), m, data, s.cfg.Now())
	body, err := note.Marshal()
	if err != nil {
		return fail(fmt.Errorf("dump %s: %w", d, err))
	}
	res.Outcome = Shipped
	if err := s.c.dst.CreateIfAbsent(ctx, d.SuccessKey(), body); err != nil {
		if !errors.Is(err, objstore.ErrExists) {
			return fail(fmt.Errorf("dump %s: mark complete: %w", d, err))
		}
		res.Outcome = AlreadyMarked
	}
	s.run.Table(d.Table).Add("dumps_shipped", 1)
	s.log.Info("shipped", "dump", d.String(), "files", res.Files, "copied", res.FilesCopied+res.FilesServerSide,
		"skipped", res.FilesSkipped, "bytes_copied", res.BytesCopied, "outcome", string(res.Outcome))
	return res
}

// destinationKeys lists the keys under the dump's prefix at the
// destination.
func (s *shipper) destinationKeys(ctx context.Context, d discover.Dump) (map[string]bool, error) {
	objs, _, err := s.c.dst.ListAll(ctx, d.Prefix+"/", "")
	if err != nil {
		return nil, fmt.Errorf("dump %s: list the destination: %w", d, err)
	}
	there := make(map[string]bool, len(objs))
	for _, o := range objs {
		there[o.Key] = true
	}
	return there, nil
}

// copyFiles copies every file of the manifest, in parallel, and stops at
// the first failure. there holds the keys listed at the destination
// before.
func (s *shipper) copyFiles(ctx context.Context, d discover.Dump, m *manifest.Manifest, there map[string]bool, res *DumpResult) error {
	var copied, server, skipped, bcopied, bskipped atomic.Int64
	run := s.run.Table(d.Table) // the table's share of the run's numbers
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Transfers)
	for i, f := range m.Files {
		if i%s.cfg.Shards != s.cfg.Shard {
			continue
		}
		g.Go(func() error {
			key := d.Key(f.Name)
			out, err := s.c.copyFile(gctx, key, f, !there[key])
			if err != nil {
				return fmt.Errorf("dump %s: %w", d, err)
			}
			switch out {
			case fileSkipped:
				skipped.Add(1)
				bskipped.Add(f.StoredBytes)
				run.Add("files_skipped", 1)
				run.Add("bytes_skipped", f.StoredBytes)
				s.addTotal(-f.StoredBytes)
			case fileServerSide:
				server.Add(1)
				bcopied.Add(f.StoredBytes)
				run.Add("files_server_side", 1)
				run.Add("files_copied", 1)
			default:
				copied.Add(1)
				bcopied.Add(f.StoredBytes)
				run.Add("files_copied", 1)
			}
			return nil
		})
	}
	err := g.Wait()
	res.FilesCopied, res.FilesServerSide, res.FilesSkipped = copied.Load(), server.Load(), skipped.Load()
	res.BytesCopied, res.BytesSkipped = bcopied.Load(), bskipped.Load()
	return err
}

// copyManifest writes the source's manifest bytes, unchanged, unless the
// destination already holds them (absent: a listing just before did not
// show it).
func (s *shipper) copyManifest(ctx context.Context, d discover.Dump, data []byte, absent bool) error {
	crc := crc32.Checksum(data, objstore.Castagnoli)
	if !absent {
		a, err := s.c.dst.Attributes(ctx, d.ManifestKey())
		if err == nil && a.Size == int64(len(data)) && a.HasCRC32C && a.CRC32C == crc {
			return nil
		}
		if err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return fmt.Errorf("dump %s: %w", d, err)
		}
	}
	_, err := s.c.dst.WriteAll(ctx, d.ManifestKey(), data, &objstore.WriterOptions{
		CRC32C: crc, HasCRC32C: true, ContentType: "application/json", StorageClass: s.cfg.StorageClass,
	})
	if err != nil {
		return fmt.Errorf("dump %s: write %s: %w", d, manifest.ManifestName, err)
	}
	return nil
}

// confirm checks, just before the marker, that every file and the
// manifest are at the destination with their sizes. Each was verified by
// checksum when written; this catches one removed since (say, by another
// shipper deleting a copy it found wrong).
func (s *shipper) confirm(ctx context.Context, d discover.Dump, m *manifest.Manifest, data []byte) error {
	objs, _, err := s.c.dst.ListAll(ctx, d.Prefix+"/", "")
	if err != nil {
		return fmt.Errorf("dump %s: confirm: %w", d, err)
	}
	have := make(map[string]int64, len(objs))
	for _, o := range objs {
		have[o.Key] = o.Size
	}
	check := func(key string, size int64) error {
		got, ok := have[key]
		if !ok {
			return fmt.Errorf("dump %s: confirm: %s vanished from the destination after it was copied; run again", d, key)
		}
		if got != size {
			return fmt.Errorf("dump %s: confirm: %s changed at the destination after it was copied (size %d, want %d); run again", d, key, got, size)
		}
		return nil
	}
	for _, f := range m.Files {
		if err := check(d.Key(f.Name), f.StoredBytes); err != nil {
			return err
		}
	}
	return check(d.ManifestKey(), int64(len(data)))
}

// othersMissing counts the files of other shards that are not yet intact
// at the destination.
func (s *shipper) othersMissing(ctx context.Context, d discover.Dump, m *manifest.Manifest) (int, error) {
	var missing atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, f := range m.Files {
		if i%s.cfg.Shards == s.cfg.Shard {
			continue
		}
		g.Go(func() error {
			want, err := parseCRC(f.CRC32C)
			if err != nil {
				return err
			}
			a, err := s.c.dst.Attributes(gctx, d.Key(f.Name))
			if errors.Is(err, objstore.ErrNotFound) || (err == nil && !intact(a, f, want)) {
				missing.Add(1)
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, fmt.Errorf("dump %s: %w", d, err)
	}
	return int(missing.Load()), nil
}
