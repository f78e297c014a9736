package cassandra

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/throttle"
)

// meta runs one metadata read (the table's schema, the WRITETIME probe,
// the ring, size estimates, the list of tables) with the page requests'
// retry policy and --retry-for: these reads happen when a run starts, at
// every table of a --tables run and when a scanner opens, and a node
// that restarts just then must be waited for as it is mid-scan, not
// fail the run.
func (c *Source) meta(ctx context.Context, op string, fn func(context.Context) error) error {
	policy := cql.DefaultRetry
	policy.For = c.opts.RetryFor
	return throttle.Retry(ctx, policy, cql.RetryableIn(ctx, metaRetryable), c.opts.Logger, c.opts.Run, op, fn)
}

// metaRetryable is narrower than cql.IsRetryable, which takes any error
// that is not the server's as the network's: a metadata read also fails
// on what it finds (a type it cannot parse, a ring it cannot build), and
// reading that again for minutes would only delay the error. Only the
// server's retryable answers and the driver's lost hosts and connections
// (a connection cut mid-frame: EOF) and timeouts are retried.
func metaRetryable(err error) bool {
	if !cql.IsRetryable(err) {
		return false
	}
	var re gocql.RequestError
	var ne net.Error
	return errors.As(err, &re) || errors.As(err, &ne) ||
		errors.Is(err, gocql.ErrNoConnections) || errors.Is(err, gocql.ErrTimeoutNoResponse) ||
		errors.Is(err, gocql.ErrConnectionClosed) || errors.Is(err, gocql.ErrNoStreams) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
