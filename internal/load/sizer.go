package load

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/lading-dev/lading/internal/report"
)

// sizer adapts the byte size of batches with AIMD, within the target's
// hard limit: it grows while full batches succeed and halves on overload
// or when the target says a batch is too large. Every change is logged
// and recorded as a "batch_size" event; the gauge batch_bytes_limit
// follows the current value.
type sizer struct {
	mu       sync.Mutex
	cur      int
	min, max int
	step     int
	streak   int
	run      *report.Run
	logger   *slog.Logger
}

// growAfter is how many full batches must succeed in a row before the
// size grows by one step.
const growAfter = 16

func newSizer(l Limits, capBytes int, run *report.Run, logger *slog.Logger) *sizer {
	hard := l.MaxBytes
	if capBytes > 0 && capBytes < hard {
		hard = capBytes
	}
	lo := max(l.MinBytes, 1)
	if lo > hard {
		lo = hard
	}
	init := l.InitialBytes
	if init <= 0 || init > hard {
		init = hard
	}
	init = max(init, lo)
	s := &sizer{cur: init, min: lo, max: hard, step: max(hard/16, 256), run: run, logger: logger}
	run.Set("batch_bytes_limit", int64(init))
	run.Set("batch_bytes_hard_limit", int64(hard))
	run.Event("batch_size", "from", 0, "to", init, "reason", fmt.Sprintf("initial; hard limit %d bytes", hard))
	logger.Info("batch size", "bytes", init, "hard_limit", hard)
	return s
}

// limit returns the current batch size limit in bytes.
func (s *sizer) limit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// ok reports a batch that succeeded; full says it was cut by the limit.
func (s *sizer) ok(full bool) {
	if !full {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streak++
	if s.streak < growAfter || s.cur >= s.max {
		return
	}
	s.streak = 0
	s.setLocked(min(s.cur+s.step, s.max), fmt.Sprintf("%d full batches succeeded", growAfter))
}

// shrink halves the limit (not below the minimum).
func (s *sizer) shrink(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streak = 0
	to := max(s.cur/2, s.min)
	if to != s.cur {
		s.setLocked(to, reason)
	}
}

func (s *sizer) setLocked(to int, reason string) {
	from := s.cur
	s.cur = to
	s.run.Set("batch_bytes_limit", int64(to))
	s.run.Event("batch_size", "from", from, "to", to, "reason", reason)
	s.logger.Info("batch size", "from", from, "to", to, "reason", reason)
	if to < from {
		s.run.Add("batch_size_decreases", 1)
	} else {
		s.run.Add("batch_size_increases", 1)
	}
}
