package cassandra

import (
	"context"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/schema"
)

// Counter tables cannot be loaded idempotently: an increment applied
// twice counts twice, and a timed-out increment may or may not have been
// applied. So a counter table loads all or nothing:
//
//   - one loader at a time holds the table's claim, a row of the small
//     table lading_claims in the target keyspace, taken with a
//     lightweight transaction (INSERT ... IF NOT EXISTS) and kept alive by
//     a heartbeat (a conditional UPDATE on the owner) every quarter of
//     the stale time (at most 20s). A claim whose heartbeat is older than
//     the stale time (DefaultStaleAfter, or --claim-stale-after) is taken
//     over, conditionally on the stale heartbeat; a holder that cannot
//     renew its claim for half the stale time stops writing first, and
//     the taker waits before truncating (fence.go).
//   - counter writes are sent once: the driver never retries them, and a
//     write that times out (or fails in any way whose outcome is unknown)
//     fails the load.
//   - the next run finds the dump started but not loaded, truncates the
//     table and loads the whole dump again.

// ClaimsTable is the claims table's name in the target keyspace.
const ClaimsTable = "lading_claims"

// DefaultStaleAfter is how old a claim's heartbeat must be before
// another loader takes the claim over.
const DefaultStaleAfter = 5 * time.Minute

// heartbeatEvery is how often a claim is renewed.
func heartbeatEvery(stale time.Duration) time.Duration {
	return min(20*time.Second, max(stale/4, 100*time.Millisecond))
}

var _ load.Claimer = (*Table)(nil)

type claim struct {
	tb    *Table
	name  string
	owner string
	lease *lease
	sess  *cql.Session // counter writes go through it (fence.go)
	lost  chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

// Claim takes the table's claim for owner (see fence.go for what it
// guards against). Every lightweight transaction on the claims table is
// SERIAL, not LOCAL_SERIAL: two datacenters must not both win a claim.
func (tb *Table) Claim(ctx context.Context, owner string) (load.Claim, error) {
	ct := schema.QuoteIdent(tb.t.ks) + "." + ClaimsTable
	if err := tb.t.ddl(ctx, "CREATE TABLE IF NOT EXISTS "+ct+" (name text PRIMARY KEY, owner text, since timestamp, heartbeat timestamp)"); err != nil {
		return nil, fmt.Errorf("create %s: %w", ct, err)
	}
	name := tb.name
	stale := tb.t.staleAfter
	ls := newLease()
	sent := ls.now()
	now := time.Now().UTC()
	m := map[string]any{}
	applied, err := tb.t.s.Query("INSERT INTO "+ct+" (name, owner, since, heartbeat) VALUES (?, ?, ?, ?) IF NOT EXISTS", name, owner, now, now).
		SerialConsistency(gocql.Serial).MapScanCASContext(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", tb.q, err)
	}
	var from string
	if !applied {
		if from, sent, err = tb.takeOver(ctx, ct, owner, m, ls); err != nil {
			return nil, err
		}
	}
	ls.extend(sent, stale/2)
	c := &claim{tb: tb, name: name, owner: owner, lease: ls, lost: make(chan struct{}), stop: make(chan struct{})}
	c.done.Add(1)
	go c.heartbeat(ct)
	fail := func(err error) (load.Claim, error) {
		if rerr := c.Release(context.WithoutCancel(ctx)); rerr != nil {
			tb.t.logger.Warn("could not release the counter claim", "table", tb.q, "err", rerr.Error())
		}
		return nil, err
	}
	if from != "" {
		wait := stale + writeSettle
		tb.t.logger.Warn("took over a stale claim; waiting before touching the table, so that no write of the previous holder is still under way", "table", tb.q, "from", from, "wait", wait.String())
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-c.lost:
			return fail(fmt.Errorf("lost the claim on %s while waiting to take it over", tb.q))
		}
	}
	if c.sess, err = tb.t.fencedSession(ctx, ls); err != nil {
		return fail(fmt.Errorf("claim %s: %w", tb.q, err))
	}
	tb.claim.Store(c)
	return c, nil
}

// takeOver takes a held claim over when its heartbeat is stale, and
// returns its previous owner and when (on the lease's clock) the take
// over was sent. A claim with no heartbeat (a row written by hand or by
// another tool) has an unknown age: its clock is started now, and it is
// taken over once stale like any other.
func (tb *Table) takeOver(ctx context.Context, ct, owner string, m map[string]any, ls *lease) (string, time.Duration, error) {
	hOwner, _ := m["owner"].(string)
	hSince, _ := m["since"].(time.Time)
	hBeat, _ := m["heartbeat"].(time.Time)
	stale := tb.t.staleAfter
	if hBeat.IsZero() {
		applied, err := tb.t.s.Query("UPDATE "+ct+" SET heartbeat = ? WHERE name = ? IF heartbeat = null", time.Now().UTC(), tb.name).
			SerialConsistency(gocql.Serial).MapScanCASContext(ctx, map[string]any{})
		if err != nil {
			return "", 0, fmt.Errorf("claim %s: %w", tb.q, err)
		}
		if applied {
			tb.t.logger.Warn("counter claim without a heartbeat: its age counts from now", "table", tb.q, "owner", hOwner)
		}
		return "", 0, fmt.Errorf("counter table %s is claimed by %s with no heartbeat; its age counts from now, and it is taken over once %s old", tb.q, hOwner, stale)
	}
	if age := time.Since(hBeat); age < stale {
		// Worth retrying: the claim ends, or goes stale.
		return "", 0, fmt.Errorf("counter table %s is being loaded by %s since %s (last heartbeat %s ago); one loader at a time", tb.q, hOwner, hSince.Format(time.RFC3339), age.Round(time.Second))
	}
	sent := ls.now()
	now := time.Now().UTC()
	applied, err := tb.t.s.Query("UPDATE "+ct+" SET owner = ?, since = ?, heartbeat = ? WHERE name = ? IF owner = ? AND heartbeat = ?", owner, now, now, tb.name, hOwner, hBeat).
		SerialConsistency(gocql.Serial).MapScanCASContext(ctx, map[string]any{})
	if err != nil {
		return "", 0, fmt.Errorf("take over stale claim on %s: %w", tb.q, err)
	}
	if !applied {
		return "", 0, fmt.Errorf("counter table %s was claimed by another loader just now", tb.q)
	}
	tb.t.logger.Warn("took over a stale claim", "table", tb.q, "from", hOwner, "last_heartbeat", hBeat)
	return hOwner, sent, nil
}

func (c *claim) heartbeat(ct string) {
	defer c.done.Done()
	last := time.Now()
	stale := c.tb.t.staleAfter
	every := heartbeatEvery(stale)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(every, 5*time.Second))
		m := map[string]any{}
		sent := c.lease.now()
		applied, err := c.tb.t.s.Query("UPDATE "+ct+" SET heartbeat = ? WHERE name = ? IF owner = ?", time.Now().UTC(), c.name, c.owner).
			SerialConsistency(gocql.Serial).MapScanCASContext(ctx, m)
		cancel()
		switch {
		case err == nil && applied:
			c.lease.extend(sent, stale/2)
			last = time.Now()
		case err == nil:
			c.tb.t.logger.Error("counter claim lost", "table", c.tb.q, "owner", m["owner"])
			c.markLost()
			return
		case time.Since(last) > stale/2:
			c.tb.t.logger.Error("cannot renew counter claim; stopping", "table", c.tb.q, "err", err.Error())
			c.markLost()
			return
		}
	}
}

func (c *claim) markLost() {
	c.lease.end()
	c.once.Do(func() { close(c.lost) })
}

// Lost is closed when the claim can no longer be proven held.
func (c *claim) Lost() <-chan struct{} { return c.lost }

// Release ends the lease, closes the fenced session and deletes the
// claim if this loader still holds it.
func (c *claim) Release(ctx context.Context) error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	close(c.stop)
	c.done.Wait()
	c.tb.claim.CompareAndSwap(c, nil)
	if c.sess != nil {
		c.sess.Close()
	}
	c.lease.end()
	ct := schema.QuoteIdent(c.tb.t.ks) + "." + ClaimsTable
	m := map[string]any{}
	_, err := c.tb.t.s.Query("DELETE FROM "+ct+" WHERE name = ? IF owner = ?", c.name, c.owner).
		SerialConsistency(gocql.Serial).MapScanCASContext(ctx, m)
	if err != nil {
		return fmt.Errorf("release the claim on %s: %w", c.tb.q, err)
	}
	return nil
}

// Reset truncates the table.
func (tb *Table) Reset(ctx context.Context) error {
	if err := tb.t.s.Query("TRUNCATE " + tb.q).ExecContext(ctx); err != nil {
		return fmt.Errorf("truncate %s: %w", tb.q, err)
	}
	return nil
}
