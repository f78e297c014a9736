package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// BenchmarkControllerAcquireRelease measures the per-operation overhead of
// the controller under contention (it is taken once per query or batch).
func BenchmarkControllerAcquireRelease(b *testing.B) {
	c := NewController(Config{Min: 1, Max: 64, Initial: 16, TargetLatency: time.Second}, report.New("bench"), nil)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			c.Release(time.Millisecond, OK)
		}
	})
}
