package load

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
)

// Resend is how a target whose requests answer per item (Bigtable's
// MutateRows entries, Spanner's BatchWrite mutation groups) sends again
// only the items that failed for a reason that says nothing about the
// item itself, before giving the batch back to the loader. Every item is
// an idempotent write of whole cells or rows, so an item sent twice
// leaves what it left once.
type Resend struct {
	// Tries is how many times failed items are sent again.
	Tries int
	// Backoff is the first wait before that; it doubles each time, with
	// jitter.
	Backoff time.Duration
	// Retryable reports an item's error worth sending again.
	Retryable func(error) bool
	// Name prefixes the run's counters (NAME_failed, NAME_retried).
	Name   string
	Run    *report.Run
	Logger *slog.Logger
}

// ItemError is an item that failed: Index is its position in the batch,
// Failed how many items were still failed when the sending stopped.
type ItemError struct {
	Index  int
	Failed int
	Err    error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("%d items failed, first item %d: %v", e.Failed, e.Index, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// Do sends items 0..n-1 with send, which returns each sent item's error
// (nil when applied) in the order of idx, or the error of the whole
// call. It returns nil once every item is applied, the call's error, or
// an *ItemError: at once for an item failed for a reason not retryable,
// after Tries resends for the others.
func (r Resend) Do(ctx context.Context, n int, send func(ctx context.Context, idx []int) ([]error, error)) error {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for try := 0; ; try++ {
		errs, err := send(ctx, idx)
		if err != nil {
			return err
		}
		var failed []int
		var first *ItemError
		for i, e := range errs {
			if e == nil {
				continue
			}
			if !r.Retryable(e) {
				// The loader splits the batch down to this item and keeps
				// it in the part's reject file.
				return &ItemError{Index: idx[i], Failed: 1, Err: e}
			}
			if first == nil {
				first = &ItemError{Index: idx[i], Err: e}
			}
			failed = append(failed, idx[i])
		}
		if first == nil {
			return nil
		}
		first.Failed = len(failed)
		r.Run.Add(r.Name+"_failed", int64(len(failed)))
		if try >= r.Tries {
			return first
		}
		r.Run.Add(r.Name+"_retried", int64(len(failed)))
		wait := r.Backoff << try
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		if r.Logger != nil {
			r.Logger.Warn("resending failed items", "items", len(failed), "of", len(idx), "wait", wait, "err", first.Err.Error())
		}
		if err := throttle.Sleep(ctx, wait); err != nil {
			return err
		}
		idx = failed
	}
}
