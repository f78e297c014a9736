package spanner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
)

// typeCode is the Spanner type of a kind (mutations carry no types on
// the wire; the client wants one for a GenericColumnValue).
func typeCode(k kind) sppb.TypeCode {
	switch k {
	case kInt:
		return sppb.TypeCode_INT64
	case kFloat32:
		return sppb.TypeCode_FLOAT32
	case kFloat64:
		return sppb.TypeCode_FLOAT64
	case kNumeric:
		return sppb.TypeCode_NUMERIC
	case kBool:
		return sppb.TypeCode_BOOL
	case kBytes:
		return sppb.TypeCode_BYTES
	case kTimestamp:
		return sppb.TypeCode_TIMESTAMP
	case kDate:
		return sppb.TypeCode_DATE
	case kJSON:
		return sppb.TypeCode_JSON
	}
	return sppb.TypeCode_STRING
}

func (c *column) pbType() *sppb.Type {
	if c.st.k == kArray {
		return &sppb.Type{Code: sppb.TypeCode_ARRAY, ArrayElementType: &sppb.Type{Code: typeCode(c.st.elem)}}
	}
	return &sppb.Type{Code: typeCode(c.st.k)}
}

// Write commits a batch of rows as InsertOrUpdate mutations in one
// transaction. A batch holding a refused row is not sent: the refusal
// comes back for the loader to split the batch and keep that row in the
// reject file.
func (tb *Table) Write(ctx context.Context, b *load.Batch) error {
	ms := make([]*spanner.Mutation, 0, len(b.Mutations))
	for _, m := range b.Mutations {
		o, ok := m.Op.(*op)
		if !ok {
			return fmt.Errorf("spanner: unknown mutation %T", m.Op)
		}
		if o.refused != nil {
			return o.refused
		}
		vals := make([]any, len(o.values))
		for i, v := range o.values {
			vals[i] = spanner.GenericColumnValue{Type: tb.cols[i].pbType(), Value: v}
		}
		ms = append(ms, spanner.InsertOrUpdate(tb.name, tb.colName, vals))
	}
	if len(ms) == 0 {
		return nil
	}
	if tb.t.batchWrite {
		return tb.batchWrite(ctx, ms)
	}
	// The client retries some answers (ABORTED, RESOURCE_EXHAUSTED) on
	// its own, without end: the deadline hands a commit that never
	// succeeds back to the loader's backoff and batch sizing.
	ctx, cancel := context.WithTimeout(ctx, CommitTimeout)
	defer cancel()
	_, err := tb.t.client.Apply(ctx, ms)
	return err
}

// CommitTimeout bounds one commit, the client's own retries included.
var CommitTimeout = 2 * time.Minute

// groupRetries is how many times batchWrite sends again the mutation
// groups that failed with a retryable code, alone, before handing the
// batch back to the loader as overloaded; groupBackoff is the first wait.
const groupRetries = 4

var groupBackoff = 100 * time.Millisecond

// batchWrite sends a batch with BatchWrite, each row a mutation group of
// its own: Spanner applies groups independently (each atomically, not
// all together) and answers for each, and only the groups that failed
// are sent again. The idempotence argument is the commit's: a group is
// an InsertOrUpdate of a full row, so a group applied twice, or applied
// although its answer was lost, leaves the same row; the ledger records
// the part only once every group of every batch is answered applied.
func (tb *Table) batchWrite(ctx context.Context, ms []*spanner.Mutation) error {
	ctx, cancel := context.WithTimeout(ctx, CommitTimeout)
	defer cancel()
	r := load.Resend{Tries: groupRetries, Backoff: groupBackoff, Retryable: retryableGroup, Name: "spanner_groups", Run: tb.t.run, Logger: tb.t.logger}
	err := r.Do(ctx, len(ms), func(ctx context.Context, idx []int) ([]error, error) {
		groups := make([]*spanner.MutationGroup, len(idx))
		for j, i := range idx {
			groups[j] = &spanner.MutationGroup{Mutations: []*spanner.Mutation{ms[i]}}
		}
		errs := make([]error, len(idx))
		answered := make([]bool, len(idx))
		err := tb.t.client.BatchWrite(ctx, groups).Do(func(resp *sppb.BatchWriteResponse) error {
			var gerr error
			if st := resp.GetStatus(); st != nil && codes.Code(st.Code) != codes.OK {
				gerr = status.ErrorProto(st)
			}
			for _, g := range resp.Indexes {
				if g < 0 || int(g) >= len(idx) {
					return fmt.Errorf("BatchWrite answered for group %d of %d", g, len(idx))
				}
				answered[g], errs[g] = true, gerr
			}
			return nil
		})
		if spanner.ErrCode(err) == codes.Unimplemented {
			return nil, fault.Usagef("spanner %s does not implement BatchWrite: load with write=commit (the default)", tb.t.db)
		}
		if err != nil {
			return nil, err
		}
		for j, ok := range answered {
			if !ok {
				// Not answered: it may or may not be applied; sent again.
				errs[j] = status.Error(codes.Unavailable, "BatchWrite ended without this group's status")
			}
		}
		return errs, nil
	})
	return err
}

// retryableGroup reports a group's answer that says nothing was wrong
// with the row.
func retryableGroup(err error) bool {
	switch spanner.ErrCode(err) {
	case codes.Aborted, codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.ResourceExhausted:
		return true
	}
	return false
}

// Classify maps Spanner's answers to what the loader does about them.
// Every write is an InsertOrUpdate of full rows, so a commit whose
// outcome is unknown is safe to send again.
func (tb *Table) Classify(err error) load.ErrorKind {
	if errors.Is(err, errRefused) {
		return load.Rejected
	}
	if errors.Is(err, context.Canceled) {
		return load.Fatal
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return load.Overloaded
	}
	switch spanner.ErrCode(err) {
	case codes.ResourceExhausted:
		// gRPC's own refusal of a message over the server's limit.
		if strings.Contains(err.Error(), "larger than max") {
			return load.TooLarge
		}
		return load.Overloaded
	case codes.Aborted, codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.Unknown:
		return load.Overloaded
	case codes.InvalidArgument:
		if tooLarge(err) {
			return load.TooLarge
		}
		return load.Rejected
	case codes.FailedPrecondition, codes.OutOfRange:
		return load.Rejected
	case codes.NotFound:
		// A transaction or session Spanner no longer knows, e.g. after
		// the client sent a commit again whose answer was lost: the
		// batch goes again in a new transaction (its InsertOrUpdates
		// leave the rows as once). A table or database not found stays
		// fatal.
		if s := strings.ToLower(err.Error()); strings.Contains(s, "transaction") || strings.Contains(s, "session") {
			return load.Overloaded
		}
	}
	return load.Fatal
}

// tooLarge recognises Spanner's refusals of a commit's size or mutation
// count (INVALID_ARGUMENT, like a bad value).
func tooLarge(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "too many mutations") || strings.Contains(s, "maximum total bytes-size") ||
		strings.Contains(s, "transaction is too large")
}
