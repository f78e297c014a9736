package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiterUnlimited(t *testing.T) {
	for _, r := range []float64{0, -1} {
		l := NewLimiter(r, 0)
		if l != nil {
			t.Fatalf("NewLimiter(%v) = %v, want nil", r, l)
		}
		if err := l.Wait(context.Background(), 1_000_000); err != nil || l.Rate() != 0 {
			t.Fatalf("nil limiter: err %v rate %v", err, l.Rate())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var l *Limiter
	if err := l.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("nil limiter ignores a done context: %v", err)
	}
}

func TestLimiterPacesLargeRequests(t *testing.T) {
	l := NewLimiter(1000, 10) // 1000/s, burst 10
	if l.Rate() != 1000 {
		t.Fatalf("rate = %v", l.Rate())
	}
	start := time.Now()
	// 60 units with a burst of 10: the first 10 are free, the other 50 take
	// 50ms at 1000/s. A request above the burst must not fail.
	if err := l.Wait(context.Background(), 60); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("60 units at 1000/s (burst 10) took %v, want >= ~50ms", el)
	}
}

func TestLimiterCancel(t *testing.T) {
	l := NewLimiter(1, 1)
	if err := l.Wait(context.Background(), 1); err != nil { // uses the burst
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.Wait(ctx, 1)
	if err == nil {
		t.Fatal("Wait past the deadline succeeded")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("Wait did not give up early")
	}
}

func TestLimiterDefaultBurst(t *testing.T) {
	if b := NewLimiter(2.5, 0).l.Burst(); b != 3 {
		t.Fatalf("burst = %d, want 3", b)
	}
	if b := NewLimiter(0.1, 0).l.Burst(); b != 1 {
		t.Fatalf("burst = %d, want 1", b)
	}
}
