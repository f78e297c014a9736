package cassandra

import (
	"context"
	"errors"
	"math"
	"net"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
)

// A counter claim is a lease: its holder may write while it can prove
// the claim held, and another loader takes it over once its heartbeat is
// stale. Cassandra cannot refuse a stale holder's increments (counter
// updates take no condition and no timestamp), so the holder fences
// itself, and the taker waits out what the holder may still have sent:
//
//   - the lease runs to half the stale time after the last renewal that
//     was applied, counted from when that renewal was sent, on the
//     monotonic clock (which runs on while the process is paused);
//   - counter writes go through a session of their own whose
//     connections refuse every byte once the lease has run out: a loader
//     paused (SIGSTOP, a long GC, a frozen VM) and resumed sends nothing
//     that was not on the wire before it stopped;
//   - a loader that takes a claim over waits the stale time plus
//     writeSettle before it touches the table: what the previous holder
//     put on the wire in time has been applied, or dropped, by then.

// writeSettle bounds how long a sent counter write may take to be
// applied or dropped: the driver's request timeout (cql.Connect's 30s),
// above Cassandra's own write and queueing timeouts.
const writeSettle = 30 * time.Second

// errLeaseExpired is what a fenced connection returns once its claim's
// lease has run out.
var errLeaseExpired = errors.New("the counter claim can no longer be proven held: nothing more is sent")

// lease is when a claim's holder must stop writing, on the monotonic
// clock.
type lease struct {
	base  time.Time
	until atomic.Int64 // nanoseconds since base
}

func newLease() *lease { return &lease{base: time.Now()} }

// now is the lease's clock: a renewal notes it before it is sent.
func (l *lease) now() time.Duration { return time.Since(l.base) }

// extend moves the end to sent+d (never back).
func (l *lease) extend(sent, d time.Duration) {
	end := int64(sent + d)
	for {
		cur := l.until.Load()
		if end <= cur || l.until.CompareAndSwap(cur, end) {
			return
		}
	}
}

// end ends the lease at once, for good.
func (l *lease) end() { l.until.Store(math.MinInt64) }

// valid reports whether the holder may still write.
func (l *lease) valid() bool { return int64(l.now()) < l.until.Load() }

// fencedConn refuses to write once its lease has run out.
type fencedConn struct {
	net.Conn
	l *lease
}

func (c *fencedConn) Write(p []byte) (int, error) {
	if !c.l.valid() {
		c.Conn.Close()
		return 0, errLeaseExpired
	}
	return c.Conn.Write(p)
}

// fencedSession opens a session whose connections are fenced by l.
func (t *Target) fencedSession(ctx context.Context, l *lease) (*cql.Session, error) {
	opts := t.connOpts
	opts.NumConns = 1
	opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !l.valid() {
			return nil, errLeaseExpired
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &fencedConn{Conn: c, l: l}, nil
	}
	return cql.Connect(ctx, t.cfg, opts)
}

// counterSession returns the session counter writes go through: the
// held claim's fenced one.
func (tb *Table) counterSession() (*gocql.Session, error) {
	c := tb.claim.Load()
	if c == nil || !c.lease.valid() {
		return nil, errLeaseExpired
	}
	return c.sess.Driver(), nil
}
