package cassandra

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/throttle"
)

// How Count cuts the ring. The exporter's splits (cql.Splits) are
// reused: ring ranges (one per vnode) cut so that none holds more than
// countSliceBytes by the size estimates, and at least countMinSlices in
// all, so that a freshly loaded table (whose estimates the server has
// not computed yet) is still counted in many parallel requests.
const (
	countSliceBytes = 64 << 20
	countMinSlices  = 256
	// A slice that times out is counted again in countCuts pieces, down
	// to countMaxDepth cuts; a piece too small to cut is retried.
	countCuts     = 16
	countMaxDepth = 3
	// countInitial is the controller's first concurrency: a COUNT keeps
	// one read thread of a replica busy, so a few per node saturate it.
	countInitial = 8
)

// countProgress is how often a long count logs how far it got (tests
// shorten it).
var countProgress = 10 * time.Second

// countTimeout, when it returns more than 0, bounds one request of a
// slice at the given depth (0: a top-level slice) below the session's
// timeout. Only this package's tests set it, to make slices time out.
var countTimeout = func(depth int) time.Duration { return 0 }

// countBackoff is how a slice that failed with a retryable error is
// tried again.
var countBackoff = throttle.Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second, Attempts: 6}

// Count counts the table's rows: SELECT COUNT(*) per token slice, the
// slices covering the ring exactly once (wrap-around included), counted
// in parallel under a concurrency controller that backs off when the
// cluster times out. A slice adds to the total only once it was counted
// whole, so a retried or cut slice is never counted twice.
func (tb *Table) Count(ctx context.Context) (int64, error) {
	p, err := cql.PartitionerByName(tb.t.cluster.Partitioner)
	if err != nil {
		// Unknown partitioner: no token ranges to cut; one full count.
		var n int64
		err := tb.t.s.Query("SELECT COUNT(*) FROM "+tb.q).Consistency(tb.t.cons).ScanContext(ctx, &n)
		return n, err
	}
	ring, err := cql.ReadRing(ctx, tb.t.sess, p, tb.t.ks)
	if err != nil {
		// Without the ring the slices are cut from the whole token
		// range by width: still exact, only not aligned with vnodes.
		tb.t.logger.Debug("count: no token ring; slicing the whole range", "table", tb.q, "err", err)
		if ring, err = cql.BuildRing(p, nil, cql.Replication{}); err != nil {
			return 0, fmt.Errorf("count %s: %w", tb.q, err)
		}
	}
	est, err := cql.ReadEstimates(ctx, tb.t.sess, p, tb.t.ks, tb.name)
	if err != nil {
		// Only sizing suffers: slices are cut by token width.
		tb.t.logger.Debug("count: no size estimates", "table", tb.q, "err", err)
	}
	splits := cql.Splits(ring, est, cql.SplitOptions{MaxBytes: countSliceBytes, Min: countMinSlices})
	c := newRangeCounter(tb, p)
	return c.run(ctx, splits)
}

// rangeCounter counts token ranges of one table.
type rangeCounter struct {
	tb    *Table
	p     *cql.Partitioner
	stmt  string
	ctrl  *throttle.Controller
	total atomic.Int64 // rows of the slices counted whole
	done  atomic.Int64 // top-level slices counted
	cuts  atomic.Int64
}

func newRangeCounter(tb *Table, p *cql.Partitioner) *rangeCounter {
	tok := "token(" + strings.Join(quoted(tb.pk), ", ") + ")"
	workers := max(tb.t.workers, 1)
	return &rangeCounter{
		tb: tb, p: p,
		stmt: fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s > ? AND %s <= ?", tb.q, tok, tok),
		// Not recording into the run: its inflight_limit gauge and
		// throttle events are the load's; the count's changes are in
		// the log (controller=count).
		ctrl: throttle.NewController(throttle.Config{
			Name: "count", Min: 1, Max: workers, Initial: min(countInitial, workers),
		}, nil, tb.t.logger),
	}
}

// run counts every split, as many at a time as the controller allows,
// logging progress every countProgress.
func (c *rangeCounter) run(ctx context.Context, splits []cql.Split) (int64, error) {
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(countProgress)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.tb.t.logger.Info("counting", "table", c.tb.q, "slices", fmt.Sprintf("%d/%d", c.done.Load(), len(splits)),
					"rows_so_far", c.total.Load(), "concurrency", c.ctrl.Limit(), "elapsed", time.Since(start).Round(time.Second))
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	// The controller bounds the requests; the group only bounds the
	// goroutines waiting for it.
	g.SetLimit(max(c.tb.t.workers, 1))
	for _, s := range splits {
		g.Go(func() error {
			if err := c.count(gctx, s.Range, 0); err != nil {
				return err
			}
			c.done.Add(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	c.tb.t.run.Add("count_slices", int64(len(splits)))
	c.tb.t.run.Add("count_cuts", c.cuts.Load())
	c.tb.t.logger.Debug("counted", "table", c.tb.q, "slices", len(splits), "cuts", c.cuts.Load(), "took", time.Since(start).Round(time.Millisecond))
	return c.total.Load(), nil
}

// count counts r and adds it to the total once it has its whole count.
// A timeout cuts r into pieces counted one by one (each adding its own
// count); other retryable errors retry r with backoff.
func (c *rangeCounter) count(ctx context.Context, r cql.Range, depth int) error {
	canCut := depth < countMaxDepth && len(r.Cut(c.p, 2)) > 1
	retryable := func(err error) bool {
		if canCut && cql.Outcome(err) == throttle.Overloaded {
			return false // cut instead
		}
		return cql.IsRetryable(err)
	}
	var n int64
	err := throttle.Retry(ctx, countBackoff, retryable, c.tb.t.logger, c.tb.t.run, "count "+c.tb.q+" "+r.String(), func(ctx context.Context) error {
		var err error
		n, err = c.once(ctx, r, depth)
		return err
	})
	if err == nil {
		c.total.Add(n)
		return nil
	}
	if !canCut || cql.Outcome(err) != throttle.Overloaded {
		return fmt.Errorf("count %s in token range %s: %w", c.tb.q, r, err)
	}
	c.cuts.Add(1)
	c.tb.t.logger.Debug("count: slice timed out; counting it in pieces", "range", r.String(), "err", err)
	for _, piece := range r.Cut(c.p, countCuts) {
		if err := c.count(ctx, piece, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// once counts r in one request under the controller.
func (c *rangeCounter) once(ctx context.Context, r cql.Range, depth int) (int64, error) {
	if err := c.ctrl.Acquire(ctx); err != nil {
		return 0, err
	}
	if d := countTimeout(depth); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	lo, hi := r.Bounds(c.p)
	began := time.Now()
	var n int64
	err := c.tb.t.s.Query(c.stmt, lo, hi).Consistency(c.tb.t.cons).Idempotent(true).ScanContext(ctx, &n)
	c.ctrl.Release(time.Since(began), cql.Outcome(err))
	return n, err
}
