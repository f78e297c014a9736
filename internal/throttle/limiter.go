package throttle

import (
	"context"
	"fmt"
	"math"

	"golang.org/x/time/rate"
)

// Limiter caps a rate of units per second (rows, operations) with a token
// bucket. A nil *Limiter, or one made with a rate <= 0, does not limit.
type Limiter struct {
	l *rate.Limiter
}

// NewLimiter returns a limiter allowing perSecond units per second with
// bursts of up to burst units (burst <= 0 means one second's worth, at
// least 1). perSecond <= 0 returns nil: no limit.
func NewLimiter(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 || math.IsInf(perSecond, 1) || math.IsNaN(perSecond) {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Ceil(perSecond))
		if burst < 1 {
			burst = 1
		}
	}
	return &Limiter{l: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Wait blocks until n units may proceed, or ctx is done. n larger than the
// burst is taken in burst-sized pieces, so large batches are allowed but
// still paced.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if l == nil || n <= 0 {
		return ctx.Err()
	}
	b := l.l.Burst()
	for n > 0 {
		take := min(n, b)
		if err := l.l.WaitN(ctx, take); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rate limit: %w", err)
		}
		n -= take
	}
	return nil
}

// Rate returns the limit in units per second (0 when unlimited).
func (l *Limiter) Rate() float64 {
	if l == nil {
		return 0
	}
	return float64(l.l.Limit())
}
