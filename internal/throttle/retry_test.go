package throttle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

var fast = Backoff{Initial: time.Microsecond, Max: 10 * time.Microsecond, Attempts: 4}

var errFlaky = errors.New("connection reset")

func TestRetryGivesUpAfterAttempts(t *testing.T) {
	var logs bytes.Buffer
	run := report.New("t")
	calls := 0
	err := Retry(context.Background(), fast, nil, slog.New(slog.NewTextHandler(&logs, nil)), run, "put part-1", func(context.Context) error {
		calls++
		return errFlaky
	})
	if calls != 4 {
		t.Fatalf("calls = %d, want 4", calls)
	}
	if !errors.Is(err, errFlaky) || !strings.Contains(err.Error(), "put part-1: giving up after 4 attempts") {
		t.Fatalf("err = %v", err)
	}
	if run.Counter("retries") != 3 {
		t.Fatalf("retries = %d, want 3", run.Counter("retries"))
	}
	if n := strings.Count(logs.String(), "msg=retrying"); n != 3 {
		t.Fatalf("%d retry log lines, want 3:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `op="put part-1"`) || !strings.Contains(logs.String(), `err="connection reset"`) {
		t.Fatalf("log lacks op or error: %s", logs.String())
	}
}

func TestRetrySucceedsEventually(t *testing.T) {
	run := report.New("t")
	calls := 0
	err := Retry(context.Background(), fast, nil, nil, run, "op", func(context.Context) error {
		calls++
		if calls < 3 {
			return errFlaky
		}
		return nil
	})
	if err != nil || calls != 3 || run.Counter("retries") != 2 {
		t.Fatalf("err %v calls %d retries %d", err, calls, run.Counter("retries"))
	}
}

func TestRetryStopsOnNonRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		pred func(error) bool
		err  error
	}{
		{"custom predicate", func(err error) bool { return !errors.Is(err, errFlaky) }, errFlaky},
		{"usage by default", nil, fault.Usagef("bad table name")},
		{"verify by default", nil, fault.Verifyf("crc mismatch")},
		{"canceled by default", nil, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := report.New("t")
			calls := 0
			err := Retry(context.Background(), fast, tc.pred, nil, run, "op", func(context.Context) error {
				calls++
				return tc.err
			})
			if calls != 1 || err != tc.err || run.Counter("retries") != 0 {
				t.Fatalf("calls %d err %v retries %d", calls, err, run.Counter("retries"))
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	if !IsRetryable(errFlaky) || !IsRetryable(context.DeadlineExceeded) {
		t.Fatal("transient errors must be retryable")
	}
	if IsRetryable(nil) || IsRetryable(fault.Usagef("x")) || IsRetryable(fault.Verifyf("x")) {
		t.Fatal("nil, usage and verify errors are not retryable")
	}
}

func TestRetryContextCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	err := Retry(ctx, Backoff{Initial: time.Hour, Max: time.Hour, Attempts: 5}, nil, nil, nil, "get manifest", func(context.Context) error {
		calls++
		time.AfterFunc(10*time.Millisecond, cancel)
		return errFlaky
	})
	if time.Since(start) > 5*time.Second {
		t.Fatal("Retry slept through cancellation")
	}
	// The wait is random in [0, 1h]; either it was cut short by the cancel
	// or (improbably) it was ~0 and the next loop saw the done context.
	if calls > 2 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "get manifest") ||
		!strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("calls %d err %v", calls, err)
	}
}

func TestRetryDoneContextBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := Retry(ctx, fast, nil, nil, nil, "op", func(context.Context) error { called = true; return nil })
	if called || !errors.Is(err, context.Canceled) {
		t.Fatalf("called %v err %v", called, err)
	}
}

func TestBackoffCap(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Attempts: 10}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.Cap(i); got != w*time.Millisecond {
			t.Errorf("Cap(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	if got := (Backoff{}).Cap(0); got != DefaultBackoff.Initial {
		t.Errorf("default Cap(0) = %v", got)
	}
	if got := (Backoff{}).Cap(100); got != DefaultBackoff.Max {
		t.Errorf("default Cap(100) = %v", got)
	}
}

func TestJitterRange(t *testing.T) {
	seenLow, seenHigh := false, false
	for i := 0; i < 2000; i++ {
		j := jitter(100)
		if j < 0 || j > 100 {
			t.Fatalf("jitter(100) = %d out of [0,100]", j)
		}
		seenLow = seenLow || j < 30
		seenHigh = seenHigh || j > 70
	}
	if !seenLow || !seenHigh {
		t.Fatal("jitter is not spread over [0, cap]")
	}
	if jitter(0) != 0 {
		t.Fatal("jitter(0) != 0")
	}
}

// TestRetryForOutlastsAttempts: with For set, a failure that lasts past
// the attempts but ends within For is waited out; one that lasts longer
// gives up, saying how long it tried.
func TestRetryForOutlastsAttempts(t *testing.T) {
	policy := fast
	policy.For = 300 * time.Millisecond
	start := time.Now()
	calls := 0
	err := Retry(context.Background(), policy, nil, nil, report.New("t"), "read", func(context.Context) error {
		calls++
		if time.Since(start) < 30*time.Millisecond {
			return errFlaky
		}
		return nil
	})
	if err != nil || calls <= policy.Attempts {
		t.Fatalf("err %v after %d calls; want success after more than %d", err, calls, policy.Attempts)
	}
	policy.For = 20 * time.Millisecond
	start = time.Now()
	err = Retry(context.Background(), policy, nil, nil, report.New("t"), "read", func(context.Context) error { return errFlaky })
	if !errors.Is(err, errFlaky) || !strings.Contains(err.Error(), "read: giving up after") || time.Since(start) < policy.For {
		t.Fatalf("err = %v after %s; want giving up after at least %s", err, time.Since(start), policy.For)
	}
}
