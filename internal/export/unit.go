package export

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// pageQueue is how many read pages may wait for the encoder of one unit:
// a slow store slows the reads instead of growing memory.
const pageQueue = 2

// unitRun is one attempt at one unit: its ranges are read in order by a
// reader goroutine, and an encoder goroutine writes the rows into parts
// that roll at the target size.
type unitRun struct {
	x       *exporter
	unit    manifest.Unit
	attempt string
	ranges  []cql.Range
	keys    [][]cql.Raw // a key-list unit's keys
	seq     int
	part    *part
	files   []manifest.File
	rows    int64
}

type pageItem struct {
	rangeIdx int // index into the unit's ranges; -1 for a key's page
	page     *cql.Page
}

// errLimit ends a unit's reading when --limit-rows is reached.
var errLimit = errors.New("row limit reached")

func (x *exporter) newUnitRun(u manifest.Unit) (*unitRun, error) {
	r := &unitRun{x: x, unit: u, attempt: manifest.NewAttemptID()}
	if x.plan.Options.Mode == manifest.ModeKeys {
		keys, err := x.unitKeys(u)
		if err != nil {
			return nil, err
		}
		r.keys = keys
		return r, nil
	}
	for _, tr := range u.Ranges {
		start, err1 := x.ptn.ParseToken(tr.Start)
		end, err2 := x.ptn.ParseToken(tr.End)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("unit %s: %w", u.ID, err)
		}
		// The replicas of the ring range holding the range's first token.
		first := new(big.Int).Add(start, big.NewInt(1))
		r.ranges = append(r.ranges, cql.Range{Start: start, End: end, Replicas: x.ring.Replicas(first)})
	}
	return r, nil
}

// read scans the unit's ranges (or keys) and hands their pages to the
// encoder.
func (u *unitRun) read(ctx context.Context, out chan<- pageItem) error {
	defer close(out)
	limit := u.x.cfg.LimitRows
	var n int64
	send := func(idx int) func(p *cql.Page) error {
		return func(p *cql.Page) error {
			last := false
			if limit > 0 && n+int64(len(p.Rows)) >= limit {
				p.Rows = p.Rows[:limit-n]
				last = true
			}
			n += int64(len(p.Rows))
			select {
			case out <- pageItem{idx, p}:
			case <-ctx.Done():
				p.Release()
				return ctx.Err()
			}
			if last {
				return errLimit
			}
			return nil
		}
	}
	for i, key := range u.keys {
		before := n
		err := u.x.scanner.ScanKey(ctx, key, send(-1))
		if errors.Is(err, errLimit) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unit %s key %d: %w", u.unit.ID, u.unit.FirstKey+int64(i), err)
		}
		u.x.run.Add("keys_read", 1)
		if n == before {
			u.x.run.Add("keys_without_rows", 1)
		}
	}
	for i, r := range u.ranges {
		err := u.x.scanner.Scan(ctx, u.x.ptn, r, send(i))
		if errors.Is(err, errLimit) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unit %s: %w", u.unit.ID, err)
		}
	}
	return nil
}

// write encodes the pages' rows into parts.
func (u *unitRun) write(ctx context.Context, in <-chan pageItem) (err error) {
	defer func() {
		if err != nil {
			u.abortPart()
		}
	}()
	x := u.x
	var row format.Row
	if x.cfg.Writetime {
		row.Writetime = make([][]int64, len(x.cols))
	}
	if x.cfg.TTL {
		row.TTL = make([][]int64, len(x.cols))
	}
	var line []byte
	for it := range in {
		var bytes int64
		for i := range it.page.Rows {
			r := &it.page.Rows[i]
			row.Values = r.Values
			for ti, ci := range x.timed {
				if x.cfg.Writetime {
					if row.Writetime[ci], err = format.DecodeInt64s(x.wtTypes[ti], r.Writetime[ti]); err != nil {
						return fmt.Errorf("unit %s: writetime of %s: %w", u.unit.ID, x.cols[ci].Name, err)
					}
				}
				if x.cfg.TTL {
					if row.TTL[ci], err = format.DecodeInt64s(x.ttlTypes[ti], r.TTL[ti]); err != nil {
						return fmt.Errorf("unit %s: ttl of %s: %w", u.unit.ID, x.cols[ci].Name, err)
					}
				}
			}
			if line, err = x.enc.AppendRow(line[:0], &row); err != nil {
				return fmt.Errorf("unit %s: encode row: %w", u.unit.ID, err)
			}
			if u.part == nil {
				if err := u.openPart(ctx, it.page.ReadAt); err != nil {
					return err
				}
			}
			if err := u.part.pw.WriteRow(line); err != nil {
				return fmt.Errorf("unit %s: %w", u.unit.ID, err)
			}
			if it.rangeIdx >= 0 {
				u.part.ranges[it.rangeIdx] = true
			}
			bytes += int64(len(line))
			if u.part.pw.StoredBytes() >= x.cfg.PartBytes {
				if err := u.closePart(); err != nil {
					return err
				}
			}
		}
		u.rows += int64(len(it.page.Rows))
		x.run.Add("rows", int64(len(it.page.Rows)))
		x.run.Add("bytes", bytes)
		it.page.Release()
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
	started := u.x.cfg.Now()
	items := make(chan pageItem, pageQueue)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return u.read(gctx, items) })
	g.Go(func() error { return u.write(gctx, items) })
	if err := g.Wait(); err != nil {
		// Pages still queued are garbage now.
		for it := range items {
			it.page.Release()
		}
		return false, err
	}
	return u.x.commit(ctx, u, started)
}

// elapsed is a helper for logs.
func elapsed(since time.Time) time.Duration { return time.Since(since).Round(time.Millisecond) }
