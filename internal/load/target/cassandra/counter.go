package cassandra

import (
	"context"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

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
//     renew its claim for half the stale time stops writing first.
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
	lost  chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

// Claim takes the table's claim for owner.
func (tb *Table) Claim(ctx context.Context, owner string) (load.Claim, error) {
	ct := schema.QuoteIdent(tb.t.ks) + "." + ClaimsTable
	if err := tb.t.ddl(ctx, "CREATE TABLE IF NOT EXISTS "+ct+" (name text PRIMARY KEY, owner text, since timestamp, heartbeat timestamp)"); err != nil {
		return nil, fmt.Errorf("create %s: %w", ct, err)
	}
	name := tb.name
	now := time.Now().UTC()
	var hOwner string
	var hSince, hBeat time.Time
	m := map[string]any{}
	applied, err := tb.t.s.Query("INSERT INTO "+ct+" (name, owner, since, heartbeat) VALUES (?, ?, ?, ?) IF NOT EXISTS", name, owner, now, now).
		SerialConsistency(gocql.LocalSerial).MapScanCASContext(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", tb.q, err)
	}
	if !applied {
		hOwner, _ = m["owner"].(string)
		hSince, _ = m["since"].(time.Time)
		hBeat, _ = m["heartbeat"].(time.Time)
		if time.Since(hBeat) < tb.t.staleAfter {
			// Worth retrying: the claim ends, or goes stale.
			return nil, fmt.Errorf("counter table %s is being loaded by %s since %s (last heartbeat %s ago); one loader at a time", tb.q, hOwner, hSince.Format(time.RFC3339), time.Since(hBeat).Round(time.Second))
		}
		m2 := map[string]any{}
		applied, err = tb.t.s.Query("UPDATE "+ct+" SET owner = ?, since = ?, heartbeat = ? WHERE name = ? IF owner = ? AND heartbeat = ?", owner, now, now, name, hOwner, hBeat).
			SerialConsistency(gocql.LocalSerial).MapScanCASContext(ctx, m2)
		if err != nil {
			return nil, fmt.Errorf("take over stale claim on %s: %w", tb.q, err)
		}
		if !applied {
			return nil, fmt.Errorf("counter table %s was claimed by another loader just now", tb.q)
		}
		tb.t.logger.Warn("took over a stale claim", "table", tb.q, "from", hOwner, "last_heartbeat", hBeat)
	}
	c := &claim{tb: tb, name: name, owner: owner, lost: make(chan struct{}), stop: make(chan struct{})}
	c.done.Add(1)
	go c.heartbeat(ct)
	return c, nil
}

func (c *claim) heartbeat(ct string) {
	defer c.done.Done()
	last := time.Now()
	every := heartbeatEvery(c.tb.t.staleAfter)
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
		applied, err := c.tb.t.s.Query("UPDATE "+ct+" SET heartbeat = ? WHERE name = ? IF owner = ?", time.Now().UTC(), c.name, c.owner).
			SerialConsistency(gocql.LocalSerial).MapScanCASContext(ctx, m)
		cancel()
		switch {
		case err == nil && applied:
			last = time.Now()
		case err == nil:
			c.tb.t.logger.Error("counter claim lost", "table", c.tb.q, "owner", m["owner"])
			c.markLost()
			return
		case time.Since(last) > c.tb.t.staleAfter/2:
			c.tb.t.logger.Error("cannot renew counter claim; stopping", "table", c.tb.q, "err", err.Error())
			c.markLost()
			return
		}
	}
}

func (c *claim) markLost() { c.once.Do(func() { close(c.lost) }) }

// Lost is closed when the claim can no longer be proven held.
func (c *claim) Lost() <-chan struct{} { return c.lost }

// Release deletes the claim if this loader still holds it.
func (c *claim) Release(ctx context.Context) error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	close(c.stop)
	c.done.Wait()
	ct := schema.QuoteIdent(c.tb.t.ks) + "." + ClaimsTable
	m := map[string]any{}
	_, err := c.tb.t.s.Query("DELETE FROM "+ct+" WHERE name = ? IF owner = ?", c.name, c.owner).
		SerialConsistency(gocql.LocalSerial).MapScanCASContext(ctx, m)
	return err
}

// Reset truncates the table.
func (tb *Table) Reset(ctx context.Context) error {
	if err := tb.t.s.Query("TRUNCATE " + tb.q).ExecContext(ctx); err != nil {
		return fmt.Errorf("truncate %s: %w", tb.q, err)
	}
	return nil
}
