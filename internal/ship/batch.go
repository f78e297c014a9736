package ship

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// shipBatchMarkers copies the batch markers (<batch>/_SUCCESS, written by
// exporter --tables) that the source has and the destination lacks, each
// only once every dump it lists is complete at the destination with the
// listed manifest SHA-256: a scheduler waiting on the destination's
// marker finds every dump of the batch there. It runs after the pass's
// dumps are shipped, so the marker is the batch's last object. A listed
// dump missing at the destination is an error (worth retrying: the next
// pass may ship it) unless this run ships only part of the batch (a
// --table filter, one dump's URL, or one of several shards), when the
// run that completes the batch copies the marker. A listed dump whose
// manifest differs from the listed checksum is a failed verification.
func (s *shipper) shipBatchMarkers(ctx context.Context) error {
	batches, err := s.batchesWithMarker(ctx)
	if err != nil || len(batches) == 0 {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, b := range batches {
		g.Go(func() error {
			if err := s.shipBatchMarker(gctx, b); err != nil {
				s.log.Error("batch marker not shipped", "batch", b, "err", err.Error())
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// batchesWithMarker lists the batches in scope whose marker exists at the
// source and not at the destination.
func (s *shipper) batchesWithMarker(ctx context.Context) ([]string, error) {
	batches := []string{s.filter.Batch}
	if s.filter.Batch == "" {
		_, prefixes, err := s.c.src.ListAll(ctx, "", "/")
		if err != nil {
			return nil, fmt.Errorf("--from: list batches: %w", err)
		}
		batches = batches[:0]
		for _, p := range prefixes {
			if b := strings.TrimSuffix(p, "/"); manifest.ValidateBatch(b) == nil {
				batches = append(batches, b)
			}
		}
	}
	var out []string
	for _, b := range batches {
		key := manifest.BatchSuccessKey(b)
		ok, err := s.c.src.Exists(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
		if !ok {
			continue
		}
		if ok, err = s.c.dst.Exists(ctx, key); err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
		if !ok {
			out = append(out, b)
		}
	}
	return out, nil
}

// partial reports whether this run ships only part of what is due.
func (s *shipper) partial() bool {
	return s.filter.Table != "" || s.filter.Timestamp != "" || s.from.Dump != nil || s.cfg.Shards > 1
}

// shipBatchMarker copies one batch's marker once its dumps are verified
// at the destination.
func (s *shipper) shipBatchMarker(ctx context.Context, batch string) error {
	key := manifest.BatchSuccessKey(batch)
	data, err := s.c.src.ReadAll(ctx, key)
	if err != nil {
		return fmt.Errorf("batch %s: read the batch marker: %w", batch, err)
	}
	bs, err := manifest.DecodeBatchSuccess(data)
	if err != nil {
		return fault.Usagef("batch %s: %s: %w", batch, s.c.src.Location().Join(key), err)
	}
	if bs.Batch != batch {
		return fault.Usagef("batch %s: %s names batch %s", batch, s.c.src.Location().Join(key), bs.Batch)
	}
	var missing []string
	for _, d := range bs.Dumps {
		ok, err := s.verifyListed(ctx, batch, d)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, d.Table)
		}
	}
	if len(missing) > 0 {
		if s.partial() || s.cfg.DryRun {
			s.log.Info("batch marker not copied yet: this run ships part of the batch", "batch", batch, "not_at_destination", strings.Join(missing, ","))
			return nil
		}
		return fmt.Errorf("batch %s: the batch marker lists %d dumps not complete at the destination (%s); it is copied when they are", batch, len(missing), strings.Join(missing, ", "))
	}
	if s.cfg.DryRun {
		s.log.Info("would copy the batch marker", "batch", batch, "dumps", len(bs.Dumps))
		return nil
	}
	if err := s.c.dst.CreateIfAbsent(ctx, key, data); err != nil && !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("batch %s: write the batch marker: %w", batch, err)
	}
	s.run.Add("batch_markers_shipped", 1)
	s.log.Info("batch marker shipped: every dump of the batch is at the destination", "batch", batch, "dumps", len(bs.Dumps))
	return nil
}

// verifyListed reports whether a dump the marker lists is complete at
// the destination; a manifest there other than the listed one is a
// failed verification.
func (s *shipper) verifyListed(ctx context.Context, batch string, d manifest.BatchDump) (bool, error) {
	prefix := d.Prefix(batch)
	ok, err := s.c.dst.Exists(ctx, prefix+manifest.SuccessName)
	if err != nil || !ok {
		return false, err
	}
	data, err := s.c.dst.ReadAll(ctx, prefix+manifest.ManifestName)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, fault.Verifyf("dump %s: marked complete at the destination but has no %s", strings.TrimSuffix(prefix, "/"), manifest.ManifestName)
	}
	if err != nil {
		return false, fmt.Errorf("batch %s: %w", batch, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != d.ManifestSHA256 {
		return false, fault.Verifyf("batch %s: the batch marker lists %s with manifest SHA-256 %s, the destination's manifest has %x",
			batch, strings.TrimSuffix(prefix, "/"), d.ManifestSHA256, sum)
	}
	return true, nil
}
