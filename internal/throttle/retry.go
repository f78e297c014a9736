package throttle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

// Backoff is a retry policy: capped exponential backoff with full jitter.
// The n-th wait (from 0) is uniformly random in [0, min(Max, Initial*2^n)].
type Backoff struct {
	Initial  time.Duration // first backoff cap; default 100ms
	Max      time.Duration // cap of any one wait; default 30s
	Attempts int           // total tries including the first; default 5
	// For, when > 0, keeps retrying after the attempts ran out until this
	// long has passed since the first failure: a node restarting takes
	// longer than a few backoffs, and a run that waits for it loses
	// nothing. The bound of a retry is then max(For, the attempts).
	For time.Duration
}

// DefaultBackoff is the policy used where nothing more specific applies.
var DefaultBackoff = Backoff{Initial: 100 * time.Millisecond, Max: 30 * time.Second, Attempts: 5}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Attempts <= 0 {
		b.Attempts = DefaultBackoff.Attempts
	}
	return b
}

// Cap returns the upper bound of the wait after failed attempt n (0-based):
// min(Max, Initial*2^n).
func (b Backoff) Cap(n int) time.Duration {
	b = b.withDefaults()
	d := b.Initial
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// IsRetryable is the default retry predicate: everything except bad usage
// or input, failed verification, and cancellation. A deadline exceeded by
// one operation is a timeout and so retryable; Retry itself stops when its
// own ctx is done. Callers with more knowledge (e.g. a driver's errors)
// pass their own predicate.
func IsRetryable(err error) bool {
	return err != nil && !fault.IsUsage(err) && !fault.IsVerify(err) &&
		!errors.Is(err, context.Canceled)
}

// Retry calls fn until it succeeds, returns an error isRetryable rejects
// (nil means IsRetryable), the policy's attempts run out, or ctx is done.
// Each retry is logged at warn level naming op and the error (errors must
// carry no secrets; lading's never do) and counted as "retries" in run.
// A non-retryable error is returned unchanged; when attempts run out the
// last error is wrapped with op and the count, so errors.Is/As still work.
func Retry(ctx context.Context, policy Backoff, isRetryable func(error) bool, logger *slog.Logger, run *report.Run, op string, fn func(ctx context.Context) error) error {
	policy = policy.withDefaults()
	if isRetryable == nil {
		isRetryable = IsRetryable
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var err error
	var firstFail time.Time
	for attempt := 0; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				return cerr
			}
			return fmt.Errorf("%s: %w after %d attempts (last error: %v)", op, cerr, attempt, err)
		}
		err = fn(ctx)
		if err == nil || !isRetryable(err) {
			return err
		}
		if attempt == 0 {
			firstFail = time.Now()
		}
		failing := time.Since(firstFail)
		if attempt+1 >= policy.Attempts && failing >= policy.For {
			if policy.For > 0 {
				return fmt.Errorf("%s: giving up after %d attempts in %s: %w", op, attempt+1, failing.Round(time.Second), err)
			}
			return fmt.Errorf("%s: giving up after %d attempts: %w", op, attempt+1, err)
		}
		wait := jitter(policy.Cap(attempt))
		if policy.For > 0 {
			// Never past the deadline by more than one capped wait.
			wait = min(wait, max(policy.For-failing, policy.Cap(0)))
		}
		run.Add("retries", 1)
		of := any(policy.Attempts)
		if policy.For > 0 {
			of = fmt.Sprintf("%d or %s", policy.Attempts, policy.For)
		}
		logger.Warn("retrying", "op", op, "attempt", attempt+1, "of", of, "wait", wait.Round(time.Millisecond), "err", err.Error())
		if cerr := Sleep(ctx, wait); cerr != nil {
			return fmt.Errorf("%s: %w after %d attempts (last error: %v)", op, cerr, attempt+1, err)
		}
	}
}

// jitter returns a uniformly random duration in [0, d] ("full jitter").
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// Sleep waits d, or less if ctx is done first; it returns ctx's error
// then, nil after the full wait.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
