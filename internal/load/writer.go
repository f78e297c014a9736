package load

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
)

// maxAttempts bounds the tries of one batch that keeps timing out.
const maxAttempts = 8

// reject is one refused row.
type reject struct {
	Line  int64  `json:"line"`
	Error string `json:"error"`
	Row   string `json:"row"`
}

// partTracker follows the batches of one part through the pool.
type partTracker struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
	rejects map[int64]reject
	muts    int64
}

func (t *partTracker) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

func (t *partTracker) failed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *partTracker) reject(m Mutation, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rejects == nil {
		t.rejects = map[int64]reject{}
	}
	if _, dup := t.rejects[m.Line]; dup {
		return
	}
	// The row's text is read again from the part once the part is
	// written (fillRejectRows): keeping every queued row's text for the
	// rare reject doubled the memory of the queue.
	t.rejects[m.Line] = reject{Line: m.Line, Error: err.Error()}
}

// sortedRejects returns the part's rejects by line.
func (t *partTracker) sortedRejects() []reject {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]reject, 0, len(t.rejects))
	for _, r := range t.rejects {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// job is one batch on its way to the target.
type job struct {
	batch Batch
	full  bool
	part  *partTracker
	// weight is what the batch holds of the pool's byte budget, given
	// back once it is written (or has failed).
	weight int64
}

// pool writes batches with up to workers goroutines, as many requests in
// flight as the AIMD controller allows.
type pool struct {
	table  RowLoader
	id     Identity
	ctrl   *throttle.Controller
	sizer  *sizer
	run    *report.Run
	logger *slog.Logger
	jobs   chan *job
	wg     sync.WaitGroup
	// budget bounds the bytes of the batches queued and in flight
	// (Mutation.Bytes summed), so that memory does not grow with the
	// size of batches or of rows; maxWeight is its size.
	budget    *semaphore.Weighted
	maxWeight int64
	// backoff is the wait policy between tries of an overloaded batch.
	backoff throttle.Backoff
}

func newPool(ctx context.Context, table RowLoader, id Identity, workers int, queueBytes int64, sz *sizer, run *report.Run, logger *slog.Logger) *pool {
	workers = max(workers, 1)
	queueBytes = max(queueBytes, 1)
	ctrl := throttle.NewController(throttle.Config{
		Name:    "target",
		Min:     1,
		Max:     workers,
		Initial: workers,
	}, run, logger)
	p := &pool{
		table: table, id: id, ctrl: ctrl, sizer: sz, run: run, logger: logger,
		jobs:   make(chan *job, workers*2),
		budget: semaphore.NewWeighted(queueBytes), maxWeight: queueBytes,
		backoff: throttle.Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second},
	}
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				if ctx.Err() != nil {
					j.part.fail(ctx.Err())
				} else if j.part.failed() == nil {
					p.write(ctx, j)
				}
				p.budget.Release(j.weight)
				j.part.wg.Done()
			}
		}()
	}
	return p
}

// submit queues a batch of part t of size bytes, once the byte budget
// has room for it (a batch larger than the whole budget waits for the
// whole budget), or fails when ctx is done.
func (p *pool) submit(ctx context.Context, t *partTracker, b Batch, bytes int, full bool) error {
	w := min(int64(max(bytes, 1)), p.maxWeight)
	if err := p.budget.Acquire(ctx, w); err != nil {
		return err
	}
	t.wg.Add(1)
	select {
	case p.jobs <- &job{batch: b, full: full, part: t, weight: w}:
		return nil
	case <-ctx.Done():
		p.budget.Release(w)
		t.wg.Done()
		return ctx.Err()
	}
}

// close stops the workers after the queued batches.
func (p *pool) close() {
	close(p.jobs)
	p.wg.Wait()
}

// write sends one batch, retrying what is worth retrying, splitting what
// is too large and isolating rows the target refuses.
func (p *pool) write(ctx context.Context, j *job) {
	b := j.batch
	for {
		if err := p.ctrl.Acquire(ctx); err != nil {
			j.part.fail(err)
			return
		}
		start := time.Now()
		err := p.table.Write(ctx, &b)
		lat := time.Since(start)
		if err == nil {
			p.ctrl.Release(lat, throttle.OK)
			p.sizer.ok(j.full)
			p.run.Add("batches", 1)
			p.run.Add("mutations", int64(len(b.Mutations)))
			j.part.mu.Lock()
			j.part.muts += int64(len(b.Mutations))
			j.part.mu.Unlock()
			return
		}
		if ctx.Err() != nil {
			p.ctrl.Release(lat, throttle.Failed)
			j.part.fail(ctx.Err())
			return
		}
		kind := p.table.Classify(err)
		switch kind {
		case Overloaded:
			p.ctrl.Release(lat, throttle.Overloaded)
			p.run.Add("write_timeouts", 1)
			if len(b.Mutations) > 1 {
				p.sizer.shrink("overloaded: " + err.Error())
			}
			b.Attempt++
			if b.Attempt >= maxAttempts {
				j.part.fail(fmt.Errorf("write to %s: giving up after %d attempts: %w", p.id, b.Attempt, err))
				return
			}
			p.run.Add("retries", 1)
			capped := p.backoff.Cap(b.Attempt - 1)
			wait := capped/2 + time.Duration(rand.Int64N(int64(capped/2)+1)) // jittered
			p.logger.Warn("retrying batch", "attempt", b.Attempt, "wait", wait, "err", err.Error())
			if err := throttle.Sleep(ctx, wait); err != nil {
				j.part.fail(err)
				return
			}
		case TooLarge, Rejected:
			p.ctrl.Release(lat, throttle.Failed)
			if kind == TooLarge {
				p.sizer.shrink("batch too large: " + err.Error())
			}
			if len(b.Mutations) > 1 {
				p.split(ctx, j, b)
				return
			}
			p.run.Add("rejects", 1)
			p.logger.Warn("row rejected", "line", b.Mutations[0].Line, "err", err.Error())
			j.part.reject(b.Mutations[0], err)
			return
		default:
			p.ctrl.Release(lat, throttle.Failed)
			j.part.fail(fmt.Errorf("write to %s: %w", p.id, err))
			return
		}
	}
}

// split writes a refused batch again in halves, down to single mutations.
func (p *pool) split(ctx context.Context, j *job, b Batch) {
	half := len(b.Mutations) / 2
	for _, ms := range [][]Mutation{b.Mutations[:half], b.Mutations[half:]} {
		if j.part.failed() != nil {
			return
		}
		p.run.Add("batch_splits", 1)
		p.write(ctx, &job{batch: Batch{Mutations: ms, Attempt: b.Attempt}, part: j.part})
	}
}

// batcher groups one part's mutations into batches under the limits.
type batcher struct {
	p      *pool
	t      *partTracker
	limits Limits
	cur    []Mutation
	bytes  int
}

func (bt *batcher) add(ctx context.Context, m Mutation) error {
	limit := bt.p.sizer.limit()
	if len(bt.cur) > 0 {
		switch {
		case bt.limits.SameGroup && m.Group != bt.cur[0].Group:
			if err := bt.flush(ctx, false); err != nil {
				return err
			}
		case bt.bytes+m.Bytes > limit,
			bt.limits.MaxMutations > 0 && len(bt.cur) >= bt.limits.MaxMutations:
			if err := bt.flush(ctx, true); err != nil {
				return err
			}
		}
	}
	bt.cur = append(bt.cur, m)
	bt.bytes += m.Bytes
	if bt.bytes >= limit {
		return bt.flush(ctx, true)
	}
	return nil
}

func (bt *batcher) flush(ctx context.Context, full bool) error {
	if len(bt.cur) == 0 {
		return nil
	}
	b, n := Batch{Mutations: bt.cur}, bt.bytes
	bt.cur, bt.bytes = nil, 0
	return bt.p.submit(ctx, bt.t, b, n, full)
}
