package export

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
)

// pageQueue is how many read pages may wait for the encoder of one unit:
// a slow store slows the reads instead of growing memory.
const pageQueue = 2

// unitRun is one attempt at one unit: the source scans it in a reader
// goroutine, and an encoder goroutine writes the rows into parts that
// roll at the target size. A unit whose pages carry resume points (see
// source.Page.Next) commits its progress at every part it completes
// (progress.go), so a later attempt resumes there.
type unitRun struct {
	x       *exporter
	unit    manifest.Unit
	attempt string
	keys    [][]byte // a key-list unit's stored keys
	seq     int
	part    *part
	files   []manifest.File
	rows    int64
	started time.Time

	// Resumable units only: where the scan starts (the last progress
	// commit's Next), the number of that commit (0: none), and the
	// resume point after the last page written (nil: none yet).
	resume   []byte
	progress int
	next     []byte
	// lastProgress is when the unit's progress was last committed (or
	// the attempt began).
	lastProgress time.Time
}

type pageItem struct {
	page *source.Page
	n    int // rows of the page to write (fewer at the row limit)
}

// errLimit ends a unit's reading when --limit-rows is reached.
var errLimit = errors.New("row limit reached")

func (x *exporter) newUnitRun(u manifest.Unit) (*unitRun, error) {
	r := &unitRun{x: x, unit: u, attempt: manifest.NewAttemptID(), started: x.cfg.Now(), lastProgress: time.Now()}
	if x.plan.Options.Mode == manifest.ModeKeys {
		keys, err := x.unitKeys(u)
		if err != nil {
			return nil, err
		}
		r.keys = keys
	}
	return r, nil
}

// read scans the unit and hands its pages to the encoder.
func (u *unitRun) read(ctx context.Context, out chan<- pageItem) error {
	defer close(out)
	limit := u.x.cfg.LimitRows
	n := u.rows
	err := u.x.scanner.Scan(ctx, source.Unit{Unit: u.unit, Keys: u.keys, Resume: u.resume}, func(p *source.Page) error {
		k := p.Rows.Len()
		last := false
		if limit > 0 && n+int64(k) >= limit {
			k = int(limit - n)
			last = true
		}
		n += int64(k)
		if err := u.x.budget.pages.hold(ctx, p); err != nil {
			p.Done()
			return err
		}
		select {
		case out <- pageItem{p, k}:
		case <-ctx.Done():
			p.Done()
			return ctx.Err()
		}
		if last {
			return errLimit
		}
		return nil
	})
	if errors.Is(err, errLimit) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unit %s: %w", u.unit.ID, err)
	}
	return nil
}

// write encodes the pages' rows into parts. A part rolls at the target
// size: right away for sources that cannot resume inside a unit; for
// those that can, at the end of the page (so that a progress commit ends
// on a page boundary), and also when Config.ProgressInterval has passed
// since the unit's last progress commit (the compressor holds up to a
// block before the stored size grows, and a slow, throttled scan should
// not lose minutes of reading to a kill).
func (u *unitRun) write(ctx context.Context, in <-chan pageItem) (err error) {
	var p *source.Page // the page being written, given back on a failure
	defer func() {
		if err != nil {
			u.abortPart()
			if p != nil {
				p.Done()
			}
		}
	}()
	x := u.x
	var line []byte
	for it := range in {
		p = it.page
		resumable := p.Next != nil
		var bytes int64
		for i := range it.n {
			if line, err = p.Rows.AppendRow(line[:0], i); err != nil {
				return fmt.Errorf("unit %s: encode row: %w", u.unit.ID, err)
			}
			if u.part == nil {
				if err := u.openPart(ctx, p.ReadAt); err != nil {
					return err
				}
			}
			if err := u.part.pw.WriteRow(line); err != nil {
				return fmt.Errorf("unit %s: %w", u.unit.ID, err)
			}
			if p.Range >= 0 {
				u.part.ranges[p.Range] = true
			}
			bytes += int64(len(line))
			if !resumable && u.part.pw.StoredBytes() >= x.cfg.PartBytes {
				if err := u.closePart(); err != nil {
					return err
				}
			}
		}
		u.rows += int64(it.n)
		x.run.Add("rows", int64(it.n))
		x.run.Add("bytes", bytes)
		next := p.Next
		p.Done()
		p = nil
		if !resumable {
			continue
		}
		u.next = next
		if u.part != nil && (u.part.pw.StoredBytes() >= x.cfg.PartBytes || time.Since(u.lastProgress) >= x.cfg.ProgressInterval) {
			if err := u.closePart(); err != nil {
				return err
			}
			if err := u.saveProgress(ctx); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.part != nil {
		return u.closePart()
	}
	return nil
}

// do reads and writes the unit, then commits it. It reports whether this
// attempt's commit is the unit's commit.
func (u *unitRun) do(ctx context.Context) (won bool, err error) {
	if err := u.loadProgress(ctx); err != nil {
		return false, err
	}
	items := make(chan pageItem, pageQueue)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return u.read(gctx, items) })
	g.Go(func() error { return u.write(gctx, items) })
	if err := g.Wait(); err != nil {
		// Pages still queued are garbage now.
		for it := range items {
			it.page.Done()
		}
		return false, err
	}
	return u.x.commit(ctx, u, u.started)
}

// elapsed is a helper for logs.
func elapsed(since time.Time) time.Duration { return time.Since(since).Round(time.Millisecond) }
