package cql

import (
	"context"
	"errors"
	"net"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/throttle"
)

// IsRetryable reports whether a request that failed with err may succeed
// if sent again: timeouts (the server's or the client's), unavailable,
// overloaded, bootstrapping, read failures, server errors, and lost
// connections. Syntax, invalid-request, authorization and configuration
// errors are permanent, and so is cancellation.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || fault.IsUsage(err) || fault.IsVerify(err) {
		return false
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeServer, gocql.ErrCodeUnavailable, gocql.ErrCodeOverloaded,
			gocql.ErrCodeBootstrapping, gocql.ErrCodeTruncate, gocql.ErrCodeReadTimeout,
			gocql.ErrCodeReadFailure, gocql.ErrCodeWriteTimeout, gocql.ErrCodeWriteFailure:
			return true
		}
		return false
	}
	// Client-side: no response in time, a closed connection, no host
	// reachable right now, network errors.
	return true
}

// RetryableIn wraps a retry predicate for requests made under ctx: the
// driver fails a request whose connection closes under it (a node going
// down) with context.Canceled although ctx is alive, and that request is
// worth sending again; a cancelled ctx still stops the retries.
func RetryableIn(ctx context.Context, isRetryable func(error) bool) func(error) bool {
	return func(err error) bool {
		if errors.Is(err, context.Canceled) && ctx.Err() == nil {
			return true
		}
		return isRetryable(err)
	}
}

// Outcome classifies a request's result for the throttle controller:
// timeouts, unavailable and overloaded answers say the cluster is under
// pressure; permanent errors say nothing about load.
func Outcome(err error) throttle.Outcome {
	if err == nil {
		return throttle.OK
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeUnavailable, gocql.ErrCodeOverloaded, gocql.ErrCodeReadTimeout,
			gocql.ErrCodeWriteTimeout, gocql.ErrCodeReadFailure, gocql.ErrCodeWriteFailure:
			return throttle.Overloaded
		}
		return throttle.Failed
	}
	var ne net.Error
	if errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return throttle.Overloaded
	}
	return throttle.Failed
}

// isInvalid reports an error Cassandra raised for a request it will never
// accept (bad CQL, unknown column, missing ALLOW FILTERING).
func isInvalid(err error) bool {
	var re gocql.RequestError
	if !errors.As(err, &re) {
		return false
	}
	switch re.Code() {
	case gocql.ErrCodeSyntax, gocql.ErrCodeInvalid, gocql.ErrCodeUnauthorized, gocql.ErrCodeConfig:
		return true
	}
	return false
}
