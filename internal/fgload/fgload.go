// Package fgload is a foreground workload for benchmarks: reads and
// writes at a fixed rate against a Cassandra table, as the application
// whose latency an export must not disturb, with every request's
// latency kept per second and overall (p50, p99, p999).
package fgload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// DDL creates the workload's table in a keyspace (fmt argument).
const DDL = "CREATE TABLE %s.fg (id int PRIMARY KEY, v text, n bigint)"

// Config is a workload: Rate requests per second, half reads of a
// random row among Keys, half writes of one, at most MaxInflight at once.
type Config struct {
	Session     *gocql.Session
	Keyspace    string
	Rate        int
	Keys        int
	MaxInflight int
}

// Stats are latency percentiles of the requests of a run.
type Stats struct {
	Requests, Errors, Late int
	P50, P99, P999         time.Duration
	// PerSecond is the p99 of each second of the run.
	PerSecond []time.Duration
}

func (s Stats) String() string {
	return fmt.Sprintf("%d requests (%d errors, %d late), p50 %s, p99 %s, p999 %s",
		s.Requests, s.Errors, s.Late, s.P50, s.P99, s.P999)
}

// Fill writes the Keys rows the reads hit.
func Fill(ctx context.Context, c Config) error {
	for i := range c.Keys {
		if err := c.Session.Query("INSERT INTO "+c.Keyspace+".fg (id, v, n) VALUES (?, ?, ?)", i, "seed", int64(i)).ExecContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Run sends requests at the fixed rate until ctx ends. A request's
// latency counts from when it was due, not from when it was sent, so a
// stalled client does not hide the server's slowness; one due while
// MaxInflight are outstanding is counted late and sent when a slot frees.
func Run(ctx context.Context, c Config) Stats {
	var mu sync.Mutex
	var all []time.Duration
	perSec := map[int][]time.Duration{}
	var st Stats
	slots := make(chan struct{}, max(c.MaxInflight, 1))
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(max(c.Rate, 1))
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			mu.Lock()
			st.Late++
			mu.Unlock()
			slots <- struct{}{}
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			k := rand.IntN(max(c.Keys, 1))
			var err error
			if i%2 == 0 {
				var v string
				var n int64
				err = c.Session.Query("SELECT v, n FROM "+c.Keyspace+".fg WHERE id = ?", k).Consistency(gocql.LocalOne).ScanContext(rctx, &v, &n)
			} else {
				err = c.Session.Query("INSERT INTO "+c.Keyspace+".fg (id, v, n) VALUES (?, ?, ?)", k, "fg", int64(i)).Consistency(gocql.LocalOne).ExecContext(rctx)
			}
			lat := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			st.Requests++
			if err != nil {
				st.Errors++
			}
			all = append(all, lat)
			sec := int(due.Sub(start) / time.Second)
			perSec[sec] = append(perSec[sec], lat)
		}(i)
	}
	wg.Wait()
	st.P50, st.P99, st.P999 = pct(all, 0.50), pct(all, 0.99), pct(all, 0.999)
	for s := 0; s < len(perSec)+1; s++ {
		if l, ok := perSec[s]; ok {
			st.PerSecond = append(st.PerSecond, pct(l, 0.99))
		}
	}
	return st
}

// pct is the q-quantile (nearest rank) of ds; it sorts ds.
func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
