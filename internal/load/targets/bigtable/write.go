package bigtable

import (
	"context"
	"errors"
	"fmt"
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

// entryError is a MutateRows entry that failed; it names the entry's
// row key and carries its status so Classify can judge it.
type entryError struct {
	key []byte
	*load.ItemError
}

func (e *entryError) Error() string {
	return fmt.Sprintf("%d entries failed, first row key %q: %v", e.Failed, e.key, e.Err)
}

func (e *entryError) Unwrap() error { return e.ItemError }

// Write sends one batch as one MutateRows request, then resends only
// the entries that failed with a retryable code.
func (tb *Table) Write(ctx context.Context, b *load.Batch) error {
	entries := make([]*entry, len(b.Mutations))
	for i := range b.Mutations {
		entries[i] = b.Mutations[i].Op.(*entry)
	}
	r := load.Resend{Tries: entryRetries, Backoff: entryBackoff, Retryable: retryable, Name: "bigtable_entries", Run: tb.t.run, Logger: tb.t.logger}
	sent := make([]*entry, 0, len(entries))
	err := r.Do(ctx, len(entries), func(ctx context.Context, idx []int) ([]error, error) {
		sent = sent[:0]
		for _, i := range idx {
			sent = append(sent, entries[i])
		}
		return tb.w.mutateRows(ctx, sent)
	})
	var ie *load.ItemError
	if errors.As(err, &ie) {
		return &entryError{key: entries[ie.Index].key, ItemError: ie}
	}
	return err
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
