package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// DefaultRetry is how a Scan page that was throttled or failed
// transiently is requested again: up to 12 tries, backing off from 100ms
// to at most 20s (full jitter), with the same ExclusiveStartKey.
var DefaultRetry = throttle.Backoff{Initial: 100 * time.Millisecond, Max: 20 * time.Second, Attempts: 12}

// scanner reads a plan's segments.
type scanner struct {
	s        *Source
	plan     *manifest.Plan
	spec     source.ScanSpec
	segments int32
	bucket   *capacityBucket // nil: no capacity cap
	retry    throttle.Backoff
}

// Scanner checks the protection options against the table and builds
// the shared read-capacity bucket: --read-ratio of the provisioned read
// capacity, or --max-rcu, divided among the shards.
func (s *Source) Scanner(_ context.Context, plan *manifest.Plan, spec source.ScanSpec) (source.Scanner, error) {
	d := &plan.Source.DynamoDB
	p := spec.Protect
	shards := float64(max(1, p.Shards))
	x := &scanner{s: s, plan: plan, spec: spec, segments: int32(plan.Options.Segments), retry: DefaultRetry}
	x.retry.For = spec.RetryFor
	var rate float64
	switch {
	case p.ReadRatio > 0:
		if d.BillingMode != string(types.BillingModeProvisioned) || d.ReadCapacity <= 0 {
			return nil, fault.Usagef("--read-ratio: table %s is on demand (%s), it has no provisioned read capacity to share; use --max-rcu", d.Name, d.BillingMode)
		}
		rate = p.ReadRatio * float64(d.ReadCapacity) / shards
	case p.MaxRCU > 0:
		rate = p.MaxRCU / shards
	}
	if rate > 0 {
		x.bucket = newCapacityBucket(rate)
		spec.Logger.Info("read capacity capped", "rcu_per_second", rate, "shards", int(shards))
	}
	return x, nil
}

// Scan reads one segment page by page from its start or from u.Resume
// (a LastEvaluatedKey in DynamoDB JSON). Every page carries the key to
// resume after it in Next; the segment's last page carries none.
func (x *scanner) Scan(ctx context.Context, u source.Unit, emit func(*source.Page) error) error {
	seg, ok := manifest.ParseSegmentUnitID(u.ID)
	if !ok || seg >= int(x.segments) {
		return fault.Verifyf("unit %s is not a segment of %d", u.ID, x.segments)
	}
	var start map[string]types.AttributeValue
	if len(u.Resume) > 0 {
		item, err := format.DecodeDynamoItem(u.Resume)
		if err != nil {
			return fault.Verifyf("unit %s: resume key: %w", u.ID, err)
		}
		start = toAttributeMap(item)
	}
	for {
		in := &ddb.ScanInput{
			TableName:              aws.String(x.plan.Source.DynamoDB.Name),
			Segment:                aws.Int32(int32(seg)),
			TotalSegments:          aws.Int32(x.segments),
			ConsistentRead:         aws.Bool(x.plan.Options.Consistency == manifest.ConsistencyStrong),
			ExclusiveStartKey:      start,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		}
		if x.spec.PageSize > 0 {
			in.Limit = aws.Int32(int32(x.spec.PageSize))
		}
		out, readAt, err := x.page(ctx, in, u.ID)
		if err != nil {
			return err
		}
		page := &source.Page{Rows: &items{items: out.Items}, ReadAt: readAt, Range: -1}
		if len(out.LastEvaluatedKey) > 0 {
			next, err := format.AppendDynamoItem(nil, fromAttributeMap(out.LastEvaluatedKey))
			if err != nil {
				return fmt.Errorf("LastEvaluatedKey: %w", err)
			}
			page.Next = json.RawMessage(next[:len(next)-1])
		}
		if err := x.spec.Limiter.Wait(ctx, len(out.Items)); err != nil {
			return err
		}
		if err := emit(page); err != nil {
			return err
		}
		if page.Next == nil {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

// page requests one page: it waits for read capacity and a slot of the
// in-flight gate, retries throttled and transient failures with backoff
// (telling the gate, which halves its limit on throttling), and charges
// the capacity the page consumed.
func (x *scanner) page(ctx context.Context, in *ddb.ScanInput, unit string) (*ddb.ScanOutput, time.Time, error) {
	var out *ddb.ScanOutput
	var readAt time.Time
	run := x.spec.Run
	err := throttle.Retry(ctx, x.retry, retryable, x.spec.Logger, run, "scan "+unit, func(ctx context.Context) error {
		if err := x.bucket.wait(ctx); err != nil {
			return err
		}
		if g := x.spec.Gate; g != nil {
			if err := g.Acquire(ctx); err != nil {
				return err
			}
		}
		readAt = time.Now()
		o, err := x.s.client.Scan(ctx, in)
		if g := x.spec.Gate; g != nil {
			g.Release(time.Since(readAt), outcome(err))
		}
		if err != nil {
			run.Add("source_errors", 1)
			if isThrottled(err) {
				run.Add("throttled", 1)
			}
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		if isNotFound(err) {
			return nil, readAt, fault.Usagef("%s: the table is gone: %w", unit, err)
		}
		return nil, readAt, err
	}
	run.Add("pages", 1)
	if c := out.ConsumedCapacity; c != nil && c.CapacityUnits != nil {
		units := *c.CapacityUnits
		x.bucket.take(units)
		run.Add("consumed_rcu_milli", int64(units*1000))
	}
	return out, readAt, nil
}

// items encodes a page's items.
type items struct {
	items []map[string]types.AttributeValue
}

func (it *items) Len() int { return len(it.items) }

func (it *items) AppendRow(dst []byte, i int) ([]byte, error) {
	return format.AppendDynamoItem(dst, fromAttributeMap(it.items[i]))
}

// throttlingCodes are the error codes DynamoDB answers when it throttles.
var throttlingCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isThrottled(err error) bool { return throttlingCodes[errorCode(err)] }

func isNotFound(err error) bool { return errorCode(err) == "ResourceNotFoundException" }

// retryable: throttling, server errors and transport failures; not a
// request DynamoDB refuses as invalid.
func retryable(err error) bool {
	if !throttle.IsRetryable(err) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return isThrottled(err) || ae.ErrorFault() == smithy.FaultServer || ae.ErrorCode() == "InternalServerError"
	}
	return true
}

func outcome(err error) throttle.Outcome {
	switch {
	case err == nil:
		return throttle.OK
	case isThrottled(err), errors.Is(err, context.DeadlineExceeded):
		return throttle.Overloaded
	}
	return throttle.Failed
}
