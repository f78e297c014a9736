package ship

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"

	"golang.org/x/sync/semaphore"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// fileOutcome says what copying one file came to.
type fileOutcome int

const (
	fileSkipped    fileOutcome = iota // already at the destination, intact
	fileStreamed                      // streamed through this process
	fileServerSide                    // copied inside the service
)

// copier copies the files of dumps from one root to another. It is shared
// by every dump of a pass, so that its limits are global: transfer slots,
// the memory budget and the bandwidth limiter.
type copier struct {
	cfg      Config
	src, dst *objstore.Bucket
	log      *slog.Logger
	run      *report.Run
	slots    *semaphore.Weighted
	mem      *budget
	limit    *throttle.Limiter
	// noServerSide is set once the destination refused a server-side copy
	// from the source: the two are different services.
	noServerSide atomic.Bool
	inflight     atomic.Int64
}

func newCopier(cfg Config, src, dst *objstore.Bucket, log *slog.Logger, run *report.Run) *copier {
	c := &copier{
		cfg: cfg, src: src, dst: dst, log: log, run: run,
		slots: semaphore.NewWeighted(int64(cfg.Transfers)),
		mem:   newBudget(cfg.MaxMemory),
	}
	if cfg.BWLimit > 0 {
		c.limit = throttle.NewLimiter(float64(cfg.BWLimit), int(min(cfg.BWLimit, limitChunk)))
	}
	c.noServerSide.Store(cfg.NoServerSide || !sameService(src, dst))
	run.Set("inflight_limit", int64(cfg.Transfers))
	return c
}

// sameService reports whether a server-side copy from src to dst may be
// possible: the destination's store has one, and both ends are of one
// kind of store (a copy stays inside one service, and a URL scheme names
// one). Knowing it up front spares a check of the source's attributes
// that only a server-side copy needs.
func sameService(src, dst *objstore.Bucket) bool {
	_, ok := dst.Driver().(objstore.Copier)
	return ok && src.Location().Scheme == dst.Location().Scheme
}

// parseCRC reads a manifest's CRC32C (8 hex digits; the manifest decoder
// has checked the form).
func parseCRC(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || len(s) != 8 {
		return 0, fault.Usagef("crc32c %q is not 8 hex digits", s)
	}
	return uint32(v), nil
}

func crcHex(v uint32) string { return fmt.Sprintf("%08x", v) }

// intact reports whether a store's attributes show the manifest's bytes:
// the right size and a store-computed CRC32C equal to the manifest's.
func intact(a objstore.Attrs, f manifest.File, want uint32) bool {
	return a.Size == f.StoredBytes && a.HasCRC32C && a.CRC32C == want
}

// copyFile makes key (relative to both roots) at the destination a
// verified copy of the source's, as the manifest entry f describes it.
// It holds one transfer slot while it works and retries transient errors.
// absent says a listing of the destination made for this run did not show
// key (so the first attempt need not ask whether it is there).
func (c *copier) copyFile(ctx context.Context, key string, f manifest.File, absent bool) (fileOutcome, error) {
	want, err := parseCRC(f.CRC32C)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	if err := c.slots.Acquire(ctx, 1); err != nil {
		return 0, err
	}
	defer c.slots.Release(1)
	c.run.Set("inflight", c.inflight.Add(1))
	defer func() { c.run.Set("inflight", c.inflight.Add(-1)) }()

	var out fileOutcome
	err = throttle.Retry(ctx, c.cfg.Retry, isRetryable, c.log, c.run, "copy "+key, func(ctx context.Context) error {
		var err error
		out, err = c.copyOnce(ctx, key, f, want, absent)
		absent = false // a failed attempt may have stored it after all
		return err
	})
	return out, err
}

// copyOnce is one attempt of copyFile. absent says a listing of the
// destination just before did not show key, so it need not be asked for.
func (c *copier) copyOnce(ctx context.Context, key string, f manifest.File, want uint32, absent bool) (fileOutcome, error) {
	if !absent {
		// Already there and intact? Judged only by the store's own checksum.
		da, err := c.dst.Attributes(ctx, key)
		switch {
		case err == nil && intact(da, f, want):
			return fileSkipped, nil
		case err != nil && !errors.Is(err, objstore.ErrNotFound):
			return 0, fmt.Errorf("check destination: %w", err)
		}
	}
	checked := false
	if !c.noServerSide.Load() {
		// No bytes pass through a server-side copy: the source is
		// checked first.
		var err error
		if checked, err = c.checkSource(ctx, key, f, want); err != nil {
			return 0, err
		}
		err = c.serverSide(ctx, key, f, want)
		if !errors.Is(err, objstore.ErrNotSupported) {
			return fileServerSide, err
		}
		c.noServerSide.Store(true)
		c.log.Debug("server-side copy not possible between these stores; streaming", "err", err)
	} else if !c.single(f) {
		var err error
		if checked, err = c.checkSource(ctx, key, f, want); err != nil {
			return 0, err
		}
	}
	if c.single(f) {
		return fileStreamed, c.streamSingle(ctx, key, f, want)
	}
	return fileStreamed, c.stream(ctx, key, f, want, checked)
}

// checkSource checks key at the source by its store's attributes: there,
// not archived, and of the manifest's size and (where the store has one)
// CRC32C. checked says the store's CRC32C matched, so bytes read that do
// not were damaged on the way.
func (c *copier) checkSource(ctx context.Context, key string, f manifest.File, want uint32) (checked bool, err error) {
	sa, err := c.src.Attributes(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, sourceReadErr(key, err)
	}
	if err != nil {
		return false, fmt.Errorf("check source: %w", err)
	}
	if sa.Archived {
		class := sa.StorageClass
		if class == "" {
			class = "an archive class"
		}
		return false, fault.Usagef("%s: the source object is in storage class %s and must be restored before it can be copied (restore it, then run the shipper again)", key, class)
	}
	if sa.Size != f.StoredBytes || (sa.HasCRC32C && sa.CRC32C != want) {
		e := &MismatchError{Key: key, Where: "source", WantSize: f.StoredBytes, GotSize: sa.Size, WantCRC32C: f.CRC32C, WantSHA256: f.SHA256, Detail: "measured by the source store; nothing copied"}
		if sa.HasCRC32C {
			e.GotCRC32C = crcHex(sa.CRC32C)
		}
		return false, fault.Verify(e)
	}
	return sa.HasCRC32C, nil
}

// serverSide copies key inside the service and verifies the copy by the
// destination store's CRC32C and size (and, with FullVerify, by re-reading
// it).
func (c *copier) serverSide(ctx context.Context, key string, f manifest.File, want uint32) error {
	opts := &objstore.WriterOptions{CRC32C: want, HasCRC32C: true, Size: f.StoredBytes, StorageClass: c.cfg.StorageClass}
	if err := c.dst.CopyFrom(ctx, c.src, key, key, opts); err != nil {
		var ce *objstore.ChecksumError
		if errors.As(err, &ce) {
			// The source was checked just before; the copy arrived wrong.
			return storeMismatch{err}
		}
		return err
	}
	a, err := c.dst.Attributes(ctx, key)
	if err != nil {
		return fmt.Errorf("verify copy: %w", err)
	}
	if !intact(a, f, want) {
		e := &MismatchError{Key: key, Where: "destination", WantSize: f.StoredBytes, GotSize: a.Size, WantCRC32C: f.CRC32C, WantSHA256: f.SHA256}
		if a.HasCRC32C {
			e.GotCRC32C = crcHex(a.CRC32C)
		}
		e.Detail = c.deleteBad(key)
		return storeMismatch{fault.Verify(e)}
	}
	if c.cfg.FullVerify {
		if err := c.reread(ctx, key, f); err != nil {
			return err
		}
	}
	c.run.Add("bytes", f.StoredBytes)
	return nil
}

// reread hashes the destination's copy and compares it with the manifest,
// deleting it when it differs.
func (c *copier) reread(ctx context.Context, key string, f manifest.File) error {
	s, err := hashObject(ctx, c.dst, key)
	if err != nil {
		return fmt.Errorf("re-read copy: %w", err)
	}
	if s.Size != f.StoredBytes || s.CRC32CHex() != f.CRC32C || s.SHA256Hex() != f.SHA256 {
		e := &MismatchError{Key: key, Where: "destination", WantSize: f.StoredBytes, GotSize: s.Size,
			WantCRC32C: f.CRC32C, GotCRC32C: s.CRC32CHex(), WantSHA256: f.SHA256, GotSHA256: s.SHA256Hex()}
		e.Detail = c.deleteBad(key)
		return storeMismatch{fault.Verify(e)}
	}
	return nil
}

// deleteBad removes a wrong copy at the destination and says so, for the
// error's detail.
func (c *copier) deleteBad(key string) string {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := c.dst.Delete(ctx, key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
		return "deleting it at the destination failed: " + err.Error()
	}
	return "deleted at the destination"
}

// stream copies key through this process: the bytes read are counted and
// CRC-checked on the fly and must match the manifest before the write is
// committed; the destination is told the CRC32C so it verifies too; the
// SHA-256 of the bytes written is compared after. srcChecked says the
// source store's own CRC32C matched the manifest, so bytes read that do
// not were damaged on the way and are worth reading again. A destination
// that takes chunked uploads gets one (chunked.go), which holds no chunk.
func (c *copier) stream(ctx context.Context, key string, f manifest.File, want uint32, srcChecked bool) error {
	if _, ok := c.dst.Driver().(objstore.ChunkedUploader); ok {
		return c.streamChunked(ctx, key, f, want, srcChecked)
	}
	up := uploadFor(c.cfg, f.StoredBytes)
	release, err := c.mem.reserve(ctx, up.memory())
	if err != nil {
		return err
	}
	defer release()

	r, err := c.src.NewReader(ctx, key)
	if err != nil {
		return sourceReadErr(key, err)
	}
	defer r.Close()
	w, err := c.dst.NewWriter(ctx, key, &objstore.WriterOptions{
		CRC32C: want, HasCRC32C: true, Size: f.StoredBytes,
		StorageClass: c.cfg.StorageClass, PartSize: int(up.partSize), Concurrency: up.concurrency,
	})
	if err != nil {
		return fmt.Errorf("write destination: %w", err)
	}
	m := newMeter(ctx, io.LimitReader(r, f.StoredBytes+1), c.limit, c.run)
	buf := copyBufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(w, m, *buf)
	copyBufPool.Put(buf)
	if err != nil {
		m.uncount()
		_ = w.Abort()
		return fmt.Errorf("copy: %w", err)
	}
	if m.n != f.StoredBytes || m.crc.Sum32() != want {
		m.uncount()
		_ = w.Abort()
		err := fault.Verify(&MismatchError{Key: key, Where: "source", WantSize: f.StoredBytes, GotSize: m.n,
			WantCRC32C: f.CRC32C, GotCRC32C: crcHex(m.crc.Sum32()), WantSHA256: f.SHA256,
			Detail: "as read from the source; nothing stored at the destination"})
		if srcChecked {
			return storeMismatch{err}
		}
		return err
	}
	if err := w.Close(); err != nil {
		m.uncount()
		var ce *objstore.ChecksumError
		if errors.As(err, &ce) {
			// The bytes were right when sent: damaged on the way in.
			return storeMismatch{err}
		}
		return fmt.Errorf("write destination: %w", err)
	}
	if got := w.Sum().SHA256Hex(); got != f.SHA256 {
		m.uncount()
		e := &MismatchError{Key: key, Where: "source", WantSize: f.StoredBytes, GotSize: m.n,
			WantCRC32C: f.CRC32C, GotCRC32C: crcHex(m.crc.Sum32()), WantSHA256: f.SHA256, GotSHA256: got}
		e.Detail = c.deleteBad(key)
		return fault.Verify(e)
	}
	return nil
}
