package bigtable

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/internal/load"
)

// entryRetries is how many times Write resends the entries of a request
// that failed with a retryable code, alone, before handing the batch back
// to the loader as overloaded (which backs off and sends it again whole:
// harmless, every cell is named by key, qualifier and timestamp).
const entryRetries = 4

// entryBackoff is the first wait before resending failed entries.
var entryBackoff = 100 * time.Millisecond

// entryError is a MutateRows entry that failed; it carries the entry's
// status so Classify can judge it.
type entryError struct {
	key    []byte
	failed int // entries still failed
	err    error
}

func (e *entryError) Error() string {
	return fmt.Sprintf("%d entries failed, first row key %q: %v", e.failed, e.key, e.err)
}

func (e *entryError) Unwrap() error { return e.err }

// Write sends one batch as one MutateRows request, then resends only
// the entries that failed with a retryable code.
func (tb *Table) Write(ctx context.Context, b *load.Batch) error {
	entries := make([]*entry, len(b.Mutations))
	for i := range b.Mutations {
		entries[i] = b.Mutations[i].Op.(*entry)
	}
	for try := 0; ; try++ {
		errs, err := tb.w.mutateRows(ctx, entries)
		if err != nil {
			return err
		}
		var failed []*entry
		var first *entryError
		for i, e := range errs {
			if e == nil {
				continue
			}
			if !retryable(e) {
				// The loader splits the batch down to this row and keeps
				// it in the part's reject file.
				return &entryError{key: entries[i].key, failed: 1, err: e}
			}
			if first == nil {
				first = &entryError{key: entries[i].key, err: e}
			}
			failed = append(failed, entries[i])
		}
		if first == nil {
			return nil
		}
		first.failed = len(failed)
		tb.t.run.Add("bigtable_entries_failed", int64(len(failed)))
		if try >= entryRetries {
			return first
		}
		tb.t.run.Add("bigtable_entries_retried", int64(len(failed)))
		wait := entryBackoff << try
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		tb.t.logger.Warn("resending failed entries", "entries", len(failed), "of", len(entries), "wait", wait, "err", first.err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		entries = failed
	}
}

// retryable reports codes that say nothing was wrong with the entry.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted, codes.Internal:
		return true
	}
	return false
}

// Classify maps Bigtable errors to what the loader does about them.
func (tb *Table) Classify(err error) load.ErrorKind {
	if errors.Is(err, context.Canceled) {
		return load.Fatal
	}
	if errors.Is(err, context.DeadlineExceeded) || retryable(err) {
		return load.Overloaded
	}
	if status.Code(err) == codes.InvalidArgument {
		msg := strings.ToLower(status.Convert(unwrapStatus(err)).Message())
		if strings.Contains(msg, "too many mutations") || strings.Contains(msg, "too large") || strings.Contains(msg, "exceeds") {
			return load.TooLarge
		}
		return load.Rejected
	}
	return load.Fatal
}

// unwrapStatus finds the gRPC status error inside err.
func unwrapStatus(err error) error {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Err()
	}
	return err
}
