// Package cqltest gives integration tests a session to the test Cassandra
// (located by internal/testenv) and a keyspace of their own, dropped when
// the test ends.
package cqltest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/testenv"
)

// URL returns the cassandra:// URL of the test cluster.
func URL(t testing.TB) string {
	t.Helper()
	return "cassandra://" + testenv.CassandraHosts(t) + "/"
}

// Session connects to the test cluster; the session is closed when the
// test ends.
func Session(t testing.TB) *cql.Session {
	t.Helper()
	cfg, err := cql.ParseURL(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := cql.Connect(ctx, cfg, cql.Options{})
	if err != nil {
		t.Fatalf("connect to the test Cassandra: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Keyspace creates a keyspace (SimpleStrategy, RF 1) named after the test
// with a random suffix, and drops it when the test ends.
func Keyspace(t testing.TB, s *cql.Session) string {
	t.Helper()
	name := "lt_" + sanitize(t.Name())
	if len(name) > 30 {
		name = name[:30]
	}
	name = fmt.Sprintf("%s_%06x", name, rand.IntN(1<<24))
	Exec(t, s, fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", name))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Driver().Query("DROP KEYSPACE IF EXISTS " + name).ExecContext(ctx)
	})
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Exec runs statements (DDL is retried once on a schema-agreement hiccup).
func Exec(t testing.TB, s *cql.Session, stmts ...string) {
	t.Helper()
	for _, st := range stmts {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := s.Driver().Query(st).ExecContext(ctx)
		if err != nil {
			time.Sleep(time.Second)
			err = s.Driver().Query(st).ExecContext(ctx)
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// Insert runs n statements concurrently (inflight at a time, unlogged,
// each its own request): args(i) gives the bind values of the i-th.
func Insert(t testing.TB, s *cql.Session, stmt string, n, inflight int, args func(i int) []any) {
	t.Helper()
	InsertBatches(t, s, stmt, n, 1, inflight, args)
}

// InsertBatches is Insert with consecutive statements grouped into
// unlogged batches of up to size (callers keep one batch in one
// partition); a batch never crosses a multiple of size.
func InsertBatches(t testing.TB, s *cql.Session, stmt string, n, size, inflight int, args func(i int) []any) {
	t.Helper()
	size = max(size, 1)
	err := concurrently((n+size-1)/size, inflight, func(ctx context.Context, b int) error {
		if size == 1 {
			return s.Driver().Query(stmt, args(b)...).ExecContext(ctx)
		}
		batch := s.Driver().Batch(gocql.UnloggedBatch)
		for i := b * size; i < min((b+1)*size, n); i++ {
			batch.Query(stmt, args(i)...)
		}
		return batch.ExecContext(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// concurrently runs do(0..n-1), inflight at a time (default 64), each
// tried up to 5 times; it returns the first error that outlived them.
func concurrently(n, inflight int, do func(ctx context.Context, i int) error) error {
	if inflight <= 0 {
		inflight = 64
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var err error
				for try := 0; try < 5; try++ {
					if err = do(ctx, i); err == nil {
						break
					}
					time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("insert %d: %w", i, err); cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// TupleWire serializes a tuple's components as the native protocol does
// (nil is a null component), for comparing with raw scans.
func TupleWire(elems ...[]byte) []byte {
	out := []byte{}
	for _, e := range elems {
		if e == nil {
			out = binary.BigEndian.AppendUint32(out, 0xffffffff)
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out
}
