package dynamodb

import (
	"context"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/throttle"
)

// capacityBucket holds the read capacity units all segments of this
// process share: it refills at rate units a second up to one second's
// worth, a request waits while the bucket is in debt, and each answer
// takes the capacity DynamoDB says it consumed (ConsumedCapacity), which
// may run the bucket into debt. So over any minute the consumed capacity
// stays within a second's worth of rate × elapsed.
type capacityBucket struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newCapacityBucket(rate float64) *capacityBucket {
	return &capacityBucket{rate: rate, tokens: rate, now: time.Now, last: time.Now()}
}

func (b *capacityBucket) refillLocked() {
	now := b.now()
	b.tokens = min(b.rate, b.tokens+b.rate*now.Sub(b.last).Seconds())
	b.last = now
}

// wait blocks until the bucket is out of debt (nil bucket: at once).
func (b *capacityBucket) wait(ctx context.Context) error {
	if b == nil {
		return nil
	}
	for {
		b.mu.Lock()
		b.refillLocked()
		debt := -b.tokens
		b.mu.Unlock()
		if debt < 0 {
			return nil
		}
		d := time.Duration((debt/b.rate)*float64(time.Second)) + time.Millisecond
		if err := throttle.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take charges consumed units.
func (b *capacityBucket) take(units float64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked()
	b.tokens -= units
}
